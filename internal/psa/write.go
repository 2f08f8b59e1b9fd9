package psa

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Hooks are the rules of one core entity, run inside the write's transaction.
type Hooks struct {
	BeforeCreate func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error
	BeforeUpdate func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error
	BeforeDelete func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error
	// AfterWrite runs once the row is written, still in the transaction; old is nil on create,
	// row nil on delete.
	AfterWrite func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error
}

// Create validates and stores a new row, returning its id.
func (s *Service) Create(ctx context.Context, e *catalog.Entity, in *Input, parent *Parent) (int64, error) {
	return s.CreateThen(ctx, e, in, parent, nil)
}

// CreateThen is Create with then run inside the same transaction once the row is stored, so
// that a caller's own record of the write (sync's map of remote to local ids) commits or rolls
// back with it.
func (s *Service) CreateThen(ctx context.Context, e *catalog.Entity, in *Input, parent *Parent, then func(tx *store.Tx, id int64) error) (int64, error) {
	if err := s.checkCreate(ctx, e, in, parent); err != nil {
		return 0, err
	}
	row := store.NewRow(e)
	for i, v := range in.Set {
		if !e.Fields[i].ReadOnly {
			row.Values[i] = v
		}
	}
	if parent != nil {
		row.Values[e.Index(parent.Child.ParentField)] = parent.ID
	}
	applyCreateDefaults(e, row)
	if err := s.applyUDFs(ctx, e, row, in); err != nil {
		return 0, err
	}
	var id int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if parent != nil {
			if err := s.requireParent(ctx, tx, parent); err != nil {
				return err
			}
		}
		stampCreate(ctx, e, row)
		if err := s.accessRules(ctx, tx, e, nil, row); err != nil {
			return err
		}
		if h := s.hooks[e.Name]; h != nil && h.BeforeCreate != nil {
			if err := h.BeforeCreate(ctx, tx, e, row); err != nil {
				return err
			}
		}
		if err := s.validate(ctx, tx, e, nil, row); err != nil {
			return err
		}
		var err error
		if id, err = tx.NextID(ctx, e.Table); err != nil {
			return err
		}
		row.Values[e.IDIndex()] = id
		if err := tx.Insert(ctx, e, row); err != nil {
			return err
		}
		if err := s.afterWrite(ctx, tx, e, nil, row); err != nil {
			return err
		}
		if then != nil {
			return then(tx, id)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	committed(e)
	s.invalidate(ctx, e)
	return id, nil
}

// applyCreateDefaults fills the fields a create did not set with Autotask's defaults (the
// catalog's OnCreate: isActive true, ...).
func applyCreateDefaults(e *catalog.Entity, row *store.Row) {
	for i := range e.Fields {
		if f := &e.Fields[i]; f.OnCreate != nil && row.Values[i] == nil {
			row.Values[i] = f.OnCreate
		}
	}
}

// Update changes a row: only the fields sent (PATCH), or every writable field with the ones not
// sent set to null (replace, PUT).
func (s *Service) Update(ctx context.Context, e *catalog.Entity, in *Input, parent *Parent, replace bool) (int64, error) {
	return s.UpdateWith(ctx, e, in, parent, replace, nil)
}

// UpdateWith is Update with prepare run inside the same transaction once the sent fields are
// applied to the row, before the entity's hooks, the validation and the write. An
// administration service uses it to set what a client cannot send (a resource's license type,
// which follows its security level) and to write its own rows (security, associations) so
// that they commit or roll back with the row, while the hooks keep the entity's rules.
func (s *Service) UpdateWith(ctx context.Context, e *catalog.Entity, in *Input, parent *Parent, replace bool, prepare func(tx *store.Tx, old, row *store.Row) error) (int64, error) {
	id := in.ID(e)
	if id == 0 && !in.Has(e, "id") {
		return 0, apperr.Invalid("The id field is required to update an entity.")
	}
	if err := s.checkWrite(ctx, e, id, access.Edit, errNoMatchForUpdate()); err != nil {
		return 0, err
	}
	keepCosts := !rightsFrom(ctx).CanReadCosts()
	if err := guardCosts(ctx, e, in); err != nil {
		return 0, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		old, err := tx.Get(ctx, e, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && parent != nil && !belongsTo(e, old, parent)) {
			return errNoMatchForUpdate()
		}
		if err != nil {
			return err
		}
		row := &store.Row{Values: append([]any(nil), old.Values...), UDF: old.UDF}
		for i, f := range e.Fields {
			if f.ReadOnly || (f.Cost && keepCosts) {
				continue
			}
			if v, ok := in.Set[i]; ok {
				row.Values[i] = v
			} else if replace {
				row.Values[i] = nil
			}
		}
		if parent != nil {
			row.Values[e.Index(parent.Child.ParentField)] = parent.ID
		}
		if err := s.applyUDFs(ctx, e, row, in); err != nil {
			return err
		}
		stampUpdate(ctx, e, row)
		if err := s.accessRules(ctx, tx, e, old, row); err != nil {
			return err
		}
		if prepare != nil {
			if err := prepare(tx, old, row); err != nil {
				return err
			}
		}
		if h := s.hooks[e.Name]; h != nil && h.BeforeUpdate != nil {
			if err := h.BeforeUpdate(ctx, tx, e, old, row); err != nil {
				return err
			}
		}
		if err := s.validate(ctx, tx, e, old, row); err != nil {
			return err
		}
		if err := tx.Update(ctx, e, row); err != nil {
			return err
		}
		return s.afterWrite(ctx, tx, e, old, row)
	})
	if err != nil {
		return 0, err
	}
	committed(e)
	s.invalidate(ctx, e)
	return id, nil
}

