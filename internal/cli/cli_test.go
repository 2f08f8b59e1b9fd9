package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(&out, &errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// databases returns the --database values to run CLI tests on: SQLite in a temp dir, and a
// fresh PostgreSQL schema when one is configured.
func databases(t *testing.T) map[string]string {
	dbs := map[string]string{"sqlite": filepath.Join(t.TempDir(), "cli.db")}
	if testsupport.PostgresURL() != "" {
		dbs["postgres"] = testsupport.FreshPostgres(t)
	}
	return dbs
}

func TestTenantAndAPIUserCommands(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			out, _, err := run(t, "tenant", "create", "Contoso MSP", "--json", "--database", db)
			if err != nil {
				t.Fatalf("tenant create: %v", err)
			}
			var created struct{ Tenant, Username, Secret, IntegrationCode string }
			if err := json.Unmarshal([]byte(out), &created); err != nil {
				t.Fatalf("tenant create --json printed %q: %v", out, err)
			}
			if created.Tenant != "Contoso MSP" || len(created.Username) != 15 || len(created.Secret) != 25 || len(created.IntegrationCode) != 27 {
				t.Errorf("tenant create --json: %+v", created)
			}
			if _, _, err := run(t, "tenant", "create", "contoso msp", "--database", db); err == nil || !strings.Contains(errorText(err), "already exists") {
				t.Errorf("a second tenant with the same name: %v", err)
			}
			out, _, err = run(t, "apiuser", "create", "--tenant", "Contoso MSP", "--username", "ITGlue2024", "--json", "--database", db)
			if err != nil {
				t.Fatalf("apiuser create: %v", err)
			}
			var user struct{ Username, Secret, IntegrationCode string }
			if err := json.Unmarshal([]byte(out), &user); err != nil || user.Username != "ITGlue2024" || user.Secret == "" || user.IntegrationCode == "" {
				t.Errorf("apiuser create --json printed %q (%v)", out, err)
			}
			for _, bad := range []struct{ username, want string }{
				{"itglue2024", "already in use"},
				{"bad@name1", "must not contain"},
				{"lettersonly", "letters and digits"},
			} {
				if _, _, err := run(t, "apiuser", "create", "--tenant", "Contoso MSP", "--username", bad.username, "--database", db); err == nil || !strings.Contains(errorText(err), bad.want) {
					t.Errorf("apiuser create --username %s: %v, want an error saying %q", bad.username, err, bad.want)
				}
			}
			if _, _, err := run(t, "apiuser", "create", "--tenant", "Nobody", "--database", db); err == nil || !strings.Contains(err.Error(), "no tenant named") {
				t.Errorf("apiuser create for a missing tenant: %v", err)
			}
			out, _, err = run(t, "tenant", "list", "--json", "--database", db)
			if err != nil || !strings.Contains(out, `"name": "Contoso MSP"`) {
				t.Errorf("tenant list --json: %q %v", out, err)
			}
			if out, _, err := run(t, "migrate", "--database", db); err != nil || !strings.Contains(out, "up to date") {
				t.Errorf("migrate: %q %v", out, err)
			}
		})
	}
}

func TestConfigMasksPasswordsAndReadsEnvironment(t *testing.T) {
	t.Setenv("SWITCHBOARD_ADDR", "127.0.0.1:9999")
	out, _, err := run(t, "config", "--database", "postgres://sb:hunter2@db.example/sb")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "xxxxx") {
		t.Errorf("config shows the password: %s", out)
	}
	if !strings.Contains(out, "127.0.0.1:9999") {
		t.Errorf("config ignores SWITCHBOARD_ADDR: %s", out)
	}
	if _, _, err := run(t, "config", "--public-url", "not a url"); err == nil {
		t.Error("config accepted --public-url 'not a url'")
	}
	t.Setenv("SWITCHBOARD_DEMO", "maybe")
	if _, _, err := run(t, "serve", "--data-dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_DEMO") {
		t.Errorf("serve with SWITCHBOARD_DEMO=maybe: %v", err)
	}
}

// TestServeFirstRun is the newcomer's path: serve with no configuration but a data directory,
// read the credentials it prints, and make the README's first call.
func TestServeFirstRun(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debugAddr := dln.Addr().String()
	dln.Close()
	oldTerm := stdoutIsTerminal
	stdoutIsTerminal = func(io.Writer) bool { return true } // as a person at a terminal sees it
	defer func() { stdoutIsTerminal = oldTerm }()
	var out, errOut syncBuffer
	root := NewRoot(&out, &errOut)
	root.SetArgs([]string{"serve", "--addr", addr, "--data-dir", dir, "--debug-addr", debugAddr, "--read-header-timeout", "300ms"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Try it:") {
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no credentials in time:\n%s\n%s", out.String(), errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := demoCreds(t, dir)
	// The export lines, pasted into a shell, give back the exact credentials (secrets hold ! # $).
	var exports []string
	for _, line := range strings.Split(out.String(), "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "export AUTOTASK_") {
			exports = append(exports, l)
		}
	}
	if len(exports) != 4 {
		t.Fatalf("serve printed %d export lines:\n%s", len(exports), out.String())
	}
	sh := exec.Command("sh", "-c", strings.Join(exports, "\n")+"\n"+`printf '%s\n' "$AUTOTASK_USERNAME" "$AUTOTASK_SECRET" "$AUTOTASK_INTEGRATION_CODE" "$AUTOTASK_DISCOVERY_URL"`)
	got, err := sh.Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join([]string{c.Username, c.Secret, c.IntegrationCode, "http://" + addr + "/"}, "\n") + "\n"; string(got) != want {
		t.Errorf("the export lines give %q, want %q", got, want)
	}
	// `switchboard at` finds the server with those variables.
	t.Setenv("AUTOTASK_USERNAME", c.Username)
	t.Setenv("AUTOTASK_SECRET", c.Secret)
	t.Setenv("AUTOTASK_INTEGRATION_CODE", c.IntegrationCode)
	t.Setenv("AUTOTASK_DISCOVERY_URL", "http://"+addr+"/")
	t.Setenv("AUTOTASK_BASE_URL", "")
	if n, _, err := run(t, "at", "count", "Companies"); err != nil || strings.TrimSpace(n) == "" || strings.TrimSpace(n) == "0" {
		t.Errorf("switchboard at count Companies with the printed variables: %q %v", n, err)
	}
	// The debug listener has the same limits: a client that never finishes its headers is cut.
	dc, err := net.Dial("tcp", debugAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	_, _ = dc.Write([]byte("GET /debug/pprof/ HTTP/1.1\r\nHost: x\r\n"))
	_ = dc.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadAll(dc); err != nil {
		t.Errorf("the debug listener held a connection with unfinished headers: %v", err)
	}
	resp, err := http.DefaultClient.Do(apiRequest("http://"+addr, c, "POST", "/Companies/query", `{"filter":[{"op":"exist","field":"id"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			ID          int64  `json:"id"`
			CompanyName string `json:"companyName"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first call: %d %v", resp.StatusCode, err)
	}
	if len(page.Items) < 4 || page.Items[0].ID != 0 || page.Items[0].CompanyName != "Demo MSP" {
		t.Errorf("first call returned %+v, want the home company and the demo customers", page.Items)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
