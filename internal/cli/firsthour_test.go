package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if err := os.WriteFile(filepath.Join(dir, "demo-credentials.json"),
		[]byte(`{"tenant":"Demo MSP","username":"demo123abc","secret":"`+secret+`","integrationCode":"CODE"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	a := &app{out: &out}
	a.cfg.DataDir = dir
	a.cfg.Addr = "127.0.0.1:8080"
	a.printDemo()
	if strings.Contains(out.String(), secret) || strings.Contains(out.String(), "export AUTOTASK_SECRET") {
		t.Errorf("the secret went to a non-terminal output:\n%s", out.String())
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
