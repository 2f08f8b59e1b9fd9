package atapi_test

import (
	"fmt"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestPaging follows nextPageUrl through every page the three ways clients do: GET, POST with
// the original body, POST with no body. Every row must come exactly once, in id order, in
// exactly the pages needed, and the last page must have no next URL.
func TestPaging(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, false)
			e := env.PSA.Catalog.MustEntity("Companies")
			const n = 1234
			for i := 0; i < n; i++ {
				in := psa.NewInput()
				in.Set[e.Index("companyName")] = fmt.Sprintf("Company %04d", i)
				in.Set[e.Index("companyType")] = int64(1 + i%2)
				in.Set[e.Index("phone")] = "555"
				in.Set[e.Index("ownerResourceID")] = int64(1)
				if _, err := env.PSA.Create(env.Ctx(), e, in, nil); err != nil {
					t.Fatal(err)
				}
			}
			body := `{"filter":[{"op":"eq","field":"companyType","value":1}],"MaxRecords":100,"IncludeFields":["companyName"]}`
			want := n / 2 // companyType 1; company 0 has type 1 too
			want++
			for _, mode := range []string{"GET", "POST with body", "POST without body"} {
				first := call{Method: "POST", Path: v1 + "/Companies/query", Body: body}
				if mode == "GET" {
					first = call{Method: "GET", Path: v1 + "/Companies/query?search=" + esc(body)}
				}
				r := do(t, env, first)
				seen := map[float64]bool{}
				last := -1.0
				pages := 0
				for {
					pages++
					if r.Status != 200 {
						t.Fatalf("%s: page %d: %d %s", mode, pages, r.Status, r.Body)
					}
					m := r.json(t)
					for _, it := range m["items"].([]any) {
						id := it.(map[string]any)["id"].(float64)
						if seen[id] || id <= last {
							t.Fatalf("%s: id %v repeated or out of order after %v", mode, id, last)
						}
						seen[id], last = true, id
					}
					next, _ := m["pageDetails"].(map[string]any)["nextPageUrl"].(string)
					if next == "" {
						break
					}
					switch mode {
					case "GET":
						r = do(t, env, call{Method: "GET", URL: next})
					case "POST with body":
						r = do(t, env, call{Method: "POST", URL: next, Body: body})
					default:
						r = do(t, env, call{Method: "POST", URL: next})
					}
				}
				if len(seen) != want {
					t.Errorf("%s: got %d rows, want %d", mode, len(seen), want)
				}
				if wantPages := (want + 99) / 100; pages != wantPages {
					t.Errorf("%s: took %d pages, want %d", mode, pages, wantPages)
				}
			}
		})
	}
}
