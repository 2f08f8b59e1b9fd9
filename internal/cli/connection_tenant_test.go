package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// Connections owned by a tenant: connection add/list --tenant, the owner in the list, and a sync
// job of one tenant refused for another tenant's connection (when it is made and when it runs),
// while its own and the deployment-wide connections work. SQLite and PostgreSQL.
func TestConnectionTenantOwner(t *testing.T) {
	t.Parallel()
	remote := testsupport.Start(t, testsupport.SQLite, true)
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			base := []string{"--data-dir", t.TempDir(), "--database", db, "--log-level", "error"}
			cli := func(args ...string) (string, error) {
				t.Helper()
				out, errOut, err := run(t, append(args, base...)...)
				if err != nil {
					return out, &cliErr{err: err, errOut: errOut}
				}
				return out, nil
			}
			must := func(args ...string) string {
				t.Helper()
				out, err := cli(args...)
				if err != nil {
					t.Fatalf("switchboard %s: %v", strings.Join(args, " "), err)
				}
				return out
			}
			must("tenant", "create", "Alpha")
			must("tenant", "create", "Beta")
			creds := []string{"--username", remote.Creds.Username, "--secret", remote.Creds.Secret,
				"--integration-code", remote.Creds.IntegrationCode, "--base-url", remote.URL("/ATServicesRest/")}
			if out := must(append([]string{"connection", "add", "Shared"}, creds...)...); !strings.Contains(out, "deployment-wide") {
				t.Errorf("add without --tenant: %q", out)
			}
			if out := must(append([]string{"connection", "add", "AlphaConn", "--tenant", "Alpha"}, creds...)...); !strings.Contains(out, `owned by tenant "Alpha"`) {
				t.Errorf("add --tenant: %q", out)
			}
			must(append([]string{"connection", "add", "BetaConn", "--tenant", "Beta"}, creds...)...)
			if _, err := cli(append([]string{"connection", "add", "Nobody", "--tenant", "Gamma"}, creds...)...); err == nil || !strings.Contains(err.Error(), `no tenant named "Gamma"`) {
				t.Errorf("add --tenant of an unknown tenant: %v", err)
			}
			// Names stay unique across the deployment: another owner cannot take (or replace) one.
			if _, err := cli(append([]string{"connection", "add", "alphaconn", "--tenant", "Beta", "--replace"}, creds...)...); err == nil || !strings.Contains(err.Error(), "another owner") {
				t.Errorf("replace across owners: %v", err)
			}

			// The operator's list shows every connection with its owner.
			out := must("connection", "list")
			for _, want := range []string{"OWNER", "AlphaConn  Alpha ", "BetaConn   Beta ", "Shared     (deployment)"} {
				if !strings.Contains(out, want) {
					t.Errorf("connection list lacks %q:\n%s", want, out)
				}
			}
			var list []struct {
				Name, Tenant string
				TenantID     int64
			}
			if err := json.Unmarshal([]byte(must("connection", "list", "--tenant", "alpha", "--json")), &list); err != nil || len(list) != 1 ||
				list[0].Name != "AlphaConn" || list[0].Tenant != "Alpha" || list[0].TenantID == 0 {
				t.Errorf("connection list --tenant alpha: %+v %v", list, err)
			}

			// A job of Beta may not use Alpha's connection; its own and the deployment-wide one work.
			if _, err := cli("sync", "add", "steal", "--connection", "AlphaConn", "--tenant", "Beta", "--schedule", "0"); err == nil ||
				!strings.Contains(err.Error(), `connection "AlphaConn" belongs to another tenant`) {
				t.Errorf("sync add of Beta with Alpha's connection: %v", err)
			}
			if out, err := cli("sync", "list"); err != nil || strings.Contains(out, "steal") {
				t.Errorf("a refused job was made: %q %v", out, err)
			}
			must("sync", "add", "own", "--connection", "BetaConn", "--tenant", "Beta", "--schedule", "0")
			must("sync", "add", "shared", "--connection", "Shared", "--tenant", "Beta", "--schedule", "0")

			// A job whose connection later belongs to another tenant (removed, then made again
			// under the same name by Alpha) is refused when it runs.
			must("connection", "remove", "BetaConn")
			must(append([]string{"connection", "add", "BetaConn", "--tenant", "Alpha"}, creds...)...)
			if _, err := cli("sync", "run", "own", "--no-progress"); err == nil || !strings.Contains(err.Error(), "belongs to another tenant") {
				t.Errorf("sync run with a connection now of another tenant: %v", err)
			}
		})
	}
}

type cliErr struct {
	err    error
	errOut string
}

func (e *cliErr) Error() string { return errorText(e.err) + "\n" + e.errOut }