// Delete removes a row.
func (s *Service) Delete(ctx context.Context, e *catalog.Entity, id int64, parent *Parent) (int64, error) {
	if err := s.checkWrite(ctx, e, id, access.Delete, notFoundForDelete()); err != nil {
		return 0, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		row, err := tx.Get(ctx, e, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && parent != nil && !belongsTo(e, row, parent)) {
			return notFoundForDelete()
		}
		if err != nil {
			return err
		}
		if err := s.accessRules(ctx, tx, e, row, nil); err != nil {
			return err
		}
		if h := s.hooks[e.Name]; h != nil && h.BeforeDelete != nil {
			if err := h.BeforeDelete(ctx, tx, e, row); err != nil {
				return err
			}
		}
		if err := tx.Delete(ctx, e, id); err != nil {
			return err
		}
		return s.afterWrite(ctx, tx, e, row, nil)
	})
	if err != nil {
		return 0, err
	}
	committed(e)
	s.invalidate(ctx, e)
	return id, nil
}

func (s *Service) requireParent(ctx context.Context, tx *store.Tx, p *Parent) error {
	if !p.Entity.Stored { // UserDefinedFields/{id}/ListItems: the parent is not a table of its own
		return nil
	}
	ok, err := tx.Exists(ctx, p.Entity, p.ID)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.Invalid("Value does not reference an existing entity for %s . ", p.Child.ParentField)
	}
	return nil
}

// validate applies the generic rules to a row about to be written; old is nil on create.
// References and picklists are checked only where the value changed, so a row that was valid
// when written stays writable when a picklist value is later deactivated.
func (s *Service) validate(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
	pl, err := s.tenantPicklists(ctx)
	if err != nil {
		return err
	}
	var msgs []string
	for i := range e.Fields {
		f := &e.Fields[i]
		v := row.Values[i]
		if f.Required && !f.ReadOnly && (v == nil || v == "") {
			msgs = append(msgs, "Missing Required Field: "+f.Name)
			continue
		}
		if v == nil || (old != nil && old.Values[i] == v) {
			continue
		}
		if str, ok := v.(string); ok && f.Length > 0 && len([]rune(str)) > f.Length {
			msgs = append(msgs, "String value exceeds maximum length (field:"+f.Name+").") // Autotask's words
			continue
		}
		if f.Picklist {
			n, _ := v.(int64)
			var parentVal *int64
			if f.PicklistParent != "" {
				if pv, ok := row.Values[e.Index(f.PicklistParent)].(int64); ok {
					parentVal = &pv
				}
			}
			if !pl.valid(e.Name, f.Name, n, parentVal) {
				msgs = append(msgs, "The value "+itoa(n)+" is not a valid picklist value for "+f.Name+".")
			}
			continue
		}
		if f.Reference != "" {
			target, ok := s.Catalog.Entity(f.Reference)
			n, isInt := v.(int64)
			if !ok || !target.Stored || !isInt || !(e.Core || target.Core) {
				continue
			}
			exists, err := tx.Exists(ctx, target, n)
			if err != nil {
				return err
			}
			if !exists {
				msgs = append(msgs, "Value does not reference an existing entity for "+f.Name+" . ")
			}
		}
	}
	if len(msgs) > 0 {
		return &apperr.Error{Status: 500, Messages: msgs}
	}
	return nil
}

