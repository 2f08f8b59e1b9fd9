// Package store keeps Switchboard's data in SQLite (embedded default) or PostgreSQL through
// database/sql, with one implementation and the dialect differences in dialect.go. Every row
// belongs to a tenant; the tenant comes from the context (WithTenant), so no read or write can
// forget it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite", pure Go

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// Errors the store maps database errors to.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: conflict")
	ErrNoTenant = errors.New("store: no tenant in context")
)

// DB is an open Switchboard database.
type DB struct {
	Dialect query.Dialect
	Catalog *catalog.Catalog
	read    *sql.DB
	write   *sql.DB // SQLite: one connection with BEGIN IMMEDIATE, so writers queue in Go, not in busy loops
	dsn     string
	stmts   stmtCache
}

// IsPostgres reports whether a --database value names PostgreSQL.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Open opens (creating if needed) the database named by database: a postgres:// URL or a
// SQLite file path. It does not migrate; call Migrate.
func Open(ctx context.Context, database string, cat *catalog.Catalog) (*DB, error) {
	db := &DB{Catalog: cat, dsn: database}
	if IsPostgres(database) {
		db.Dialect = query.Postgres
		pool, err := sql.Open("pgx", withCustomPlans(database))
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(32)
		pool.SetMaxIdleConns(32)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db.read, db.write = pool, pool
	} else {
		db.Dialect = query.SQLite
		if err := prepareSQLiteFile(database); err != nil {
			return nil, err
		}
		pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
		// Readers get a small page cache each (they are many, and the OS caches the file too);
		// the one writer a larger one, so inserts into indexes with scattered keys stay in memory.
		// Together they keep the server well inside its memory target (P6).
		read, err := sql.Open("sqlite", "file:"+database+"?"+pragmas+"&_pragma=cache_size(-2048)")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		read.SetMaxOpenConns(sqliteReaders())
		read.SetMaxIdleConns(sqliteReaders())
		write, err := sql.Open("sqlite", "file:"+database+"?"+pragmas+"&_pragma=cache_size(-32768)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		write.SetMaxOpenConns(1)
		db.read, db.write = read, write
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.write.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.stmts.close()
	err := db.read.Close()
	if db.write != db.read {
		if werr := db.write.Close(); err == nil {
			err = werr
		}
	}
	return err
}

// PrepareBulkLoad gives the writer a large page cache for a bulk load (the reference data
// generator); the setting lasts while the connection does.
func (db *DB) PrepareBulkLoad(ctx context.Context) error {
	if db.Dialect != query.SQLite {
		return nil
	}
	_, err := db.write.ExecContext(ctx, "PRAGMA cache_size = -262144")
	return err
}

// FinishBulkLoad gathers PostgreSQL's planner statistics after a bulk load. Without them the
// planner guesses a few hundred rows for "id > ?" and reads a keyset page as a bitmap scan and
// sort of every later row, so following nextPageUrl through a million tickets grows with the
// square of the pages; autovacuum gathers them eventually, and never where it is off. SQLite's
// planner needs none for these queries, and its plans were measured without them.
func (db *DB) FinishBulkLoad(ctx context.Context) error {
	if db.Dialect != query.Postgres {
		return nil
	}
	rows, err := db.write.QueryContext(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
	tables, err := scanAll(rows, err, func(r scanner) (string, error) {
		var t string
		return t, r.Scan(&t)
	})
	if err != nil {
		return err
	}
	for _, t := range tables { // only this database's schema, not every schema on the server
		if _, err := db.write.ExecContext(ctx, "ANALYZE "+quote(t)); err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return nil
}

// SQL gives the raw handles to code that manages its own statements (migrations, benchmarks).
func (db *DB) SQL() *sql.DB { return db.write }

type tenantKey struct{}

// WithTenant returns a context whose store calls act on tenant.
func WithTenant(ctx context.Context, tenant int64) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

// TenantFrom returns the tenant set by WithTenant.
func TenantFrom(ctx context.Context) (int64, error) {
	t, ok := ctx.Value(tenantKey{}).(int64)
	if !ok {
		return 0, ErrNoTenant
	}
	return t, nil
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a transaction; its methods are the writes of the store.
type Tx struct {
	db *DB
	tx *sql.Tx
}

// InTx runs fn in one transaction, committing when it returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{db: db, tx: sqlTx}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// withCustomPlans asks PostgreSQL to plan every execution of a prepared statement with its
// actual arguments. The store prepares its reads once and runs them many times; a generic plan,
// which PostgreSQL may switch to after five runs, does not know the keyset bound and can read
// every row past it and sort, where the custom plan walks the primary key.
func withCustomPlans(database string) string {
	u, err := url.Parse(database)
	if err != nil {
		return database
	}
	q := u.Query()
	if q.Get("plan_cache_mode") == "" {
		q.Set("plan_cache_mode", "force_custom_plan")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// sqliteReaders is how many connections read an SQLite database at once: twice the cores Go
// uses, at least 4. A read holds its connection only while its statement runs, so more would
// not read faster; each one keeps its own page cache and parsed schema (≈ 6 MB), so 16 on a
// 2-core machine cost 80 MB of memory for nothing (docs/performance.md, P1 and P6).
func sqliteReaders() int {
	return max(4, 2*runtime.GOMAXPROCS(0))
}
