package access

import (
	"net/http"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// Party is a resource whose rights bound a call: the API user, and the resource it impersonates.
type Party struct {
	ResourceID int64
	Level      *Level
	// LOBs are the resource's line-of-business associations when the tenant's organizational
	// structure is on and the resource has at least one; nil means no LOB restriction.
	LOBs []int64
}

// Rights are what a call may do: the intersection of its parties' rights. A nil *Rights is the
// system itself (the CLI, the seed data), which may do everything.
type Rights struct {
	TenantID int64
	Parties  []Party
	Catalog  *catalog.Catalog // the catalog the calls use; nil: catalog.Default
}

func (r *Rights) catalog() *catalog.Catalog {
	if r.Catalog != nil {
		return r.Catalog
	}
	return catalog.Default
}

// Actor is the resource a call acts as: the impersonated resource, or the caller.
func (r *Rights) Actor() int64 {
	if r == nil || len(r.Parties) == 0 {
		return 0
	}
	return r.Parties[len(r.Parties)-1].ResourceID
}

// Scopes returns each party's scope for an action on a collection, and false when any party has
// none (the call is refused, or reads nothing).
func (r *Rights) Scopes(e *catalog.Entity, a Action) ([]Scope, bool) {
	if r == nil {
		return nil, true
	}
	out := make([]Scope, len(r.Parties))
	for i, p := range r.Parties {
		s := p.Level.Permission(e).Scope(a)
		if s == None {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// Allowed reports whether every party may perform the action on the collection at all.
func (r *Rights) Allowed(e *catalog.Entity, a Action) bool {
	_, ok := r.Scopes(e, a)
	return ok
}

// Unrestricted reports whether the action reaches every row of the collection: every party has
// scope All and no line of business narrows what it sees.
func (r *Rights) Unrestricted(e *catalog.Entity, a Action) bool {
	if r == nil {
		return true
	}
	// Adding reaches no existing row; the line a new row goes into is checked by psa.
	lob := a != Add && relationsOf(r.catalog()).lobBelow(e, 0)
	for _, p := range r.Parties {
		if p.Level.Permission(e).Scope(a) != All || (p.LOBs != nil && lob) {
			return false
		}
	}
	return true
}

// Access is what entityInformation's userAccessFor* say: "All", "Restricted" or "None".
func (r *Rights) Access(e *catalog.Entity, a Action) string {
	switch {
	case !r.Allowed(e, a):
		return "None"
	case r.Unrestricted(e, a):
		return "All"
	}
	return "Restricted"
}

// CanReadCosts reports whether cost fields are shown: every party's level must allow it.
func (r *Rights) CanReadCosts() bool {
	if r == nil {
		return true
	}
	for _, p := range r.Parties {
		if !p.Level.Flags.CanViewInternalCost {
			return false
		}
	}
	return true
}

// Webhooks returns whether the caller may create webhooks, and how many.
func (r *Rights) Webhooks() (bool, int) {
	if r == nil {
		return true, 0
	}
	n := -1
	for _, p := range r.Parties {
		if !p.Level.Flags.CanCreateWebhooks {
			return false, 0
		}
		if n < 0 || p.Level.Flags.MaxWebhooks < n {
			n = p.Level.Flags.MaxWebhooks
		}
	}
	return true, n
}

// Impersonating returns the rights of the caller acting as another resource: both parties bound
// every call. The caller's level must allow impersonation and the target's level must allow
// being impersonated; API-only users are never impersonated.
func (r *Rights) Impersonating(target Party, targetAPIOnly bool) (*Rights, error) {
	if r == nil || len(r.Parties) != 1 {
		return nil, ErrImpersonationNotAllowed
	}
	if !r.Parties[0].Level.Flags.CanImpersonate || targetAPIOnly || target.Level.APIOnly || !target.Level.Flags.AllowImpersonation {
		return nil, ErrImpersonationNotAllowed
	}
	return &Rights{TenantID: r.TenantID, Parties: []Party{r.Parties[0], target}, Catalog: r.Catalog}, nil
}

// ErrImpersonationNotAllowed answers an ImpersonationResourceId the levels do not allow.
var ErrImpersonationNotAllowed = apperr.New(http.StatusForbidden, "The logged in Resource does not have the adequate permissions to impersonate the resource given in ImpersonationResourceId.")