// The timestamp and author fields the server keeps, by name, for every collection.
var (
	createdAtFields = map[string]bool{"createdate": true, "createdatetime": true}
	touchedAtFields = map[string]bool{"lastactivitydate": true, "lastmodifieddate": true, "lastmodifiedtime": true, "lastmodifieddatetime": true,
		"lasttrackedmodifieddatetime": true, "lasttrackedmodificationdatetime": true, "updatedatetime": true}
	creatorFields = map[string]bool{"creatorresourceid": true, "createdbyresourceid": true}
)

func stampCreate(ctx context.Context, e *catalog.Entity, row *store.Row) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	a := actorFrom(ctx)
	for i, f := range e.Fields {
		n := strings.ToLower(f.Name)
		switch {
		case f.Type == catalog.DateTime && (createdAtFields[n] || touchedAtFields[n]):
			row.Values[i] = now
		case creatorFields[n] && a.ResourceID != 0:
			row.Values[i] = a.ResourceID
		case n == "impersonatorcreatorresourceid" && a.ImpersonatorID != 0:
			row.Values[i] = a.ImpersonatorID
		case n == "createdbycontactid" && a.ContactID != 0:
			row.Values[i] = a.ContactID
		}
	}
}

func stampUpdate(ctx context.Context, e *catalog.Entity, row *store.Row) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	a := actorFrom(ctx)
	for i, f := range e.Fields {
		n := strings.ToLower(f.Name)
		switch {
		case f.Type == catalog.DateTime && touchedAtFields[n]:
			row.Values[i] = now
		case n == "impersonatorupdaterresourceid" && a.ImpersonatorID != 0:
			row.Values[i] = a.ImpersonatorID
		}
	}
}

// InsertRow writes a row the services make (a resource's associations, a company's primary
// location, an API user's resource) under the generic rules: the create defaults, the stamps of
// ctx's actor and validation; not the caller's rights, nor the entity's hooks, nor webhook
// events. values are by field name; an unknown name is an error.
func (s *Service) InsertRow(ctx context.Context, tx *store.Tx, entity string, values map[string]any) (int64, error) {
	e := s.Catalog.MustEntity(entity)
	row := store.NewRow(e)
	for k, v := range values {
		i := e.Index(k)
		if i < 0 {
			return 0, fmt.Errorf("%s has no field %s", entity, k)
		}
		row.Values[i] = v
	}
	applyCreateDefaults(e, row)
	stampCreate(ctx, e, row)
	if err := s.validate(ctx, tx, e, nil, row); err != nil {
		return 0, err
	}
	id, err := tx.NextID(ctx, e.Table)
	if err != nil {
		return 0, err
	}
	row.Values[e.IDIndex()] = id
	return id, tx.Insert(ctx, e, row)
}

// SeedRow writes a row of a tenant being made, with its fixed id (company 0, resource 1...):
// stamped, not validated (the tenant's picklists are written in the same, uncommitted
// transaction), and the collection's sequence moved past id.
func (s *Service) SeedRow(ctx context.Context, tx *store.Tx, entity string, id int64, values map[string]any) error {
	e := s.Catalog.MustEntity(entity)
	row := store.NewRow(e)
	row.Values[e.IDIndex()] = id
	for k, v := range values {
		i := e.Index(k)
		if i < 0 {
			return fmt.Errorf("seed %s: no field %s", entity, k)
		}
		row.Values[i] = v
	}
	stampCreate(ctx, e, row)
	if err := tx.Insert(ctx, e, row); err != nil {
		return err
	}
	return tx.BumpSequence(ctx, e.Table, id)
}

// RowsWhere reads the tenant's rows of e whose field equals v (at most 10,000), as the system:
// not bounded by the caller's rights, costs not hidden. For the administration's own reads.
func (s *Service) RowsWhere(ctx context.Context, e *catalog.Entity, field string, v any) ([]*store.Row, error) {
	where, err := query.Compile(&query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: field, Value: v}}}, e, nil, s.DB.Dialect)
	if err != nil {
		return nil, err
	}
	return s.DB.Page(ctx, e, where, -1, 10000)
}

// EachRow calls each with every row of e in the tenant of ctx, in id order, a page at a time,
// and stops at the first error each returns. As RowsWhere, it reads as the system: not bounded
// by the caller's rights, costs not hidden.
func (s *Service) EachRow(ctx context.Context, e *catalog.Entity, each func(*store.Row) error) error {
	where, err := query.Compile(&query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "exist", Field: "id"}}}, e, nil, s.DB.Dialect)
	if err != nil {
		return err
	}
	after := int64(-1)
	for {
		rows, err := s.DB.Page(ctx, e, where, after, 500)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := each(r); err != nil {
				return err
			}
			after = r.ID(e)
		}
		if len(rows) < 500 {
			return nil
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
