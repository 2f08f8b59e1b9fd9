package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// Row is one stored row of a catalog collection: Values[i] belongs to Entity.Fields[i] and is
// nil, int64, float64, string, bool or time.Time; UDF holds user-defined field values by name.
type Row struct {
	Values []any
	UDF    map[string]*string
}

// NewRow returns an empty row for e.
func NewRow(e *catalog.Entity) *Row { return &Row{Values: make([]any, len(e.Fields))} }

// ID returns the row's id.
func (r *Row) ID(e *catalog.Entity) int64 {
	id, _ := r.Values[e.IDIndex()].(int64)
	return id
}

func get(ctx context.Context, q querier, d query.Dialect, e *catalog.Entity, id int64, forUpdate bool) (*Row, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	if d == query.SQLite && !forUpdate {
		// One row by its key is bounded work that no lock in WAL mode can hold up, so the read
		// does not watch for cancellation: with a context that can end, database/sql and the
		// driver each start a goroutine per query to watch it, which cost more than the read
		// could save (P1, docs/performance.md). PostgreSQL keeps it: there the read is a round
		// trip to another process, and FOR UPDATE waits for row locks.
		ctx = context.WithoutCancel(ctx)
	}
	rows, err := q.QueryContext(ctx, getSQL(d, e, forUpdate), query.EncodeArg(d, tenant), query.EncodeArg(d, id))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", e.Table, err)
	}
	list, err := scanRows(d, e, rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	return list[0], nil
}

var getSQLs sync.Map // getKey → string

type getKey struct {
	d         query.Dialect
	e         *catalog.Entity
	forUpdate bool
}

// getSQL is the statement reading one row of e by tenant and id.
func getSQL(d query.Dialect, e *catalog.Entity, forUpdate bool) string {
	k := getKey{d, e, forUpdate}
	if s, ok := getSQLs.Load(k); ok {
		return s.(string)
	}
	stmt := "SELECT " + selectList(d, e) + " FROM " + quote(e.Table) + " WHERE tenant_id = ? AND id = ?"
	if forUpdate && d == query.Postgres {
		stmt += " FOR UPDATE"
	}
	stmt = rebind(d, stmt)
	getSQLs.Store(k, stmt)
	return stmt
}

// Get reads one row by id; ErrNotFound when the tenant has none.
func (db *DB) Get(ctx context.Context, e *catalog.Entity, id int64) (*Row, error) {
	return get(ctx, cachedQuerier{db}, db.Dialect, e, id, false)
}

// cachedQuerier reads through the prepared-statement cache.
type cachedQuerier struct{ db *DB }

func (c cachedQuerier) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.db.read.ExecContext(ctx, q, args...)
}

func (c cachedQuerier) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.db.stmts.query(ctx, c.db.read, q, args...)
}

func (c cachedQuerier) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return c.db.stmts.queryRow(ctx, c.db.read, q, args...)
}

// Get reads one row inside the transaction, locking it on PostgreSQL.
func (tx *Tx) Get(ctx context.Context, e *catalog.Entity, id int64) (*Row, error) {
	return get(ctx, tx.tx, tx.db.Dialect, e, id, true)
}

// Page reads up to limit rows matching where with ids above afterID, in id order.
func (db *DB) Page(ctx context.Context, e *catalog.Entity, where query.Compiled, afterID int64, limit int) ([]*Row, error) {
	if where.Empty {
		return nil, nil
	}
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	stmt, list := pageSQL(db.Dialect, e, where, tenant, afterID, limit)
	rows, err := db.stmts.query(ctx, db.read, stmt, list...)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", e.Table, err)
	}
	return scanRows(db.Dialect, e, rows)
}

// pageSQL writes the statement of Page and its arguments. SQLite seeks the index with the
// first bound on id the WHERE clause names, so the keyset bound comes first: were a filter's
// "id >= 0" (how clients ask for every row) first, every page would scan the index from the
// start, and paging through a million rows would take quadratic time. The placeholders are
// numbered once the statement is complete.
func pageSQL(d query.Dialect, e *catalog.Entity, where query.Compiled, tenant, afterID int64, limit int) (string, []any) {
	var b strings.Builder
	a := &args{d: d}
	b.WriteString("SELECT " + selectList(d, e) + " FROM " + quote(e.Table) + " WHERE ")
	b.WriteString("tenant_id = " + a.add(tenant) + " AND id > " + a.add(afterID))
	if where.Where != "" {
		b.WriteString(" AND (" + where.Where + ")")
		a.list = append(a.list, where.Args...)
	}
	b.WriteString(" ORDER BY id LIMIT " + a.add(int64(limit)))
	return rebind(d, b.String()), a.list
}

// Count counts the rows matching where.
func (db *DB) Count(ctx context.Context, e *catalog.Entity, where query.Compiled) (int64, error) {
	if where.Empty {
		return 0, nil
	}
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return 0, err
	}
	a := &args{d: db.Dialect}
	stmt := "SELECT COUNT(*) FROM " + quote(e.Table) + " WHERE tenant_id = " + a.add(tenant)
	if where.Where != "" {
		stmt += " AND (" + where.Where + ")"
		a.list = append(a.list, where.Args...)
	}
	var n int64
	if err := db.read.QueryRowContext(ctx, rebind(db.Dialect, stmt), a.list...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", e.Table, err)
	}
	return n, nil
}

