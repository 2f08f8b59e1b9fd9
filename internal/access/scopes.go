package access

import (
	"sync"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// What "Mine", "My Companies" and lines of business mean for a collection, as conditions the psa
// adds to a query before it is compiled: the query compiler stays the one way rows are chosen.
//
//   - Mine: rows the resource is assigned to or owns (assignedResourceID, ownerResourceID,
//     projectLeadResourceID, resourceID), or is a secondary resource / account-team member /
//     task assignee of; a row that belongs to a parent row of the same permission object (a
//     ticket's notes, a company's locations, a webhook's fields) is mine when its parent is.
//     A collection with none of these is mine through its company (contacts, configuration
//     items), else through any parent, else by its creator; else no row is.
//   - My Companies: rows of companies the resource owns or is on the account team of.
//   - Lines of business: rows carrying organizationalLevelAssociationID are seen when they have
//     none, one of the resource's, or are the resource's own; children follow their parent.

// Filter returns the conditions a call's rows must meet for the action on e, and never=true
// when no row can. Nil conditions and never=false mean every row.
func (r *Rights) Filter(cat *catalog.Catalog, e *catalog.Entity, a Action) (conds []*query.Node, never bool) {
	if r == nil {
		return nil, false
	}
	scopes, ok := r.Scopes(e, a)
	if !ok {
		return nil, true
	}
	rel := relationsOf(cat)
	for i, p := range r.Parties {
		b := builder{rel: rel, tenant: r.TenantID, resource: p.ResourceID}
		if scopes[i] != All {
			n := b.scope(e, scopes[i], 0)
			if n == nil {
				return nil, true
			}
			conds = append(conds, n)
		}
		if p.LOBs != nil {
			if n := b.lob(e, p.LOBs, 0); n != nil {
				conds = append(conds, n)
			}
		}
	}
	return conds, false
}

// maxHops bounds how far a rule follows parents (a webhook field → its webhook → its owner).
const maxHops = 3

type builder struct {
	rel      *relations
	tenant   int64
	resource int64
}

// scope is the condition of a scope below All; nil means no row qualifies.
func (b builder) scope(e *catalog.Entity, s Scope, hops int) *query.Node {
	switch s {
	case Mine:
		return b.mine(e, hops)
	case MyCompanies:
		return b.companies(e, hops)
	case MineAndCompanies:
		return or(b.mine(e, hops), b.companies(e, hops))
	}
	return nil
}

func (b builder) viaParent(e *catalog.Entity, a anchor, hops int, inner func(*catalog.Entity, int) *query.Node) *query.Node {
	if hops >= maxHops {
		return nil
	}
	cond := inner(a.parent, hops+1)
	if cond == nil {
		return nil
	}
	return &query.Node{Op: "in", Field: a.field, Sub: &query.Sub{Entity: a.parent, Select: "id", Tenant: b.tenant, Filter: []*query.Node{cond}}}
}

func (b builder) eq(field string) *query.Node {
	return &query.Node{Op: "eq", Field: field, Value: b.resource}
}

// own is the condition of the rows assigned to or owned by the resource through their own
// fields and membership tables; nil when the collection has none.
func (b builder) own(e *catalog.Entity) *query.Node {
	var conds []*query.Node
	for _, f := range b.rel.resourceFields[e.Name] {
		conds = append(conds, b.eq(f))
	}
	for _, m := range b.rel.memberships[e.Name] {
		conds = append(conds, &query.Node{Op: "in", Field: "id", Sub: &query.Sub{Entity: m.entity, Select: m.link, Tenant: b.tenant,
			Filter: []*query.Node{b.eq(m.resource)}}})
	}
	return or(conds...)
}

func (b builder) mine(e *catalog.Entity, hops int) *query.Node {
	rel := b.rel
	if a, ok := rel.sameObjectParent[e.Name]; ok {
		return b.viaParent(e, a, hops, b.mine)
	}
	if own := b.own(e); own != nil {
		return own
	}
	var conds []*query.Node
	if _, ok := rel.companyField[e.Name]; ok {
		return b.companies(e, hops)
	}
	if a, ok := rel.anyParent[e.Name]; ok {
		return b.viaParent(e, a, hops, b.mine)
	}
	for _, f := range rel.creatorFields[e.Name] {
		conds = append(conds, b.eq(f))
	}
	return or(conds...)
}

func (b builder) companies(e *catalog.Entity, hops int) *query.Node {
	rel := b.rel
	if a, ok := rel.sameObjectParent[e.Name]; ok {
		return b.viaParent(e, a, hops, b.companies)
	}
	if e.Name == "Companies" {
		return or(b.eq("ownerResourceID"), &query.Node{Op: "in", Field: "id", Sub: &query.Sub{Entity: rel.teams, Select: "companyID", Tenant: b.tenant,
			Filter: []*query.Node{b.eq("resourceID")}}})
	}
	if f, ok := rel.companyField[e.Name]; ok {
		return or(
			&query.Node{Op: "in", Field: f, Sub: &query.Sub{Entity: rel.companies, Select: "id", Tenant: b.tenant, Filter: []*query.Node{b.eq("ownerResourceID")}}},
			&query.Node{Op: "in", Field: f, Sub: &query.Sub{Entity: rel.teams, Select: "companyID", Tenant: b.tenant, Filter: []*query.Node{b.eq("resourceID")}}},
		)
	}
	if a, ok := rel.anyParent[e.Name]; ok {
		return b.viaParent(e, a, hops, b.companies)
	}
	return nil
}

// lob is the line-of-business condition of a resource with associations; nil when the
// collection is not filtered by line of business.
func (b builder) lob(e *catalog.Entity, lobs []int64, hops int) *query.Node {
	if carriesLOB(e) {
		ids := make([]any, len(lobs))
		for i, id := range lobs {
			ids[i] = id
		}
		conds := []*query.Node{{Op: "notexist", Field: lobField}}
		if len(ids) > 0 {
			conds = append(conds, &query.Node{Op: "in", Field: lobField, Value: ids})
		}
		if own := b.own(e); own != nil { // items assigned to the resource are always seen
			conds = append(conds, own)
		}
		return or(conds...)
	}
	a, ok := b.rel.anyParent[e.Name]
	if !ok || hops >= maxHops || !b.rel.lobBelow(a.parent, hops+1) {
		return nil
	}
	cond := b.lob(a.parent, lobs, hops+1)
	if cond == nil {
		return nil
	}
	return &query.Node{Op: "in", Field: a.field, Sub: &query.Sub{Entity: a.parent, Select: "id", Tenant: b.tenant, Filter: []*query.Node{cond}}}
}

const lobField = "organizationalLevelAssociationID"

// LOBField is the field that carries a row's line of business (organizational level association).
const LOBField = lobField

// carriesLOB reports whether a collection's rows belong to a line of business. A resource's own
// association field says which LOBs it works in, not which LOB it belongs to.
func carriesLOB(e *catalog.Entity) bool {
	return e.Index(lobField) >= 0 && e.Name != "Resources" && e.Name != "OrganizationalResources"
}

// CarriesLOB reports whether rows of e are filtered by line of business.
func CarriesLOB(e *catalog.Entity) bool { return carriesLOB(e) }

func or(conds ...*query.Node) *query.Node {
	var items []*query.Node
	for _, c := range conds {
		switch {
		case c == nil:
		case c.Op == "or" && c.Sub == nil:
			items = append(items, c.Items...)
		default:
			items = append(items, c)
		}
	}
	switch len(items) {
	case 0:
		return nil
	case 1:
		return items[0]
	}
	return &query.Node{Op: "or", Items: items}
}

// relations are the catalog facts the rules use, worked out once per catalog.
type relations struct {
	companies, teams *catalog.Entity
	resourceFields   map[string][]string
	creatorFields    map[string][]string
	companyField     map[string]string
	memberships      map[string][]membership
	sameObjectParent map[string]anchor
	anyParent        map[string]anchor
	lobs             map[string]bool
}

type anchor struct {
	parent *catalog.Entity
	field  string
}

// membership is a table listing the resources of a row besides its own fields.
type membership struct {
	entity         *catalog.Entity
	link, resource string
}

var (
	relMu    sync.Mutex
	relCache = map[*catalog.Catalog]*relations{}
)

// ownerFields are the fields that make a row a resource's own, in the order they are tried.
var ownerFields = []string{"assignedResourceID", "ownerResourceID", "projectLeadResourceID", "resourceID"}

// membershipTables: secondary resources of tickets and tasks, account teams of companies, task
// assignees of projects.
var membershipTables = map[string][]struct{ entity, link, resource string }{
	"Tickets":   {{"TicketSecondaryResources", "ticketID", "resourceID"}},
	"Tasks":     {{"TaskSecondaryResources", "taskID", "resourceID"}},
	"Companies": {{"CompanyTeams", "companyID", "resourceID"}},
	"Projects":  {{"Tasks", "projectID", "assignedResourceID"}},
}

func relationsOf(cat *catalog.Catalog) *relations {
	relMu.Lock()
	defer relMu.Unlock()
	if r := relCache[cat]; r != nil {
		return r
	}
	r := &relations{resourceFields: map[string][]string{}, creatorFields: map[string][]string{}, companyField: map[string]string{},
		memberships: map[string][]membership{}, sameObjectParent: map[string]anchor{}, anyParent: map[string]anchor{}, lobs: map[string]bool{}}
	r.companies, _ = cat.Entity("Companies")
	r.teams, _ = cat.Entity("CompanyTeams")
	for _, e := range cat.Entities() {
		if !e.Stored {
			continue
		}
		if e.Name == "Resources" {
			r.resourceFields[e.Name] = []string{"id"}
		} else {
			for _, name := range ownerFields {
				if f, ok := e.Field(name); ok && f.Queryable && (f.Reference == "Resources" || name == "resourceID") {
					r.resourceFields[e.Name] = append(r.resourceFields[e.Name], f.Name)
				}
			}
		}
		for _, name := range []string{"creatorResourceID", "createdByResourceID"} {
			if f, ok := e.Field(name); ok && f.Queryable {
				r.creatorFields[e.Name] = append(r.creatorFields[e.Name], f.Name)
			}
		}
		if f, ok := e.Field("companyID"); ok && f.Queryable && e.Name != "Companies" && f.Reference == "Companies" {
			r.companyField[e.Name] = f.Name
		}
		for _, m := range membershipTables[e.Name] {
			if me, ok := cat.Entity(m.entity); ok && me.Index(m.link) >= 0 && me.Index(m.resource) >= 0 {
				r.memberships[e.Name] = append(r.memberships[e.Name], membership{entity: me, link: m.link, resource: m.resource})
			}
		}
		for _, c := range e.Children {
			child, ok := cat.Entity(c.Entity)
			if !ok || !child.Stored || child == e || child.Index(c.ParentField) < 0 || child.Name == "Resources" {
				continue
			}
			a := anchor{parent: e, field: c.ParentField}
			if child.Object == e.Object {
				if _, seen := r.sameObjectParent[child.Name]; !seen {
					r.sameObjectParent[child.Name] = a
				}
			}
			if _, seen := r.anyParent[child.Name]; !seen {
				r.anyParent[child.Name] = a
			}
		}
	}
	for _, e := range cat.Entities() {
		r.lobs[e.Name] = carriesLOB(e)
	}
	relCache[cat] = r
	return r
}

// lobBelow reports whether e or one of its parents within reach carries a line of business.
func (r *relations) lobBelow(e *catalog.Entity, hops int) bool {
	for ; e != nil && hops <= maxHops; hops++ {
		if r.lobs[e.Name] {
			return true
		}
		a, ok := r.anyParent[e.Name]
		if !ok {
			return false
		}
		e = a.parent
	}
	return false
}
