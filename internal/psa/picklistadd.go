package psa

import (
	"context"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// AddPicklistValue adds a value to one of the tenant's picklists (e.g. Companies.companyType),
// as an integration such as sync does when the remote tenant has a label the local one lacks.
// It takes the given value when it is free, else the next free value, and returns the value
// used. The label must not be empty.
func (s *Service) AddPicklistValue(ctx context.Context, entity, field, label string, value int64, parent *int64) (int64, error) {
	e, ok := s.Catalog.Entity(entity)
	if !ok {
		return 0, apperr.Invalid("There is no entity %s.", entity)
	}
	i := e.Index(field)
	if i < 0 || !e.Fields[i].Picklist {
		return 0, apperr.Invalid("%s.%s is not a picklist.", entity, field)
	}
	label = strings.TrimSpace(label)
	if label == "" {
		return 0, apperr.Invalid("A picklist value needs a label.")
	}
	list, err := s.Picklist(ctx, e, e.Fields[i].Name)
	if err != nil {
		return 0, err
	}
	taken := map[int64]bool{}
	var top, sort int64
	for _, v := range list {
		taken[v.Value] = true
		top = max(top, v.Value)
		sort = max(sort, v.SortOrder)
	}
	if value <= 0 || taken[value] {
		value = top + 1
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertPicklistValue(ctx, store.PicklistValue{Entity: e.Name, Field: e.Fields[i].Name, Value: value, Label: label,
			SortOrder: sort + 1, Parent: parent, IsActive: true})
	})
	if err != nil {
		return 0, err
	}
	tenant, _ := store.TenantFrom(ctx)
	s.mu.Lock()
	delete(s.picklists, tenant)
	s.mu.Unlock()
	return value, nil
}
