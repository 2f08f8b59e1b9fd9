package autotask_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/autotask/internal/fakeat"
)

// TestAllConcurrent iterates 2,345 companies (5 pages) from several goroutines at once: each
// must see every row exactly once and in id order, and the server must never see more than 3
// requests in flight on the collection.
func TestAllConcurrent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		goroutines int
		query      *autotask.Query
		wantRows   int
		wantPages  int
	}{
		{name: "one iterator, nil query", goroutines: 1, query: nil, wantRows: 2345, wantPages: 5},
		{name: "eight iterators", goroutines: 8, query: autotask.NewQuery(autotask.Gte("id", 0)), wantRows: 2345, wantPages: 5},
		{name: "filtered, small pages", goroutines: 4, query: autotask.NewQuery(autotask.Eq("isActive", true)).Limit(200), wantRows: 1173, wantPages: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, fakeat.Options{Latency: 2 * time.Millisecond})
			seedCompanies(f, 2345)
			c := newClient(t, f, nil)
			ctx := context.Background()
			var wg sync.WaitGroup
			for g := range tt.goroutines {
				wg.Go(func() {
					var ids []int64
					for co, err := range autotask.AllAs[autotask.Company](ctx, c, "Companies", tt.query) {
						if err != nil {
							t.Errorf("goroutine %d: %v", g, err)
							return
						}
						ids = append(ids, autotask.Value(co.ID))
					}
					if len(ids) != tt.wantRows {
						t.Errorf("goroutine %d: %d rows, want %d", g, len(ids), tt.wantRows)
					}
					for i := 1; i < len(ids); i++ {
						if ids[i] <= ids[i-1] {
							t.Errorf("goroutine %d: id %d after %d (repeated or out of order)", g, ids[i], ids[i-1])
							return
						}
					}
				})
			}
			wg.Wait()
			if m := f.MaxInFlight("Companies"); m > 3 {
				t.Fatalf("server saw %d requests in flight on Companies, want at most 3", m)
			}
			first := requestsTo(f, http.MethodPost, "/Companies/query")
			next := requestsTo(f, "", "/Companies/query/next")
			if len(first) != tt.goroutines || len(first)+len(next) != tt.goroutines*tt.wantPages {
				t.Fatalf("%d first pages and %d next pages, want %d pages per iterator", len(first), len(next), tt.wantPages)
			}
			// Every next page: POST, with the original body and the credentials.
			for _, r := range next {
				if r.Method != http.MethodPost || !bytes.Equal(r.Body, first[0].Body) {
					t.Fatalf("next page: %s with body %s, want POST with %s", r.Method, r.Body, first[0].Body)
				}
				if r.Header.Get("Secret") != f.Options().Secret {
					t.Fatal("next page on the zone host sent without credentials")
				}
				if !strings.Contains(r.RawQuery, "paging=") {
					t.Fatalf("next page URL lost its paging state: %s", r.RawQuery)
				}
			}
		})
	}
}

// TestAllForeignNextPage: a nextPageUrl on another host is followed without credentials.
func TestAllForeignNextPage(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	seedCompanies(f, 1200)
	var mu sync.Mutex
	var leaked []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		for _, h := range []string{"Secret", "UserName", "ApiIntegrationCode"} {
			if r.Header.Get(h) != "" {
				leaked = append(leaked, h)
			}
		}
		mu.Unlock()
		// Serve as if the URL itself were authorised.
		o := f.Options()
		r.Header.Set("UserName", o.Username)
		r.Header.Set("Secret", o.Secret)
		r.Header.Set("ApiIntegrationCode", o.IntegrationCode)
		f.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(other.Close)
	f.SetNextPageBase(other.URL + "/ATServicesRest/")
	c := newClient(t, f, nil)
	n := 0
	for _, err := range c.All(context.Background(), "Companies", nil) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1200 {
		t.Fatalf("%d rows, want 1200", n)
	}
	if len(leaked) > 0 {
		t.Fatalf("credentials sent to a foreign host: %v", leaked)
	}
	if first := requestsTo(f, http.MethodPost, "/Companies/query"); len(first) != 1 || first[0].Header.Get("Secret") == "" {
		t.Fatal("the first page went without credentials")
	}
}

func TestAllStopsEarly(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	seedCompanies(f, 1500)
	c := newClient(t, f, nil)
	n := 0
	for _, err := range c.All(context.Background(), "Companies", nil) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 10 {
			break
		}
	}
	if q := len(requestsTo(f, "", "/query")) + len(requestsTo(f, "", "/query/next")); q != 1 {
		t.Fatalf("%d page requests after breaking on the first page, want 1", q)
	}
}

func TestAllRepeatedNextPageURL(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	// A broken server that always points at the same next page.
	f.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.Contains(strings.ToLower(r.URL.Path), "/query") {
			return false
		}
		next := f.BaseURL() + "V1.0/Companies/query/next?paging=same"
		b, _ := json.Marshal(map[string]any{"items": []any{map[string]any{"id": 1}}, "pageDetails": map[string]any{"count": 1, "requestCount": 500, "nextPageUrl": next}})
		_, _ = w.Write(b)
		return true
	})
	c := newClient(t, f, nil)
	var rows int
	var lastErr error
	for _, err := range c.All(context.Background(), "Companies", nil) {
		if err != nil {
			lastErr = err
			break
		}
		rows++
	}
	if lastErr == nil || !strings.Contains(lastErr.Error(), "twice") || rows != 2 {
		t.Fatalf("rows = %d, err = %v; want the loop detected after 2 pages", rows, lastErr)
	}
}

func TestQueryAndNextPage(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	seedCompanies(f, 250)
	c := newClient(t, f, nil)
	ctx := context.Background()
	q := autotask.NewQuery(autotask.Contains("companyName", "company")).Include("companyName").Limit(100)
	items, pd, err := autotask.QueryAs[autotask.Company](ctx, c, "Companies", q)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 100 || pd.Count != 100 || pd.RequestCount != 100 || pd.NextPageURL == "" || items[0].IsActive != nil {
		t.Fatalf("first page: %d items, %+v, first %+v", len(items), pd, items[0])
	}
	p, err := c.Query(ctx, "Companies", q)
	if err != nil {
		t.Fatal(err)
	}
	total := len(p.Items)
	for p.PageDetails.NextPageURL != "" {
		if p, err = c.NextPage(ctx, p); err != nil {
			t.Fatal(err)
		}
		total += len(p.Items)
	}
	if total != 250 {
		t.Fatalf("%d rows over the pages, want 250", total)
	}
	if p, err := c.NextPage(ctx, p); p != nil || err != nil {
		t.Fatalf("NextPage after the last = %v, %v", p, err)
	}
}

func TestQueryServerValidation(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	c := newClient(t, f, nil)
	// Refused before sending.
	if _, err := c.Query(context.Background(), "Companies", autotask.NewQuery().Limit(501)); err == nil {
		t.Fatal("MaxRecords 501 accepted")
	}
	if n := len(requestsTo(f, "", "/query")); n != 0 {
		t.Fatalf("%d requests sent for an invalid query", n)
	}
}
