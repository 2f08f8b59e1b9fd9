// Package devseed builds the reference data set of docs/targets.md, deterministically: at scale
// 1, a tenant with 1,000,000 tickets, 100,000 companies, 300,000 contacts, 200,000 configuration
// items, 2,000,000 ticket notes, 3,000 resources, realistic picklist values and UDFs. It writes
// with bulk inserts in large transactions, so building it takes minutes.
package devseed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Counts are the sizes of a generated data set.
type Counts struct {
	Companies, Contacts, Resources, ConfigurationItems, Tickets, TicketNotes int
}

// ForScale returns the sizes at a scale (1 = the reference data set).
func ForScale(scale float64) Counts {
	n := func(base int) int { return max(1, int(float64(base)*scale)) }
	return Counts{Companies: n(100_000), Contacts: n(300_000), Resources: n(3_000), ConfigurationItems: n(200_000), Tickets: n(1_000_000), TicketNotes: n(2_000_000)}
}

// Progress is told how far the generator has come.
type Progress func(entity string, done, total int)

// Generate fills the tenant in ctx (which must be new: ids start after the tenant's seed rows)
// with a data set of the given sizes.
func Generate(ctx context.Context, svc *admin.Service, c Counts, progress Progress) error {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if err := svc.DB.PrepareBulkLoad(ctx); err != nil {
		return err
	}
	g := &gen{svc: svc, cat: svc.Catalog, rnd: rand.New(rand.NewPCG(2026, 11)), c: c, progress: progress,
		epoch: time.Date(2023, 1, 1, 8, 0, 0, 0, time.UTC)}
	if _, err := svc.Create(ctx, g.cat.MustEntity("UserDefinedFieldDefinitions"), g.input("UserDefinedFieldDefinitions",
		map[string]any{"name": "Billable Minutes", "udfType": int64(6), "dataType": int64(2), "isActive": true, "sortOrder": int64(1)}), nil); err != nil {
		return err
	}
	if _, err := svc.Create(ctx, g.cat.MustEntity("UserDefinedFieldDefinitions"), g.input("UserDefinedFieldDefinitions",
		map[string]any{"name": "Customer Number", "udfType": int64(1), "dataType": int64(1), "isActive": true, "sortOrder": int64(1)}), nil); err != nil {
		return err
	}
	steps := []struct {
		entity string
		total  int
		fill   func(i int, id int64, row *store.Row)
	}{
		{"Resources", c.Resources, g.resource},
		{"Companies", c.Companies, g.company},
		{"Contacts", c.Contacts, g.contact},
		{"ConfigurationItems", c.ConfigurationItems, g.configurationItem},
		{"Tickets", c.Tickets, g.ticket},
		{"TicketNotes", c.TicketNotes, g.note},
	}
	for _, st := range steps {
		if err := g.fill(ctx, st.entity, st.total, st.fill); err != nil {
			return err
		}
	}
	return svc.DB.FinishBulkLoad(ctx)
}

type gen struct {
	svc      *admin.Service
	cat      *catalog.Catalog
	rnd      *rand.Rand
	c        Counts
	progress Progress
	epoch    time.Time
	firstID  map[string]int64
}

func (g *gen) input(entity string, values map[string]any) *psa.Input {
	e := g.cat.MustEntity(entity)
	in := psa.NewInput()
	for k, v := range values {
		in.Set[e.MustIndex(k)] = v
	}
	return in
}

const batch = 20_000

func (g *gen) fill(ctx context.Context, entity string, total int, fill func(i int, id int64, row *store.Row)) error {
	e := g.cat.MustEntity(entity)
	if g.firstID == nil {
		g.firstID = map[string]int64{}
	}
	var first int64
	err := g.svc.DB.InTx(ctx, func(tx *store.Tx) error {
		id, err := tx.NextID(ctx, e.Table)
		first = id
		return err
	})
	if err != nil {
		return err
	}
	g.firstID[entity] = first
	for start := 0; start < total; start += batch {
		end := min(start+batch, total)
		rows := make([]*store.Row, 0, end-start)
		for i := start; i < end; i++ {
			row := store.NewRow(e)
			id := first + int64(i)
			row.Values[e.IDIndex()] = id
			fill(i, id, row)
			rows = append(rows, row)
		}
		err := g.svc.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.BulkInsert(ctx, e, rows); err != nil {
				return err
			}
			return tx.BumpSequence(ctx, e.Table, first+int64(end)-1)
		})
		if err != nil {
			return err
		}
		g.progress(entity, end, total)
	}
	return nil
}

func set(e *catalog.Entity, row *store.Row, values ...any) {
	for i := 0; i < len(values); i += 2 {
		row.Values[e.MustIndex(values[i].(string))] = values[i+1]
	}
}

