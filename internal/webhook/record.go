package webhook

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// The actions of a callout.
const (
	Create      = "Create"
	Update      = "Update"
	Delete      = "Delete"
	Deactivated = "Deactivated"
)

// Change is one committed-to-be write of an entity that supports webhooks.
type Change struct {
	Entity   *catalog.Entity
	Action   string     // Create, Update or Delete
	Old, New *store.Row // Old nil on create, New nil on delete
	// PersonID is the resource that made the change; ImpersonatorID the API user acting for
	// it (0 when none). A change by either one's excluded resource fires nothing.
	PersonID, ImpersonatorID int64
	// UDFNames maps the entity's UDF definition ids (udfFieldID) to their names.
	UDFNames map[int64]string
}

// subscription is one webhook's configuration, as read in a change's transaction.
type subscription struct {
	id                 int64
	guid               string
	onCreate, onUpdate bool
	onDelete           bool
	fields             []fieldSub // catalog fields
	udfs               []udfSub
	excluded           map[int64]bool
}

type fieldSub struct {
	index                 int
	subscribed, alwaysShw bool
}

type udfSub struct {
	udfFieldID            int64
	subscribed, alwaysShw bool
}

// Cache keeps each tenant's webhook configuration of each entity between writes. Every write
// to a webhook, its fields, UDF fields or excluded resources bumps a per-tenant version in its
// transaction (ConfigChanged); Record reads the version in the change's transaction and reads
// the configuration again only when it moved, so every node sees a change at its next write.
type Cache struct{ m sync.Map }

type cacheKey struct {
	tenant     int64
	collection string
}

type cached struct {
	version int64
	subs    []*subscription // active, ready webhooks in id order
}

func versionKey(collection string) string { return "webhook-config:" + collection }

// ConfigChanged records, in tx, that the configuration of the webhooks of collection (a webhook
// collection or one of its field, UDF-field or excluded-resource collections) changed.
func ConfigChanged(ctx context.Context, tx *store.Tx, cat *catalog.Catalog, collection string) error {
	target, ok := Target(cat, collection)
	if !ok {
		return nil
	}
	_, err := tx.NextID(ctx, versionKey(NamesFor(target).Webhooks))
	return err
}

