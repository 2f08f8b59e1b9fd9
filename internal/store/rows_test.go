package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// otherTenant is a context acting on a second new tenant of db.
func otherTenant(t *testing.T, db *store.DB) context.Context {
	t.Helper()
	tn, err := db.CreateTenant(context.Background(), "store-test-"+testsupport.RandomHex(6), "UTC")
	if err != nil {
		t.Fatal(err)
	}
	return store.WithTenant(context.Background(), tn.ID)
}

// country is a row of Countries with id and name, its required fields filled.
func country(id int64, name string) *store.Row {
	e := catalog.Default.MustEntity("Countries")
	row := store.NewRow(e)
	for i, f := range e.Fields {
		switch {
		case f.Name == "id":
			row.Values[i] = id
		case f.Name == "name":
			row.Values[i] = name
		case f.Required && f.Type.IsInteger():
			row.Values[i] = int64(1)
		case f.Required && f.Type == catalog.Boolean:
			row.Values[i] = false
		case f.Required:
			row.Values[i] = "x"
		}
	}
	return row
}

func nameOf(r *store.Row) string {
	v, _ := r.Values[catalog.MustIndex("Countries", "name")].(string)
	return v
}

func compile(t *testing.T, db *store.DB, e *catalog.Entity, filter ...*query.Node) query.Compiled {
	t.Helper()
	if len(filter) == 0 {
		filter = []*query.Node{{Op: "exist", Field: "id"}}
	}
	where, err := query.Compile(&query.Request{FilterPresent: true, Filter: filter}, e, nil, db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	return where
}

func ids(rows []*store.Row, e *catalog.Entity) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, r.ID(e))
	}
	return out
}

// TestRowsAreTenantScoped: a tenant reads, counts, changes and deletes only its own rows; the
// same id in two tenants is two rows; a context without a tenant reads nothing.
func TestRowsAreTenantScoped(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			db, ctxA := tenantDB(t, b)
			ctxB := otherTenant(t, db)
			e := catalog.Default.MustEntity("Countries")
			insert := func(ctx context.Context, r *store.Row) error {
				return db.InTx(ctx, func(tx *store.Tx) error { return tx.Insert(ctx, e, r) })
			}
			if err := insert(ctxA, country(900010, "Atlantis")); err != nil {
				t.Fatal(err)
			}

			if _, err := db.Get(ctxB, e, 900010); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("tenant B reads tenant A's row: %v, want ErrNotFound", err)
			}
			where := compile(t, db, e, &query.Node{Op: "eq", Field: "id", Value: int64(900010)})
			if rows, err := db.Page(ctxB, e, where, -1, 10); err != nil || len(rows) != 0 {
				t.Errorf("tenant B's page: %d rows, %v", len(rows), err)
			}
			if n, err := db.Count(ctxB, e, where); err != nil || n != 0 {
				t.Errorf("tenant B's count: %d, %v", n, err)
			}
			if err := db.InTx(ctxB, func(tx *store.Tx) error { return tx.Update(ctxB, e, country(900010, "Changed by B")) }); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("tenant B updates tenant A's row: %v, want ErrNotFound", err)
			}
			if err := db.InTx(ctxB, func(tx *store.Tx) error { return tx.Delete(ctxB, e, 900010) }); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("tenant B deletes tenant A's row: %v, want ErrNotFound", err)
			}

			// The same id in tenant B is its own row, no conflict, and leaves A's alone.
			if err := insert(ctxB, country(900010, "Lemuria")); err != nil {
				t.Fatalf("the same id in another tenant: %v", err)
			}
			if err := db.InTx(ctxB, func(tx *store.Tx) error { return tx.Delete(ctxB, e, 900010) }); err != nil {
				t.Fatal(err)
			}
			got, err := db.Get(ctxA, e, 900010)
			if err != nil || nameOf(got) != "Atlantis" {
				t.Errorf("tenant A's row after B's insert and delete: %v, %v", got, err)
			}
			if n, err := db.Count(ctxA, e, where); err != nil || n != 1 {
				t.Errorf("tenant A's count: %d, %v", n, err)
			}

			if _, err := db.Get(context.Background(), e, 900010); err == nil {
				t.Error("a read without a tenant succeeded")
			}
		})
	}
}

