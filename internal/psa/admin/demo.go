package admin

import (
	"context"
	"fmt"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
)

// SeedDemo fills a new tenant with a small, believable MSP: customers with contacts and
// locations, configuration items, and tickets with notes. It goes through the same services as
// the API, so the demo data obeys every rule.
func (s *Service) SeedDemo(ctx context.Context) error {
	ctx = psa.WithActor(ctx, psa.SystemActor)
	// input is a write of the given fields of entity; a name the catalog lacks is an error.
	input := func(entity string, values map[string]any) (*catalog.Entity, *psa.Input, error) {
		e, ok := s.Catalog.Entity(entity)
		if !ok {
			return nil, nil, fmt.Errorf("demo: no collection %s", entity)
		}
		in := psa.NewInput()
		for k, v := range values {
			i := e.Index(k)
			if i < 0 {
				return nil, nil, fmt.Errorf("demo %s: no field %s", entity, k)
			}
			in.Set[i] = v
		}
		return e, in, nil
	}
	create := func(entity string, parent *psa.Parent, values map[string]any) (int64, error) {
		e, in, err := input(entity, values)
		if err != nil {
			return 0, err
		}
		id, err := s.Create(ctx, e, in, parent)
		if err != nil {
			return 0, fmt.Errorf("demo %s: %w", entity, err)
		}
		return id, nil
	}
	createWithUDF := func(entity string, values map[string]any, udf map[string]*string) (int64, error) {
		e, in, err := input(entity, values)
		if err != nil {
			return 0, err
		}
		in.UDF, in.UDFPresent = udf, true
		return s.Create(ctx, e, in, nil)
	}
	// The administrator (the tenant's resource 1) works in Administration as Administrator and
	// on the service desk as Technician, so the console can assign tickets to them.
	if _, err := s.EditResource(ctx, "1", ResourceChange{Departments: &demoAdministratorRoles, Queues: &[]int64{8, 9}}); err != nil {
		return fmt.Errorf("demo administrator: %w", err)
	}
	if _, err := create("UserDefinedFieldDefinitions", nil, map[string]any{"name": "Customer Number", "udfType": int64(1), "dataType": int64(1), "isActive": true, "sortOrder": int64(1)}); err != nil {
		return err
	}
	if _, err := create("UserDefinedFieldDefinitions", nil, map[string]any{"name": "Billable Minutes", "udfType": int64(6), "dataType": int64(2), "isActive": true, "sortOrder": int64(1)}); err != nil {
		return err
	}
	serverType, err := create("ConfigurationItemTypes", nil, map[string]any{"name": "Server", "isActive": true})
	if err != nil {
		return err
	}
	workstationType, err := create("ConfigurationItemTypes", nil, map[string]any{"name": "Workstation", "isActive": true})
	if err != nil {
		return err
	}
	product, err := create("Products", nil, map[string]any{"name": "Managed Workstation", "isActive": true})
	if err != nil {
		return err
	}
	customers := []struct {
		name, phone, web, city string
		contacts               [][2]string
	}{
		{"Acme Dental Group", "555-0100", "acmedental.example", "Springfield", [][2]string{{"Alice", "Archer"}, {"Bob", "Bishop"}}},
		{"Brightside Logistics", "555-0200", "brightside.example", "Shelbyville", [][2]string{{"Carol", "Chen"}, {"Dan", "Diaz"}}},
		{"Cedar Law Partners", "555-0300", "cedarlaw.example", "Capital City", [][2]string{{"Erin", "Evans"}}},
	}
	titles := []string{"Printer offline on second floor", "New starter needs an account", "VPN drops every hour", "Outlook will not open", "Backup job failed overnight"}
	ticket := 0
	for ci, c := range customers {
		companyInput := map[string]any{"companyName": c.name, "companyType": int64(1), "phone": c.phone, "webAddress": c.web,
			"city": c.city, "ownerResourceID": int64(1), "isActive": true, "classification": int64(2)}
		company, err := createWithUDF("Companies", companyInput, map[string]*string{"Customer Number": ptr(fmt.Sprintf("CUST-%03d", ci+1))})
		if err != nil {
			return err
		}
		// The company's primary location comes with it, in its city.
		var contactIDs []int64
		for _, n := range c.contacts {
			id, err := create("Contacts", &psa.Parent{Entity: s.f.companies, ID: company, Child: s.f.companyContacts}, map[string]any{"firstName": n[0], "lastName": n[1], "isActive": int64(1),
				"emailAddress": fmt.Sprintf("%s.%s@%s", lower(n[0]), lower(n[1]), c.web)})
			if err != nil {
				return err
			}
			contactIDs = append(contactIDs, id)
		}
		for k, typ := range []int64{serverType, workstationType} {
			if _, err := create("ConfigurationItems", nil, map[string]any{"companyID": company, "productID": product, "isActive": true,
				"configurationItemType": typ, "referenceTitle": fmt.Sprintf("%s-%02d", slug(c.name)[:4], k+1), "serialNumber": fmt.Sprintf("SN%04d%02d", ci, k)}); err != nil {
				return err
			}
		}
		for k := 0; k < 2; k++ {
			title := titles[ticket%len(titles)]
			ticket++
			id, err := create("Tickets", nil, map[string]any{"companyID": company, "contactID": contactIDs[k%len(contactIDs)], "title": title,
				"description": "Reported by phone: " + title + ".", "status": []int64{1, 8}[k], "priority": int64(2), "queueID": int64(8),
				"ticketType": int64(1), "source": int64(3)})
			if err != nil {
				return err
			}
			if _, err := create("TicketNotes", &psa.Parent{Entity: s.f.tickets, ID: id, Child: s.f.ticketNotes}, map[string]any{"title": "Initial triage", "description": "Called the customer back and gathered details.",
				"noteType": int64(3), "publish": int64(1)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// The department/role associations of the demo's people: departments 1 Service Desk and 2
// Administration, roles 1 Technician and 2 Administrator (the tenant's seed rows).
var (
	demoAdministratorRoles = []DepartmentRole{{DepartmentID: 2, RoleID: 2, Default: true}, {DepartmentID: 1, RoleID: 1}}
	demoTechnicianRoles    = []DepartmentRole{{DepartmentID: 1, RoleID: 1, Default: true}}
)

// demoTechnicians are the demo's service desk technicians (SeedDemoTeam).
var demoTechnicians = [][2]string{{"Tom", "Baker"}, {"Nina", "Patel"}}

// SeedDemoTeam adds the demo's technicians, after SeedDemo and the demo's API user (so that
// user keeps resource id 2): Service Desk technicians in the Level I and II queues, without a
// console password (an administrator gives them one), each assigned, as Technician, the demo
// tickets that are in progress in turn.
func (s *Service) SeedDemoTeam(ctx context.Context) error {
	ctx = psa.WithActor(ctx, psa.Actor{ResourceID: 1})
	tenant, err := s.tenantOf(ctx)
	if err != nil {
		return err
	}
	var techs []int64
	for _, n := range demoTechnicians {
		// Usernames are unique across tenants: the tenant id is in it, as in the administrator's.
		user := fmt.Sprintf("%s.%s%d@%s.example", lower(n[0]), lower(n[1]), tenant.ID, slug(tenant.Name))
		r, err := s.CreateResource(ctx, NewResource{FirstName: n[0], LastName: n[1], Email: fmt.Sprintf("%s.%s@%s.example", lower(n[0]), lower(n[1]), slug(tenant.Name)),
			Title: "Service Desk Technician", Username: user, SecurityLevel: "Team Member (system)", LocationID: 1,
			Departments: demoTechnicianRoles, Queues: []int64{8, 9}})
		if err != nil {
			return fmt.Errorf("demo technician %s %s: %w", n[0], n[1], err)
		}
		techs = append(techs, r.ID)
	}
	e, tk := s.f.tickets, s.f.ticket
	rows, err := s.RowsWhere(ctx, e, "status", int64(8)) // In Progress
	if err != nil {
		return err
	}
	for i, row := range rows {
		in := psa.NewInput()
		in.Set[tk.id] = row.ID(e)
		in.Set[tk.assignedResourceID] = techs[i%len(techs)]
		in.Set[tk.assignedResourceRoleID] = demoTechnicianRoles[0].RoleID
		if _, err := s.Update(ctx, e, in, nil, false); err != nil {
			return fmt.Errorf("demo ticket assignment: %w", err)
		}
	}
	return nil
}

func ptr(s string) *string { return &s }