var (
	firstNames = []string{"Alice", "Bob", "Carol", "Dan", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yvonne"}
	lastNames  = []string{"Archer", "Bishop", "Chen", "Diaz", "Evans", "Foster", "Garcia", "Hughes", "Ito", "Jones", "Khan", "Lopez", "Miller", "Novak", "Owens", "Patel", "Quinn", "Rossi", "Smith", "Tanaka"}
	words      = []string{"Acme", "Bright", "Cedar", "Delta", "Echo", "Falcon", "Granite", "Harbor", "Iron", "Juniper", "Keystone", "Lumen", "Maple", "Northwind", "Orchid", "Pioneer", "Quartz", "Riverside", "Summit", "Tidewater"}
	kinds      = []string{"Dental", "Logistics", "Law Partners", "Accounting", "Clinic", "Builders", "Foods", "Realty", "Consulting", "Motors"}
	problems   = []string{"Printer offline", "Password reset", "VPN drops", "Outlook will not open", "Backup job failed", "New starter account", "Laptop screen cracked", "Slow network", "Server disk full", "Phone system down"}
	statuses   = []int64{1, 1, 5, 5, 5, 5, 7, 8, 8, 10, 12}
	queues     = []int64{5, 6, 8, 8, 8, 9, 9, 10, 11}
)

func (g *gen) pick(list []string) string { return list[g.rnd.IntN(len(list))] }

func (g *gen) resource(i int, id int64, row *store.Row) {
	e := g.cat.MustEntity("Resources")
	fn, ln := g.pick(firstNames), g.pick(lastNames)
	set(e, row, "firstName", fn, "lastName", ln, "email", fmt.Sprintf("%s.%s%d@msp.example", fn, ln, i), "userName", fmt.Sprintf("tech%05d", i),
		"isActive", true, "locationID", int64(1), "resourceType", "Employee", "licenseType", int64(1), "internalCost", 40+float64(g.rnd.IntN(40)))
}

func (g *gen) company(i int, id int64, row *store.Row) {
	e := g.cat.MustEntity("Companies")
	created := g.epoch.Add(time.Duration(i) * time.Minute)
	set(e, row, "companyName", fmt.Sprintf("%s %s %d", g.pick(words), kinds[i%len(kinds)], i), "companyType", []int64{1, 1, 1, 2, 3, 7}[i%6],
		"phone", fmt.Sprintf("555-%04d", i%10000), "ownerResourceID", g.firstID["Resources"]+int64(g.rnd.IntN(g.c.Resources)),
		"isActive", i%20 != 0, "classification", int64(1+i%4), "city", g.pick(words)+"ville", "webAddress", fmt.Sprintf("c%d.example", i),
		"createDate", created, "lastActivityDate", created, "lastTrackedModifiedDateTime", created)
	row.UDF = map[string]*string{"Customer Number": ptr(fmt.Sprintf("C%06d", i))}
}

func (g *gen) companyID(i int) int64 { return g.firstID["Companies"] + int64(i%g.c.Companies) }

func (g *gen) contact(i int, id int64, row *store.Row) {
	e := g.cat.MustEntity("Contacts")
	fn, ln := g.pick(firstNames), g.pick(lastNames)
	company := i % g.c.Companies
	set(e, row, "companyID", g.companyID(company), "firstName", fn, "lastName", ln, "isActive", int64(1),
		"emailAddress", fmt.Sprintf("%s.%s%d@c%d.example", fn, ln, i, company), "createDate", g.epoch, "lastModifiedDate", g.epoch)
}

func (g *gen) configurationItem(i int, id int64, row *store.Row) {
	e := g.cat.MustEntity("ConfigurationItems")
	set(e, row, "companyID", g.companyID(i), "productID", nil, "isActive", true, "referenceTitle", fmt.Sprintf("WS-%06d", i),
		"serialNumber", fmt.Sprintf("SN%08d", i), "createDate", g.epoch, "lastModifiedTime", g.epoch)
}

func (g *gen) ticket(i int, id int64, row *store.Row) {
	e := g.cat.MustEntity("Tickets")
	created := g.epoch.Add(time.Duration(i) * 90 * time.Second)
	status := statuses[g.rnd.IntN(len(statuses))]
	company := g.rnd.IntN(g.c.Companies)
	problem := g.pick(problems)
	set(e, row, "ticketNumber", fmt.Sprintf("T%s.%04d", created.Format("20060102"), i%960+1), "title", problem,
		"description", problem+" reported by the customer; details in the notes.", "status", status, "priority", int64(1+g.rnd.IntN(4)),
		"queueID", queues[g.rnd.IntN(len(queues))], "companyID", g.companyID(company), "contactID", g.firstID["Contacts"]+int64(company%g.c.Contacts),
		"ticketType", int64(1+g.rnd.IntN(3)), "source", int64(2+g.rnd.IntN(2)), "issueType", int64(1+i%4), "ticketCategory", int64(1),
		"estimatedHours", float64(g.rnd.IntN(8)), "createDate", created, "lastActivityDate", created.Add(time.Hour), "dueDateTime", created.Add(48*time.Hour),
		"creatorResourceID", g.firstID["Resources"]+int64(g.rnd.IntN(g.c.Resources)))
	if status == 5 {
		set(e, row, "completedDate", created.Add(24*time.Hour))
	}
	if i%3 == 0 {
		row.UDF = map[string]*string{"Billable Minutes": ptr(fmt.Sprint(15 * (1 + i%8)))}
	}
}

func (g *gen) note(i int, id int64, row *store.Row) {
	e := g.cat.MustEntity("TicketNotes")
	ticket := i % g.c.Tickets
	created := g.epoch.Add(time.Duration(ticket)*90*time.Second + time.Duration(i/g.c.Tickets+1)*time.Hour)
	set(e, row, "ticketID", g.firstID["Tickets"]+int64(ticket), "title", "Update", "description", "Worked on the issue and updated the customer.",
		"noteType", int64(3), "publish", int64(1+i%2), "createDateTime", created, "lastActivityDate", created)
}

func ptr(s string) *string { return &s }
