package store_test

import (
	"context"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
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
			row := country(900001, "x")
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

// TestRowRoundTrip: a row written is read back the same by Get and Page on both databases,
// values and UDFs (SQLite reads it packed, PostgreSQL column by column).
func TestRowRoundTrip(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			db, ctx := tenantDB(t, b)
			e := catalog.Default.MustEntity("Tickets")
			row := store.NewRow(e)
			at := time.Date(2026, 11, 30, 9, 1, 2, 123000000, time.UTC)
			for i, f := range e.Fields {
				switch {
				case f.Name == "id":
					row.Values[i] = int64(41)
				case f.Type.IsInteger():
					row.Values[i] = int64(i * 1000003)
				case f.Type == catalog.Double || f.Type == catalog.Decimal:
					row.Values[i] = math.Nextafter(0.3, 1)
				case f.Type == catalog.Boolean:
					row.Values[i] = i%2 == 0
				case f.Type == catalog.DateTime:
					row.Values[i] = at
				default:
					row.Values[i] = `a "quoted" \ value é ` + f.Name
				}
			}
			v := "blue"
			row.UDF = map[string]*string{"Colour": &v, "Empty": nil}
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.Insert(ctx, e, row) }); err != nil {
				t.Fatal(err)
			}
			got, err := db.Get(ctx, e, 41)
			if err != nil {
				t.Fatal(err)
			}
			where, err := query.Compile(&query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "id", Value: int64(41)}}}, e, nil, db.Dialect)
			if err != nil {
				t.Fatal(err)
			}
			page, err := db.Page(ctx, e, where, 0, 10)
			if err != nil || len(page) != 1 {
				t.Fatalf("page: %d rows, %v", len(page), err)
			}
			for _, r := range []*store.Row{got, page[0]} {
				for i, f := range e.Fields {
					if !reflect.DeepEqual(r.Values[i], row.Values[i]) {
						t.Errorf("%s: read %#v, wrote %#v", f.Name, r.Values[i], row.Values[i])
					}
				}
				if !reflect.DeepEqual(r.UDF, row.UDF) {
					t.Errorf("udf: read %v, wrote %v", r.UDF, row.UDF)
				}
			}
		})
	}
}

// TestFinishBulkLoadGathersStatistics: after a bulk load PostgreSQL has planner statistics for
// the tables, so a keyset page reads the primary key in order instead of sorting every later row.
// (A database of its own: the shared one's tables may have statistics already.)
func TestFinishBulkLoadGathersStatistics(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, testsupport.FreshDatabase(t, b), catalog.Default)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			tn, err := db.CreateTenant(ctx, "bulk", "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctx = store.WithTenant(ctx, tn.ID)
			if err := db.PrepareBulkLoad(ctx); err != nil {
				t.Fatal(err)
			}
			e := catalog.Default.MustEntity("Countries")
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				for i := range 5000 {
					if err := tx.Insert(ctx, e, country(int64(i+1), "c")); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			plan := func() string {
				if b != testsupport.Postgres {
					return ""
				}
				rows, err := db.SQL().QueryContext(ctx, `EXPLAIN SELECT id FROM countries WHERE tenant_id = $1 AND id > 10 ORDER BY id LIMIT 500`, tn.ID)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var lines []string
				for rows.Next() {
					var l string
					if err := rows.Scan(&l); err != nil {
						t.Fatal(err)
					}
					lines = append(lines, strings.TrimSpace(l))
				}
				return strings.Join(lines, " | ")
			}
			before := plan()
			if err := db.FinishBulkLoad(ctx); err != nil {
				t.Fatal(err)
			}
			if b != testsupport.Postgres {
				return // SQLite gathers nothing; the call must simply succeed
			}
			after := plan()
			t.Logf("keyset page planned before: %s; after: %s", before, after)
			if strings.Contains(after, "Sort") || !strings.Contains(after, "Index") {
				t.Errorf("after the bulk load a keyset page is planned as %q, want an ordered index scan", after)
			}
		})
	}
}
