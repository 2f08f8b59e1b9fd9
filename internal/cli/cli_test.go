package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
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
	var out, errOut syncBuffer
	root := NewRoot(&out, &errOut)
	root.SetArgs([]string{"serve", "--addr", addr, "--data-dir", dir})
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
	b, err := os.ReadFile(filepath.Join(dir, "demo-credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Username, Secret, IntegrationCode string }
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), c.Username) || !strings.Contains(out.String(), c.Secret) {
		t.Errorf("serve did not print the demo credentials:\n%s", out.String())
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/ATServicesRest/V1.0/Companies/query", strings.NewReader(`{"filter":[{"op":"exist","field":"id"}]}`))
	req.Header.Set("UserName", c.Username)
	req.Header.Set("Secret", c.Secret)
	req.Header.Set("ApiIntegrationCode", c.IntegrationCode)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
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
