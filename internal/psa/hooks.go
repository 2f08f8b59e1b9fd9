package psa

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// coreHooks registers the rules of the core entities. Every field they use is resolved here,
// when the service is made, so a wrong name fails at start-up.
func coreHooks(s *Service) map[string]*Hooks {
	c := s.Catalog
	t := &ticketRules{s: s, f: resolveTicketFields(c), assignment: primaryAssignment(s, "Tickets", "ticket"), notSecondary: resolvePrimaryNotSecondary(c)}
	s.OnAccessChange(func(tenantID int64) { t.locations.Delete(tenantID) }) // Site Setup may change the time zone
	task := primaryAssignment(s, "Tasks", "task")
	opportunityOwner := fieldIndex(c, "Opportunities", "ownerResourceID")
	resourceActive := fieldIndex(c, "Resources", "isActive")
	resourceCost := fieldIndex(c, "Resources", "internalCost")
	companyOwner := fieldIndex(c, "Companies", "ownerResourceID")
	return map[string]*Hooks{
		"Tickets": {
			BeforeCreate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
				if err := t.number(ctx, tx, e, row); err != nil {
					return err
				}
				if a := actorFrom(ctx); a.ResourceID != 0 {
					row.Values[t.f.creatorType] = int64(1) // a resource, not a contact
				}
				return t.check(ctx, tx, e, nil, row)
			},
			BeforeUpdate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
				return t.check(ctx, tx, e, old, row)
			},
		},
		"Tasks": {
			BeforeCreate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
				return task.check(ctx, tx, nil, row)
			},
			BeforeUpdate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
				return task.check(ctx, tx, old, row)
			},
		},
		"TicketSecondaryResources": secondaryResource(s, "TicketSecondaryResources", "ticket", 0, true),
		"TaskSecondaryResources":   secondaryResource(s, "TaskSecondaryResources", "task", maxTaskSecondaryResources, false),
		"Opportunities": {
			BeforeCreate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
				return notAPIUser(ctx, s, row.Values[opportunityOwner], "An API-only user cannot own an opportunity (ownerResourceID).")
			},
			BeforeUpdate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
				return changedNotAPIUser(ctx, s, opportunityOwner, old, row, "An API-only user cannot own an opportunity (ownerResourceID).")
			},
		},
		// Resources are changed by the REST API (PATCH, PUT) and by the administration's
		// EditResource alike (internal/psa/admin), both through Update: these rules hold for both.
		"Resources": {
			BeforeUpdate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
				if c, ok := row.Values[resourceCost].(float64); ok && c < 0 && old.Values[resourceCost] != row.Values[resourceCost] {
					return apperr.Invalid("The internal cost cannot be negative.")
				}
				if old.Values[resourceActive] == row.Values[resourceActive] {
					return nil
				}
				// An API user's credentials are as active as its resource: deactivating the
				// resource refuses its calls at once, reactivating it lets them in again.
				active, _ := row.Values[resourceActive].(bool)
				return tx.SetAPIUserActiveByResource(ctx, row.ID(e), active)
			},
		},
		"Companies": {
			BeforeCreate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
				return notAPIUser(ctx, s, row.Values[companyOwner], "An API-only user cannot own a company (ownerResourceID).")
			},
			AfterWrite: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
				if old == nil && row != nil { // a new company gets its primary location
					return s.createPrimaryLocation(ctx, tx, e, row)
				}
				return nil
			},
			BeforeUpdate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
				return changedNotAPIUser(ctx, s, companyOwner, old, row, "An API-only user cannot own a company (ownerResourceID).")
			},
		},
	}
}

