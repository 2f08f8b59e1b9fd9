package psa

import (
	"context"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// AddPicklistValue adds a value to one of the tenant's picklists (e.g. Companies.companyType),
// as an integration such as sync does when the remote tenant has a label the local one lacks.
// It takes the given value when it is free, else the next free value, and returns the value
// used. The label must not be empty, longer than MaxPicklistLabel, or another value's label
// under the same parent.
func (s *Service) AddPicklistValue(ctx context.Context, entity, field, label string, value int64, parent *int64) (int64, error) {
	e, i, err := s.picklistField(entity, field)
	if err != nil {
		return 0, err
	}
	list, err := s.Picklist(ctx, e, e.Fields[i].Name)
	if err != nil {
		return 0, err
	}
	if label, err = picklistLabel(list, label, parent, 0); err != nil {
		return 0, err
	}
	if pf := e.Fields[i].PicklistParent; pf != "" && parent != nil {
		parents, err := s.Picklist(ctx, e, pf)
		if err != nil {
			return 0, err
		}
		if !hasValue(parents, *parent) {
			return 0, apperr.Invalid("The value %d is not a valid picklist value for %s.", *parent, pf)
		}
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
	s.forgetPicklists(ctx)
	return value, nil
}

func hasValue(list []store.PicklistValue, v int64) bool {
	for _, x := range list {
		if x.Value == v {
			return true
		}
	}
	return false
}
