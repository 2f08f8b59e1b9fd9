package store

import (
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
