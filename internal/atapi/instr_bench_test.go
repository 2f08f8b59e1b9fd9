package atapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
)

// BenchmarkGetTicketSerial is P1 in process, one request after another, made for counting
// instructions: every request goes through serveOneGet, which callgrind collects alone.
//
//	go test -c -o /tmp/atapi.test ./internal/atapi
//	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --toggle-collect='*serveOneGet' \
//	  /tmp/atapi.test -test.run XXX -test.bench GetTicketSerial -test.benchtime 2000x -test.cpu 1
//
// Ir collected / calls of serveOneGet (callgrind_annotate shows both) is the count a request.
func BenchmarkGetTicketSerial(b *testing.B) {
	env := benchEnv(b, true)
	h := env.Server.Config.Handler
	reqs := make([]*http.Request, 6)
	for i := range reqs {
		r := httptest.NewRequest("GET", "/ATServicesRest/V1.0/Tickets/"+strconv.Itoa(i+1), nil)
		r.Header.Set("UserName", env.Creds.Username)
		r.Header.Set("Secret", env.Creds.Secret)
		r.Header.Set("ApiIntegrationCode", env.Creds.IntegrationCode)
		reqs[i] = r
		// warm: credentials verified and cached, statements prepared, outside the count
		if w := httptest.NewRecorder(); func() int { h.ServeHTTP(w, r); return w.Code }() != 200 {
			b.Fatalf("warm-up: status %d", w.Code)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := serveOneGet(h, reqs[i%len(reqs)]); code != 200 {
			b.Fatalf("status %d", code)
		}
	}
}

// serveOneGet gives the request a context that can be cancelled, as net/http's server does for
// every request it reads (httptest.NewRequest's cannot), so the count includes what a driver
// does to watch for cancellation.
//
//go:noinline
func serveOneGet(h http.Handler, r *http.Request) int {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r.WithContext(ctx))
	return w.Code
}

// BenchmarkQueryTicketsSerial is the query route counted the same way: a page of ten demo
// tickets, GET /Tickets/query?search=..., through serveOneGet.
func BenchmarkQueryTicketsSerial(b *testing.B) {
	env := benchEnv(b, true)
	h := env.Server.Config.Handler
	r := httptest.NewRequest("GET", "/ATServicesRest/V1.0/Tickets/query?search="+
		url.QueryEscape(`{"filter":[{"op":"gte","field":"id","value":0}],"MaxRecords":10}`), nil)
	r.Header.Set("UserName", env.Creds.Username)
	r.Header.Set("Secret", env.Creds.Secret)
	r.Header.Set("ApiIntegrationCode", env.Creds.IntegrationCode)
	if code := serveOneGet(h, r); code != 200 {
		b.Fatalf("warm-up: status %d", code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := serveOneGet(h, r); code != 200 {
			b.Fatalf("status %d", code)
		}
	}
}
