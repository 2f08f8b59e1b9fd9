package atapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/limits"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// benchEnv is a Switchboard whose API limits count every request but never slow one down or
// refuse it: the highest hourly threshold, and as many threads as the benchmark runs.
func benchEnv(b *testing.B, demo bool) *testsupport.Env {
	cfg := limits.DefaultConfig()
	cfg.ThreadLimit = 1 << 20
	env := testsupport.StartWith(b, testsupport.SQLite, demo, server.Options{Limits: &cfg})
	n := int64(psa.MaxAPIThreshold)
	if _, err := env.PSA.ChangeSettings(env.Ctx(), admin.SettingsChange{APIThreshold: &n}); err != nil {
		b.Fatal(err)
	}
	return env
}

// BenchmarkGetTicket is GET /Tickets/{id} through the whole handler (auth, store, encoding),
// without the network; BenchmarkBareHandler writes the same bytes from a bare handler.
func BenchmarkGetTicket(b *testing.B) {
	env := benchEnv(b, true)
	h := env.Server.Config.Handler
	req := func(id int) *http.Request {
		r := httptest.NewRequest("GET", "/ATServicesRest/V1.0/Tickets/"+strconv.Itoa(id), nil)
		r.Header.Set("UserName", env.Creds.Username)
		r.Header.Set("Secret", env.Creds.Secret)
		r.Header.Set("ApiIntegrationCode", env.Creds.IntegrationCode)
		return r
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req(1+i%6))
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
			i++
		}
	})
}

func BenchmarkBareHandler(b *testing.B) {
	env := testsupport.Start(b, testsupport.SQLite, true)
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/ATServicesRest/V1.0/Tickets/1", nil)
	r.Header.Set("UserName", env.Creds.Username)
	r.Header.Set("Secret", env.Creds.Secret)
	r.Header.Set("ApiIntegrationCode", env.Creds.IntegrationCode)
	env.Server.Config.Handler.ServeHTTP(w, r)
	body := w.Body.Bytes()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
		}
	})
}

// BenchmarkQueryTickets is the query route, GET /Tickets/query?search=..., a page of the demo
// tickets through the whole handler: the envelope with items and pageDetails.
func BenchmarkQueryTickets(b *testing.B) {
	env := benchEnv(b, true)
	h := env.Server.Config.Handler
	search := url.QueryEscape(`{"filter":[{"op":"gte","field":"id","value":0}],"MaxRecords":10}`)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/ATServicesRest/V1.0/Tickets/query?search="+search, nil)
			r.Header.Set("UserName", env.Creds.Username)
			r.Header.Set("Secret", env.Creds.Secret)
			r.Header.Set("ApiIntegrationCode", env.Creds.IntegrationCode)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}
