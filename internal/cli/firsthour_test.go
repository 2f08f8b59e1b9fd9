package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Issue 7, item 13: administrative commands pointed at a data directory (or SQLite file) that
// does not exist refuse, naming it and how to create it, and leave nothing behind; serve,
// migrate and tenant create make it.
func TestMissingDataDirRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "elsewhere")
	for _, args := range [][]string{
		{"tenant", "list"},
		{"apiuser", "list", "--tenant", "Demo MSP"},
		{"apiuser", "show", "--tenant", "Demo MSP", "someone1"},
		{"resource", "list", "--tenant", "Demo MSP"},
		{"connection", "list"},
		{"tenant", "settings", "Demo MSP"},
	} {
		_, _, err := run(t, append(args, "--data-dir", dir)...)
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "switchboard migrate --data-dir") {
			t.Errorf("%s on a missing data directory: %v", strings.Join(args, " "), err)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("%s created the data directory", strings.Join(args, " "))
		}
	}
	db := filepath.Join(t.TempDir(), "missing.db")
	if _, _, err := run(t, "tenant", "list", "--database", db); err == nil || !strings.Contains(err.Error(), db) {
		t.Errorf("tenant list on a missing --database file: %v", err)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("tenant list created the --database file")
	}
	if out, _, err := run(t, "migrate", "--data-dir", dir); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %q %v", out, err)
	}
	if out, _, err := run(t, "tenant", "list", "--data-dir", dir); err != nil {
		t.Errorf("tenant list after migrate: %q %v", out, err)
	}
	other := filepath.Join(t.TempDir(), "fresh")
	if _, _, err := run(t, "tenant", "create", "Fresh MSP", "--data-dir", other); err != nil {
		t.Errorf("tenant create on a new data directory: %v", err)
	}
}

// Issue 7, item 14: `switchboard version` and `--version` print the version, commit and build date.
func TestVersion(t *testing.T) {
	oldV, oldC, oldB := Version, Commit, BuildDate
	defer func() { Version, Commit, BuildDate = oldV, oldC, oldB }()
	Version, Commit, BuildDate = "1.4.0", "0123abcd", "2026-11-30T08:00:00Z"
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, err := run(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"switchboard 1.4.0", "commit:     0123abcd", "built:      2026-11-30T08:00:00Z"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v printed %q, want %q in it", args, out, want)
			}
		}
	}
	Version, Commit, BuildDate = "dev", "", ""
	out, _, _ := run(t, "version")
	if !strings.Contains(out, "commit:") || !strings.Contains(out, "built:") {
		t.Errorf("version without build flags: %q", out)
	}
}

