package psa

import (
	"context"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// picklists is a tenant's picklist values, cached until a picklist changes.
type picklists struct {
	values map[string][]store.PicklistValue // "Entity.field" → values in sort order
}

func (p *picklists) valid(entity, field string, v int64, parent *int64) bool {
	for _, x := range p.values[entity+"."+field] {
		if x.Value == v && x.IsActive {
			return parent == nil || x.Parent == nil || *x.Parent == *parent
		}
	}
	return false
}

// Picklist returns the tenant's values for one picklist field.
func (s *Service) Picklist(ctx context.Context, e *catalog.Entity, field string) ([]store.PicklistValue, error) {
	if s.WebhookFieldPicklist(e, field) {
		return s.webhookFieldValues(ctx, e, field)
	}
	p, err := s.tenantPicklists(ctx)
	if err != nil {
		return nil, err
	}
	return p.values[e.Name+"."+field], nil
}

func (s *Service) tenantPicklists(ctx context.Context) (*picklists, error) {
	tenant, err := store.TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	p := s.picklists[tenant]
	s.mu.Unlock()
	if p != nil {
		return p, nil
	}
	list, err := s.DB.PicklistValues(ctx)
	if err != nil {
		return nil, err
	}
	p = &picklists{values: map[string][]store.PicklistValue{}}
	for _, v := range list {
		k := v.Entity + "." + v.Field
		p.values[k] = append(p.values[k], v)
	}
	s.mu.Lock()
	s.picklists[tenant] = p
	s.mu.Unlock()
	return p, nil
}

// invalidate drops the tenant's caches that a write to e may have made stale.
func (s *Service) invalidate(ctx context.Context, e *catalog.Entity) {
	if accessEntities[e.Name] {
		s.AccessChanged(ctx)
	}
	if e.Name != "UserDefinedFieldDefinitions" {
		return
	}
	tenant, _ := store.TenantFrom(ctx)
	s.mu.Lock()
	delete(s.udfs, tenant)
	s.mu.Unlock()
}

// SeedPicklists writes the catalog's default picklist values into a new tenant, in the
// transaction that makes it.
func (s *Service) SeedPicklists(ctx context.Context, tx *store.Tx) error {
	return seedPicklists(ctx, tx, s.Catalog)
}

func seedPicklists(ctx context.Context, tx *store.Tx, cat *catalog.Catalog) error {
	for _, e := range cat.Entities() {
		for _, f := range e.Fields {
			for _, d := range f.Defaults {
				v := store.PicklistValue{Entity: e.Name, Field: f.Name, Value: int64(d.Value), Label: d.Label, IsDefault: d.IsDefault,
					SortOrder: int64(d.SortOrder), IsActive: true, IsSystem: d.IsSystem}
				if d.Parent != 0 {
					parent := int64(d.Parent)
					v.Parent = &parent
				}
				if err := tx.InsertPicklistValue(ctx, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
