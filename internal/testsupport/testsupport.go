// Package testsupport starts real Switchboards for tests: a migrated database on SQLite (always)
// and on PostgreSQL (when SWITCHBOARD_TEST_POSTGRES names a server), a tenant of the test's own
// and an API user, behind an httptest server.
package testsupport

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Backend is a database kind tests run on.
type Backend string

// The backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends lists both backends; tests run a subtest per backend, and the PostgreSQL one skips
// with the reason when no server is configured.
func Backends() []Backend { return []Backend{SQLite, Postgres} }

// PostgresURL is the server tests use, from SWITCHBOARD_TEST_POSTGRES.
func PostgresURL() string { return os.Getenv("SWITCHBOARD_TEST_POSTGRES") }

type shared struct {
	once sync.Once
	db   *store.DB
	svc  *admin.Service
	err  error
}

var (
	sharedMu sync.Mutex
	dbs      = map[Backend]*shared{}
	schemas  []string // PostgreSQL schemas this process made, dropped by Main
)

// Main runs a package's tests and then drops the PostgreSQL schemas they made. Use it from
// TestMain: func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	sharedMu.Lock()
	for _, sh := range dbs {
		if sh.db != nil {
			sh.db.Close()
		}
	}
	sharedMu.Unlock()
	if len(schemas) > 0 {
		if db, err := sql.Open("pgx", PostgresURL()); err == nil {
			for _, s := range schemas {
				_, _ = db.Exec("DROP SCHEMA " + s + " CASCADE")
			}
			db.Close()
		}
	}
	return code
}

// Service returns a migrated database of the backend shared by the tests of this process; tests
// keep apart by each using a tenant of its own (NewTenant).
func Service(t testing.TB, b Backend) *admin.Service {
	t.Helper()
	sharedMu.Lock()
	sh := dbs[b]
	if sh == nil {
		sh = &shared{}
		dbs[b] = sh
	}
	sharedMu.Unlock()
	sh.once.Do(func() {
		var dsn string
		switch b {
		case SQLite:
			dir, err := os.MkdirTemp("", "switchboard-test-")
			if err != nil {
				sh.err = err
				return
			}
			dsn = filepath.Join(dir, "test.db")
		case Postgres:
			sharedMu.Lock()
			dsn, sh.err = freshSchema(PostgresURL())
			sharedMu.Unlock()
			if sh.err != nil {
				return
			}
		}
		sh.db, sh.err = store.Open(context.Background(), dsn, catalog.Default)
		if sh.err == nil {
			sh.err = sh.db.Migrate(context.Background())
		}
		if sh.err == nil {
			sh.svc = admin.New(sh.db)
		}
	})
	if b == Postgres && PostgresURL() == "" {
		t.Skip("PostgreSQL tests skipped: set SWITCHBOARD_TEST_POSTGRES to a postgres:// URL (.ci/run does)")
	}
	if sh.err != nil {
		t.Fatalf("open %s test database: %v", b, sh.err)
	}
	return sh.svc
}

// freshSchema makes a new schema on the server and returns a URL that uses it, so test runs
// never see each other's tables.
func freshSchema(base string) (string, error) {
	if base == "" {
		return "", nil
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer db.Close()
	name := "sbtest_" + RandomHex(6)
	if _, err := db.Exec("CREATE SCHEMA " + name); err != nil {
		return "", fmt.Errorf("create test schema: %w", err)
	}
	schemas = append(schemas, name)
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// FreshPostgres returns a URL of a new, empty schema on the test PostgreSQL server, dropped when
// the test ends; it skips the test when no server is configured.
func FreshPostgres(t testing.TB) string {
	t.Helper()
	if PostgresURL() == "" {
		t.Skip("PostgreSQL tests skipped: set SWITCHBOARD_TEST_POSTGRES to a postgres:// URL (.ci/run does)")
	}
	sharedMu.Lock()
	u, err := freshSchema(PostgresURL())
	sharedMu.Unlock()
	if err != nil {
		t.Fatalf("create a PostgreSQL schema: %v", err)
	}
	return u
}

// FreshDatabase returns the address of a new, empty database of backend b for a test that
// needs one of its own: a SQLite file in the test's temp dir, or a fresh PostgreSQL schema
// (skipping the test when no server is configured).
func FreshDatabase(t testing.TB, b Backend) string {
	t.Helper()
	if b == Postgres {
		return FreshPostgres(t)
	}
	return filepath.Join(t.TempDir(), "fresh.db")
}

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Env is a running Switchboard with one tenant of the test's own.
type Env struct {
	Backend Backend
	PSA     *admin.Service
	Server  *httptest.Server
	Tenant  *store.Tenant
	Creds   *admin.APIUserCredentials
	Parts   *server.Parts
}

// Ctx returns a context acting on the env's tenant as its administrator.
func (e *Env) Ctx() context.Context {
	return psa.WithActor(store.WithTenant(context.Background(), e.Tenant.ID), psa.SystemActor)
}

// URL returns the server's URL for a path.
func (e *Env) URL(path string) string { return e.Server.URL + path }

// Start starts a Switchboard on backend b with a new tenant (with demo data when demo is true)
// and an API user.
func Start(t testing.TB, b Backend, demo bool) *Env {
	t.Helper()
	return StartWithLog(t, b, demo, io.Discard)
}

// StartWithLog is Start with the server's logs (JSON lines) written to log.
func StartWithLog(t testing.TB, b Backend, demo bool, log io.Writer) *Env {
	t.Helper()
	return StartWith(t, b, demo, server.Options{Version: "test", Logger: slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
}

// StartWith is Start with the server's options (its API limits, for example).
func StartWith(t testing.TB, b Backend, demo bool, opt server.Options) *Env {
	t.Helper()
	svc := Service(t, b)
	ctx := context.Background()
	tenant, err := svc.CreateTenant(ctx, "Test "+strings.ReplaceAll(t.Name(), "/", " ")+" "+RandomHex(4), "UTC")
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	tctx := store.WithTenant(ctx, tenant.ID)
	if demo {
		if err := svc.SeedDemo(tctx); err != nil {
			t.Fatalf("seed demo data: %v", err)
		}
	}
	creds, err := svc.CreateAPIUser(tctx, admin.NewAPIUser{FirstName: "Test", LastName: "Integration"})
	if err != nil {
		t.Fatalf("create API user: %v", err)
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	handler, parts := server.New(svc, opt)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &Env{Backend: b, PSA: svc, Server: srv, Tenant: tenant, Creds: creds, Parts: parts}
}
