package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/limits"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// TestUsageCommands: the administrator sets a tenant's API threshold, an integration goes past
// it, and `usage` and `usage notices` show what happened, as tables and as JSON.
func TestUsageCommands(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			d := func(args ...string) []string { return append(args, "--database", db) }
			var created struct{ Tenant, Username, Secret, IntegrationCode string }
			runJSON(t, &created, d("tenant", "create", "Limits MSP", "--json")...)
			var settings struct{ APIThreshold int64 }
			runJSON(t, &settings, d("tenant", "settings", "Limits MSP", "--api-threshold", "4", "--json")...)
			if settings.APIThreshold != 4 {
				t.Fatalf("tenant settings --api-threshold 4: %+v", settings)
			}
			mustFail(t, "between 1 and", d("tenant", "settings", "Limits MSP", "--api-threshold", "0")...)

			st, err := store.Open(context.Background(), db, catalog.Default)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			h, parts := server.New(admin.New(st), server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Limits: &limits.Config{Latency50: 10 * time.Millisecond, Latency75: 20 * time.Millisecond, ThreadLimit: 3}})
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			c := apiCreds{Username: created.Username, Secret: created.Secret, IntegrationCode: created.IntegrationCode}
			for i := 1; i <= 5; i++ {
				status, m := callAPI(t, srv.URL, c, "GET", "/Companies/0", "")
				if want := map[bool]int{true: 200, false: 429}[i <= 4]; status != want {
					t.Fatalf("call %d: %d %v, want %d", i, status, m, want)
				}
			}
			if err := parts.FlushUsage(context.Background()); err != nil {
				t.Fatal(err)
			}
			var usage []struct {
				IntegrationCode, Identifier, Username string
				Requests                              int64
				Hour                                  time.Time
			}
			runJSON(t, &usage, d("usage", "--tenant", "Limits MSP", "--json")...)
			if len(usage) != 1 || usage[0].Requests != 4 || usage[0].IntegrationCode != created.IntegrationCode || usage[0].Username != strings.ToLower(created.Username) ||
				time.Since(usage[0].Hour) > time.Hour {
				t.Errorf("usage --json: %+v", usage)
			}
			if out, _, err := run(t, d("usage", "--tenant", "Limits MSP")...); err != nil || !strings.Contains(out, strings.ToLower(created.Username)) || !strings.Contains(out, "REQUESTS") {
				t.Errorf("usage: %q %v", out, err)
			}
			var notices []struct {
				TierPercent, Requests, Threshold int64
				Message                          string
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				runJSON(t, &notices, d("usage", "notices", "--tenant", "Limits MSP", "--json")...)
				if len(notices) == 2 || time.Now().After(deadline) {
					break
				}
			}
			if len(notices) != 2 || notices[0].TierPercent+notices[1].TierPercent != 150 || notices[0].Threshold != 4 {
				t.Errorf("usage notices: %+v", notices) // 3 of 4 crossed 50%, 4 of 4 reached 100%
			}
			if out, _, err := run(t, d("usage", "notices", "--tenant", "Limits MSP")...); err != nil || !strings.Contains(out, "100%") {
				t.Errorf("usage notices: %q %v", out, err)
			}
		})
	}
}

// TestServeLimitFlags: serve refuses limits it cannot keep, with a clear message.
func TestServeLimitFlags(t *testing.T) {
	dir := t.TempDir()
	mustFail(t, "must be auto, local, postgres or redis", "serve", "--data-dir", dir, "--addr", "127.0.0.1:0", "--api-limits", "memcached")
	mustFail(t, "needs a PostgreSQL --database", "serve", "--data-dir", dir, "--addr", "127.0.0.1:0", "--api-limits", "postgres")
	mustFail(t, "needs --redis-url", "serve", "--data-dir", dir, "--addr", "127.0.0.1:0", "--api-limits", "redis")
	mustFail(t, "cannot be negative", "serve", "--data-dir", dir, "--addr", "127.0.0.1:0", "--api-thread-limit", "-1")
}
