package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// TestPageSQLKeysetFirst: on SQLite the keyset bound must be the first bound on id in the
// WHERE clause, or a filter's "id >= 0" drives the index seek and every page of a long paging
// run scans from the first row (an export of 1,000,000 tickets took 3× as long).
func TestPageSQLKeysetFirst(t *testing.T) {
	t.Parallel()
	e := catalog.Default.MustEntity("Tickets")
	where := query.Compiled{Where: `"id" >= ? AND "status" = ?`, Args: []any{int64(0), int64(1)}}
	stmt, args := pageSQL(query.SQLite, e, where, 7, 4500, 501)
	if _, cond, _ := strings.Cut(stmt, " WHERE "); cond != `tenant_id = ? AND id > ? AND ("id" >= ? AND "status" = ?) ORDER BY id LIMIT ?` {
		t.Errorf("SQLite WHERE: %s", cond)
	}
	if !slices.Equal(args, []any{int64(7), int64(4500), int64(0), int64(1), int64(501)}) {
		t.Errorf("SQLite arguments: %v", args)
	}

	// PostgreSQL: the same statement, numbered once it is complete.
	stmt, args = pageSQL(query.Postgres, e, where, 7, 4500, 501)
	if _, cond, _ := strings.Cut(stmt, " WHERE "); cond != `tenant_id = $1 AND id > $2 AND ("id" >= $3 AND "status" = $4) ORDER BY id LIMIT $5` {
		t.Errorf("PostgreSQL WHERE: %s", cond)
	}
	if !slices.Equal(args, []any{int64(7), int64(4500), int64(0), int64(1), int64(501)}) {
		t.Errorf("PostgreSQL arguments: %v", args)
	}
	if stmt, _ := pageSQL(query.SQLite, e, query.Compiled{}, 7, 0, 10); !strings.HasSuffix(stmt, " WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?") {
		t.Errorf("no filter: %s", stmt)
	}
}

// TestRebind: placeholders are numbered once, in order, for PostgreSQL only.
func TestRebind(t *testing.T) {
	t.Parallel()
	stmt := `SELECT a FROM t WHERE x = ? AND y IN (?, ?) AND z ILIKE ?::text ESCAPE '\'`
	if got := rebind(query.SQLite, stmt); got != stmt {
		t.Errorf("SQLite: %s", got)
	}
	if got, want := rebind(query.Postgres, stmt), `SELECT a FROM t WHERE x = $1 AND y IN ($2, $3) AND z ILIKE $4::text ESCAPE '\'`; got != want {
		t.Errorf("PostgreSQL: %s, want %s", got, want)
	}
	if got := rebind(query.Postgres, "SELECT 1"); got != "SELECT 1" {
		t.Errorf("no placeholder: %s", got)
	}
}

// TestStmtCacheEvictsOne: a full cache lets go of its least recently used statement only.
func TestStmtCacheEvictsOne(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := stmtCache{max: 3}
	defer c.close()
	ctx := context.Background()
	run := func(n int) {
		var v int
		if err := c.queryRow(ctx, db, fmt.Sprintf("SELECT %d", n)).Scan(&v); err != nil || v != n {
			t.Fatalf("SELECT %d: %d, %v", n, v, err)
		}
	}
	run(1)
	run(2)
	run(3)
	run(1) // 2 is now the least recently used
	run(4)
	if c.len() != 3 {
		t.Errorf("%d statements cached, want 3", c.len())
	}
	for n, cached := range map[int]bool{1: true, 2: false, 3: true, 4: true} {
		if _, ok := c.stmts[fmt.Sprintf("SELECT %d", n)]; ok != cached {
			t.Errorf("SELECT %d cached: %v, want %v", n, ok, cached)
		}
	}
}

// TestOrderedPageSQL: the sort column comes from the catalog, the id breaks ties in the same
// direction, both databases are told to sort nulls as the largest value, and the placeholders are
// numbered once the statement is complete; a field the catalog does not know is refused.
func TestOrderedPageSQL(t *testing.T) {
	t.Parallel()
	e := catalog.Default.MustEntity("Tickets")
	where := query.Compiled{Where: `"status" = ?`, Args: []any{int64(1)}}
	stmt, args, err := orderedPageSQL(query.SQLite, e, where, Order{Field: "lastActivityDate", Desc: true}, 7, 50, 25)
	if _, tail, _ := strings.Cut(stmt, " WHERE "); err != nil || tail != `tenant_id = ? AND ("status" = ?) ORDER BY "last_activity_date" DESC NULLS FIRST, id DESC LIMIT ? OFFSET ?` {
		t.Errorf("SQLite: %s (%v)", tail, err)
	}
	if !slices.Equal(args, []any{int64(7), int64(1), int64(25), int64(50)}) {
		t.Errorf("SQLite arguments: %v", args)
	}
	stmt, _, _ = orderedPageSQL(query.Postgres, e, where, Order{Field: "ticketNumber"}, 7, 0, 25)
	if _, tail, _ := strings.Cut(stmt, " WHERE "); tail != `tenant_id = $1 AND ("status" = $2) ORDER BY "ticket_number" ASC NULLS LAST, id ASC LIMIT $3 OFFSET $4` {
		t.Errorf("PostgreSQL: %s", tail)
	}
	if _, _, err := orderedPageSQL(query.SQLite, e, where, Order{Field: "title; DROP TABLE tickets"}, 7, 0, 25); err == nil {
		t.Error("a field the catalog does not know reached the statement")
	}
}