// secondaryResource holds the rules of a ticket's or task's secondary resources (resourceID
// and roleID). The pair follows the assignment rule: Autotask's TaskSecondaryResources reference
// says the two "must be an existing Resource/Role pair", so both are required, the resource must
// hold the role, and an API-only user is refused. The resource cannot be the parent's primary
// resource (TaskSecondaryResources: "The secondary resource cannot be the primary resource on the
// task"; the Tickets reference likewise), and a task has at most maxTaskSecondaryResources. parent
// names the ticket or task in the messages; limit is 0 where Autotask states none (tickets);
// once holds a resource to one row per parent, where Autotask says so (tickets: "You also will
// not be able to add a secondary resource that is already assigned as a secondary resource").
func secondaryResource(s *Service, entity, parent string, limit int, once bool) *Hooks {
	a := &assignmentRule{s: s, f: resolveAssignmentFields(s.Catalog, entity, "resourceID", "roleID"),
		apiUser:  "An API-only user cannot be a secondary resource of a " + parent + ".",
		pair:     "A secondary resource needs both a resourceID and a roleID.",
		required: true}
	r := &secondaryRule{f: resolveSecondaryFields(s.Catalog, entity, parent), parent: parent, limit: limit, once: once}
	return &Hooks{
		BeforeCreate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
			if err := a.check(ctx, tx, nil, row); err != nil {
				return err
			}
			return r.check(ctx, tx, e, nil, row)
		},
		BeforeUpdate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
			if err := a.check(ctx, tx, old, row); err != nil {
				return err
			}
			return r.check(ctx, tx, e, old, row)
		},
	}
}

// maxTaskSecondaryResources is Autotask's limit: "A task may have up to a maximum of 50
// secondary resources" (its TaskSecondaryResources reference). It states none for tickets.
const maxTaskSecondaryResources = 50

// secondaryRule is what a secondary resource must be beside its pair: not its parent's primary
// resource, and (on a task) within the parent's limit.
type secondaryRule struct {
	f      secondaryFields
	parent string // "ticket" or "task", for the messages
	limit  int    // the most secondary resources a parent may have; 0 for none
	once   bool   // a resource is a secondary resource of a parent at most once
}

// check applies the rule to a row about to be written; old is nil on create. Both parts are
// checked when the row is new or moves to another resource or parent, so a row saved before
// keeps working. The parent is read with tx.Get, which locks it on PostgreSQL: two secondary
// resources written at once to one parent are counted one after the other (SQLite has one
// writer), and a concurrent change of the parent's primary resource waits for this one.
func (r *secondaryRule) check(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
	res, parentID := row.Values[r.f.resource], row.Values[r.f.parentID]
	movedParent := old == nil || old.Values[r.f.parentID] != parentID
	if !movedParent && old.Values[r.f.resource] == res {
		return nil
	}
	id, ok := parentID.(int64)
	if !ok {
		return nil
	}
	parent, err := tx.Get(ctx, r.f.parent, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the reference check answers a parent that does not exist
	}
	if err != nil {
		return err
	}
	if res != nil && parent.Values[r.f.parentPrimary] == res {
		return apperr.Invalid("The resource (resourceID %d) is the %s's primary resource (assignedResourceID): a primary resource cannot also be a secondary resource.", res, r.parent)
	}
	if !(r.limit > 0 && movedParent) && !r.once {
		return nil
	}
	siblings, err := tx.RowsWhere(ctx, e, r.f.parentIDName, id)
	if err != nil {
		return err
	}
	if r.limit > 0 && movedParent && len(siblings) >= r.limit {
		return apperr.Invalid("The %s (%s %d) already has %d secondary resources, the most a %s may have.", r.parent, r.f.parentIDName, id, r.limit, r.parent)
	}
	if r.once && res != nil {
		for _, sib := range siblings {
			if sib.ID(e) != row.ID(e) && sib.Values[r.f.resource] == res {
				return apperr.Invalid("The resource (resourceID %d) is already a secondary resource of the %s (%s %d).", res, r.parent, r.f.parentIDName, id)
			}
		}
	}
	return nil
}

// primaryNotSecondary refuses a ticket's new primary resource (assignedResourceID) who is
// already one of its secondary resources: Autotask's Tickets reference says "The API will not
// allow you to add a primary resource that is already assigned as a secondary resource." Its
// Tasks reference says nothing of the kind, so a task's primary resource is not checked.
type primaryNotSecondary struct {
	resource    int             // assignedResourceID on the ticket
	secondaries *catalog.Entity // TicketSecondaryResources
	secondary   int             // resourceID on a secondary resource
}

