// Package webhook holds Switchboard's Autotask-compatible webhooks: which fields a webhook can
// subscribe to and their ids, the events written to the outbox in the transaction of a change
// (Record), the callout body and its signature, the URL policy, and the worker that delivers the
// outbox (Worker) with Autotask's retries, error log and deactivation.
package webhook

import (
	"fmt"
	"hash/crc32"
	"sort"
	"strings"
	"unicode"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Names of the webhook collections of an entity that supports callouts.
type Names struct {
	Webhooks, Fields, UdfFields, ExcludedResources string
}

// NamesFor returns the webhook collections of e (Tickets → TicketWebhooks, ...).
func NamesFor(e *catalog.Entity) Names {
	s := e.Singular
	n := Names{Webhooks: s + "Webhooks", Fields: s + "WebhookFields", ExcludedResources: s + "WebhookExcludedResources"}
	if e.HasUDFs && e.Name != "TicketNotes" {
		n.UdfFields = s + "WebhookUdfFields"
	}
	return n
}

// Target returns the entity whose changes a webhook collection (or one of its field,
// UDF-field or excluded-resource collections) is about: TicketWebhooks → Tickets.
func Target(cat *catalog.Catalog, collection string) (*catalog.Entity, bool) {
	for _, e := range cat.Entities() {
		if !e.Webhooks {
			continue
		}
		n := NamesFor(e)
		switch collection {
		case n.Webhooks, n.Fields, n.ExcludedResources:
			return e, true
		case n.UdfFields:
			if n.UdfFields != "" {
				return e, true
			}
		}
	}
	return nil, false
}

// Field is one webhook-capable field of an entity, with its id as fieldID reports it.
type Field struct {
	ID    int64
	Name  string
	Label string
	Index int // position in Entity.Fields
}

// FieldID is the stable id of a field: derived from its name, so it does not change when the
// catalog gains fields. Ids are six-digit numbers; TestFieldIDsUnique checks they never collide.
func FieldID(name string) int64 {
	return 100000 + int64(crc32.ChecksumIEEE([]byte(strings.ToLower(name)))%900000)
}

// Fields lists the webhook-capable fields of e in label order: every field of an entity that
// supports webhook callouts.
func Fields(e *catalog.Entity) []Field {
	if !e.Webhooks {
		return nil
	}
	out := make([]Field, 0, len(e.Fields))
	for i, f := range e.Fields {
		out = append(out, Field{ID: FieldID(f.Name), Name: f.Name, Label: Label(f.Name), Index: i})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}

// FieldByID finds a webhook-capable field of e by its id.
func FieldByID(e *catalog.Entity, id int64) (Field, bool) {
	for _, f := range Fields(e) {
		if f.ID == id {
			return f, true
		}
	}
	return Field{}, false
}

// Label turns a wire name into the label people read: companyID → "Company ID",
// lastActivityDate → "Last Activity Date".
func Label(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if i == 0 {
			b.WriteRune(unicode.ToUpper(r))
			continue
		}
		if unicode.IsUpper(r) && (!unicode.IsUpper(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rowFields are the fields this package reads and writes by name, per collection of a webhook
// family and on the error log. init checks them against the catalog, so that a misspelt name
// stops the program at start (and every test of the package) instead of failing a delivery;
// field reads still skip a name an entity lacks rather than index a row with -1.
var rowFields = struct {
	webhooks, fields, udfFields, excluded, errorLog []string
}{
	webhooks: []string{"isActive", "isReady", "isSubscribedToCreateEvents", "isSubscribedToUpdateEvents", "isSubscribedToDeleteEvents",
		"webhookGUID", "webhookUrl", "deactivationUrl", "secretKey"},
	fields:    []string{"webhookID", "fieldID", "isSubscribedField", "isDisplayAlwaysField"},
	udfFields: []string{"webhookID", "udfFieldID", "isSubscribedField", "isDisplayAlwaysField"},
	excluded:  []string{"webhookID", "resourceID"},
	errorLog:  []string{"accountWebhookID", "contactWebhookID", "createDateTime", "errorMessage", "payload", "sequenceNumber"},
}

func init() {
	if err := checkRowFields(catalog.Default); err != nil {
		panic(err)
	}
}

// checkRowFields is nil when every collection of every webhook family in cat, and the error
// log, has the fields of rowFields.
func checkRowFields(cat *catalog.Catalog) error {
	check := func(collection string, fields []string) error {
		if collection == "" {
			return nil
		}
		e, ok := cat.Entity(collection)
		if !ok {
			return fmt.Errorf("webhook: the catalog has no collection %s", collection)
		}
		for _, f := range fields {
			if e.Index(f) < 0 {
				return fmt.Errorf("webhook: %s has no field %q", collection, f)
			}
		}
		return nil
	}
	if err := check("WebhookEventErrorLogs", rowFields.errorLog); err != nil {
		return err
	}
	for _, e := range cat.Entities() {
		if !e.Webhooks {
			continue
		}
		n := NamesFor(e)
		for _, c := range []struct {
			collection string
			fields     []string
		}{{n.Webhooks, rowFields.webhooks}, {n.Fields, rowFields.fields}, {n.UdfFields, rowFields.udfFields}, {n.ExcludedResources, rowFields.excluded}} {
			if err := check(c.collection, c.fields); err != nil {
				return err
			}
		}
	}
	return nil
}

// valueAt is a row's value of a field named in rowFields; nil when the entity lacks it.
func valueAt(e *catalog.Entity, r *store.Row, field string) any {
	if i := e.Index(field); i >= 0 {
		return r.Values[i]
	}
	return nil
}
