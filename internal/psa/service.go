// Package psa is Switchboard's generic entity engine: every read and write of a catalog
// collection goes through Service (Get, Query, Count, Create, Update, Delete), under the rules
// every collection follows (required fields, lengths, picklists, references, timestamps, UDFs),
// the caller's rights, the named hooks of the core entities (ticket numbers, assignment,
// API-only users, a resource's active flag carried to its API user's credentials) and the
// webhook events of the change, in one transaction. The REST API, the console, the CLI, sync
// and mail all call it, so a rule lives in one place. The administration services (tenants,
// resources, API users, security levels, sign-in...) are internal/psa/admin, built on the
// exported API here.
package psa

import (
	"context"
	"errors"
	"sync"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/webhook"
)

// Service is the PSA: every read and write of catalog collections goes through it.
type Service struct {
	DB      *store.DB
	Catalog *catalog.Catalog
	hooks   map[string]*Hooks
	f       coreFields // the collections and fields named in code, resolved by New
	// WebhookPolicy decides which webhook URLs may be saved (internal/webhook); set it before use.
	WebhookPolicy  webhook.Policy
	webhookConfigs webhook.Cache

	mu        sync.Mutex
	picklists map[int64]*picklists // by tenant
	udfs      map[int64]*udfDefs   // by tenant
	listeners accessListeners
}

// New makes the service over an open, migrated database.
func New(db *store.DB) *Service {
	s := &Service{DB: db, Catalog: db.Catalog, picklists: map[int64]*picklists{}, udfs: map[int64]*udfDefs{}}
	s.f = resolveCoreFields(db.Catalog)
	s.hooks = coreHooks(s)
	s.hooks["UserDefinedFieldDefinitions"] = udfDefinitionHooks(s)
	webhookHooks(s, s.hooks)
	return s
}

// Actor is who performs a call: the resource, and the API user when it impersonates another.
type Actor struct {
	ResourceID     int64
	ImpersonatorID int64 // the API user's resource when ImpersonationResourceId was sent; else 0
	// ContactID is the client-portal contact acting (ResourceID is then 0); stamped as
	// createdByContactID on what the contact creates.
	ContactID int64
	// Rights bound what the call may read and write; nil is the system itself (CLI, seed data).
	Rights *access.Rights
}

// SystemActor is Switchboard itself acting: the CLI, seed data, sync jobs. No security level
// bounds it (Rights is nil), and what it writes is recorded as resource 1, the tenant's
// administrator created with the tenant.
var SystemActor = Actor{ResourceID: 1}

type actorKey struct{}

// WithActor returns a context that carries the actor of the calls made with it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// AsSystem keeps the actor of ctx (who is stamped on a write) without its rights, so the call
// is not bounded by them: for an administration service whose caller has decided already who
// may use it (the admin pages check the signed-in user's level; the CLI is the system).
func AsSystem(ctx context.Context) context.Context {
	a := actorFrom(ctx)
	if a.Rights == nil {
		return ctx
	}
	a.Rights = nil
	return WithActor(ctx, a)
}

func actorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Parent names the parent row of a child-collection call: /{Parent}/{ID}/{Child}.
type Parent struct {
	Entity *catalog.Entity
	ID     int64
	Child  *catalog.Child
}

// Get reads one row; (nil, nil) when there is none, or none the caller may see.
func (s *Service) Get(ctx context.Context, e *catalog.Entity, id int64, parent *Parent) (*store.Row, error) {
	var row *store.Row
	var err error
	if r := rightsFrom(ctx); r != nil && !r.Unrestricted(e, access.View) {
		row, err = s.rowIfInScope(ctx, e, id, access.View) // one query: the row, if the caller may see it
	} else {
		row, err = s.DB.Get(ctx, e, id)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && row == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if parent != nil && !belongsTo(e, row, parent) {
		return nil, nil
	}
	hideCosts(ctx, e, row)
	return row, nil
}

func belongsTo(e *catalog.Entity, row *store.Row, p *Parent) bool {
	i := e.Index(p.Child.ParentField)
	if i < 0 {
		return false
	}
	v, _ := row.Values[i].(int64)
	return v == p.ID
}

// UDFNames returns the tenant's UDF names for e, keyed by lower-case name, for the query compiler.
func (s *Service) UDFNames(ctx context.Context, e *catalog.Entity) (map[string]bool, error) {
	defs, err := s.udfDefinitions(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, d := range defs.byEntity[e.Name] {
		out[lower(d.Name)] = true
	}
	return out, nil
}

// compile checks and compiles a query, adding the parent condition of a child list and the
// caller's scope: the rows its security level and lines of business let it see.
func (s *Service) compile(ctx context.Context, e *catalog.Entity, req *query.Request, parent *Parent) (query.Compiled, error) {
	if parent != nil {
		cond := &query.Node{Op: "eq", Field: parent.Child.ParentField, Value: parent.ID}
		r := *req
		r.Filter = append([]*query.Node{cond}, req.Filter...)
		r.FilterPresent = true
		req = &r
	}
	if err := guardCostFilter(ctx, e, req.Filter); err != nil {
		return query.Compiled{}, err
	}
	udfs, err := s.UDFNames(ctx, e)
	if err != nil {
		return query.Compiled{}, err
	}
	return s.withScope(ctx, e, access.View, req, udfs)
}

// Query returns up to limit rows matching req with ids above afterID.
func (s *Service) Query(ctx context.Context, e *catalog.Entity, req *query.Request, parent *Parent, afterID int64, limit int) ([]*store.Row, error) {
	where, err := s.compile(ctx, e, req, parent)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Page(ctx, e, where, afterID, limit)
	if err == nil {
		hideCosts(ctx, e, rows...)
	}
	return rows, err
}

// Count counts the rows matching req.
func (s *Service) Count(ctx context.Context, e *catalog.Entity, req *query.Request, parent *Parent) (int64, error) {
	where, err := s.compile(ctx, e, req, parent)
	if err != nil {
		return 0, err
	}
	return s.DB.Count(ctx, e, where)
}

// UDFDefinitions lists the tenant's UDFs of e in their sort order.
func (s *Service) UDFDefinitions(ctx context.Context, e *catalog.Entity) ([]UDFDefinition, error) {
	defs, err := s.udfDefinitions(ctx)
	if err != nil {
		return nil, err
	}
	return defs.byEntity[e.Name], nil
}

func notFoundForDelete() error {
	return apperr.Invalid("No matching records found. The logged in Resource may not have the required permissions to delete the data.")
}