// Exists reports whether the tenant has a row with this id in e.
func (tx *Tx) Exists(ctx context.Context, e *catalog.Entity, id int64) (bool, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return false, err
	}
	a := &args{d: tx.db.Dialect}
	var one int
	err = tx.tx.QueryRowContext(ctx, rebind(a.d, "SELECT 1 FROM "+quote(e.Table)+" WHERE tenant_id = "+a.add(tenant)+" AND id = "+a.add(id)), a.list...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func encodeUDF(u map[string]*string) any {
	if len(u) == 0 {
		return nil
	}
	b, _ := json.Marshal(u)
	return string(b)
}

// Insert writes a new row; its id must already be set (NextID).
func (tx *Tx) Insert(ctx context.Context, e *catalog.Entity, r *Row) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	d := tx.db.Dialect
	a := &args{d: d}
	cols := []string{"tenant_id"}
	vals := []string{a.add(tenant)}
	for i, f := range e.Fields {
		cols = append(cols, quote(f.Column))
		vals = append(vals, a.add(r.Values[i]))
	}
	cols = append(cols, "udf")
	ph := a.add(encodeUDF(r.UDF))
	if d == query.Postgres {
		ph += "::jsonb"
	}
	vals = append(vals, ph)
	stmt := "INSERT INTO " + quote(e.Table) + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ")"
	if _, err := tx.tx.ExecContext(ctx, rebind(d, stmt), a.list...); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: %v", ErrConflict, err)
		}
		return fmt.Errorf("insert %s: %w", e.Table, err)
	}
	return nil
}

// Update rewrites every column of an existing row.
func (tx *Tx) Update(ctx context.Context, e *catalog.Entity, r *Row) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	d := tx.db.Dialect
	a := &args{d: d}
	var sets []string
	var id any
	for i, f := range e.Fields {
		if f.Name == "id" {
			id = r.Values[i]
			continue
		}
		sets = append(sets, quote(f.Column)+" = "+a.add(r.Values[i]))
	}
	ph := a.add(encodeUDF(r.UDF))
	if d == query.Postgres {
		ph += "::jsonb"
	}
	sets = append(sets, "udf = "+ph)
	stmt := "UPDATE " + quote(e.Table) + " SET " + strings.Join(sets, ", ") + " WHERE tenant_id = " + a.add(tenant) + " AND id = " + a.add(id)
	res, err := tx.tx.ExecContext(ctx, rebind(d, stmt), a.list...)
	if err != nil {
		return fmt.Errorf("update %s: %w", e.Table, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Delete removes a row.
func (tx *Tx) Delete(ctx context.Context, e *catalog.Entity, id int64) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	a := &args{d: tx.db.Dialect}
	res, err := tx.tx.ExecContext(ctx, rebind(a.d, "DELETE FROM "+quote(e.Table)+" WHERE tenant_id = "+a.add(tenant)+" AND id = "+a.add(id)), a.list...)
	if err != nil {
		return fmt.Errorf("delete %s: %w", e.Table, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// NextID hands out the tenant's next id for a sequence (one per collection). Ids are never
// reused: the counter only grows, even when a transaction that took one rolls back on PostgreSQL
// it is simply skipped.
func (tx *Tx) NextID(ctx context.Context, name string) (int64, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return 0, err
	}
	d := tx.db.Dialect
	var id int64
	err = tx.tx.QueryRowContext(ctx, rebind(d, `UPDATE sequences SET next_id = next_id + 1 WHERE tenant_id = ? AND name = ? RETURNING next_id - 1`), tenant, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.tx.ExecContext(ctx, rebind(d, `INSERT INTO sequences (tenant_id, name, next_id) VALUES (?, ?, 2)`), tenant, name); err != nil {
			return 0, fmt.Errorf("sequence %s: %w", name, err)
		}
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	return id, nil
}

// BumpSequence makes sure the sequence hands out ids above id (used when a row is written with
// a fixed id, such as company 0 or data imported by the generator).
func (tx *Tx) BumpSequence(ctx context.Context, name string, id int64) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	d := tx.db.Dialect
	_, err = tx.tx.ExecContext(ctx, rebind(d, `INSERT INTO sequences (tenant_id, name, next_id) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, name) DO UPDATE SET next_id = CASE WHEN sequences.next_id > excluded.next_id THEN sequences.next_id ELSE excluded.next_id END`), tenant, name, id+1)
	return err
}

// isUniqueViolation reports whether err is the database refusing a duplicate key, by the
// driver's error code: SQLite's extended constraint codes for a UNIQUE index or a primary key,
// PostgreSQL's SQLSTATE 23505.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == pgUniqueViolation
	}
	return false
}

// pgUniqueViolation is PostgreSQL's SQLSTATE for a duplicate key.
const pgUniqueViolation = "23505"
