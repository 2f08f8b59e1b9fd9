package psa

import (
	"context"
	"net/http"
	"slices"
	"sync"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// The write rules of the access model that hold for every collection: permission to add, the
// parent of a child write being visible, webhook permission and maximum, lines of business only
// while the organizational structure is on, and a notice to the authenticator when a write
// changes who may do what.

func errNoMatchForUpdate() error {
	return apperr.Invalid("No matching records found. The logged in Resource may not have the required permissions to update the data.")
}

// checkCreate decides a create before anything is written.
func (s *Service) checkCreate(ctx context.Context, e *catalog.Entity, in *Input, parent *Parent) error {
	r := rightsFrom(ctx)
	if r == nil {
		return nil
	}
	if !r.Allowed(e, access.Add) {
		return errNoPermission(access.Add)
	}
	if err := guardCosts(ctx, e, in); err != nil {
		return err
	}
	if parent != nil && parent.Entity.Stored && !r.Unrestricted(parent.Entity, access.View) {
		visible, err := s.rowInScope(ctx, parent.Entity, parent.ID, access.View)
		if err != nil {
			return err
		}
		if !visible { // the same answer as for a parent that does not exist
			return apperr.Invalid("Value does not reference an existing entity for %s . ", parent.Child.ParentField)
		}
	}
	if isWebhook(e) {
		can, max := r.Webhooks()
		if !can {
			return errNoPermission(access.Add)
		}
		n, err := s.webhooksOf(ctx, actorFrom(ctx).ResourceID)
		if err != nil {
			return err
		}
		if n >= int64(max) {
			return apperr.Invalid("The security level of the logged in Resource allows at most %d webhooks.", max)
		}
	}
	return nil
}

// isWebhook reports whether e is a webhook collection (not one of a webhook's children).
func isWebhook(e *catalog.Entity) bool {
	return e.Object == "Webhooks" && e.Index("webhookUrl") >= 0 && e.Index("ownerResourceID") >= 0
}

// webhooksOf counts the webhooks a resource owns, across every webhook collection.
func (s *Service) webhooksOf(ctx context.Context, resourceID int64) (int64, error) {
	var total int64
	for _, e := range s.Catalog.Entities() {
		if !isWebhook(e) || !e.Stored {
			continue
		}
		where, err := query.Compile(&query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "ownerResourceID", Value: resourceID}}}, e, nil, s.DB.Dialect)
		if err != nil {
			return 0, err
		}
		n, err := s.DB.Count(ctx, e, where)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// accessRules runs in the write's transaction; old is nil on create, row nil on delete.
func (s *Service) accessRules(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
	if e.Object == "OrganizationalStructure" || (row != nil && lobChanged(e, old, row)) {
		tenant, err := s.tenantOf(ctx)
		if err != nil {
			return err
		}
		if !tenant.OrgStructure {
			if e.Object == "OrganizationalStructure" {
				return apperr.Invalid("The organizational structure (lines of business) is not enabled: %s is read-only.", e.Name)
			}
			return apperr.Invalid("organizationalLevelAssociationID cannot be set: the organizational structure (lines of business) is not enabled.")
		}
	}
	if row != nil && lobChanged(e, old, row) && access.CarriesLOB(e) {
		if err := checkLOBWrite(ctx, e, row); err != nil {
			return err
		}
	}
	if old == nil && row != nil && isWebhook(e) {
		if i := e.Index("ownerResourceID"); row.Values[i] == nil && actorFrom(ctx).ResourceID != 0 {
			row.Values[i] = actorFrom(ctx).ResourceID
		}
	}
	if accessEntities[e.Name] {
		return tx.BumpAccessGeneration(ctx)
	}
	return nil
}

// accessEntities are the collections whose rows change who may do what.
var accessEntities = map[string]bool{"Resources": true, "OrganizationalResources": true, "OrganizationalLevelAssociations": true}

// checkLOBWrite refuses a row put into a line of business the caller cannot see: a resource
// restricted to some lines of business (and, under impersonation, either party) may create or
// move a ticket, project, contract... only into one of its own lines, or into none.
func checkLOBWrite(ctx context.Context, e *catalog.Entity, row *store.Row) error {
	r := rightsFrom(ctx)
	if r == nil {
		return nil
	}
	i := e.Index("organizationalLevelAssociationID")
	if i < 0 {
		return nil
	}
	v, _ := row.Values[i].(int64)
	for _, p := range r.Parties {
		if p.LOBs != nil && !slices.Contains(p.LOBs, v) {
			return apperr.New(http.StatusForbidden, "The logged in Resource does not have the adequate permissions to use organizationalLevelAssociationID %d: it is not one of the Resource's lines of business.", v)
		}
	}
	return nil
}

func lobChanged(e *catalog.Entity, old, row *store.Row) bool {
	i := e.Index("organizationalLevelAssociationID")
	if i < 0 || row.Values[i] == nil {
		return false
	}
	return old == nil || old.Values[i] != row.Values[i]
}

func (s *Service) tenantOf(ctx context.Context) (*store.Tenant, error) {
	id, err := store.TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.tenant(ctx, id)
}

// accessListeners are told, after the commit, of every change to who may do what in a tenant.
type accessListeners struct {
	mu  sync.Mutex
	fns []func(tenantID int64)
}

// OnAccessChange registers f to be called with the tenant after every committed change to its
// access: security levels, API users, resources, tracking identifiers, lines of business,
// settings. The authenticator drops what it remembers of the tenant.
func (s *Service) OnAccessChange(f func(tenantID int64)) {
	s.listeners.mu.Lock()
	defer s.listeners.mu.Unlock()
	s.listeners.fns = append(s.listeners.fns, f)
}

// ChangeAccess runs change in a transaction that also bumps the tenant's access generation (so
// other processes learn of it at their next poll), and tells this process's OnAccessChange
// listeners once it has committed. The administration's changes to who may do what, and to
// the tenant's settings, go through it.
func (s *Service) ChangeAccess(ctx context.Context, change func(tx *store.Tx) error) error {
	if err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		return tx.BumpAccessGeneration(ctx)
	}); err != nil {
		return err
	}
	s.AccessChanged(ctx)
	return nil
}

// AccessChanged tells the listeners of OnAccessChange that the tenant of ctx changed who may
// do what; call it after the transaction that changed access has committed (the
// administration's services do, and Create/Update/Delete for the collections that carry access).
func (s *Service) AccessChanged(ctx context.Context) {
	tenant, err := store.TenantFrom(ctx)
	if err != nil {
		return
	}
	s.TenantChanged(tenant)
}

// TenantChanged tells the listeners of OnAccessChange that a tenant changed, when the news
// comes from elsewhere: the authenticator's poll of the access generations, for changes made
// by another process.
func (s *Service) TenantChanged(tenant int64) {
	s.listeners.mu.Lock()
	fns := append([]func(int64){}, s.listeners.fns...)
	s.listeners.mu.Unlock()
	for _, f := range fns {
		f(tenant)
	}
}
