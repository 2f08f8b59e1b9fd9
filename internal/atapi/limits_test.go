package atapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/limits"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

type limReply struct {
	status int
	header http.Header
	body   string
	took   time.Duration
}

func limGet(t *testing.T, base string, c *admin.APIUserCredentials, path string) limReply {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	if c != nil {
		req.Header.Set("UserName", c.Username)
		req.Header.Set("Secret", c.Secret)
		req.Header.Set("ApiIntegrationCode", c.IntegrationCode)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return limReply{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return limReply{status: resp.StatusCode, header: resp.Header, body: string(b), took: time.Since(start)}
}

type thresholdInfo struct {
	ExternalRequestThreshold     int64
	RequestThresholdTimeframe    int64
	CurrentTimeframeRequestCount int64
}

func threshold(t *testing.T, r limReply) thresholdInfo {
	t.Helper()
	var ti thresholdInfo
	if r.status != 200 || json.Unmarshal([]byte(r.body), &ti) != nil {
		t.Fatalf("ThresholdInformation: %d %s", r.status, r.body)
	}
	return ti
}

func setThreshold(t *testing.T, svc *admin.Service, ctx context.Context, n int64) {
	t.Helper()
	if _, err := svc.ChangeSettings(ctx, admin.SettingsChange{APIThreshold: &n}); err != nil {
		t.Fatal(err)
	}
}

// TestHourlyThreshold drives a tenant past 50%, 75% and 100% of a small threshold:
// ThresholdInformation counts itself and agrees with the added latency, and at 100% every
// request is answered 429 with Retry-After until the hour frees; the administrators get a notice
// per tier.
func TestHourlyThreshold(t *testing.T) {
	const lat50, lat75 = 300 * time.Millisecond, 700 * time.Millisecond
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := testsupport.StartWith(t, b, false, server.Options{Limits: &limits.Config{Latency50: lat50, Latency75: lat75, ThreadLimit: 3}})
			setThreshold(t, env.PSA, env.Ctx(), 8)
			for i := int64(1); i <= 8; i++ {
				r := limGet(t, env.Server.URL, env.Creds, "/ATServicesRest/V1.0/ThresholdInformation")
				ti := threshold(t, r)
				if ti.CurrentTimeframeRequestCount != i || ti.ExternalRequestThreshold != 8 || ti.RequestThresholdTimeframe != 60 {
					t.Fatalf("call %d: %+v", i, ti)
				}
				switch {
				case i <= 4: // up to 50%: no latency (the first call also verifies the secret: argon2id)
					if i > 1 && r.took >= lat50 {
						t.Errorf("call %d (%d/8) took %v: latency below 50%%", i, i, r.took)
					}
				case i <= 6: // above 50%
					if r.took < lat50 || r.took >= lat75 {
						t.Errorf("call %d (%d/8) took %v, want the 50%% latency %v", i, i, r.took, lat50)
					}
				default: // above 75%
					if r.took < lat75 {
						t.Errorf("call %d (%d/8) took %v, want the 75%% latency %v", i, i, r.took, lat75)
					}
				}
			}
			for _, path := range []string{"/ATServicesRest/V1.0/ThresholdInformation", "/ATServicesRest/V1.0/Companies/0"} {
				r := limGet(t, env.Server.URL, env.Creds, path)
				if r.status != http.StatusTooManyRequests {
					t.Fatalf("%s at 100%%: %d %s", path, r.status, r.body)
				}
				ra, err := strconv.Atoi(r.header.Get("Retry-After"))
				if err != nil || ra < 3400 || ra > 3600 { // the first request leaves the window ≈ an hour after it was made
					t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
				}
				var e struct{ Errors []string }
				if json.Unmarshal([]byte(r.body), &e) != nil || len(e.Errors) != 1 || !strings.Contains(e.Errors[0], "threshold") {
					t.Errorf("429 body %s", r.body)
				}
			}
			if n := env.Parts.Limits.InWindow(env.Tenant.ID); n != 8 {
				t.Errorf("refused requests were counted: %d in the window", n)
			}
			// Zone and version discovery are not counted and not refused.
			if r := limGet(t, env.Server.URL, nil, "/ATServicesRest/V1.0/ZoneInformation?user="+env.Creds.Username); r.status != 200 {
				t.Errorf("zone discovery at 100%%: %d", r.status)
			}
			if r := limGet(t, env.Server.URL, nil, "/ATServicesRest/VersionInformation"); r.status != 200 {
				t.Errorf("version discovery at 100%%: %d", r.status)
			}
			// Raising the threshold serves again at once, and the count goes on.
			setThreshold(t, env.PSA, env.Ctx(), 100)
			if ti := threshold(t, limGet(t, env.Server.URL, env.Creds, "/ATServicesRest/V1.0/ThresholdInformation")); ti.CurrentTimeframeRequestCount != 9 || ti.ExternalRequestThreshold != 100 {
				t.Errorf("after raising the threshold: %+v", ti)
			}
			// One notice per tier crossed, for the administrators.
			deadline := time.Now().Add(10 * time.Second)
			for {
				list, err := env.PSA.ThresholdNotices(env.Ctx(), 2)
				if err != nil {
					t.Fatal(err)
				}
				var tiers []int64
				for _, n := range list {
					tiers = append(tiers, n.Tier)
				}
				if len(tiers) == 3 && tiers[0]+tiers[1]+tiers[2] == 225 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("notices %+v, want 50, 75 and 100", list)
				}
				time.Sleep(50 * time.Millisecond)
			}
			// Usage by hour per identifier and API user, once the server has stored it.
			if err := env.Parts.FlushUsage(context.Background()); err != nil {
				t.Fatal(err)
			}
			usage, err := env.PSA.UsageByHour(env.Ctx(), 1)
			if err != nil || len(usage) != 1 || usage[0].Requests != 9 || usage[0].Code != env.Creds.IntegrationCode || usage[0].Username != strings.ToLower(env.Creds.Username) {
				t.Errorf("usage %+v %v", usage, err)
			}
		})
	}
}

