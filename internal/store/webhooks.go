package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// The webhook outbox (internal/webhook). An event is written in the transaction of the change
// that caused it, one row per webhook, keyed by the webhook's own sequence; a queue row per
// webhook carries its delivery state: when the next attempt is due, the consecutive failures, and
// the lease of the node delivering it. Leasing the queue, not the event, keeps each webhook's
// events in order across nodes.

// RowsWhere reads the tenant's rows of e whose field equals value (every row when field is
// ""), in id order, inside the transaction. For small tables: webhooks and their fields.
func (tx *Tx) RowsWhere(ctx context.Context, e *catalog.Entity, field string, value any) ([]*Row, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	d := tx.db.Dialect
	a := &args{d: d}
	stmt := "SELECT " + selectList(d, e) + " FROM " + quote(e.Table) + " WHERE tenant_id = " + a.add(tenant)
	if field != "" {
		f, ok := e.Field(field)
		if !ok {
			return nil, fmt.Errorf("store: %s has no field %s", e.Name, field)
		}
		stmt += " AND " + quote(f.Column) + " = " + a.add(value)
	}
	rows, err := tx.tx.QueryContext(ctx, rebind(d, stmt+" ORDER BY id"), a.list...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", e.Table, err)
	}
	return scanRows(d, e, rows)
}

// DeleteWhere deletes the tenant's rows of e whose field equals value.
func (tx *Tx) DeleteWhere(ctx context.Context, e *catalog.Entity, field string, value any) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	f, ok := e.Field(field)
	if !ok {
		return fmt.Errorf("store: %s has no field %s", e.Name, field)
	}
	a := &args{d: tx.db.Dialect}
	_, err = tx.tx.ExecContext(ctx, rebind(a.d, "DELETE FROM "+quote(e.Table)+" WHERE tenant_id = "+a.add(tenant)+" AND "+quote(f.Column)+" = "+a.add(value)), a.list...)
	return err
}

// SequenceValue reads the tenant's sequence name inside the transaction (0 when it was never
// used); a counter that only grows serves as a version.
func (tx *Tx) SequenceValue(ctx context.Context, name string) (int64, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = tx.tx.QueryRowContext(ctx, rebind(tx.db.Dialect, `SELECT next_id FROM sequences WHERE tenant_id = ? AND name = ?`), tenant, name).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// WebhookQueue names one webhook's queue of events.
type WebhookQueue struct {
	TenantID   int64
	Collection string // the webhook collection, e.g. TicketWebhooks
	WebhookID  int64
	Failures   int64 // consecutive failed attempts
	LeaseUntil time.Time
}

// WebhookEvent is one event waiting in the outbox.
type WebhookEvent struct {
	Seq      int64
	Body     []byte
	Attempts int64
	Created  time.Time
}

// EnqueueWebhookEvent writes an event into the outbox of a webhook in the transaction of the
// change that caused it.
func (tx *Tx) EnqueueWebhookEvent(ctx context.Context, collection string, webhookID, seq int64, body []byte, at time.Time) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	d := tx.db.Dialect
	if _, err := tx.tx.ExecContext(ctx, rebind(d, `INSERT INTO webhook_outbox (tenant_id, webhook_collection, webhook_id, seq, body, attempts, created_at)
		VALUES (?, ?, ?, ?, ?, 0, ?)`), tenant, collection, webhookID, seq, string(body), at.UnixMilli()); err != nil {
		return fmt.Errorf("webhook outbox: %w", err)
	}
	if _, err := tx.tx.ExecContext(ctx, rebind(d, `INSERT INTO webhook_queues (tenant_id, webhook_collection, webhook_id, next_attempt_at, lease_until, lease_owner, failures)
		VALUES (?, ?, ?, 0, 0, '', 0) ON CONFLICT (tenant_id, webhook_collection, webhook_id) DO NOTHING`), tenant, collection, webhookID); err != nil {
		return fmt.Errorf("webhook queue: %w", err)
	}
	return nil
}

