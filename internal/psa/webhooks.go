package psa

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/webhook"
)

// The rules of the webhook collections: a generated webhookGUID, URLs the policy allows,
// isReady once a field is subscribed, field ids that name webhook-capable fields and UDFs; and
// the outbox events of every write of an entity that supports webhooks (webhook.Record), in the
// write's transaction.

// webhookHooks registers the hooks of every webhook collection and its fields.
func webhookHooks(s *Service, hooks map[string]*Hooks) {
	for _, e := range s.Catalog.Entities() {
		if !e.Webhooks {
			continue
		}
		target := e
		names := webhook.NamesFor(e)
		hooks[names.Webhooks] = &Hooks{
			BeforeCreate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
				// The webhook collections' fields are checked when the program starts
				// (internal/webhook's rowFields): MustIndex cannot fail here.
				row.Values[e.MustIndex("webhookGUID")] = newGUID()
				row.Values[e.MustIndex("isReady")] = false
				return s.checkWebhookURLs(ctx, e, nil, row)
			},
			BeforeUpdate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
				return s.checkWebhookURLs(ctx, e, old, row)
			},
			BeforeDelete: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
				id := row.ID(e)
				for _, child := range []string{names.Fields, names.UdfFields, names.ExcludedResources} {
					if ce, ok := s.Catalog.Entity(child); ok && child != "" {
						if err := tx.DeleteWhere(ctx, ce, "webhookID", id); err != nil {
							return err
						}
					}
				}
				return tx.DropWebhookQueue(ctx, e.Name, id)
			},
		}
		fieldRules := func(idField string, valid func(ctx context.Context, id int64) (bool, error), what string) *Hooks {
			check := func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
				id, _ := row.Values[e.Index(idField)].(int64)
				ok, err := valid(ctx, id)
				if err != nil {
					return err
				}
				if !ok {
					return apperr.Invalid("%s: %d is not a %s of %s. The values are listed in entityInformation/fields.", idField, id, what, target.Singular)
				}
				return nil
			}
			return &Hooks{
				BeforeCreate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
					return check(ctx, tx, e, nil, row)
				},
				BeforeUpdate: check,
				AfterWrite: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
					r := row
					if r == nil {
						r = old
					}
					wid, _ := r.Values[e.MustIndex("webhookID")].(int64)
					return s.updateReady(ctx, tx, names, wid)
				},
			}
		}
		hooks[names.Fields] = fieldRules("fieldID", func(_ context.Context, id int64) (bool, error) {
			_, ok := webhook.FieldByID(target, id)
			return ok, nil
		}, "webhook field")
		if names.UdfFields != "" {
			hooks[names.UdfFields] = fieldRules("udfFieldID", func(ctx context.Context, id int64) (bool, error) {
				defs, err := s.UDFDefinitions(ctx, target)
				if err != nil {
					return false, err
				}
				for _, d := range defs {
					if d.ID == id {
						return true, nil
					}
				}
				return false, nil
			}, "user-defined field")
		}
	}
}

// checkWebhookURLs applies the URL policy to the URLs a write sets or changes.
func (s *Service) checkWebhookURLs(ctx context.Context, e *catalog.Entity, old, row *store.Row) error {
	for _, f := range []string{"webhookUrl", "deactivationUrl"} {
		i := e.Index(f)
		v, _ := row.Values[i].(string)
		if v == "" || (old != nil && old.Values[i] == row.Values[i]) {
			continue
		}
		if err := s.WebhookPolicy.CheckURL(ctx, f, v); err != nil {
			return apperr.Invalid("%s", err.Error())
		}
	}
	return nil
}

