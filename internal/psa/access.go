package psa

import (
	"context"
	"net/http"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// How the security level of the caller shows in the services. Reads are filtered silently: a
// query returns only the rows the caller may see, a get of any other row finds nothing. Writes
// without the permission are refused with Autotask's message. A caller without rights in its
// context (the CLI, the seed data) is the system and may do everything.

func rightsFrom(ctx context.Context) *access.Rights { return actorFrom(ctx).Rights }

// errNoPermission is Autotask's refusal of a write the caller's level does not allow.
func errNoPermission(a access.Action) error {
	return apperr.New(http.StatusForbidden, "The logged in Resource does not have the adequate permissions to %s this entity type.", a.Verb())
}

func errCostField(f *catalog.Field) error {
	return apperr.New(http.StatusForbidden, "The logged in Resource does not have the adequate permissions to read or write internal cost data (%s).", f.Name)
}

// scopeConditions are the conditions the caller's rows must meet for an action; never when no
// row can.
func (s *Service) scopeConditions(ctx context.Context, e *catalog.Entity, a access.Action) (conds []*query.Node, never bool) {
	return rightsFrom(ctx).Filter(s.Catalog, e, a)
}

// withScope compiles the caller's conditions for an action and the client's filter as one
// WHERE fragment, scope first; the client's errors come first.
func (s *Service) withScope(ctx context.Context, e *catalog.Entity, a access.Action, req *query.Request, udfs map[string]bool) (query.Compiled, error) {
	conds, never := s.scopeConditions(ctx, e, a)
	if len(conds) == 0 && !never {
		return query.Compile(req, e, udfs, s.DB.Dialect)
	}
	if never { // no row is in scope: only the client's errors can change the answer
		if where, err := query.Compile(req, e, udfs, s.DB.Dialect); err != nil || where.Empty {
			return where, err
		}
		return query.Compiled{Where: "1=0", Empty: true}, nil
	}
	scoped := *req
	scoped.Scope = conds
	return query.Compile(&scoped, e, udfs, s.DB.Dialect)
}

// rowInScope reports whether the row with id meets the caller's conditions for an action.
func (s *Service) rowInScope(ctx context.Context, e *catalog.Entity, id int64, a access.Action) (bool, error) {
	conds, never := s.scopeConditions(ctx, e, a)
	if never {
		return false, nil
	}
	if len(conds) == 0 {
		return true, nil
	}
	row, err := s.rowWhere(ctx, e, id, conds)
	return row != nil, err
}

// rowIfInScope reads the row with id when it meets the caller's conditions for an action; nil
// when it does not (or does not exist).
func (s *Service) rowIfInScope(ctx context.Context, e *catalog.Entity, id int64, a access.Action) (*store.Row, error) {
	conds, never := s.scopeConditions(ctx, e, a)
	if never {
		return nil, nil
	}
	return s.rowWhere(ctx, e, id, conds)
}

func (s *Service) rowWhere(ctx context.Context, e *catalog.Entity, id int64, conds []*query.Node) (*store.Row, error) {
	where, err := query.Compile(&query.Request{FilterPresent: true, Filter: append([]*query.Node{{Op: "eq", Field: "id", Value: id}}, conds...)}, e, nil, s.DB.Dialect)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Page(ctx, e, where, -1, 1)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// checkWrite decides an update or delete of an existing row: a row the caller cannot see does
// not exist for it (notFound), one it sees but may not change is refused.
func (s *Service) checkWrite(ctx context.Context, e *catalog.Entity, id int64, a access.Action, notFound error) error {
	r := rightsFrom(ctx)
	if r == nil {
		return nil
	}
	if !r.Allowed(e, a) {
		return errNoPermission(a)
	}
	if r.Unrestricted(e, access.View) && r.Unrestricted(e, a) {
		return nil
	}
	visible, err := s.rowInScope(ctx, e, id, access.View)
	if err != nil {
		return err
	}
	if !visible {
		return notFound
	}
	ok, err := s.rowInScope(ctx, e, id, a)
	if err != nil {
		return err
	}
	if !ok {
		return errNoPermission(a)
	}
	return nil
}

// hideCosts nulls the cost fields of rows read by a caller that cannot read costs.
func hideCosts(ctx context.Context, e *catalog.Entity, rows ...*store.Row) {
	if rightsFrom(ctx).CanReadCosts() {
		return
	}
	for i := range e.Fields {
		if e.Fields[i].Cost {
			for _, r := range rows {
				if r != nil {
					r.Values[i] = nil
				}
			}
		}
	}
}

// guardCosts keeps cost fields out of a write by a caller that cannot read costs: a null (what
// such a caller reads) is dropped, so the stored value stays; a value is refused.
func guardCosts(ctx context.Context, e *catalog.Entity, in *Input) error {
	if rightsFrom(ctx).CanReadCosts() {
		return nil
	}
	for i, v := range in.Set {
		if f := &e.Fields[i]; f.Cost {
			if v != nil {
				return errCostField(f)
			}
			delete(in.Set, i)
		}
	}
	return nil
}

// guardCostFilter refuses a query on a cost field by a caller that cannot read costs, since a
// filter would reveal what the nulls hide.
func guardCostFilter(ctx context.Context, e *catalog.Entity, nodes []*query.Node) error {
	if rightsFrom(ctx).CanReadCosts() {
		return nil
	}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		if f, ok := e.Field(n.Field); ok && f.Cost && !n.UDF {
			return errCostField(f)
		}
		if err := guardCostFilter(ctx, e, n.Items); err != nil {
			return err
		}
	}
	return nil
}

// UserAccess is what entityInformation says the caller may do with a collection: "All",
// "Restricted" or "None" for create, delete, query and update.
func (s *Service) UserAccess(ctx context.Context, e *catalog.Entity, verbs catalog.Verb) (create, del, qry, update string) {
	r := rightsFrom(ctx)
	of := func(can bool, a access.Action) string {
		if !can {
			return "None"
		}
		return r.Access(e, a)
	}
	return of(verbs.Has(catalog.Create), access.Add), of(verbs.Has(catalog.Delete), access.Delete),
		of(verbs.Has(catalog.Query) || verbs.Has(catalog.List), access.View), of(verbs.Has(catalog.Update) || verbs.Has(catalog.Replace), access.Edit)
}
