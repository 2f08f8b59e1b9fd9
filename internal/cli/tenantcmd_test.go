package cli

import (
	"fmt"
	"strings"
	"testing"
)

// The commands built with tenantCmd: --tenant is required and checked, the checks of flags
// that need no database come before the tenant is opened, --json and the text answer.
func TestTenantCommands(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			in := func(args ...string) []string { return append(args, "--database", db) }
			var created struct{ Tenant, Username string }
			runJSON(t, &created, in("tenant", "create", "Fabrikam", "--json")...)
			tenant := func(args ...string) []string { return in(append(args, "--tenant", "Fabrikam")...) }

			mustFail(t, "--tenant is required", in("vendor", "list")...)
			mustFail(t, `no tenant named "Nobody"`, in("resource", "list", "--tenant", "Nobody")...)
			// A bad flag is reported before the tenant is looked for.
			mustFail(t, `--webhooks takes yes or no, not "maybe"`, in("securitylevel", "set", "Custom", "--webhooks", "maybe")...)
			mustFail(t, "--view, --add, --edit and --delete need --object COLLECTION", in("securitylevel", "set", "Custom", "--view", "all")...)
			mustFail(t, "give --vendor NAME or --custom, not both", in("apiuser", "create", "--vendor", "X", "--custom")...)

			// tenant settings takes the tenant as --tenant or as its argument, not two.
			mustFail(t, `two tenants given: --tenant "Other" and "Fabrikam"`, in("tenant", "settings", "Fabrikam", "--tenant", "Other")...)
			var settings struct {
				Tenant           string
				LockoutThreshold int64
			}
			runJSON(t, &settings, in("tenant", "settings", "Fabrikam", "--lockout-threshold", "7", "--json")...)
			if settings.Tenant != "Fabrikam" || settings.LockoutThreshold != 7 {
				t.Errorf("tenant settings --json: %+v", settings)
			}
			if out, _, err := run(t, tenant("tenant", "settings")...); err != nil || !strings.HasPrefix(out, "Fabrikam: strong passwords ") || !strings.Contains(out, "lockout after 7 failed") {
				t.Errorf("tenant settings: %q %v", out, err)
			}

			// An empty list is [] in JSON and a header alone as a table.
			if out, _, err := run(t, tenant("vendor", "usage", "--json")...); err != nil || out != "[]\n" {
				t.Errorf("vendor usage --json: %q %v", out, err)
			}
			if out, _, err := run(t, tenant("usage", "notices")...); err != nil || out != "AT (UTC)  TIER  REQUESTS  NOTICE\n" {
				t.Errorf("usage notices: %q %v", out, err)
			}

			// set-tracking: exactly one of --vendor and --custom; the user is printed after.
			mustFail(t, "give exactly one of --vendor NAME or --custom", tenant("apiuser", "set-tracking", created.Username)...)
			out, _, err := run(t, tenant("apiuser", "set-tracking", created.Username, "--custom")...)
			if err != nil || !strings.HasPrefix(out, created.Username+" (resource ") || !strings.Contains(out, "tracking identifier Custom (Internal Integration)") {
				t.Errorf("apiuser set-tracking --custom: %q %v", out, err)
			}

			// lob assign gives a resource exactly the associations named.
			for _, args := range [][]string{{"lob", "enable"}, {"lob", "division", "add", "West"}, {"lob", "line", "add", "Cloud"},
				{"lob", "associate", "--division", "West", "--line", "Cloud"}} {
				if _, _, err := run(t, tenant(args...)...); err != nil {
					t.Fatalf("%v: %v", args, errorText(err))
				}
			}
			var r struct {
				ID   int64
				LOBs []int64 `json:"linesOfBusiness"`
			}
			runJSON(t, &r, tenant("lob", "assign", created.Username, "--association", "West/Cloud", "--json")...)
			if len(r.LOBs) != 1 {
				t.Fatalf("lob assign --json: %+v", r)
			}
			out, _, err = run(t, tenant("lob", "assign", created.Username)...)
			if want := fmt.Sprintf("Resource %d (%s) has lines of business [].\n", r.ID, created.Username); err != nil || out != want {
				t.Errorf("lob assign with no association: %q %v, want %q", out, err, want)
			}
		})
	}
}