// ClaimWebhookQueues leases up to limit queues, across tenants, that have events due and no
// valid lease, to owner until leaseUntil. On PostgreSQL the claim skips queues another node is
// claiming at that moment (FOR UPDATE SKIP LOCKED); a lease is only taken when the previous one
// has expired, so two nodes never deliver one webhook's events at once.
func (db *DB) ClaimWebhookQueues(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]WebhookQueue, error) {
	lock := ""
	if db.Dialect == query.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	stmt := rebind(db.Dialect, `UPDATE webhook_queues SET lease_until = ?, lease_owner = ?
		WHERE (tenant_id, webhook_collection, webhook_id) IN (
			SELECT q.tenant_id, q.webhook_collection, q.webhook_id FROM webhook_queues q
			WHERE q.lease_until < ? AND q.next_attempt_at <= ?
			AND EXISTS (SELECT 1 FROM webhook_outbox o WHERE o.tenant_id = q.tenant_id AND o.webhook_collection = q.webhook_collection AND o.webhook_id = q.webhook_id)
			ORDER BY q.next_attempt_at LIMIT ?`+lock+`)
		RETURNING tenant_id, webhook_collection, webhook_id, failures`)
	var out []WebhookQueue
	err := db.InTx(ctx, func(tx *Tx) error {
		rows, err := tx.tx.QueryContext(ctx, stmt, leaseUntil.UnixMilli(), owner, now.UnixMilli(), now.UnixMilli(), limit)
		out, err = scanAll(rows, err, func(row scanner) (WebhookQueue, error) {
			q := WebhookQueue{LeaseUntil: leaseUntil}
			err := row.Scan(&q.TenantID, &q.Collection, &q.WebhookID, &q.Failures)
			return q, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhook queues: %w", err)
	}
	return out, nil
}

// WebhookEvents reads up to limit events of a queue, oldest first.
func (db *DB) WebhookEvents(ctx context.Context, q WebhookQueue, limit int) ([]WebhookEvent, error) {
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT seq, body, attempts, created_at FROM webhook_outbox
		WHERE tenant_id = ? AND webhook_collection = ? AND webhook_id = ? ORDER BY seq LIMIT ?`), q.TenantID, q.Collection, q.WebhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("webhook events: %w", err)
	}
	defer rows.Close()
	var out []WebhookEvent
	for rows.Next() {
		var ev WebhookEvent
		var body string
		var created int64
		if err := rows.Scan(&ev.Seq, &body, &ev.Attempts, &created); err != nil {
			return nil, err
		}
		ev.Body, ev.Created = []byte(body), time.UnixMilli(created)
		out = append(out, ev)
	}
	return out, rows.Err()
}

// DeleteWebhookEvents removes a queue's events up to and including seq (delivered or logged).
func (tx *Tx) DeleteWebhookEvents(ctx context.Context, q WebhookQueue, upTo int64) error {
	_, err := tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `DELETE FROM webhook_outbox WHERE tenant_id = ? AND webhook_collection = ? AND webhook_id = ? AND seq <= ?`),
		q.TenantID, q.Collection, q.WebhookID, upTo)
	return err
}

// SetWebhookEventAttempts records how many attempts an event has had.
func (tx *Tx) SetWebhookEventAttempts(ctx context.Context, q WebhookQueue, seq, attempts int64) error {
	_, err := tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `UPDATE webhook_outbox SET attempts = ? WHERE tenant_id = ? AND webhook_collection = ? AND webhook_id = ? AND seq = ?`),
		attempts, q.TenantID, q.Collection, q.WebhookID, seq)
	return err
}

// SetWebhookQueue records a queue's consecutive failures and when its next attempt is due.
func (tx *Tx) SetWebhookQueue(ctx context.Context, q WebhookQueue, failures int64, next time.Time) error {
	_, err := tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `UPDATE webhook_queues SET failures = ?, next_attempt_at = ? WHERE tenant_id = ? AND webhook_collection = ? AND webhook_id = ?`),
		failures, next.UnixMilli(), q.TenantID, q.Collection, q.WebhookID)
	return err
}

// ReleaseWebhookQueue gives up owner's lease of a queue.
func (db *DB) ReleaseWebhookQueue(ctx context.Context, q WebhookQueue, owner string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `UPDATE webhook_queues SET lease_until = 0, lease_owner = '' WHERE tenant_id = ? AND webhook_collection = ? AND webhook_id = ? AND lease_owner = ?`),
			q.TenantID, q.Collection, q.WebhookID, owner)
		return err
	})
}

// ReleaseAllWebhookLeases ends every lease; for a single node (SQLite) starting up, whose
// leases can only be its own from before a crash.
func (db *DB) ReleaseAllWebhookLeases(ctx context.Context) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `UPDATE webhook_queues SET lease_until = 0, lease_owner = '' WHERE lease_until <> 0`)
		return err
	})
}

// DropWebhookQueue removes a webhook's queue and its events (the webhook was deleted).
func (tx *Tx) DropWebhookQueue(ctx context.Context, collection string, webhookID int64) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	d := tx.db.Dialect
	for _, t := range []string{"webhook_outbox", "webhook_queues"} {
		if _, err := tx.tx.ExecContext(ctx, rebind(d, `DELETE FROM `+t+` WHERE tenant_id = ? AND webhook_collection = ? AND webhook_id = ?`), tenant, collection, webhookID); err != nil {
			return err
		}
	}
	return nil
}

// PendingWebhookEvents counts the events waiting in the outbox, across tenants.
func (db *DB) PendingWebhookEvents(ctx context.Context) (int64, error) {
	var n int64
	err := db.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_outbox`).Scan(&n)
	return n, err
}

// PurgeBefore deletes, across tenants, the rows of e whose datetime field is before t (the
// webhook error log keeps 30 days).
func (db *DB) PurgeBefore(ctx context.Context, e *catalog.Entity, field string, t time.Time) (int64, error) {
	f, ok := e.Field(field)
	if !ok || f.Type != catalog.DateTime {
		return 0, fmt.Errorf("store: %s has no datetime field %s", e.Name, field)
	}
	a := &args{d: db.Dialect}
	var res sql.Result
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		res, err = tx.tx.ExecContext(ctx, rebind(a.d, "DELETE FROM "+quote(e.Table)+" WHERE "+quote(f.Column)+" < "+a.add(t.UTC())), a.list...)
		return err
	})
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}
