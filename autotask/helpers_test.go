package autotask_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/autotask/internal/fakeat"
)

func newFake(t *testing.T, opts fakeat.Options) *fakeat.Server {
	t.Helper()
	f := fakeat.New(opts)
	t.Cleanup(f.Close)
	return f
}

// newClient returns a client for f with short waits, adjusted by mod.
func newClient(t *testing.T, f *fakeat.Server, mod func(*autotask.Config)) *autotask.Client {
	t.Helper()
	o := f.Options()
	cfg := autotask.Config{
		Username: o.Username, Secret: o.Secret, IntegrationCode: o.IntegrationCode,
		DiscoveryURL: f.DiscoveryURL(),
		RetryBackoff: 5 * time.Millisecond, MaxRetryWait: 2 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := autotask.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// requestsTo returns the requests whose path ends with suffix (case-insensitive).
func requestsTo(f *fakeat.Server, method, suffix string) []fakeat.Request {
	var out []fakeat.Request
	for _, r := range f.Requests() {
		if (method == "" || r.Method == method) && strings.HasSuffix(strings.ToLower(r.Path), strings.ToLower(suffix)) {
			out = append(out, r)
		}
	}
	return out
}

// failFirst answers the first n requests matching match with status, header and body.
func failFirst(n int, match func(*http.Request) bool, status int, header map[string]string, body string) func(http.ResponseWriter, *http.Request) bool {
	left := make(chan struct{}, n)
	for range n {
		left <- struct{}{}
	}
	return func(w http.ResponseWriter, r *http.Request) bool {
		if match != nil && !match(r) {
			return false
		}
		select {
		case <-left:
		default:
			return false
		}
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return true
	}
}

func seedCompanies(f *fakeat.Server, n int) {
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = map[string]any{"id": i + 1, "companyName": "Company " + itoa(i+1), "isActive": i%2 == 0}
	}
	f.Seed("Companies", items...)
}

func itoa(n int) string { return strconv.Itoa(n) }
