package psa

import (
	"context"
	"errors"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// MaxPicklistLabel is the longest label a picklist value may have (Autotask's 100 characters).
const MaxPicklistLabel = 100

// PicklistValueChange edits one picklist value; nil fields are left as they are.
type PicklistValueChange struct {
	Label  *string
	Active *bool
}

// EditPicklistValue renames, deactivates or reactivates a value of one of the tenant's
// picklists (Admin › Picklists). Rows that hold a deactivated value keep it (validate checks
// picklists only where a value changes); new writes can no longer choose it. The list's default
// value and the system's own values cannot be deactivated, and two values of one list (under
// one parent) cannot share a label.
func (s *Service) EditPicklistValue(ctx context.Context, entity, field string, value int64, ch PicklistValueChange) (*store.PicklistValue, error) {
	e, i, err := s.picklistField(entity, field)
	if err != nil {
		return nil, err
	}
	list, err := s.Picklist(ctx, e, e.Fields[i].Name)
	if err != nil {
		return nil, err
	}
	var cur *store.PicklistValue
	for k := range list {
		if list[k].Value == value {
			v := list[k]
			cur = &v
		}
	}
	if cur == nil {
		return nil, apperr.New(404, "The list %s has no value %d.", e.Fields[i].Name, value)
	}
	if ch.Label != nil {
		label, err := picklistLabel(list, *ch.Label, cur.Parent, value)
		if err != nil {
			return nil, err
		}
		cur.Label = label
	}
	if ch.Active != nil && *ch.Active != cur.IsActive {
		if !*ch.Active && cur.IsDefault {
			return nil, apperr.Invalid("%q is the list's default value and cannot be deactivated.", cur.Label)
		}
		if !*ch.Active && cur.IsSystem {
			return nil, apperr.Invalid("%q is a system value and cannot be deactivated.", cur.Label)
		}
		cur.IsActive = *ch.Active
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.UpdatePicklistValue(ctx, *cur) })
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.New(404, "The list %s has no value %d.", e.Fields[i].Name, value)
	}
	if err != nil {
		return nil, err
	}
	s.forgetPicklists(ctx)
	return cur, nil
}

// picklistField finds a picklist field of the catalog.
func (s *Service) picklistField(entity, field string) (*catalog.Entity, int, error) {
	e, ok := s.Catalog.Entity(entity)
	if !ok {
		return nil, 0, apperr.Invalid("There is no entity %s.", entity)
	}
	i := e.Index(field)
	if i < 0 || !e.Fields[i].Picklist {
		return nil, 0, apperr.Invalid("%s.%s is not a picklist.", entity, field)
	}
	return e, i, nil
}

// picklistLabel checks a label for a value of list (self: the value being renamed, else 0):
// not empty, at most MaxPicklistLabel characters, and no other value under the same parent
// with that label, letter case aside.
func picklistLabel(list []store.PicklistValue, label string, parent *int64, self int64) (string, error) {
	label = strings.TrimSpace(label)
	switch {
	case label == "":
		return "", apperr.Invalid("A picklist value needs a label.")
	case len([]rune(label)) > MaxPicklistLabel:
		return "", apperr.Invalid("A picklist label has at most %d characters.", MaxPicklistLabel)
	}
	for _, v := range list {
		sameParent := (parent == nil && v.Parent == nil) || (parent != nil && v.Parent != nil && *parent == *v.Parent)
		if v.Value != self && sameParent && strings.EqualFold(strings.TrimSpace(v.Label), label) {
			return "", apperr.Invalid("The list already has a value %q.", v.Label)
		}
	}
	return label, nil
}

func (s *Service) forgetPicklists(ctx context.Context) {
	tenant, _ := store.TenantFrom(ctx)
	s.mu.Lock()
	delete(s.picklists, tenant)
	s.mu.Unlock()
}
