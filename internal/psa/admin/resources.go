package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Resources: the people of the MSP (and, through apiusers.go, API-only users). They are made,
// changed and deactivated here; the REST API can only query and update them.

// DepartmentRole is a department/role association of a resource (ResourceRoleDepartments).
type DepartmentRole struct {
	DepartmentID int64 `json:"departmentId"`
	RoleID       int64 `json:"roleId"`
	Default      bool  `json:"default"`
	Lead         bool  `json:"lead"`
}

// NewResource is what "New Resource" asks for.
type NewResource struct {
	FirstName, LastName, Email, Title string
	Username                          string // typed; required
	Password                          string // console password; empty: the resource cannot sign in yet
	SecurityLevel                     string // a level that is not API-only
	LocationID                        int64  // primary internal location (required)
	InternalCost                      *float64
	Departments                       []DepartmentRole
	Queues                            []int64 // service desk queues (Tickets.queueID values)
	TimesheetApprovers                []int64
	ExpenseApprovers                  []int64
	LOBs                              []int64
	// With an API-only security level the resource is an API-only user (the older way of
	// making one): the password is its secret and it needs a tracking identifier, a vendor of
	// the list or Custom (empty Vendor).
	Vendor string
}

// CreateResource makes a resource with its security level, location, associations and
// approvers, all in one transaction.
func (s *Service) CreateResource(ctx context.Context, in NewResource) (*Resource, error) {
	if in.SecurityLevel != "" {
		if level, err := s.SecurityLevel(ctx, in.SecurityLevel); err == nil && level.APIOnly {
			return s.createAPIResource(ctx, in)
		}
	}
	tenant, err := s.tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	in.Username = strings.TrimSpace(in.Username)
	if err := auth.CheckResourceUsername(in.Username); err != nil {
		return nil, apperr.Invalid("%s.", upperFirst(err.Error()))
	}
	if in.SecurityLevel == "" {
		return nil, apperr.Invalid("A resource needs a security level.")
	}
	level, err := s.SecurityLevel(ctx, in.SecurityLevel)
	if err != nil {
		return nil, err
	}
	if !level.Active {
		return nil, apperr.Invalid("The security level %q is inactive.", level.Name)
	}
	if in.LocationID == 0 {
		return nil, apperr.Invalid("A resource needs a primary internal location.")
	}
	if _, err := s.location(ctx, in.LocationID); err != nil {
		return nil, err
	}
	sec := &store.ResourceSecurity{SecurityLevelID: level.ID}
	if in.Password != "" {
		if err := auth.CheckPassword(in.Password, tenant.StrongPasswords); err != nil {
			return nil, apperr.Invalid("%s.", upperFirst(err.Error()))
		}
		sec.PasswordHash, sec.ConsoleLogin, sec.PasswordChangedAt = auth.HashSecret(in.Password), true, time.Now().UTC()
	}
	if err := s.checkLOBs(ctx, tenant, in.LOBs); err != nil {
		return nil, err
	}
	if err := s.checkAssociations(ctx, in.Departments, in.Queues, append(append([]int64{}, in.TimesheetApprovers...), in.ExpenseApprovers...)); err != nil {
		return nil, err
	}
	values := map[string]any{"firstName": strings.TrimSpace(in.FirstName), "lastName": strings.TrimSpace(in.LastName), "email": strings.TrimSpace(in.Email),
		"userName": in.Username, "isActive": true, "locationID": in.LocationID, "resourceType": "Employee", "licenseType": int64(level.License)}
	if in.Title != "" {
		values["title"] = in.Title
	}
	if in.InternalCost != nil {
		if *in.InternalCost < 0 {
			return nil, apperr.Invalid("The internal cost cannot be negative.")
		}
		values["internalCost"] = *in.InternalCost
	}
	var id int64
	err = s.ChangeAccess(ctx, func(tx *store.Tx) error {
		var err error
		if id, err = s.InsertRow(ctx, tx, "Resources", values); err != nil {
			return err
		}
		if err := tx.ReserveUsername(ctx, in.Username, id); err != nil {
			return err
		}
		sec.ResourceID = id
		if err := tx.SaveResourceSecurity(ctx, sec); err != nil {
			return err
		}
		if err := s.setAssociations(ctx, tx, id, &in.Departments, &in.Queues); err != nil {
			return err
		}
		if err := tx.SetApprovers(ctx, id, "timesheet", in.TimesheetApprovers); err != nil {
			return err
		}
		if err := tx.SetApprovers(ctx, id, "expense", in.ExpenseApprovers); err != nil {
			return err
		}
		return s.setLOBs(ctx, tx, id, in.LOBs)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, apperr.Invalid("The username %q is already in use.", in.Username)
	}
	if err != nil {
		return nil, err
	}
	return s.Resource(ctx, strconv.FormatInt(id, 10))
}

// createAPIResource is "New Resource" with an API-only level: an API user with the typed
// username and password (its secret), then the resource's other settings.
func (s *Service) createAPIResource(ctx context.Context, in NewResource) (*Resource, error) {
	if in.Username == "" || in.Password == "" {
		return nil, apperr.Invalid("A resource with an API-only security level needs a typed username and password (or use New API User to generate them).")
	}
	if in.LocationID == 0 {
		return nil, apperr.Invalid("A resource needs a primary internal location.")
	}
	creds, err := s.CreateAPIUser(ctx, NewAPIUser{FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Username: in.Username, Secret: in.Password,
		SecurityLevel: in.SecurityLevel, Vendor: in.Vendor, LocationID: in.LocationID, LOBs: in.LOBs})
	if err != nil {
		return nil, err
	}
	ref := strconv.FormatInt(creds.ResourceID, 10)
	ch := ResourceChange{InternalCost: in.InternalCost, Departments: &in.Departments, Queues: &in.Queues,
		TimesheetApprovers: &in.TimesheetApprovers, ExpenseApprovers: &in.ExpenseApprovers}
	if in.Title != "" {
		ch.Title = &in.Title
	}
	return s.EditResource(ctx, ref, ch)
}

// ResourceChange edits a resource; nil and empty fields are left as they are.
type ResourceChange struct {
	FirstName, LastName, Email, Title *string
	LocationID                        *int64
	SecurityLevel                     string
	InternalCost                      *float64
	Password                          string
	Active                            *bool
	Departments                       *[]DepartmentRole
	Queues                            *[]int64
	TimesheetApprovers                *[]int64
	ExpenseApprovers                  *[]int64
	LOBs                              *[]int64
}

// EditResource changes a resource, found by id or username. The row's own fields go through
// the generic update (UpdateWith), as a REST PATCH does, so the Resources hook alone keeps the
// entity's rules (the API user's credentials follow isActive; no negative internal cost); the
// rest is the administration's: the security level (and the license type it gives), the
// password, departments and roles, queues, approvers and lines of business, written in the
// same transaction. API users take API-only levels, other resources the rest; a new password
// follows the policy and differs from the last five.
func (s *Service) EditResource(ctx context.Context, ref string, ch ResourceChange) (*Resource, error) {
	tenant, err := s.tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	id, err := s.resourceID(ctx, ref)
	if err != nil {
		return nil, err
	}
	e, fr := s.f.resources, s.f.resource
	if _, err := s.DB.Get(ctx, e, id); errors.Is(err, store.ErrNotFound) {
		return nil, apperr.Invalid("There is no resource %s.", ref)
	} else if err != nil {
		return nil, err
	}
	var level *access.Level
	if ch.SecurityLevel != "" {
		if level, err = s.SecurityLevel(ctx, ch.SecurityLevel); err != nil {
			return nil, err
		}
		if !level.Active {
			return nil, apperr.Invalid("The security level %q is inactive.", level.Name)
		}
	}
	if ch.Password != "" {
		if err := auth.CheckPassword(ch.Password, tenant.StrongPasswords); err != nil {
			return nil, apperr.Invalid("%s.", upperFirst(err.Error()))
		}
	}
	if ch.LocationID != nil {
		if _, err := s.location(ctx, *ch.LocationID); err != nil {
			return nil, err
		}
	}
	if ch.LOBs != nil {
		if err := s.checkLOBs(ctx, tenant, *ch.LOBs); err != nil {
			return nil, err
		}
	}
	var deps []DepartmentRole
	var queues, approvers []int64
	if ch.Departments != nil {
		deps = *ch.Departments
	}
	if ch.Queues != nil {
		queues = *ch.Queues
	}
	for _, a := range []*[]int64{ch.TimesheetApprovers, ch.ExpenseApprovers} {
		if a != nil {
			approvers = append(approvers, *a...)
		}
	}
	if err := s.checkAssociations(ctx, deps, queues, approvers); err != nil {
		return nil, err
	}
	// The row's own fields, as a client would send them.
	in := psa.NewInput()
	for i, v := range map[int]*string{fr.firstName: ch.FirstName, fr.lastName: ch.LastName, fr.email: ch.Email, fr.title: ch.Title} {
		if v != nil {
			in.Set[i] = strings.TrimSpace(*v)
		}
	}
	if ch.LocationID != nil {
		in.Set[fr.locationID] = *ch.LocationID
	}
	if ch.InternalCost != nil {
		in.Set[fr.internalCost] = *ch.InternalCost
	}
	if ch.Active != nil {
		in.Set[fr.isActive] = *ch.Active
	}
	// rest writes what is not a field of the row, in the write's transaction; row is nil when no
	// field of the row changes.
	rest := func(tx *store.Tx, row *store.Row) error {
		sec, err := tx.ResourceSecurity(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			api, err := s.DB.IsAPIResource(ctx, id)
			if err != nil {
				return err
			}
			sec = &store.ResourceSecurity{ResourceID: id, SecurityLevelID: auth.DefaultLevel, APIOnly: api}
			if api {
				sec.SecurityLevelID = access.APIUserLevel
			}
		} else if err != nil {
			return err
		}
		if level != nil {
			if level.APIOnly != sec.APIOnly {
				if sec.APIOnly {
					return apperr.Invalid("An API user needs an API-only security level; %q is not one.", level.Name)
				}
				return apperr.Invalid("%q is an API-only security level: only API users can have it.", level.Name)
			}
			sec.SecurityLevelID = level.ID
			row.Values[fr.licenseType] = int64(level.License) // read-only to clients: it follows the level
		}
		if ch.Password != "" {
			if sec.APIOnly {
				return apperr.Invalid("API users have a secret, not a password: use apiuser regenerate-secret.")
			}
			if (sec.PasswordHash != "" && auth.VerifySecret(sec.PasswordHash, ch.Password)) || auth.Reused(ch.Password, sec.PasswordHistory) {
				return apperr.Invalid("The password must differ from the last %d.", auth.PasswordHistory)
			}
			sec.PasswordHistory = auth.PushHistory(sec.PasswordHistory, sec.PasswordHash)
			sec.PasswordHash, sec.ConsoleLogin, sec.PasswordChangedAt = auth.HashSecret(ch.Password), true, time.Now().UTC()
		}
		if err := tx.SaveResourceSecurity(ctx, sec); err != nil {
			return err
		}
		if err := s.setAssociations(ctx, tx, id, ch.Departments, ch.Queues); err != nil {
			return err
		}
		for kind, a := range map[string]*[]int64{"timesheet": ch.TimesheetApprovers, "expense": ch.ExpenseApprovers} {
			if a != nil {
				if err := tx.SetApprovers(ctx, id, kind, *a); err != nil {
					return err
				}
			}
		}
		if ch.LOBs != nil {
			if err := s.setLOBs(ctx, tx, id, *ch.LOBs); err != nil {
				return err
			}
		}
		return tx.BumpAccessGeneration(ctx)
	}
	if len(in.Set) > 0 || level != nil {
		// The caller's rights were checked by the caller (the admin pages, the CLI): the row is
		// written as the system, as before.
		in.Set[fr.id] = id
		_, err = s.UpdateWith(psa.AsSystem(ctx), e, in, nil, false, func(tx *store.Tx, old, row *store.Row) error { return rest(tx, row) })
	} else {
		err = s.DB.InTx(ctx, func(tx *store.Tx) error { return rest(tx, nil) })
	}
	if err != nil {
		return nil, err
	}
	s.AccessChanged(ctx)
	return s.Resource(ctx, strconv.FormatInt(id, 10))
}

// DeactivateResource makes a resource (an API user too) inactive: it can no longer sign in or
// call the API. Its username stays taken.
func (s *Service) DeactivateResource(ctx context.Context, ref string) (*Resource, error) {
	no := false
	return s.EditResource(ctx, ref, ResourceChange{Active: &no})
}

// Resource is a resource as the administrator sees it.
type Resource struct {
	ID                 int64            `json:"id"`
	FirstName          string           `json:"firstName"`
	LastName           string           `json:"lastName"`
	Email              string           `json:"email"`
	Username           string           `json:"userName"`
	Title              string           `json:"title,omitempty"`
	Active             bool             `json:"isActive"`
	APIOnly            bool             `json:"apiOnly"`
	ConsoleLogin       bool             `json:"canSignIn"`
	Locked             bool             `json:"locked"`
	SecurityLevel      string           `json:"securityLevel"`
	LicenseType        string           `json:"licenseType"`
	LocationID         int64            `json:"locationId"`
	InternalCost       *float64         `json:"internalCost"`
	Departments        []DepartmentRole `json:"departments"`
	Queues             []int64          `json:"queues"`
	TimesheetApprovers []int64          `json:"timesheetApprovers"`
	ExpenseApprovers   []int64          `json:"expenseApprovers"`
	LOBs               []int64          `json:"linesOfBusiness"`
	// IntegrationCode is the tracking identifier of an API-only user (never its secret).
	IntegrationCode string `json:"integrationCode,omitempty"`
	Vendor          string `json:"vendor,omitempty"`
}

// Resource reads one resource by id or username.
func (s *Service) Resource(ctx context.Context, ref string) (*Resource, error) {
	id, err := s.resourceID(ctx, ref)
	if err != nil {
		return nil, err
	}
	e := s.f.resources
	row, err := s.DB.Get(ctx, e, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.Invalid("There is no resource %s.", ref)
	}
	if err != nil {
		return nil, err
	}
	return s.describeResource(ctx, row)
}

// Resources lists the tenant's resources in id order.
func (s *Service) Resources(ctx context.Context) ([]*Resource, error) {
	var out []*Resource
	err := s.EachRow(ctx, s.f.resources, func(r *store.Row) error {
		v, err := s.describeResource(ctx, r)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) describeResource(ctx context.Context, row *store.Row) (*Resource, error) {
	e, fr := s.f.resources, s.f.resource
	str := func(i int) string { v, _ := row.Values[i].(string); return v }
	r := &Resource{ID: row.ID(e), FirstName: str(fr.firstName), LastName: str(fr.lastName), Email: str(fr.email), Username: str(fr.userName), Title: str(fr.title),
		Departments: []DepartmentRole{}, Queues: []int64{}, TimesheetApprovers: []int64{}, ExpenseApprovers: []int64{}, LOBs: []int64{}}
	r.Active, _ = row.Values[fr.isActive].(bool)
	r.LocationID, _ = row.Values[fr.locationID].(int64)
	if c, ok := row.Values[fr.internalCost].(float64); ok {
		r.InternalCost = &c
	}
	levelID := auth.DefaultLevel
	if sec, err := s.DB.ResourceSecurity(ctx, r.ID); err == nil {
		levelID, r.APIOnly, r.ConsoleLogin, r.Locked = sec.SecurityLevelID, sec.APIOnly, sec.ConsoleLogin && !sec.APIOnly, sec.Locked
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	} else if r.APIOnly, err = s.DB.IsAPIResource(ctx, r.ID); err != nil {
		return nil, err
	} else if r.APIOnly {
		levelID = access.APIUserLevel
	}
	if r.APIOnly {
		if u, err := s.DB.APIUserByResource(ctx, r.ID); err == nil {
			r.Locked, r.IntegrationCode = u.Locked, u.IntegrationCode
			if t, err := s.DB.TrackingIdentifier(ctx, u.IntegrationCode); err == nil && t.Kind == store.TrackingVendor {
				r.Vendor = t.Name
			}
		}
	}
	if l, err := auth.LoadLevel(ctx, s.DB, levelID); err == nil {
		r.SecurityLevel, r.LicenseType = l.Name, l.License.String()
	}
	// children calls each with the id field i of every row of ce that belongs to the resource.
	children := func(ce *catalog.Entity, i int, each func(c *store.Row, id int64)) error {
		rows, err := s.RowsWhere(ctx, ce, "resourceID", r.ID)
		if err != nil {
			return err
		}
		for _, c := range rows {
			v, _ := c.Values[i].(int64)
			each(c, v)
		}
		return nil
	}
	fd := s.f.roleDepartment
	err := children(s.f.roleDepartments, fd.departmentID, func(c *store.Row, department int64) {
		d := DepartmentRole{DepartmentID: department}
		d.RoleID, _ = c.Values[fd.roleID].(int64)
		d.Default, _ = c.Values[fd.isDefault].(bool)
		d.Lead, _ = c.Values[fd.isLead].(bool)
		r.Departments = append(r.Departments, d)
	})
	if err == nil {
		err = children(s.f.roleQueues, s.f.roleQueueID, func(_ *store.Row, q int64) { r.Queues = append(r.Queues, q) })
	}
	if err == nil {
		err = children(s.f.orgResources, s.f.orgResource.associationID, func(_ *store.Row, a int64) { r.LOBs = append(r.LOBs, a) })
	}
	if err != nil {
		return nil, err
	}
	approvers, err := s.DB.Approvers(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	if a := approvers["timesheet"]; a != nil {
		r.TimesheetApprovers = a
	}
	if a := approvers["expense"]; a != nil {
		r.ExpenseApprovers = a
	}
	return r, nil
}

// resourceID resolves a resource given by id or username (of this tenant).
func (s *Service) resourceID(ctx context.Context, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return id, nil
	}
	tenant, err := store.TenantFrom(ctx)
	if err != nil {
		return 0, err
	}
	t, id, err := s.DB.UsernameOwner(ctx, ref)
	if err != nil || t != tenant {
		return 0, apperr.Invalid("There is no resource %q.", ref)
	}
	return id, nil
}

// location checks a primary internal location, or finds the tenant's default one (id 0).
func (s *Service) location(ctx context.Context, id int64) (int64, error) {
	e := s.f.locations
	if id != 0 {
		if _, err := s.DB.Get(ctx, e, id); err != nil {
			return 0, apperr.Invalid("There is no internal location %d.", id)
		}
		return id, nil
	}
	rows, err := s.RowsWhere(ctx, e, "isDefault", true)
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, apperr.Invalid("The tenant has no default internal location: give one.")
	}
	return rows[0].ID(e), nil
}

// checkAssociations checks departments and roles, queues and approvers before a write.
func (s *Service) checkAssociations(ctx context.Context, deps []DepartmentRole, queues, approvers []int64) error {
	for _, d := range deps {
		if _, err := s.DB.Get(ctx, s.f.departments, d.DepartmentID); err != nil {
			return apperr.Invalid("There is no department %d.", d.DepartmentID)
		}
		if _, err := s.DB.Get(ctx, s.f.roles, d.RoleID); err != nil {
			return apperr.Invalid("There is no role %d.", d.RoleID)
		}
	}
	if len(queues) > 0 {
		values, err := s.Picklist(ctx, s.f.tickets, "queueID")
		if err != nil {
			return err
		}
		active := map[int64]bool{}
		for _, v := range values {
			active[v.Value] = v.IsActive
		}
		for _, q := range queues {
			if !active[q] {
				return apperr.Invalid("There is no active queue %d.", q)
			}
		}
	}
	for _, a := range approvers {
		api, err := s.DB.IsAPIResource(ctx, a)
		if err != nil {
			return err
		}
		if _, err := s.DB.Get(ctx, s.f.resources, a); err != nil || api {
			return apperr.Invalid("Approver %d is not a resource who can approve (API users cannot).", a)
		}
	}
	return nil
}

// setAssociations replaces a resource's department/role associations and queue memberships
// (nil: leave them). The default department role is also its default service desk role.
func (s *Service) setAssociations(ctx context.Context, tx *store.Tx, resourceID int64, deps *[]DepartmentRole, queues *[]int64) error {
	if deps != nil {
		if err := s.deleteChildren(ctx, tx, s.f.roleDepartments, resourceID); err != nil {
			return err
		}
		if err := s.deleteChildren(ctx, tx, s.f.serviceDeskRoles, resourceID); err != nil {
			return err
		}
		for i, d := range *deps {
			isDefault := d.Default || (i == 0 && !anyDefault(*deps))
			if _, err := s.InsertRow(ctx, tx, "ResourceRoleDepartments", map[string]any{"resourceID": resourceID, "departmentID": d.DepartmentID, "roleID": d.RoleID,
				"isActive": true, "isDefault": isDefault, "isDepartmentLead": d.Lead}); err != nil {
				return err
			}
			if _, err := s.InsertRow(ctx, tx, "ResourceServiceDeskRoles", map[string]any{"resourceID": resourceID, "roleID": d.RoleID, "isActive": true, "isDefault": isDefault}); err != nil {
				return err
			}
		}
	}
	if queues != nil {
		if err := s.deleteChildren(ctx, tx, s.f.roleQueues, resourceID); err != nil {
			return err
		}
		for _, q := range *queues {
			if _, err := s.InsertRow(ctx, tx, "ResourceRoleQueues", map[string]any{"resourceID": resourceID, "queueID": q}); err != nil {
				return err
			}
		}
	}
	return nil
}

func anyDefault(deps []DepartmentRole) bool {
	for _, d := range deps {
		if d.Default {
			return true
		}
	}
	return false
}

// deleteChildren removes a resource's rows of a child collection.
func (s *Service) deleteChildren(ctx context.Context, tx *store.Tx, e *catalog.Entity, resourceID int64) error {
	rows, err := s.RowsWhere(ctx, e, "resourceID", resourceID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := tx.Delete(ctx, e, r.ID(e)); err != nil {
			return err
		}
	}
	return nil
}

// ResourceID resolves a resource given by id or username.
func (s *Service) ResourceID(ctx context.Context, ref string) (int64, error) {
	return s.resourceID(ctx, ref)
}

// NamedID resolves a row of Departments, Roles or InternalLocations given by id or name.
func (s *Service) NamedID(ctx context.Context, entity, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return id, nil
	}
	e, ok := s.Catalog.Entity(entity)
	if !ok || e.Index("name") < 0 {
		return 0, fmt.Errorf("psa: %s has no names", entity)
	}
	rows, err := s.RowsWhere(ctx, e, "name", ref)
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 {
		return 0, apperr.Invalid("There is no single %s named %q.", strings.ToLower(e.Singular), ref)
	}
	return rows[0].ID(e), nil
}

// QueueID resolves a service desk queue given by value or label.
func (s *Service) QueueID(ctx context.Context, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return id, nil
	}
	values, err := s.Picklist(ctx, s.f.tickets, "queueID")
	if err != nil {
		return 0, err
	}
	for _, v := range values {
		if strings.EqualFold(v.Label, ref) {
			return v.Value, nil
		}
	}
	return 0, apperr.Invalid("There is no queue %q.", ref)
}