func resolvePrimaryNotSecondary(c *catalog.Catalog) primaryNotSecondary {
	return primaryNotSecondary{resource: fieldIndex(c, "Tickets", "assignedResourceID"),
		secondaries: entity(c, "TicketSecondaryResources"), secondary: fieldIndex(c, "TicketSecondaryResources", "resourceID")}
}

// check applies the rule to an update that sets or changes the primary resource; a new ticket
// has no secondary resources yet.
func (p primaryNotSecondary) check(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
	res := row.Values[p.resource]
	if old == nil || res == nil || old.Values[p.resource] == res {
		return nil
	}
	rows, err := tx.RowsWhere(ctx, p.secondaries, "ticketID", row.ID(e))
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Values[p.secondary] == res {
			return apperr.Invalid("The resource (assignedResourceID %d) is already a secondary resource of the ticket: a primary resource cannot also be a secondary resource.", res)
		}
	}
	return nil
}

// changedNotAPIUser refuses an API-only user in the field with index i when the write changes it.
func changedNotAPIUser(ctx context.Context, s *Service, i int, old, row *store.Row, msg string) error {
	if old.Values[i] == row.Values[i] {
		return nil
	}
	return notAPIUser(ctx, s, row.Values[i], msg)
}

// notAPIUser refuses a resource id that belongs to an API-only user.
func notAPIUser(ctx context.Context, s *Service, v any, msg string) error {
	id, ok := v.(int64)
	if !ok {
		return nil
	}
	api, err := s.isAPIOnly(ctx, id)
	if err != nil {
		return err
	}
	if api {
		return apperr.Invalid("%s", msg)
	}
	return nil
}

type ticketRules struct {
	s            *Service
	f            ticketFields
	assignment   *assignmentRule
	notSecondary primaryNotSecondary
	locations    sync.Map // tenant id → *time.Location, forgotten when the tenant's settings change
}

