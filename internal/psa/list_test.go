package psa_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestListOrdersAndPages: the console's list read sorts by a whitelisted field with the id
// breaking ties, nulls last ascending and first descending on both databases, pages with an
// offset (past the end: no rows, the true total), and applies the caller's scope as Query does:
// an API user restricted to a line of business sees only its rows, in the same order.
func TestListOrdersAndPages(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			svc := testsupport.Service(t, b)
			tenant, err := svc.CreateTenant(context.Background(), "Lists "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.SystemActor)
			e := svc.Catalog.MustEntity("Tickets")
			t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
			at := func(h int) any {
				if h < 0 {
					return nil
				}
				return t0.Add(time.Duration(h) * time.Hour)
			}
			const apiResource = 999
			// id: hours of lastActivityDate (-1: none), priority, line of business (0: none), assigned
			data := []struct {
				hours    int
				priority int64
				lob      int64
				assigned int64
			}{
				1: {1, 2, 0, 0}, 2: {3, 1, 101, 0}, 3: {-1, 2, 102, 0}, 4: {3, 1, 0, 0},
				5: {2, 3, 102, 0}, 6: {-1, 2, 0, 0}, 7: {5, 1, 101, 0}, 8: {4, 3, 102, apiResource},
			}
			var rows []*store.Row
			for id := int64(1); id < int64(len(data)); id++ {
				d := data[id]
				r := store.NewRow(e)
				set := map[string]any{"id": id, "ticketNumber": fmt.Sprintf("T20260301.%04d", 10-id), "title": "t", "status": int64(1), "priority": d.priority,
					"companyID": int64(0), "createDate": t0, "lastActivityDate": at(d.hours)}
				if d.lob != 0 {
					set["organizationalLevelAssociationID"] = d.lob
				}
				if d.assigned != 0 {
					set["assignedResourceID"] = d.assigned
				}
				for k, v := range set {
					r.Values[e.Index(k)] = v
				}
				rows = append(rows, r)
			}
			if err := svc.DB.InTx(ctx, func(tx *store.Tx) error { return tx.BulkInsert(ctx, e, rows) }); err != nil {
				t.Fatal(err)
			}
			every := &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "exist", Field: "id"}}}
			list := func(ctx context.Context, req *query.Request, field string, desc bool, offset, limit int) ([]int64, int64) {
				t.Helper()
				p, err := svc.List(ctx, e, req, store.Order{Field: field, Desc: desc}, offset, limit)
				if err != nil {
					t.Fatalf("List by %s: %v", field, err)
				}
				ids := []int64{}
				for _, r := range p.Rows {
					ids = append(ids, r.ID(e))
				}
				return ids, p.Total
			}
			for _, c := range []struct {
				field         string
				desc          bool
				offset, limit int
				want          []int64
			}{
				{"lastActivityDate", true, 0, 50, []int64{6, 3, 7, 8, 4, 2, 5, 1}}, // nulls first, ties by id descending
				{"lastActivityDate", false, 0, 50, []int64{1, 5, 2, 4, 8, 7, 3, 6}},
				{"priority", false, 0, 50, []int64{2, 4, 7, 1, 3, 6, 5, 8}},
				{"priority", true, 0, 50, []int64{8, 5, 6, 3, 1, 7, 4, 2}},
				{"ticketNumber", false, 0, 50, []int64{8, 7, 6, 5, 4, 3, 2, 1}},
				{"id", true, 0, 50, []int64{8, 7, 6, 5, 4, 3, 2, 1}},
				{"lastActivityDate", true, 2, 3, []int64{7, 8, 4}},
				{"lastActivityDate", true, 6, 5, []int64{5, 1}},
				{"lastActivityDate", true, 8, 5, []int64{}}, // past the end
				{"lastActivityDate", true, 500, 5, []int64{}},
			} {
				got, total := list(ctx, every, c.field, c.desc, c.offset, c.limit)
				if !slices.Equal(got, c.want) || total != 8 {
					t.Errorf("by %s desc=%v from %d: %v of %d, want %v of 8", c.field, c.desc, c.offset, got, total, c.want)
				}
			}
			prio2 := &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "priority", Value: int64(2)}}}
			if got, total := list(ctx, prio2, "lastActivityDate", true, 0, 50); !slices.Equal(got, []int64{6, 3, 1}) || total != 3 {
				t.Errorf("priority 2 by date: %v of %d", got, total)
			}

			// An API user in line of business 101 sees rows without one, in 101, and its own.
			rights := &access.Rights{TenantID: tenant.ID, Catalog: svc.Catalog,
				Parties: []access.Party{{ResourceID: apiResource, Level: access.SystemLevel(access.APIUserLevel), LOBs: []int64{101}}}}
			lctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.Actor{ResourceID: apiResource, Rights: rights})
			if got, total := list(lctx, every, "lastActivityDate", true, 0, 50); !slices.Equal(got, []int64{6, 7, 8, 4, 2, 1}) || total != 6 {
				t.Errorf("restricted to line of business 101: %v of %d", got, total)
			}
			if got, total := list(lctx, every, "lastActivityDate", true, 4, 2); !slices.Equal(got, []int64{2, 1}) || total != 6 {
				t.Errorf("restricted, second page: %v of %d", got, total)
			}
			named, err := svc.ByIDs(lctx, e, []int64{3, 7, 0, 7})
			if err != nil || len(named) != 1 || named[7] == nil {
				t.Errorf("ByIDs in scope: %v, %v; want ticket 7 only", named, err)
			}

			// Only whitelisted fields, only sensible pages.
			for _, c := range []struct {
				field         string
				offset, limit int
			}{{"title", 0, 10}, {"nosuch", 0, 10}, {"lastActivityDate", -1, 10}, {"lastActivityDate", 0, 0}, {"lastActivityDate", 0, 501}} {
				if _, err := svc.List(ctx, e, every, store.Order{Field: c.field}, c.offset, c.limit); err == nil || apperr.IsInternal(err) {
					t.Errorf("List by %q from %d, %d rows: %v; want it refused", c.field, c.offset, c.limit, err)
				}
			}
		})
	}
}
