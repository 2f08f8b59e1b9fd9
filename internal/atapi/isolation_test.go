package atapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// foreignID is the id of the rows the other tenant holds: no row of the caller's tenant has it.
const foreignID = 900001

// R9: tenant isolation. Another tenant holds a row in every stored collection (every reference
// pointing at its own rows of that id); the caller uses those ids on every endpoint: get, query,
// count, update, replace, delete, child lists, child gets, child creates, child updates and
// deletes, impersonation. Nothing of the other tenant is returned, and afterwards the other
// tenant's data is exactly as it was.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			svc := env.PSA
			other, err := svc.CreateTenant(env.Ctx(), "Other "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			octx := psa.WithActor(store.WithTenant(env.Ctx(), other.ID), psa.SystemActor)
			if err := svc.SeedDemo(octx); err != nil {
				t.Fatal(err)
			}
			// A row of every stored collection, written as the store writes it.
			err = svc.DB.InTx(octx, func(tx *store.Tx) error {
				for _, e := range svc.Catalog.Entities() {
					if !e.Stored || e.Index("id") < 0 {
						continue
					}
					row := store.NewRow(e)
					for i, f := range e.Fields {
						switch {
						case f.Name == "id" || (f.Type.IsInteger() && (f.Reference != "" || strings.HasSuffix(f.Name, "ID"))):
							row.Values[i] = int64(foreignID)
						case f.Type == catalog.String:
							row.Values[i] = "other tenant's " + f.Name
						}
					}
					if err := tx.Insert(octx, e, row); err != nil {
						return fmt.Errorf("%s: %w", e.Name, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, svc, octx)

			leak := func(what string, r reply) {
				t.Helper()
				if strings.Contains(string(r.Body), "other tenant's") {
					t.Errorf("%s returned the other tenant's data: %s", what, r.Body)
				}
			}
			refused := func(what string, r reply) {
				t.Helper()
				leak(what, r)
				if r.Status == 200 {
					t.Errorf("%s succeeded: %s", what, r.Body)
				}
			}
			id := fmt.Sprint(foreignID)
			for _, e := range svc.Catalog.Entities() {
				if !e.Stored {
					continue
				}
				base := v1 + "/" + e.Name
				if e.Verbs.Has(catalog.Get) {
					r := do(t, env, call{Method: "GET", Path: base + "/" + id})
					if strings.TrimSpace(string(r.Body)) != `{"item":null}` {
						t.Errorf("GET %s/%s: %d %s", e.Name, id, r.Status, r.Body)
					}
				}
				filter := `{"filter":[{"op":"eq","field":"id","value":` + id + `}]}`
				if e.Verbs.Has(catalog.Query) {
					r := do(t, env, call{Method: "POST", Path: base + "/query", Body: filter})
					leak(e.Name+" query", r)
					if !strings.Contains(string(r.Body), `"items":[]`) {
						t.Errorf("query %s: %d %s", e.Name, r.Status, r.Body)
					}
				}
				if e.Verbs.Has(catalog.Count) {
					if r := do(t, env, call{Method: "POST", Path: base + "/query/count", Body: filter}); strings.TrimSpace(string(r.Body)) != `{"queryCount":0}` {
						t.Errorf("count %s: %d %s", e.Name, r.Status, r.Body)
					}
				}
				body := `{"id":` + id + `}`
				if e.Verbs.Has(catalog.Update) {
					refused("PATCH "+e.Name, do(t, env, call{Method: "PATCH", Path: base, Body: body}))
					refused("PATCH "+e.Name+"/id", do(t, env, call{Method: "PATCH", Path: base + "/" + id, Body: `{}`}))
				}
				if e.Verbs.Has(catalog.Replace) {
					refused("PUT "+e.Name, do(t, env, call{Method: "PUT", Path: base, Body: body}))
				}
				if e.Verbs.Has(catalog.Delete) {
					refused("DELETE "+e.Name, do(t, env, call{Method: "DELETE", Path: base + "/" + id}))
				}
				for _, c := range e.Children {
					child := base + "/" + id + "/" + c.Name
					if c.Verbs.Has(catalog.List) {
						r := do(t, env, call{Method: "GET", Path: child})
						leak("list "+child, r)
						if r.Status == 200 && !strings.Contains(string(r.Body), `"items":[]`) {
							t.Errorf("GET %s: %s", child, r.Body)
						}
					}
					if c.Verbs.Has(catalog.Get) {
						if r := do(t, env, call{Method: "GET", Path: child + "/" + id}); strings.TrimSpace(string(r.Body)) != `{"item":null}` && r.Status == 200 {
							t.Errorf("GET %s/%s: %s", child, id, r.Body)
						}
					}
					if c.Verbs.Has(catalog.Create) {
						refused("POST "+child, do(t, env, call{Method: "POST", Path: child, Body: `{}`}))
					}
					if c.Verbs.Has(catalog.Update) {
						refused("PATCH "+child, do(t, env, call{Method: "PATCH", Path: child, Body: body}))
					}
					if c.Verbs.Has(catalog.Delete) {
						refused("DELETE "+child, do(t, env, call{Method: "DELETE", Path: child + "/" + id}))
					}
				}
			}
			// Impersonating the other tenant's administrator or its rows' resource.
			for _, rid := range []string{"1", id} {
				r := do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":0,"title":"x","status":1,"priority":2}`,
					Headers: map[string]string{"ImpersonationResourceId": rid}})
				if rid == id {
					refused("impersonating the other tenant's resource", r)
				}
			}
			// A reference to the other tenant's row is no reference.
			refused("a ticket of the other tenant's company", do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":` + id + `,"title":"x","status":1,"priority":2}`}))

			after := snapshot(t, svc, octx)
			for name, rows := range before {
				if after[name] != rows {
					t.Errorf("the other tenant's %s changed:\nbefore %s\nafter  %s", name, rows, after[name])
				}
			}
		})
	}
}

// snapshot is every row of a tenant, by collection, as JSON.
func snapshot(t *testing.T, svc *admin.Service, ctx context.Context) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range svc.Catalog.Entities() {
		if !e.Stored || e.Index("id") < 0 {
			continue
		}
		rows, err := svc.Query(ctx, e, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "exist", Field: "id"}}}, nil, -1, 10000)
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		b, _ := json.Marshal(rows)
		out[e.Name] = string(b)
	}
	return out
}