// Issue 7, item 7: when standard output is not a terminal (a service manager's journal, a
// redirected log), serve prints where the demo credentials are, never the secret.
func TestServeDemoNotOnTerminal(t *testing.T) {
	dir := t.TempDir()
	secret := "Abc!def#ghi$jkl*mno~pq12"
	consolePass, portalPass := "Console!Pass#1", "Portal!Pass#2"
	if err := os.WriteFile(filepath.Join(dir, "demo-credentials.json"),
		[]byte(`{"tenant":"Demo MSP","username":"demo123abc","secret":"`+secret+`","integrationCode":"CODE",`+
			`"console":{"username":"admin1@demo.example","password":"`+consolePass+`"},"portal":{"username":"alice@acme.example","password":"`+portalPass+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	a := &app{out: &out}
	a.cfg.DataDir = dir
	a.cfg.Addr = "127.0.0.1:8080"
	a.printDemo()
	a.printDemoWeb()
	for _, s := range []string{secret, consolePass, portalPass, "export AUTOTASK_SECRET"} {
		if strings.Contains(out.String(), s) {
			t.Errorf("%q went to a non-terminal output:\n%s", s, out.String())
		}
	}
	if !strings.Contains(out.String(), "admin1@demo.example") || !strings.Contains(out.String(), "alice@acme.example") {
		t.Errorf("serve did not say who signs in to the console and portal:\n%s", out.String())
	}
	if !strings.Contains(out.String(), filepath.Join(dir, "demo-credentials.json")) {
		t.Errorf("serve did not say where the credentials are:\n%s", out.String())
	}
	if got := shellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shellQuote: %s", got)
	}
}

// Issue 7, item 15: a zone discovery that fails on DNS hints at AUTOTASK_DISCOVERY_URL.
func TestZoneDNSHint(t *testing.T) {
	t.Setenv("AUTOTASK_USERNAME", "someone1")
	t.Setenv("AUTOTASK_SECRET", "x")
	t.Setenv("AUTOTASK_INTEGRATION_CODE", "y")
	t.Setenv("AUTOTASK_BASE_URL", "")
	t.Setenv("AUTOTASK_DISCOVERY_URL", "http://switchboard.invalid/")
	_, _, err := run(t, "at", "count", "Companies")
	if err == nil || !strings.Contains(errorText(err), "export AUTOTASK_DISCOVERY_URL=") {
		t.Errorf("a discovery host that does not resolve: %v", err)
	}
}

// Issue 7, item 16: `apiuser show` counts failed sign-ins as `apiuser failures` lists them
// (and says how many of them count toward the lockout); `tenant settings` takes --tenant and
// keeps its positional form.
func TestAPIUserShowCountsFailuresAsListed(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			out, _, err := run(t, "tenant", "create", "Count MSP", "--json", "--database", db)
			if err != nil {
				t.Fatal(err)
			}
			var c struct{ Username, Secret, IntegrationCode string }
			if err := json.Unmarshal([]byte(out), &c); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			sdb, err := store.Open(ctx, db, catalog.Default)
			if err != nil {
				t.Fatal(err)
			}
			authn := auth.NewAuthenticator(sdb)
			for _, secret := range []string{"Wrong-1", "Wrong-2", c.Secret, "Wrong-3"} {
				_, _ = authn.Authenticate(ctx, auth.Credentials{Username: c.Username, Secret: secret, IntegrationCode: c.IntegrationCode, RemoteAddr: "192.0.2.7:4000"})
			}
			sdb.Close()
			base := []string{"--tenant", "Count MSP", "--database", db}
			out, _, err = run(t, append([]string{"apiuser", "failures", c.Username, "--json"}, base...)...)
			var listed []map[string]any
			if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 3 {
				t.Fatalf("apiuser failures: %q %v", out, err)
			}
			out, _, err = run(t, append([]string{"apiuser", "show", c.Username}, base...)...)
			if err != nil || !strings.Contains(out, "3 failed authentications recorded") || !strings.Contains(out, "1 of them since the last good one") {
				t.Errorf("apiuser show after 3 failures listed, 1 since the last good sign-in: %q %v", out, err)
			}
			out, _, err = run(t, append([]string{"apiuser", "show", c.Username, "--json"}, base...)...)
			var shown struct{ RecordedFailures, FailedLogins int64 }
			if err != nil || json.Unmarshal([]byte(out), &shown) != nil || shown.RecordedFailures != 3 || shown.FailedLogins != 1 {
				t.Errorf("apiuser show --json: %q %v", out, err)
			}

			for _, args := range [][]string{{"tenant", "settings", "--tenant", "Count MSP"}, {"tenant", "settings", "Count MSP"}} {
				if out, _, err := run(t, append(args, "--database", db)...); err != nil || !strings.Contains(out, "Count MSP: strong passwords") {
					t.Errorf("%v: %q %v", args, out, err)
				}
			}
			if _, _, err := run(t, "tenant", "settings", "--database", db); err == nil || !strings.Contains(err.Error(), "--tenant is required") {
				t.Errorf("tenant settings without a tenant: %v", err)
			}
		})
	}
}
