package limits_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/limits"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }

// TestPostgresShared: two nodes on one PostgreSQL database take from one hourly budget (the
// counts of api_request_minutes) and one thread limit (advisory locks).
func TestPostgresShared(t *testing.T) {
	url := testsupport.FreshPostgres(t)
	db, err := store.Open(context.Background(), url, catalog.Default)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	node := func() *limits.Limiter {
		pg, err := limits.OpenPostgres(url)
		if err != nil {
			t.Fatal(err)
		}
		l := limits.New(limits.Config{Shared: pg, ThreadLimit: 1, Threshold: func(context.Context, int64) (int64, error) { return 3, nil }})
		t.Cleanup(func() { l.Close() })
		return l
	}
	a, b := node(), node()
	ctx := context.Background()
	call := limits.Call{Tenant: 42, Code: "X", Collection: "tickets"}
	for i := 1; i <= 2; i++ {
		tk, err := a.Admit(ctx, call)
		if err != nil || tk.Count != int64(i) {
			t.Fatalf("node A request %d: %+v %v", i, tk, err)
		}
		tk.Release()
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	held, err := b.Admit(ctx, call)
	if err != nil || held.Count != 3 {
		t.Fatalf("node B's first request: %+v %v, want count 3", held, err)
	}
	var ref *limits.Refusal
	if _, err := a.Admit(ctx, call); !errors.As(err, &ref) || !ref.Thread {
		t.Fatalf("node A while B holds the only slot: %v, want a thread refusal", err)
	}
	held.Release()
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Admit(ctx, call); !errors.As(err, &ref) || ref.Thread || ref.RetryAfter <= 0 {
		t.Fatalf("node A at the shared threshold: %v, want a threshold refusal with a Retry-After", err)
	}
	if n := a.InWindow(42); n != 3 {
		t.Errorf("node A counts %d requests in the window, want 3", n)
	}
}
