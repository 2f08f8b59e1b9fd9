package atapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// lockedBuffer collects the server's log lines from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func headersOf(c *admin.APIUserCredentials) map[string]string {
	return map[string]string{"UserName": c.Username, "Secret": c.Secret, "ApiIntegrationCode": c.IntegrationCode}
}

func with(h map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for a, b := range h {
		out[a] = b
	}
	out[k] = v
	return out
}

// R6: credentials. Wrong secrets are refused and recorded with their source address; the
// tenant's threshold locks the user (a cached good secret too); an administrator unlocks it;
// only argon2id hashes are at rest; no secret reaches a log line; changes made in this process
// or another reach the credential cache.
func TestCredentials(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			var logs lockedBuffer
			env := testsupport.StartWithLog(t, b, true, &logs)
			svc, ctx := env.PSA, env.Ctx()
			three := int64(3)
			if _, err := svc.ChangeSettings(ctx, admin.SettingsChange{LockoutThreshold: &three}); err != nil {
				t.Fatal(err)
			}
			user, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{FirstName: "R6", Secret: "Typed-Secret-42"})
			if err != nil {
				t.Fatal(err)
			}
			good := headersOf(user)
			get := func(h map[string]string) reply {
				return do(t, env, call{Method: "GET", Path: v1 + "/Companies/0", Headers: h})
			}
			wrongs := []string{"typed-secret-42", "Typed-Secret-4", "Typed-Secret-420", ""}
			secrets := append([]string{user.Secret, env.Creds.Secret}, wrongs[:3]...)

			// Below the threshold: refused, recorded; a good call clears the count.
			for _, w := range wrongs[:2] {
				if r := get(with(good, "Secret", w)); r.Status != 401 || !strings.Contains(string(r.Body), "Authentication failed") {
					t.Fatalf("wrong secret %q: %d %s", w, r.Status, r.Body)
				}
			}
			if r := get(with(good, "Secret", "")); r.Status != 401 {
				t.Errorf("empty secret: %d %s", r.Status, r.Body)
			}
			u, _ := svc.DescribeAPIUser(ctx, user.Username)
			if u.FailedLogins != 2 || u.Locked {
				t.Errorf("after 2 failures: %+v", u)
			}
			fails, err := svc.AuthFailures(ctx, user.Username, 10)
			if err != nil || len(fails) != 2 || fails[0].RemoteAddr != "127.0.0.1" || fails[0].Reason != "wrong secret" {
				t.Errorf("recorded failures: %+v %v", fails, err)
			}
			if r := get(good); r.Status != 200 {
				t.Fatalf("the good secret: %d %s", r.Status, r.Body)
			}
			if u, _ := svc.DescribeAPIUser(ctx, user.Username); u.FailedLogins != 0 {
				t.Errorf("a verified call leaves %d failures", u.FailedLogins)
			}

			// The threshold locks, and the cached good secret stops working at once.
			for i := 0; i < 3; i++ {
				get(with(good, "Secret", wrongs[i]))
			}
			if u, _ := svc.DescribeAPIUser(ctx, user.Username); !u.Locked || u.FailedLogins != 3 {
				t.Errorf("after 3 failures: %+v", u)
			}
			if r := get(good); r.Status != 401 || !strings.Contains(string(r.Body), "inactive or locked") {
				t.Errorf("locked user with the good secret: %d %s", r.Status, r.Body)
			}
			if _, err := svc.UnlockAPIUser(ctx, user.Username); err != nil {
				t.Fatal(err)
			}
			if r := get(good); r.Status != 200 {
				t.Errorf("after unlock: %d %s", r.Status, r.Body)
			}
			if u, _ := svc.DescribeAPIUser(ctx, user.Username); u.Locked || u.FailedLogins != 0 {
				t.Errorf("after unlock: %+v", u)
			}

			// Regenerating the secret: the old one fails at once, the new one works.
			regen, err := svc.RegenerateSecret(ctx, user.Username, "")
			if err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, regen.Secret)
			if len(regen.Secret) != 25 || regen.Secret == user.Secret {
				t.Errorf("regenerated secret %d characters", len(regen.Secret))
			}
			if r := get(good); r.Status != 401 {
				t.Errorf("the old secret after regenerate: %d", r.Status)
			}
			good = with(good, "Secret", regen.Secret)
			if r := get(good); r.Status != 200 {
				t.Errorf("the new secret: %d %s", r.Status, r.Body)
			}
			if _, err := svc.RegenerateSecret(ctx, user.Username, "Typed-Secret-42"); err == nil || !strings.Contains(err.Error(), "differ from the last") {
				t.Errorf("a typed secret from the history: %v", err)
			}

			// A change made by another process reaches the cache through the access generation.
			other := admin.New(svc.DB) // a second service over the same database, as the CLI would be
			env.Parts.Auth.SetPollInterval(20 * time.Millisecond)
			if _, err := other.LockAPIUser(ctx, user.Username); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for get(good).Status == 200 {
				if time.Now().After(deadline) {
					t.Fatal("a lock made by another process never reached the credential cache")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := other.UnlockAPIUser(ctx, user.Username); err != nil {
				t.Fatal(err)
			}
			for get(good).Status != 200 {
				if time.Now().After(deadline) {
					t.Fatal("an unlock made by another process never reached the credential cache")
				}
				time.Sleep(20 * time.Millisecond)
			}

			// Deactivation refuses at once.
			if _, err := svc.DeactivateResource(ctx, user.Username); err != nil {
				t.Fatal(err)
			}
			if r := get(good); r.Status != 401 {
				t.Errorf("deactivated user: %d %s", r.Status, r.Body)
			}

			// At rest: every text value of every table holds no secret; secrets are argon2id.
			checkAtRest(t, svc.DB.SQL(), b, secrets)
			// In the logs: failures with their address, never a secret.
			out := logs.String()
			if !strings.Contains(out, `"remote_addr":"127.0.0.1"`) || !strings.Contains(out, "api authentication failed") {
				t.Errorf("the failures were not logged with their source address:\n%s", out)
			}
			for _, s := range secrets {
				if s != "" && strings.Contains(out, s) {
					t.Errorf("a secret (%d characters) is in the logs", len(s))
				}
			}
		})
	}
}

// checkAtRest reads every table of the database: no value contains a secret, and every stored
// secret hash is argon2id.
func checkAtRest(t *testing.T, db *sql.DB, b testsupport.Backend, secrets []string) {
	t.Helper()
	ctx := context.Background()
	list := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if b == testsupport.Postgres {
		list = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := db.QueryContext(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	hashes := 0
	for _, table := range tables {
		rs, err := db.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := rs.Columns()
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				text := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					text = string(b)
				}
				for _, s := range secrets {
					if s != "" && strings.Contains(text, s) {
						t.Errorf("%s.%s holds a secret", table, cols[i])
					}
				}
				if cols[i] == "secret_hash" {
					hashes++
					if !strings.HasPrefix(text, "$argon2id$") {
						t.Errorf("%s.secret_hash is not argon2id: %.12s...", table, text)
					}
				}
			}
		}
		rs.Close()
	}
	if hashes < 2 {
		t.Errorf("found %d stored secret hashes", hashes)
	}
}
