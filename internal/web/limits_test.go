package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestAPIThresholdInConsole: the administrator sets the tenant's hourly API threshold in Site
// Setup (a bad value is refused in place and saves nothing), and API Usage lists the notices of
// the tenant crossing its tiers.
func TestAPIThresholdInConsole(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env, admin := consoleOn(t, b, true)
			c := signedIn(t, env.Server.URL, admin.Username, adminPassword)
			threshold := func() int64 {
				tn, err := env.PSA.DB.TenantByID(context.Background(), env.Tenant.ID)
				if err != nil {
					t.Fatal(err)
				}
				return tn.RequestThreshold
			}
			if st, _, body := c.get("/admin/settings"); st != http.StatusOK || !strings.Contains(body, `name="apithreshold"`) || !strings.Contains(body, `value="10000"`) {
				t.Fatalf("Site Setup: %d, threshold field or its value missing", st)
			}
			form := func(v string) url.Values {
				return url.Values{"csrf": {c.csrf("/admin/settings")}, "lockout": {"10"}, "apithreshold": {v}}
			}
			for _, bad := range []string{"0", "-5", "many", "1000000001"} {
				if st, _, body := c.post("/admin/settings", form(bad)); st != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a number from 1 to 1000000000.") {
					t.Errorf("threshold %q: %d", bad, st)
				}
			}
			if got := threshold(); got != 10000 {
				t.Fatalf("refused values changed the threshold to %d", got)
			}
			if st, _, _ := c.post("/admin/settings", form("1234")); st != http.StatusSeeOther {
				t.Fatalf("save: %d", st)
			}
			if got := threshold(); got != 1234 {
				t.Fatalf("threshold after saving 1234: %d", got)
			}
			_, _, body := c.get("/admin/api-usage")
			if !strings.Contains(body, "was not approached") {
				t.Error("API Usage without notices does not say so")
			}
			// Far below the threshold the chart does not draw it, and the page does not claim it does.
			if !strings.Contains(body, "Your hourly threshold is 1234 requests; no hour shown reached half of it") || strings.Contains(body, "The dashed line is") {
				t.Error("API Usage far below the threshold describes a threshold line it does not draw")
			}
			env.PSA.RecordThresholdNotice(env.Ctx(), env.Tenant.ID, 75, 926, 1234, time.Now(), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if _, _, body := c.get("/admin/api-usage"); !strings.Contains(body, "75%") || !strings.Contains(body, "926") {
				t.Error("API Usage does not list the 75% notice")
			}
		})
	}
}
