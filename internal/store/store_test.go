package store_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }

// tenantDB is the backend's shared test database and a context acting on a new tenant of its own.
func tenantDB(t *testing.T, b testsupport.Backend) (*store.DB, context.Context) {
	t.Helper()
	db := testsupport.Service(t, b).DB
	tn, err := db.CreateTenant(context.Background(), "store-test-"+testsupport.RandomHex(6), "UTC")
	if err != nil {
		t.Fatal(err)
	}
	return db, store.WithTenant(context.Background(), tn.ID)
}

// TestUniqueViolationIsConflict: a duplicate key is ErrConflict by the driver's error code on
// both databases.
func TestUniqueViolationIsConflict(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			db, ctx := tenantDB(t, b)
			tenant, _ := store.TenantFrom(ctx)
			name := "dup-" + testsupport.RandomHex(4)
			add := func() error {
				return db.InTx(ctx, func(tx *store.Tx) error {
					return tx.CreateAPIUser(ctx, &store.APIUser{Username: name, TenantID: tenant, ResourceID: 1, SecretHash: "x", IntegrationCode: "c"})
				})
			}
			if err := add(); err != nil {
				t.Fatal(err)
			}
			if err := add(); !errors.Is(err, store.ErrConflict) {
				t.Errorf("second API user %q: %v, want ErrConflict", name, err)
			}

			e := catalog.Default.MustEntity("Countries")
			row := store.NewRow(e)
			for i, f := range e.Fields {
				switch {
				case f.Name == "id":
					row.Values[i] = int64(900001)
				case f.Required && f.Type.IsInteger():
					row.Values[i] = int64(1)
				case f.Required && f.Type == catalog.Boolean:
					row.Values[i] = false
				case f.Required:
					row.Values[i] = "x"
				}
			}
			insert := func() error {
				return db.InTx(ctx, func(tx *store.Tx) error { return tx.Insert(ctx, e, row) })
			}
			if err := insert(); err != nil {
				t.Fatal(err)
			}
			if err := insert(); !errors.Is(err, store.ErrConflict) {
				t.Errorf("second row with id 900001: %v, want ErrConflict", err)
			}
		})
	}
}