// updateReady sets a webhook's isReady: true once one of its fields or UDFs is subscribed.
func (s *Service) updateReady(ctx context.Context, tx *store.Tx, names webhook.Names, id int64) error {
	ready := false
	for _, child := range []string{names.Fields, names.UdfFields} {
		ce, ok := s.Catalog.Entity(child)
		if !ok || child == "" || ready {
			continue
		}
		rows, err := tx.RowsWhere(ctx, ce, "webhookID", id)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if b, _ := r.Values[ce.MustIndex("isSubscribedField")].(bool); b {
				ready = true
			}
		}
	}
	he := s.Catalog.MustEntity(names.Webhooks)
	r, err := tx.Get(ctx, he, id)
	if err != nil {
		return err
	}
	i := he.MustIndex("isReady")
	if cur, _ := r.Values[i].(bool); cur == ready && r.Values[i] != nil {
		return nil
	}
	r.Values[i] = ready
	return tx.Update(ctx, he, r)
}

// afterWrite runs in the write's transaction after the row is stored (old nil on create, row
// nil on delete): the collection's AfterWrite hook, then the webhook events of the change.
func (s *Service) afterWrite(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
	if h := s.hooks[e.Name]; h != nil && h.AfterWrite != nil {
		if err := h.AfterWrite(ctx, tx, e, old, row); err != nil {
			return err
		}
	}
	if e.Object == "Webhooks" {
		return webhook.ConfigChanged(ctx, tx, s.Catalog, e.Name)
	}
	if !e.Webhooks {
		return nil
	}
	action := webhook.Update
	switch {
	case old == nil:
		action = webhook.Create
	case row == nil:
		action = webhook.Delete
	}
	a := actorFrom(ctx)
	ch := webhook.Change{Entity: e, Action: action, Old: old, New: row, PersonID: a.ResourceID, ImpersonatorID: a.ImpersonatorID}
	if webhook.NamesFor(e).UdfFields != "" {
		defs, err := s.UDFDefinitions(ctx, e)
		if err != nil {
			return err
		}
		ch.UDFNames = make(map[int64]string, len(defs))
		for _, d := range defs {
			ch.UDFNames[d.ID] = d.Name
		}
	}
	if _, err := webhook.Record(ctx, tx, s.Catalog, &s.webhookConfigs, ch); err != nil {
		return fmt.Errorf("webhook events: %w", err)
	}
	return nil
}

// committed wakes this process's webhook worker after a committed write of an entity that
// supports webhooks (other nodes find the events on their next poll).
func committed(e *catalog.Entity) {
	if e.Webhooks {
		webhook.Wake()
	}
}

// newGUID is a random (version 4) UUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// WebhookFieldPicklist reports whether field of e is the field id of a webhook's fields
// (fieldID of {X}WebhookFields, udfFieldID of {X}WebhookUdfFields): a picklist whose values are
// the entity's webhook-capable fields or UDFs, value the id and label the field's label.
func (s *Service) WebhookFieldPicklist(e *catalog.Entity, field string) bool {
	target, ok := webhook.Target(s.Catalog, e.Name)
	if !ok {
		return false
	}
	names := webhook.NamesFor(target)
	return (e.Name == names.Fields && field == "fieldID") || (e.Name == names.UdfFields && field == "udfFieldID")
}

func (s *Service) webhookFieldValues(ctx context.Context, e *catalog.Entity, field string) ([]store.PicklistValue, error) {
	target, _ := webhook.Target(s.Catalog, e.Name)
	var out []store.PicklistValue
	if field == "fieldID" {
		for i, f := range webhook.Fields(target) {
			out = append(out, store.PicklistValue{Entity: e.Name, Field: field, Value: f.ID, Label: f.Label, SortOrder: int64(i), IsActive: true, IsSystem: true})
		}
		return out, nil
	}
	defs, err := s.UDFDefinitions(ctx, target)
	if err != nil {
		return nil, err
	}
	for i, d := range defs {
		out = append(out, store.PicklistValue{Entity: e.Name, Field: field, Value: d.ID, Label: d.Name, SortOrder: int64(i), IsActive: true})
	}
	return out, nil
}
