package store_test

import (
	"context"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestTenantCI: every tenant has its own zone "ci", kept as it is: tenants that existed before
// the column get one each from the migration, new tenants the next free number.
func TestTenantCI(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, testsupport.FreshDatabase(t, b), catalog.Default)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// The schema before the ci column, with two tenants in it.
			if err := db.MigrateTo(ctx, 3); err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []string{
				`INSERT INTO tenants (id, name, time_zone, request_threshold, created_at) VALUES (1, 'Old One', 'UTC', 10000, '2026-01-01T00:00:00Z')`,
				`INSERT INTO tenants (id, name, time_zone, request_threshold, created_at) VALUES (2, 'Old Two', 'UTC', 10000, '2026-01-01T00:00:00Z')`,
			} {
				if _, err := db.SQL().ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := db.CreateTenant(ctx, "New Three", "UTC"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.CreateTenant(ctx, "New Four", "UTC"); err != nil {
				t.Fatal(err)
			}
			list, err := db.Tenants(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int64]string{}
			for _, tn := range list {
				if tn.CI <= 1 {
					t.Errorf("tenant %q has ci %d", tn.Name, tn.CI)
				}
				if other, dup := seen[tn.CI]; dup {
					t.Errorf("tenants %q and %q share ci %d", other, tn.Name, tn.CI)
				}
				seen[tn.CI] = tn.Name
			}
			if len(list) != 4 {
				t.Fatalf("%d tenants, want 4", len(list))
			}
			// Stable: read again after another migration run, the same numbers.
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for _, tn := range list {
				again, err := db.TenantByID(ctx, tn.ID)
				if err != nil {
					t.Fatal(err)
				}
				if again.CI != tn.CI {
					t.Errorf("tenant %q: ci %d, then %d", tn.Name, tn.CI, again.CI)
				}
			}
		})
	}
}
