package sync

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// Assignments: a synced record's resource/role pair (a ticket's assignedResourceID and
// assignedResourceRoleID). psa refuses half a pair, and an assignment whose resource does not
// hold the role in one of its active department/role associations (ResourceRoleDepartments).
// The resource comes over as any lookup (matched, or copied without associations); the role
// is matched by name and never made locally: a role made by the sync would be held by no local
// resource, and a role's rates are an administrator's decision. A pair that cannot be kept is
// dropped whole: the record is synced unassigned, counted (Counts.Unassigned) and logged,
// never failed.

// assignment names the pair of fields of one entity.
type assignment struct{ resource, role string }

var assignments = map[string]assignment{"Tickets": {resource: "assignedResourceID", role: "assignedResourceRoleID"}}

// isAssignmentRole reports whether a field is the role of an entity's assignment.
func isAssignmentRole(entity, field string) bool {
	a, ok := assignments[entity]
	return ok && a.role == field
}

// The collections and fields the assignments name in code, checked when the package starts.
const (
	rolesEntity           = "Roles"
	roleDepartmentsEntity = "ResourceRoleDepartments"
)

var (
	_ = catalog.MustIndex(rolesEntity, "name")
	_ = catalog.MustIndex(roleDepartmentsEntity, "resourceID")
	_ = catalog.MustIndex(roleDepartmentsEntity, "roleID")
	_ = catalog.MustIndex(roleDepartmentsEntity, "isActive")
	_ = catalog.MustIndex("Tickets", "assignedResourceID")
	_ = catalog.MustIndex("Tickets", "assignedResourceRoleID")
)

// roleMap is the remote's roles matched to the local tenant's by name, read once per run
// when the first assignment needs it.
type roleMap struct {
	remoteName map[int64]string // remote role id → name
	local      map[string]int64 // lower-case name → local role id
	err        error            // why the remote's roles could not be read (the run goes on)
}

// roles reads the remote's roles and the local ones.
func (r *runner) roles(ctx context.Context) *roleMap {
	if r.roleMap != nil {
		return r.roleMap
	}
	m := &roleMap{remoteName: map[int64]string{}, local: map[string]int64{}}
	r.roleMap = m
	remote, err := r.readRemote(ctx, rolesEntity)
	if err != nil {
		// A remote API user without access to Roles: assignments are dropped, not records.
		m.err = err
		r.log.Warn("reading the remote's roles failed: assigned records are synced unassigned", slog.String("error", err.Error()))
		return m
	}
	for id, item := range remote {
		m.remoteName[id] = strings.TrimSpace(str(lookup(item, "name")))
	}
	e := r.s.PSA.Catalog.MustEntity(rolesEntity)
	req := &query.Request{Filter: []*query.Node{{Op: "gte", Field: "id", Value: int64(0)}}, FilterPresent: true}
	var after int64 = -1
	for {
		rows, err := r.s.PSA.Query(r.lctx, e, req, nil, after, 500)
		if err != nil {
			m.err = fmt.Errorf("reading the local roles: %w", err)
			r.log.Warn("reading the local roles failed: assigned records are synced unassigned", slog.String("error", err.Error()))
			return m
		}
		for _, row := range rows {
			name := strings.ToLower(strings.TrimSpace(str(row.Values[e.Index("name")])))
			active, _ := row.Values[e.Index("isActive")].(bool)
			// An active role wins over an inactive one of the same name.
			if _, seen := m.local[name]; !seen || active {
				m.local[name] = row.ID(e)
			}
		}
		if len(rows) < 500 {
			break
		}
		after = rows[len(rows)-1].ID(e)
	}
	return m
}

// localRole finds the local role of the same name as a remote role; why says why there is none.
func (r *runner) localRole(ctx context.Context, remoteID int64) (id int64, why string) {
	m := r.roles(ctx)
	if m.err != nil {
		return 0, "the roles could not be read: " + reason(m.err)
	}
	name, ok := m.remoteName[remoteID]
	if !ok {
		return 0, fmt.Sprintf("the remote has no role %d", remoteID)
	}
	if id, ok := m.local[strings.ToLower(name)]; ok {
		return id, ""
	}
	return 0, fmt.Sprintf("no local role is named %q", name)
}

// holdsRole reports whether a local resource holds a local role in one of its active
// department/role associations: the rule psa applies to a ticket's assignment.
func (r *runner) holdsRole(resourceID, roleID int64) (bool, error) {
	key := [2]int64{resourceID, roleID}
	if held, ok := r.held[key]; ok {
		return held, nil
	}
	e := r.s.PSA.Catalog.MustEntity(roleDepartmentsEntity)
	req := &query.Request{Filter: []*query.Node{{Op: "eq", Field: "resourceID", Value: resourceID}, {Op: "eq", Field: "roleID", Value: roleID},
		{Op: "eq", Field: "isActive", Value: true}}, FilterPresent: true}
	rows, err := r.s.PSA.Query(r.lctx, e, req, nil, 0, 1)
	if err != nil {
		return false, err
	}
	if r.held == nil {
		r.held = map[[2]int64]bool{}
	}
	r.held[key] = len(rows) > 0
	return len(rows) > 0, nil
}

// keepAssignment decides whether a remote record's assignment is kept locally: obj holds the
// local values (the resource through the lookups, the role by name); when the pair cannot be
// kept both are cleared and why says why ("" when kept, or when there is none).
func (r *runner) keepAssignment(ctx context.Context, entity string, item, obj map[string]any) (string, error) {
	a, ok := assignments[entity]
	if !ok {
		return "", nil
	}
	remoteRes, remoteRole := lookup(item, a.resource), lookup(item, a.role)
	if remoteRes == nil && remoteRole == nil {
		return "", nil
	}
	why := ""
	res, _ := obj[a.resource].(int64)
	role, _ := obj[a.role].(int64)
	switch {
	case remoteRes == nil || remoteRole == nil:
		why = "the remote has half an assignment"
	case res == 0:
		why = fmt.Sprintf("the remote resource %v has no local counterpart (API-only users are not copied)", remoteRes)
	case role == 0:
		n, _ := num(remoteRole)
		_, why = r.localRole(ctx, n)
	default:
		held, err := r.holdsRole(res, role)
		if err != nil {
			return "", err
		}
		if !held {
			why = fmt.Sprintf("the local resource %d does not have the role %d in an active department/role association", res, role)
		}
	}
	if why != "" {
		obj[a.resource], obj[a.role] = nil, nil
	}
	return why, nil
}

// pairOrNeither keeps a remote write from sending half an assignment: when only one of the
// pair has a remote counterpart, neither is sent and the remote keeps its own.
func pairOrNeither(entity string, out map[string]any) {
	a, ok := assignments[entity]
	if !ok {
		return
	}
	_, hasRes := out[a.resource]
	_, hasRole := out[a.role]
	if hasRes != hasRole || (hasRes && (out[a.resource] == nil) != (out[a.role] == nil)) {
		delete(out, a.resource)
		delete(out, a.role)
	}
}