// TestSequences: ids start at 1 and grow by one, per tenant and per sequence; BumpSequence
// moves a sequence above a fixed id and never back.
func TestSequences(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			db, ctxA := tenantDB(t, b)
			ctxB := otherTenant(t, db)
			next := func(ctx context.Context, name string) int64 {
				t.Helper()
				var id int64
				if err := db.InTx(ctx, func(tx *store.Tx) (err error) { id, err = tx.NextID(ctx, name); return }); err != nil {
					t.Fatal(err)
				}
				return id
			}
			bump := func(ctx context.Context, name string, id int64) {
				t.Helper()
				if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.BumpSequence(ctx, name, id) }); err != nil {
					t.Fatal(err)
				}
			}
			for want := int64(1); want <= 3; want++ {
				if got := next(ctxA, "widgets"); got != want {
					t.Errorf("tenant A widgets: %d, want %d", got, want)
				}
			}
			if got := next(ctxA, "gadgets"); got != 1 {
				t.Errorf("another sequence of tenant A starts at %d", got)
			}
			if got := next(ctxB, "widgets"); got != 1 {
				t.Errorf("tenant B's widgets start at %d, not 1", got)
			}
			bump(ctxA, "widgets", 100)
			if got := next(ctxA, "widgets"); got != 101 {
				t.Errorf("after a bump to 100: %d, want 101", got)
			}
			bump(ctxA, "widgets", 50)
			if got := next(ctxA, "widgets"); got != 102 {
				t.Errorf("a bump below the counter moved it: %d, want 102", got)
			}
			bump(ctxB, "fresh", 7)
			if got := next(ctxB, "fresh"); got != 8 {
				t.Errorf("a bump of a new sequence to 7: next %d, want 8", got)
			}
			if got := next(ctxB, "widgets"); got != 2 {
				t.Errorf("tenant B's widgets after tenant A's bumps: %d, want 2", got)
			}
		})
	}
}

// TestPaging: pages are in id order after the keyset id, at most limit long, a filter narrows
// them, and another tenant's rows between them never show.
func TestPaging(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			db, ctx := tenantDB(t, b)
			octx := otherTenant(t, db)
			e := catalog.Default.MustEntity("Countries")
			// Inserted out of order; the other tenant's rows interleave.
			for _, id := range []int64{900105, 900101, 900107, 900103, 900102, 900106, 900104} {
				if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.Insert(ctx, e, country(id, "C")) }); err != nil {
					t.Fatal(err)
				}
				if id%2 == 1 {
					if err := db.InTx(octx, func(tx *store.Tx) error { return tx.Insert(octx, e, country(id+1000, "Other")) }); err != nil {
						t.Fatal(err)
					}
				}
			}
			all := compile(t, db, e, &query.Node{Op: "gte", Field: "id", Value: int64(900100)})
			var got [][]int64
			after := int64(-1)
			for range 5 {
				rows, err := db.Page(ctx, e, all, after, 3)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids(rows, e))
				if len(rows) == 0 {
					break
				}
				after = rows[len(rows)-1].ID(e)
			}
			want := [][]int64{{900101, 900102, 900103}, {900104, 900105, 900106}, {900107}, {}}
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("pages %v, want %v", got, want)
			}
			odd := compile(t, db, e, &query.Node{Op: "gte", Field: "id", Value: int64(900100)},
				&query.Node{Op: "in", Field: "id", Value: []any{int64(900101), int64(900103), int64(900105), int64(900107), int64(901102)}})
			rows, err := db.Page(ctx, e, odd, 900101, 2)
			if err != nil {
				t.Fatal(err)
			}
			if g := ids(rows, e); !slices.Equal(g, []int64{900103, 900105}) {
				t.Errorf("filtered page after 900101: %v", g)
			}
			if n, err := db.Count(ctx, e, odd); err != nil || n != 4 {
				t.Errorf("filtered count: %d, %v, want 4", n, err)
			}
		})
	}
}