// concurrent makes n calls at once and returns their replies.
func concurrent(t *testing.T, base string, c *admin.APIUserCredentials, path string, n int) []limReply {
	var wg sync.WaitGroup
	out := make([]limReply, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = limGet(t, base, c, path)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func countStatus(list []limReply) (ok, refused int, other []limReply) {
	for _, r := range list {
		switch {
		case r.status == 200:
			ok++
		case r.status == http.StatusTooManyRequests && strings.Contains(r.body, "thread threshold of 3 threads") && r.header.Get("Retry-After") == "":
			refused++
		default:
			other = append(other, r)
		}
	}
	return
}

// TestThreadLimit: 10 concurrent calls of one identifier on one collection while each holds its
// thread (the latency above 50%): 3 are served, 7 refused at once. ThresholdInformation is
// limited too; zone and version discovery are not.
func TestThreadLimit(t *testing.T) {
	const hold = 1500 * time.Millisecond
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := testsupport.StartWith(t, b, false, server.Options{Limits: &limits.Config{Latency50: hold, Latency75: hold, ThreadLimit: 3}})
			setThreshold(t, env.PSA, env.Ctx(), 30)
			for range 15 { // up to 50%: no latency
				if r := limGet(t, env.Server.URL, env.Creds, "/ATServicesRest/V1.0/Companies/0"); r.status != 200 {
					t.Fatalf("%d %s", r.status, r.body)
				}
			}
			var disc []limReply
			done := make(chan struct{})
			go func() {
				defer close(done)
				time.Sleep(hold / 3) // while three calls hold their threads
				disc = concurrent(t, env.Server.URL, nil, "/ATServicesRest/V1.0/ZoneInformation?user="+env.Creds.Username, 5)
				disc = append(disc, concurrent(t, env.Server.URL, nil, "/ATServicesRest/VersionInformation", 5)...)
			}()
			ok, refused, other := countStatus(concurrent(t, env.Server.URL, env.Creds, "/ATServicesRest/V1.0/Companies/0", 10))
			if ok != 3 || refused != 7 || len(other) != 0 {
				t.Fatalf("10 concurrent calls: %d served, %d refused, others %+v; want 3 and 7", ok, refused, other)
			}
			<-done
			if ok, _, _ := countStatus(disc); ok != 10 {
				t.Errorf("zone and version discovery under the thread limit: %+v", disc)
			}
			ok, refused, other = countStatus(concurrent(t, env.Server.URL, env.Creds, "/ATServicesRest/V1.0/ThresholdInformation", 4))
			if ok != 3 || refused != 1 || len(other) != 0 {
				t.Fatalf("4 concurrent ThresholdInformation: %d served, %d refused, %+v", ok, refused, other)
			}
			// Refused calls were not counted: 15 + 3 + 3 + this one.
			if ti := threshold(t, limGet(t, env.Server.URL, env.Creds, "/ATServicesRest/V1.0/ThresholdInformation")); ti.CurrentTimeframeRequestCount != 22 {
				t.Errorf("count %d, want 22", ti.CurrentTimeframeRequestCount)
			}
		})
	}
}

// node is one more Switchboard on the database of svc, counting its limits in shared.
func node(t *testing.T, svc *admin.Service, cfg limits.Config, shared limits.Shared) (*httptest.Server, *server.Parts) {
	cfg.Shared, cfg.SyncInterval = shared, 50*time.Millisecond
	h, parts := server.New(svc, server.Options{Version: "test", Limits: &cfg, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); parts.Limits.Run(ctx) }()
	t.Cleanup(func() { srv.Close(); cancel(); <-stopped; shared.Close() })
	return srv, parts
}

