package limits

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
)

// Postgres counts for every node in the deployment's PostgreSQL database: requests per tenant and
// minute in api_request_minutes (each node adds its counts every sync interval), thread slots
// as session advisory locks, which PostgreSQL frees by itself when a node dies.
type Postgres struct {
	db *sql.DB // a pool of its own: a slot holds a connection while its request runs

	mu       sync.Mutex
	prunedAt int64
}

// OpenPostgres opens the shared store on the database of a postgres:// URL. The table comes
// from the store's migrations.
func OpenPostgres(dsn string) (*Postgres, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("API limits: open postgres: %w", err)
	}
	db.SetMaxOpenConns(128)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Postgres{db: db}, nil
}

// Close closes the pool; the slots it holds are freed by the server.
func (p *Postgres) Close() error { return p.db.Close() }

// Sync adds the deltas and reads the window of the tenants.
func (p *Postgres) Sync(ctx context.Context, deltas []Delta, tenants []int64, fromMinute int64) (map[int64]map[int64]int64, error) {
	if len(deltas) > 0 {
		var b strings.Builder
		args := make([]any, 0, len(deltas)*3)
		b.WriteString(`INSERT INTO api_request_minutes (tenant_id, minute, requests) VALUES `)
		for i, d := range deltas {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "($%d, $%d, $%d)", i*3+1, i*3+2, i*3+3)
			args = append(args, d.Tenant, d.Minute, d.Requests)
		}
		b.WriteString(` ON CONFLICT (tenant_id, minute) DO UPDATE SET requests = api_request_minutes.requests + excluded.requests`)
		if _, err := p.db.ExecContext(ctx, b.String(), args...); err != nil {
			return nil, fmt.Errorf("add request counts: %w", err)
		}
	}
	ids := make([]string, len(tenants))
	for i, t := range tenants {
		ids[i] = fmt.Sprint(t) // int64s of our own: no injection
	}
	rows, err := p.db.QueryContext(ctx, `SELECT tenant_id, minute, requests FROM api_request_minutes WHERE tenant_id IN (`+strings.Join(ids, ",")+`) AND minute >= $1`, fromMinute)
	if err != nil {
		return nil, fmt.Errorf("read request counts: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[int64]int64{}
	for rows.Next() {
		var t, m, n int64
		if err := rows.Scan(&t, &m, &n); err != nil {
			return nil, err
		}
		if out[t] == nil {
			out[t] = map[int64]int64{}
		}
		out[t][m] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	prune := fromMinute-p.prunedAt >= 10
	if prune {
		p.prunedAt = fromMinute
	}
	p.mu.Unlock()
	if prune { // minutes out of every window, every ten minutes or so
		if _, err := p.db.ExecContext(ctx, `DELETE FROM api_request_minutes WHERE minute < $1`, fromMinute-1); err != nil {
			return nil, fmt.Errorf("prune request counts: %w", err)
		}
	}
	return out, nil
}

// Acquire takes the first free slot of the key: session advisory lock base+1 … base+limit.
func (p *Postgres) Acquire(ctx context.Context, key string, limit int) (func(), bool, error) {
	limit = min(limit, 255)
	h := fnv.New64a()
	_, _ = h.Write([]byte("switchboard-thread\x00" + key))
	base := int64(h.Sum64() &^ 0xff)
	conn, err := p.db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	var slot int64
	err = conn.QueryRowContext(ctx, `SELECT s FROM generate_series(1, $2::int) s WHERE pg_try_advisory_lock($1::bigint + s) LIMIT 1`, base, limit).Scan(&slot)
	if errors.Is(err, sql.ErrNoRows) {
		conn.Close()
		return nil, false, nil
	}
	if err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
		return nil, false, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1::bigint)`, base+slot); err != nil {
				// Drop the connection: its session, and the lock with it, ends.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
			conn.Close()
		})
	}, true, nil
}