// location is the tenant's time zone, read from the database and the zone files once per tenant
// rather than on every ticket created.
func (t *ticketRules) location(ctx context.Context, tenantID int64) (*time.Location, error) {
	if loc, ok := t.locations.Load(tenantID); ok {
		return loc.(*time.Location), nil
	}
	tenant, err := t.s.tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(tenant.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	t.locations.Store(tenantID, loc)
	return loc, nil
}

// number gives a new ticket its number: T<yyyymmdd>.<nnnn>, counted per tenant per day in the
// tenant's time zone.
func (t *ticketRules) number(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
	tenantID, err := store.TenantFrom(ctx)
	if err != nil {
		return err
	}
	loc, err := t.location(ctx, tenantID)
	if err != nil {
		return err
	}
	day := time.Now().In(loc).Format("20060102")
	n, err := tx.NextTicketNumber(ctx, day)
	if err != nil {
		return err
	}
	row.Values[t.f.ticketNumber] = fmt.Sprintf("T%s.%04d", day, n)
	return nil
}

// check holds the ticket rules for every write.
func (t *ticketRules) check(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
	if err := t.assignment.check(ctx, tx, old, row); err != nil {
		return err
	}
	if err := t.notSecondary.check(ctx, tx, e, old, row); err != nil {
		return err
	}
	// Completing a ticket records when; reopening clears it.
	status, _ := row.Values[t.f.status].(int64)
	ci := t.f.completedDate
	if status == 5 && row.Values[ci] == nil {
		row.Values[ci] = time.Now().UTC().Truncate(time.Millisecond)
		if a := actorFrom(ctx); a.ResourceID != 0 {
			row.Values[t.f.completedByResourceID] = a.ResourceID
		}
	} else if status != 5 {
		row.Values[ci] = nil
		row.Values[t.f.completedByResourceID] = nil
	}
	return nil
}

// assignmentRule is the rule of a resource and its role, the same on Tickets and Tasks
// (assignedResourceID and assignedResourceRoleID) and on their secondary resources (resourceID
// and roleID): the two are set together, the resource is not an API-only user, and the
// resource holds the role. Autotask: "A role is required when a resource is assigned to a
// ticket or task" (its ResourceRoles reference).
type assignmentRule struct {
	s        *Service
	f        assignmentFields
	apiUser  string // the refusal of an API-only user as the resource
	pair     string // the refusal of half a pair (and, when required, of none)
	required bool   // the row is nothing without its pair (a secondary resource); a ticket may be unassigned
}

// primaryAssignment is the rule of a ticket's or task's own assignment, which may be empty.
// parent names the ticket or task in the messages.
func primaryAssignment(s *Service, entity, parent string) *assignmentRule {
	return &assignmentRule{s: s, f: resolveAssignmentFields(s.Catalog, entity, "assignedResourceID", "assignedResourceRoleID"),
		apiUser: "An API-only user cannot be the assigned resource of a " + parent + ".",
		pair:    "When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID."}
}

// check applies the rule to a row about to be written; old is nil on create.
func (a *assignmentRule) check(ctx context.Context, tx *store.Tx, old, row *store.Row) error {
	res, role := row.Values[a.f.resource], row.Values[a.f.role]
	if (res == nil) != (role == nil) || (a.required && res == nil) {
		return apperr.Invalid("%s", a.pair)
	}
	if res != nil && (old == nil || old.Values[a.f.resource] != res) {
		if err := notAPIUser(ctx, a.s, res, a.apiUser); err != nil {
			return err
		}
	}
	// The resource must have the role: checked only when the assignment is set or changed, so
	// a row saved before the rule (or whose association was removed since) keeps working.
	if res != nil && (old == nil || old.Values[a.f.resource] != res || old.Values[a.f.role] != role) {
		return a.hasRole(ctx, tx, res, role)
	}
	return nil
}

// hasRole refuses an assignment whose resource does not hold the role in one of its active
// department/role associations (ResourceRoleDepartments), as Autotask does: a resource is
// assigned to a ticket or a task in one of its own roles.
func (a *assignmentRule) hasRole(ctx context.Context, tx *store.Tx, res, role any) error {
	resID, ok1 := res.(int64)
	roleID, ok2 := role.(int64)
	if !ok1 || !ok2 {
		return nil
	}
	rows, err := tx.RowsWhere(ctx, a.f.roleDepartments, "resourceID", resID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if active, _ := r.Values[a.f.roleDepartmentActive].(bool); active && r.Values[a.f.roleDepartmentRole] == any(roleID) {
			return nil
		}
	}
	return apperr.Invalid("The resource (%s %d) does not have the role (%s %d): assign the resource in one of the roles of its department/role associations.", a.f.resourceName, resID, a.f.roleName, roleID)
}

func (s *Service) tenant(ctx context.Context, id int64) (*store.Tenant, error) {
	t, err := s.DB.TenantByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("tenant %d: %w", id, err)
	}
	return t, err
}

// isAPIOnly reports whether a resource is an API-only user.
func (s *Service) isAPIOnly(ctx context.Context, resourceID int64) (bool, error) {
	return s.DB.IsAPIResource(ctx, resourceID)
}

// primaryLocationFields are the company fields a new company's primary location takes.
var primaryLocationFields = []string{"address1", "address2", "city", "state", "postalCode", "countryID", "phone", "fax", "alternatePhone1", "alternatePhone2"}

// createPrimaryLocation gives a new company its primary location, as Autotask does ("each
// organization has at least one location"): named after the company, active, primary, with
// the company's address and phone numbers. See docs/compatibility.md.
func (s *Service) createPrimaryLocation(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
	loc := s.f.companyLocations
	values := map[string]any{"companyID": row.ID(e), "isPrimary": true, "isActive": true}
	name, _ := row.Values[s.f.companyName].(string)
	if f, ok := loc.Field("name"); ok && f.Length > 0 && len([]rune(name)) > f.Length {
		name = string([]rune(name)[:f.Length])
	}
	values["name"] = name
	for _, fn := range primaryLocationFields {
		ci, li := e.Index(fn), loc.Index(fn)
		if ci < 0 || li < 0 || row.Values[ci] == nil {
			continue
		}
		v := row.Values[ci]
		if str, ok := v.(string); ok {
			if f := &loc.Fields[li]; f.Length > 0 && len([]rune(str)) > f.Length {
				v = string([]rune(str)[:f.Length]) // the location's field is shorter than the company's
			}
		}
		values[fn] = v
	}
	_, err := s.InsertRow(ctx, tx, "CompanyLocations", values)
	return err
}
