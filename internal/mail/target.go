package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/internal/atapi"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Record is an entity as the Autotask REST API spells it: field name → value.
type Record map[string]any

// Int reads an integer field whatever its JSON or Go type; 0 when absent or null.
func (r Record) Int(field string) int64 {
	switch v := r[field].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// String reads a text field; "" when absent or null.
func (r Record) String(field string) string {
	s, _ := r[field].(string)
	return s
}

// Target is where a mailbox's ticket work goes: a local tenant through the psa services, or a
// remote Autotask-compatible tenant through its REST API. The router speaks only this, so both
// follow the same rules.
type Target interface {
	// Query returns up to max items of entity matching filter (Autotask filter JSON items).
	Query(ctx context.Context, entity string, filter []any, max int) ([]Record, error)
	// Create creates an item and returns its id.
	Create(ctx context.Context, entity string, rec Record) (int64, error)
	// ChildCreate creates an item of a child collection (e.g. Tickets/{id}/Notes).
	ChildCreate(ctx context.Context, parent string, parentID int64, child string, rec Record) (int64, error)
	// Get reads one item; nil when there is none.
	Get(ctx context.Context, entity string, id int64) (Record, error)
}

type asResourceKey struct{}

// asResource returns a context whose target calls act as resource id (0: the mailbox's own
// identity): impersonation on a remote tenant, the actor on a local one.
func asResource(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, asResourceKey{}, id)
}

func resourceFrom(ctx context.Context) int64 {
	id, _ := ctx.Value(asResourceKey{}).(int64)
	return id
}

// LocalTarget does ticket work in a tenant of this Switchboard through the psa services, as the
// tenant's administrator (resource 1) or the matched resource.
type LocalTarget struct {
	PSA      *admin.Service
	TenantID int64
}

func (t *LocalTarget) ctx(ctx context.Context) context.Context {
	rid := resourceFrom(ctx)
	if rid == 0 {
		rid = 1
	}
	return psa.WithActor(store.WithTenant(ctx, t.TenantID), psa.Actor{ResourceID: rid})
}

func (t *LocalTarget) record(e string, row *store.Row) Record {
	ent := t.PSA.Catalog.MustEntity(e)
	r := Record{}
	for i, f := range ent.Fields {
		if row.Values[i] != nil {
			r[f.Name] = row.Values[i]
		}
	}
	return r
}

// Query implements Target.
func (t *LocalTarget) Query(ctx context.Context, entity string, filter []any, max int) ([]Record, error) {
	e, ok := t.PSA.Catalog.Entity(entity)
	if !ok {
		return nil, fmt.Errorf("no entity %s", entity)
	}
	body, _ := json.Marshal(map[string]any{"filter": filter})
	req, err := query.Parse(body)
	if err != nil {
		return nil, err
	}
	rows, err := t.PSA.Query(t.ctx(ctx), e, req, nil, 0, max)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = t.record(e.Name, r)
	}
	return out, nil
}

// Create implements Target.
func (t *LocalTarget) Create(ctx context.Context, entity string, rec Record) (int64, error) {
	e, ok := t.PSA.Catalog.Entity(entity)
	if !ok {
		return 0, fmt.Errorf("no entity %s", entity)
	}
	body, _ := json.Marshal(rec)
	in, err := atapi.DecodeEntity(body, e)
	if err != nil {
		return 0, err
	}
	return t.PSA.Create(t.ctx(ctx), e, in, nil)
}

// ChildCreate implements Target.
func (t *LocalTarget) ChildCreate(ctx context.Context, parent string, parentID int64, child string, rec Record) (int64, error) {
	pe, ok := t.PSA.Catalog.Entity(parent)
	if !ok {
		return 0, fmt.Errorf("no entity %s", parent)
	}
	c, ok := pe.Child(child)
	if !ok {
		return 0, fmt.Errorf("no child %s/%s", parent, child)
	}
	e := t.PSA.Catalog.MustEntity(c.Entity)
	body, _ := json.Marshal(rec)
	in, err := atapi.DecodeEntity(body, e)
	if err != nil {
		return 0, err
	}
	return t.PSA.Create(t.ctx(ctx), e, in, &psa.Parent{Entity: pe, ID: parentID, Child: c})
}

// Get implements Target.
func (t *LocalTarget) Get(ctx context.Context, entity string, id int64) (Record, error) {
	e, ok := t.PSA.Catalog.Entity(entity)
	if !ok {
		return nil, fmt.Errorf("no entity %s", entity)
	}
	row, err := t.PSA.Get(t.ctx(ctx), e, id, nil)
	if err != nil || row == nil {
		return nil, err
	}
	return t.record(e.Name, row), nil
}

// RemoteTarget does ticket work through a connection's API user, with the public autotask
// client library — as the vendor gateways do. Every call counts against the remote tenant's
// hourly API budget, so the router spends as few as it can and none on noise.
type RemoteTarget struct {
	Client *autotask.Client
}

func (t *RemoteTarget) ctx(ctx context.Context) context.Context {
	if rid := resourceFrom(ctx); rid != 0 {
		return autotask.WithImpersonation(ctx, rid)
	}
	return ctx
}

func decodeRecord(raw json.RawMessage) (Record, error) {
	var r Record
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&r); err != nil {
		return nil, err
	}
	return r, nil
}

// Query implements Target.
func (t *RemoteTarget) Query(ctx context.Context, entity string, filter []any, max int) ([]Record, error) {
	body, _ := json.Marshal(map[string]any{"filter": filter, "MaxRecords": max})
	raw, err := t.Client.Do(ctx, "POST", entity+"/query", json.RawMessage(body))
	if err != nil {
		return nil, err
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(page.Items))
	for _, it := range page.Items {
		r, err := decodeRecord(it)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Create implements Target.
func (t *RemoteTarget) Create(ctx context.Context, entity string, rec Record) (int64, error) {
	return t.Client.Create(t.ctx(ctx), entity, map[string]any(rec))
}

// ChildCreate implements Target.
func (t *RemoteTarget) ChildCreate(ctx context.Context, parent string, parentID int64, child string, rec Record) (int64, error) {
	return t.Client.ChildCreate(t.ctx(ctx), parent, parentID, child, map[string]any(rec))
}

// Get implements Target.
func (t *RemoteTarget) Get(ctx context.Context, entity string, id int64) (Record, error) {
	raw, err := t.Client.Get(ctx, entity, id)
	if errors.Is(err, autotask.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(raw)
}
