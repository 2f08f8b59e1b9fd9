package atapi_test

import (
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestCatalogWalk calls every verb of every collection and child collection: the ones the
// catalog lists must answer (neither 404 nor 405), the others must answer Autotask's 405.
func TestCatalogWalk(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, false)
			verbCalls := func(base string, id string, child bool) map[catalog.Verb]call {
				m := map[catalog.Verb]call{
					catalog.Get:     {Method: "GET", Path: base + "/" + id},
					catalog.Create:  {Method: "POST", Path: base, Body: `{}`},
					catalog.Update:  {Method: "PATCH", Path: base, Body: `{"id":987654}`},
					catalog.Replace: {Method: "PUT", Path: base, Body: `{"id":987654}`},
					catalog.Delete:  {Method: "DELETE", Path: base + "/" + id},
				}
				if child {
					m[catalog.List] = call{Method: "GET", Path: base}
				} else {
					m[catalog.Query] = call{Method: "POST", Path: base + "/query", Body: `{"filter":[{"op":"exist","field":"id"}]}`}
					m[catalog.Count] = call{Method: "POST", Path: base + "/query/count", Body: `{"filter":[{"op":"exist","field":"id"}]}`}
				}
				return m
			}
			check := func(name string, verbs catalog.Verb, calls map[catalog.Verb]call, udfs bool, meta string) {
				for v, c := range calls {
					r := do(t, env, c)
					if verbs.Has(v) {
						if r.Status == 404 || r.Status == 405 {
							t.Errorf("%s: %s %s answered %d %s", name, c.Method, c.Path, r.Status, r.Body)
						}
						continue
					}
					want := `{"Message":"The requested resource does not support http method '` + c.Method + `'."}`
					if r.Status != 405 || strings.TrimSpace(string(r.Body)) != want {
						t.Errorf("%s: unlisted %s %s answered %d %s", name, c.Method, c.Path, r.Status, r.Body)
					}
				}
				paths := []string{meta + "/entityInformation", meta + "/entityInformation/fields"}
				if udfs {
					paths = append(paths, meta+"/entityInformation/userDefinedFields")
				}
				for _, p := range paths {
					if r := do(t, env, call{Method: "GET", Path: p}); r.Status != 200 {
						t.Errorf("%s: GET %s answered %d %s", name, p, r.Status, r.Body)
					}
				}
			}
			for _, e := range env.PSA.Catalog.Entities() {
				base := v1 + "/" + e.Name
				if e.Verbs != 0 && e.Stored {
					check(e.Name, e.Verbs, verbCalls(base, "1", false), e.HasUDFs, base)
				}
				for _, c := range e.Children {
					cbase := base + "/1/" + c.Name
					check(e.Name+"/"+c.Name, c.Verbs, verbCalls(cbase, "1", true), true, cbase)
				}
			}
		})
	}
}