// TestSharedBudget: two server instances on one PostgreSQL database (or one Redis) share the
// tenant's hourly budget and its thread limit.
func TestSharedBudget(t *testing.T) {
	dsn := testsupport.FreshPostgres(t)
	db, err := store.Open(context.Background(), dsn, catalog.Default)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := admin.New(db)
	prefix := "switchboard-test-" + testsupport.RandomHex(6) + ":"
	backends := map[string]func(t *testing.T) limits.Shared{
		"postgres": func(t *testing.T) limits.Shared {
			pg, err := limits.OpenPostgres(dsn)
			if err != nil {
				t.Fatal(err)
			}
			return pg
		},
		"redis": func(t *testing.T) limits.Shared {
			url := "redis://127.0.0.1:6379/0"
			rd, err := limits.OpenRedis(url)
			if err != nil {
				t.Fatal(err)
			}
			rd.Prefix = prefix
			if _, _, err := rd.Acquire(context.Background(), "ping", 1); err != nil {
				t.Skipf("Redis tests skipped: no Redis at %s (%v)", url, err)
			}
			return rd
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			tenant, err := svc.CreateTenant(context.Background(), "Shared "+name+" "+testsupport.RandomHex(3), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.SystemActor)
			creds, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{FirstName: "Shared", LastName: "Budget"})
			if err != nil {
				t.Fatal(err)
			}
			setThreshold(t, svc, ctx, 10)
			fast := limits.Config{ThreadLimit: 3}
			a, pa := node(t, svc, fast, open(t))
			bsrv, pb := node(t, svc, fast, open(t))
			// syncNow does at once what each node's sync loop does every 50 ms, so the test does
			// not depend on a loop having run within a sleep on a loaded machine.
			syncNow := func(nodes ...*server.Parts) {
				for _, p := range nodes {
					if err := p.Limits.Sync(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
			}
			for range 6 {
				if r := limGet(t, a.URL, creds, "/ATServicesRest/V1.0/Companies/0"); r.status != 200 {
					t.Fatalf("node A: %d %s", r.status, r.body)
				}
			}
			syncNow(pa)
			if ti := threshold(t, limGet(t, bsrv.URL, creds, "/ATServicesRest/V1.0/ThresholdInformation")); ti.CurrentTimeframeRequestCount != 7 {
				t.Fatalf("node B sees %d requests, want A's 6 and its own", ti.CurrentTimeframeRequestCount)
			}
			for i := 8; i <= 10; i++ {
				if r := limGet(t, bsrv.URL, creds, "/ATServicesRest/V1.0/Companies/0"); r.status != 200 {
					t.Fatalf("node B, request %d of 10: %d %s", i, r.status, r.body)
				}
			}
			if r := limGet(t, bsrv.URL, creds, "/ATServicesRest/V1.0/Companies/0"); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
				t.Fatalf("node B, request 11 of 10: %d %s", r.status, r.body)
			}
			syncNow(pb, pa)
			if r := limGet(t, a.URL, creds, "/ATServicesRest/V1.0/Companies/0"); r.status != http.StatusTooManyRequests {
				t.Fatalf("node A after B used the budget up: %d %s", r.status, r.body)
			}

			// One thread limit: 4 calls at once on each node, each holding its thread.
			const hold = 1500 * time.Millisecond
			setThreshold(t, svc, ctx, 1000)
			slow := limits.Config{ThreadLimit: 3, Latency50: hold, Latency75: hold}
			a2, _ := node(t, svc, slow, open(t))
			b2, _ := node(t, svc, slow, open(t))
			setThreshold(t, svc, ctx, 20) // 11 requests: above 50% from here on
			time.Sleep(1100 * time.Millisecond)
			var wg sync.WaitGroup
			var ra, rb []limReply
			wg.Add(2)
			go func() { defer wg.Done(); ra = concurrent(t, a2.URL, creds, "/ATServicesRest/V1.0/Tickets/1", 4) }()
			go func() { defer wg.Done(); rb = concurrent(t, b2.URL, creds, "/ATServicesRest/V1.0/Tickets/1", 4) }()
			wg.Wait()
			var served, refused int
			for _, r := range append(ra, rb...) {
				if r.status == http.StatusTooManyRequests && strings.Contains(r.body, "thread threshold") {
					refused++
				} else if r.status == 200 {
					served++
				}
			}
			if served != 3 || refused != 5 {
				t.Fatalf("8 concurrent calls on two nodes: %d served, %d refused; want 3 and 5\n%+v\n%+v", served, refused, ra, rb)
			}
		})
	}
}
