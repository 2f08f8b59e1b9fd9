package connection_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }

// closedURL is an http URL where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/"
}

func TestConnections(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, false)
			dir := t.TempDir()
			sealer, err := connection.LoadKey(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(filepath.Join(dir, connection.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v %v, want mode 0600", fi, err)
			}
			svc := &connection.Service{DB: env.PSA.DB, Sealer: sealer}
			ctx := context.Background()
			prefix := "conn " + testsupport.RandomHex(4) + " " // the database is shared with other tests
			good := connection.Input{Name: prefix + "Switchboard", Username: env.Creds.Username, Secret: env.Creds.Secret,
				IntegrationCode: env.Creds.IntegrationCode, DiscoveryURL: env.URL("/ATServicesRest/")}

			if _, err := svc.Add(ctx, good, false); err != nil {
				t.Fatalf("add: %v", err)
			}
			if _, err := svc.Add(ctx, good, false); !errors.Is(err, connection.ErrExists) {
				t.Errorf("adding the same name again: %v, want ErrExists", err)
			}
			for _, bad := range []struct {
				mod  func(*connection.Input)
				want string
			}{
				{func(in *connection.Input) { in.Name = " " }, "name is required"},
				{func(in *connection.Input) { in.Secret = "" }, "secret is required"},
				{func(in *connection.Input) { in.IntegrationCode = "" }, "integration code"},
				{func(in *connection.Input) { in.Username = "" }, "username is required"},
				{func(in *connection.Input) { in.BaseURL = "webservices5.autotask.net" }, "not an absolute http(s) URL"},
			} {
				in := good
				in.Name = prefix + "bad"
				bad.mod(&in)
				if _, err := svc.Add(ctx, in, false); !errors.Is(err, connection.ErrInvalid) || !strings.Contains(err.Error(), bad.want) {
					t.Errorf("add %+v: %v, want %q", in, err, bad.want)
				}
			}

			// The secret is not in the database, in any form a reader could use.
			var stored string
			if err := env.PSA.DB.SQL().QueryRowContext(ctx, "SELECT secret_enc FROM connections WHERE name = '"+good.Name+"'").Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(stored, good.Secret) || strings.Contains(stored, base64.StdEncoding.EncodeToString([]byte(good.Secret))) || !strings.HasPrefix(stored, "v1:") {
				t.Errorf("stored secret %q", stored)
			}

			r, err := svc.Test(ctx, strings.ToUpper(good.Name))
			if err != nil || !r.OK || r.Message != "Connection was established" || r.Zone != "Switchboard" {
				t.Fatalf("test: %+v %v", r, err)
			}
			if !strings.HasPrefix(r.String(), "Connection was established (zone Switchboard, "+env.URL("/ATServicesRest/")) {
				t.Errorf("test line: %s", r)
			}
			got, err := svc.Get(ctx, good.Name)
			if err != nil || got.LastTest == nil || !got.LastTest.OK {
				t.Errorf("get after test: %+v %v", got, err)
			}

			failures := []struct {
				name   string
				mod    func(*connection.Input)
				reason string
				detail string
			}{
				{"wrong secret", func(in *connection.Input) { in.Secret = "not-the-secret" }, connection.ReasonWrongSecret, "username or secret is not valid"},
				{"wrong integration code", func(in *connection.Input) { in.IntegrationCode = "NOTTHECODE" }, connection.ReasonIntegrationCode, "IntegrationCode is invalid"},
				{"unknown user", func(in *connection.Input) { in.Username = "nobody" + testsupport.RandomHex(4) + "@example.com" }, connection.ReasonUnknownUser, "Zone information could not be determined"},
				{"unknown user, base URL", func(in *connection.Input) {
					in.Username = "nobody" + testsupport.RandomHex(4) + "@example.com"
					in.BaseURL = env.URL("/ATServicesRest/")
				}, connection.ReasonUnknownUser, "Zone information could not be determined"},
				{"unreachable discovery", func(in *connection.Input) { in.DiscoveryURL = closedURL(t) }, connection.ReasonUnreachable, "connection refused"},
				{"unreachable zone", func(in *connection.Input) { in.BaseURL = closedURL(t) }, connection.ReasonUnreachable, "connection refused"},
			}
			for _, f := range failures {
				t.Run(f.name, func(t *testing.T) {
					in := good
					in.Name = prefix + f.name
					f.mod(&in)
					if _, err := svc.Add(ctx, in, false); err != nil {
						t.Fatal(err)
					}
					r, err := svc.Test(ctx, in.Name)
					if err != nil {
						t.Fatal(err)
					}
					if r.OK || r.Message != "Failed to establish connection" || r.Reason != f.reason || !strings.Contains(r.Detail, f.detail) {
						t.Errorf("test: %+v, want reason %q with %q", r, f.reason, f.detail)
					}
					if strings.Contains(r.String(), env.Creds.Secret) {
						t.Errorf("the result shows the secret: %s", r)
					}
					got, _ := svc.Get(ctx, in.Name)
					if got.LastTest == nil || got.LastTest.OK || got.LastTest.Reason != f.reason || !strings.Contains(got.LastTest.Detail, f.detail) {
						t.Errorf("kept outcome: %+v", got.LastTest)
					}
				})
			}

			// The secret changes: replacing the connection makes it work again and forgets the
			// failed test.
			fixed := good
			fixed.Name = prefix + "wrong secret"
			if _, err := svc.Add(ctx, fixed, true); err != nil {
				t.Fatalf("replace: %v", err)
			}
			if got, _ := svc.Get(ctx, fixed.Name); got.LastTest != nil {
				t.Errorf("replaced connection keeps its old test: %+v", got.LastTest)
			}
			if r, _ := svc.Test(ctx, fixed.Name); !r.OK {
				t.Errorf("after replace: %s", r)
			}

			list, err := svc.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range list {
				if strings.HasPrefix(c.Name, prefix) {
					n++
				}
			}
			if n != 1+len(failures) {
				t.Errorf("list: %d of ours, want %d", n, 1+len(failures))
			}

			// Another key cannot read the secret.
			other, _ := connection.LoadKey(t.TempDir(), "")
			if _, err := (&connection.Service{DB: env.PSA.DB, Sealer: other}).Config(ctx, good.Name); !errors.Is(err, connection.ErrKey) {
				t.Errorf("config with another key: %v, want ErrKey", err)
			}

			if err := svc.Remove(ctx, good.Name); err != nil {
				t.Fatal(err)
			}
			if err := svc.Remove(ctx, good.Name); !errors.Is(err, connection.ErrNotFound) {
				t.Errorf("remove twice: %v", err)
			}
			if _, err := svc.Test(ctx, good.Name); !errors.Is(err, connection.ErrNotFound) {
				t.Errorf("test a removed connection: %v", err)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, err := connection.LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := connection.LoadKey(dir, "") // the same file, the same key
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := a.Seal("Acme", "s3cret")
	if plain, err := again.Open("Acme", sealed); err != nil || plain != "s3cret" {
		t.Errorf("open with the reloaded key: %q %v", plain, err)
	}
	if _, err := a.Open("Other", sealed); !errors.Is(err, connection.ErrKey) {
		t.Errorf("a ciphertext moved to another connection: %v", err)
	}
	s2, _ := a.Seal("Acme", "s3cret")
	if s2 == sealed {
		t.Error("two seals of one secret are equal (nonce reused)")
	}

	hexKey := strings.Repeat("ab", 32)
	fromEnv, err := connection.LoadKey(t.TempDir(), hexKey)
	if err != nil || fromEnv.Source() != connection.KeyEnv {
		t.Fatalf("hex key: %v", err)
	}
	b64, err := connection.LoadKey(t.TempDir(), base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\xab", 32))))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := fromEnv.Seal("n", "v")
	if v, err := b64.Open("n", x); err != nil || v != "v" {
		t.Errorf("the same key in hex and base64 differ: %v", err)
	}
	if _, err := connection.LoadKey(t.TempDir(), "too short"); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_SECRET_KEY") {
		t.Errorf("a bad key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, connection.KeyFile)); err != nil {
		t.Error(err)
	}
}