// Assignee is a resource a ticket can be assigned to, with the roles it may be assigned in.
type Assignee struct {
	ID      int64
	Name    string  // first and last name
	RoleIDs []int64 // of its active department/role associations, in their order, each once
}

// Assignees are the tenant's active resources that are not API-only users, each with the roles
// of its active department/role associations: the pairs the Tickets hook accepts as an
// assignment. Read in a fixed number of queries whatever the number of resources (Resources
// describes each resource with several), for the console's "Assign to" lists.
func (s *Service) Assignees(ctx context.Context) ([]Assignee, error) {
	apiUsers, err := s.DB.APIUsers(ctx)
	if err != nil {
		return nil, err
	}
	apiOnly := map[int64]bool{}
	for _, u := range apiUsers {
		apiOnly[u.ResourceID] = true
	}
	roles := map[int64][]int64{}
	fd := s.f.roleDepartment
	err = s.EachRow(ctx, s.f.roleDepartments, func(r *store.Row) error {
		if active, _ := r.Values[fd.isActive].(bool); !active {
			return nil
		}
		id, _ := r.Values[fd.resourceID].(int64)
		role, _ := r.Values[fd.roleID].(int64)
		if !slices.Contains(roles[id], role) {
			roles[id] = append(roles[id], role)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Assignee
	fr := s.f.resource
	err = s.EachRow(ctx, s.f.resources, func(r *store.Row) error {
		id := r.ID(s.f.resources)
		if active, _ := r.Values[fr.isActive].(bool); !active || apiOnly[id] {
			return nil
		}
		first, _ := r.Values[fr.firstName].(string)
		last, _ := r.Values[fr.lastName].(string)
		out = append(out, Assignee{ID: id, Name: strings.TrimSpace(first + " " + last), RoleIDs: roles[id]})
		return nil
	})
	return out, err
}