// Record writes the events of a change into the outbox, in the change's transaction: one event
// per active, ready webhook of the entity that subscribes to the action, unless the change was
// made by one of the webhook's excluded resources; an update fires only when a subscribed field
// changed. It returns the number of events written.
func Record(ctx context.Context, tx *store.Tx, cat *catalog.Catalog, cache *Cache, ch Change) (int, error) {
	names := NamesFor(ch.Entity)
	tenant, err := store.TenantFrom(ctx)
	if err != nil {
		return 0, err
	}
	version, err := tx.SequenceValue(ctx, versionKey(names.Webhooks))
	if err != nil {
		return 0, err
	}
	key := cacheKey{tenant, names.Webhooks}
	var subs []*subscription
	if c, ok := cache.m.Load(key); ok && c.(*cached).version == version {
		subs = c.(*cached).subs
	} else {
		if subs, err = loadSubscriptions(ctx, tx, cat, ch.Entity, names); err != nil {
			return 0, err
		}
		cache.m.Store(key, &cached{version: version, subs: subs})
	}
	if len(subs) == 0 {
		return 0, nil
	}
	row := ch.New
	if ch.Action == Delete {
		row = ch.Old
	}
	id := row.ID(ch.Entity)
	now := time.Now().UTC()
	n := 0
	for _, s := range subs {
		if !((ch.Action == Create && s.onCreate) || (ch.Action == Update && s.onUpdate) || (ch.Action == Delete && s.onDelete)) {
			continue
		}
		if s.excluded[ch.PersonID] || (ch.ImpersonatorID != 0 && s.excluded[ch.ImpersonatorID]) {
			continue
		}
		fields, changed := s.payloadFields(ch, row)
		if ch.Action == Update && !changed {
			continue
		}
		seq, err := tx.NextID(ctx, "webhook:"+names.Webhooks+":"+itoa(s.id))
		if err != nil {
			return n, err
		}
		p := Payload{Action: ch.Action, GUID: s.guid, EntityType: ch.Entity.Singular, ID: id, Fields: fields, EventTime: now, SequenceNumber: seq, PersonID: ch.PersonID}
		if err := tx.EnqueueWebhookEvent(ctx, names.Webhooks, s.id, seq, p.Encode(), now); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// loadSubscriptions reads the active, ready webhooks of an entity with their fields, UDF fields
// and excluded resources.
func loadSubscriptions(ctx context.Context, tx *store.Tx, cat *catalog.Catalog, target *catalog.Entity, names Names) ([]*subscription, error) {
	hooksE, ok := cat.Entity(names.Webhooks)
	if !ok {
		return nil, nil
	}
	hooks, err := tx.RowsWhere(ctx, hooksE, "", nil)
	if err != nil || len(hooks) == 0 {
		return nil, err
	}
	var list []*subscription
	subs := map[int64]*subscription{}
	for _, r := range hooks {
		if !boolAt(hooksE, r, "isActive") || !boolAt(hooksE, r, "isReady") {
			continue
		}
		s := &subscription{id: r.ID(hooksE), excluded: map[int64]bool{},
			onCreate: boolAt(hooksE, r, "isSubscribedToCreateEvents"), onUpdate: boolAt(hooksE, r, "isSubscribedToUpdateEvents"),
			onDelete: boolAt(hooksE, r, "isSubscribedToDeleteEvents")}
		s.guid, _ = valueAt(hooksE, r, "webhookGUID").(string)
		subs[s.id] = s
		list = append(list, s)
	}
	if len(list) == 0 {
		return nil, nil
	}
	byID := map[int64]int{}
	for _, f := range Fields(target) {
		byID[f.ID] = f.Index
	}
	if fe, ok := cat.Entity(names.Fields); ok {
		rows, err := tx.RowsWhere(ctx, fe, "", nil)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			s := subs[intAt(fe, r, "webhookID")]
			idx, known := byID[intAt(fe, r, "fieldID")]
			if s == nil || !known {
				continue
			}
			s.fields = append(s.fields, fieldSub{index: idx, subscribed: boolAt(fe, r, "isSubscribedField"), alwaysShw: boolAt(fe, r, "isDisplayAlwaysField")})
		}
	}
	if names.UdfFields != "" {
		if ue, ok := cat.Entity(names.UdfFields); ok {
			rows, err := tx.RowsWhere(ctx, ue, "", nil)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				if s := subs[intAt(ue, r, "webhookID")]; s != nil {
					s.udfs = append(s.udfs, udfSub{udfFieldID: intAt(ue, r, "udfFieldID"), subscribed: boolAt(ue, r, "isSubscribedField"), alwaysShw: boolAt(ue, r, "isDisplayAlwaysField")})
				}
			}
		}
	}
	if xe, ok := cat.Entity(names.ExcludedResources); ok {
		rows, err := tx.RowsWhere(ctx, xe, "", nil)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if s := subs[intAt(xe, r, "webhookID")]; s != nil {
				s.excluded[intAt(xe, r, "resourceID")] = true
			}
		}
	}
	return list, nil
}

// payloadFields are the callout's Fields: the subscribed fields that changed (all of them on a
// create) and the display-always fields; changed reports whether a subscribed field changed.
func (s *subscription) payloadFields(ch Change, row *store.Row) (map[string]any, bool) {
	out := map[string]any{}
	changed := false
	for _, f := range s.fields {
		did := ch.Action == Create || (ch.Action == Update && !sameValue(ch.Old.Values[f.index], ch.New.Values[f.index]))
		if f.subscribed && did {
			changed = true
		}
		if (f.subscribed && did) || f.alwaysShw {
			out[ch.Entity.Fields[f.index].Name] = row.Values[f.index]
		}
	}
	for _, u := range s.udfs {
		name, known := ch.UDFNames[u.udfFieldID]
		if !known { // a UDF no longer active
			continue
		}
		v := udfValue(row, name)
		did := ch.Action == Create || (ch.Action == Update && !sameUDF(udfValue(ch.Old, name), udfValue(ch.New, name)))
		if u.subscribed && did {
			changed = true
		}
		if (u.subscribed && did) || u.alwaysShw {
			out[name] = v
		}
	}
	return out, changed
}

func udfValue(r *store.Row, name string) *string {
	if r == nil || r.UDF == nil {
		return nil
	}
	return r.UDF[name]
}

func sameUDF(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}

func boolAt(e *catalog.Entity, r *store.Row, field string) bool {
	b, _ := valueAt(e, r, field).(bool)
	return b
}

func intAt(e *catalog.Entity, r *store.Row, field string) int64 {
	n, _ := valueAt(e, r, field).(int64)
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
