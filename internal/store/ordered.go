package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// Order is the sort of a list read with OrderedPage: one catalog field, ascending or
// descending, the id breaking ties in the same direction so that a page is stable.
type Order struct {
	Field string
	Desc  bool
}

// OrderedPage reads the rows matching where sorted by o, skipping offset rows, at most limit.
// Nulls sort as the largest value on both databases: last ascending, first descending. That is
// PostgreSQL's own order, so its indexes (tenant_id, column, id) serve every sort in both
// directions; SQLite, whose own order is the opposite, is told so and still reads the index
// (it seeks the nulls apart), where PostgreSQL told SQLite's order sorts the whole table.
// The field must be a stored field of e; the caller decides which fields a list may be
// sorted by.
func (db *DB) OrderedPage(ctx context.Context, e *catalog.Entity, where query.Compiled, o Order, offset, limit int) ([]*Row, error) {
	if where.Empty || limit <= 0 {
		return nil, nil
	}
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	stmt, list, err := orderedPageSQL(db.Dialect, e, where, o, tenant, offset, limit)
	if err != nil {
		return nil, err
	}
	rows, err := db.stmts.query(ctx, db.read, stmt, list...)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", e.Table, err)
	}
	return scanRows(db.Dialect, e, rows)
}

// orderedPageSQL writes the statement of OrderedPage and its arguments, the placeholders
// numbered once the statement is complete. The sort column comes from the catalog, never from
// the caller's text.
func orderedPageSQL(d query.Dialect, e *catalog.Entity, where query.Compiled, o Order, tenant int64, offset, limit int) (string, []any, error) {
	f, ok := e.Field(o.Field)
	if !ok {
		return "", nil, fmt.Errorf("order %s by %q: no such field", e.Name, o.Field)
	}
	if offset < 0 {
		offset = 0
	}
	dir, nulls := " ASC", " NULLS LAST"
	if o.Desc {
		dir, nulls = " DESC", " NULLS FIRST"
	}
	var b strings.Builder
	a := &args{d: d}
	b.WriteString("SELECT " + selectList(d, e) + " FROM " + quote(e.Table) + " WHERE tenant_id = " + a.add(tenant))
	if where.Where != "" {
		b.WriteString(" AND (" + where.Where + ")")
		a.list = append(a.list, where.Args...)
	}
	b.WriteString(" ORDER BY ")
	if f.Column != "id" {
		b.WriteString(quote(f.Column) + dir + nulls + ", ")
	}
	b.WriteString("id" + dir + " LIMIT " + a.add(int64(limit)) + " OFFSET " + a.add(int64(offset)))
	return rebind(d, b.String()), a.list, nil
}
