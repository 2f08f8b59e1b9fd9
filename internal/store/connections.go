package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Connection is the stored record of a connection to an Autotask-compatible tenant. TenantID is
// its owner: the local tenant whose console (or "connection add --tenant") made it, or 0 for a
// deployment-wide connection made by the operator. Names are unique across the deployment.
// SecretEnc is ciphertext; the store never sees the secret.
type Connection struct {
	Name            string
	TenantID        int64
	Username        string
	SecretEnc       string
	IntegrationCode string
	BaseURL         string // empty: discover the zone
	DiscoveryURL    string // empty: Autotask's own
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// The outcome of the latest test (TestedAt zero: never tested).
	TestedAt    time.Time
	TestOK      bool
	TestMessage string
}

const connectionColumns = `name, tenant_id, username, secret_enc, integration_code, base_url, discovery_url, created_at, updated_at, tested_at, test_ok, test_message`

// SaveConnection adds a connection, or replaces the one of the same name (compared
// case-insensitively) when replace is true and it has the same owner (c.TenantID); otherwise a
// taken name is ErrConflict: a name is never taken over from another owner. Replacing forgets
// the latest test outcome.
func (db *DB) SaveConnection(ctx context.Context, c *Connection, replace bool) error {
	now := time.Now().UTC()
	c.UpdatedAt = now
	return db.InTx(ctx, func(tx *Tx) error {
		var created string
		var owner int64
		err := tx.tx.QueryRowContext(ctx, rebind(db.Dialect, `SELECT created_at, tenant_id FROM connections WHERE name_key = ?`), strings.ToLower(c.Name)).Scan(&created, &owner)
		switch {
		case err == nil && (!replace || owner != c.TenantID):
			return fmt.Errorf("%w: a connection named %q exists", ErrConflict, c.Name)
		case err == nil:
			c.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
			_, err = tx.tx.ExecContext(ctx, rebind(db.Dialect, `UPDATE connections SET name = ?, username = ?, secret_enc = ?, integration_code = ?, base_url = ?, discovery_url = ?,
				updated_at = ?, tested_at = '', test_ok = 0, test_message = '' WHERE name_key = ? AND tenant_id = ?`),
				c.Name, c.Username, c.SecretEnc, c.IntegrationCode, c.BaseURL, c.DiscoveryURL, now.Format(time.RFC3339Nano), strings.ToLower(c.Name), c.TenantID)
			c.TestedAt, c.TestOK, c.TestMessage = time.Time{}, false, ""
			return err
		case errors.Is(err, sql.ErrNoRows):
			c.CreatedAt = now
			_, err = tx.tx.ExecContext(ctx, rebind(db.Dialect, `INSERT INTO connections (name_key, `+connectionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0, '')`),
				strings.ToLower(c.Name), c.Name, c.TenantID, c.Username, c.SecretEnc, c.IntegrationCode, c.BaseURL, c.DiscoveryURL, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
			if err != nil && isUniqueViolation(err) {
				return fmt.Errorf("%w: a connection named %q exists", ErrConflict, c.Name)
			}
			return err
		default:
			return err
		}
	})
}

func scanConnection(row scanner) (*Connection, error) {
	var c Connection
	var created, updated, tested string
	var ok int
	if err := row.Scan(&c.Name, &c.TenantID, &c.Username, &c.SecretEnc, &c.IntegrationCode, &c.BaseURL, &c.DiscoveryURL, &created, &updated, &tested, &ok, &c.TestMessage); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	c.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	c.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
	if tested != "" {
		c.TestedAt, _ = time.Parse(time.RFC3339Nano, tested)
	}
	c.TestOK = ok != 0
	return &c, nil
}

// ConnectionByName finds a connection by name, case-insensitively; ErrNotFound when none.
func (db *DB) ConnectionByName(ctx context.Context, name string) (*Connection, error) {
	return scanConnection(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+connectionColumns+` FROM connections WHERE name_key = ?`), strings.ToLower(name)))
}

// Connections lists the connections owned by owner (AnyOwner: every connection) by name.
func (db *DB) Connections(ctx context.Context, owner int64) ([]*Connection, error) {
	where, args := ownerClause(owner)
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT `+connectionColumns+` FROM connections WHERE 1 = 1`+where+` ORDER BY name_key`), args...)
	return scanAll(rows, err, scanConnection)
}

// AnyOwner, as the owner of DeleteConnection and RecordConnectionTest, matches a connection
// whoever owns it (the operator's command line).
const AnyOwner int64 = -1

// ownerClause restricts a statement on connections to one owner unless owner is AnyOwner.
func ownerClause(owner int64) (string, []any) {
	if owner == AnyOwner {
		return "", nil
	}
	return " AND tenant_id = ?", []any{owner}
}

// DeleteConnection removes the connection of that name owned by owner (AnyOwner: whoever owns
// it); ErrNotFound when there is none.
func (db *DB) DeleteConnection(ctx context.Context, name string, owner int64) error {
	where, args := ownerClause(owner)
	res, err := db.write.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM connections WHERE name_key = ?`+where), append([]any{strings.ToLower(name)}, args...)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RecordConnectionTest keeps the outcome of a test of the connection of that name owned by owner
// (AnyOwner: whoever owns it).
func (db *DB) RecordConnectionTest(ctx context.Context, name string, owner int64, at time.Time, ok bool, message string) error {
	where, args := ownerClause(owner)
	res, err := db.write.ExecContext(ctx, rebind(db.Dialect, `UPDATE connections SET tested_at = ?, test_ok = ?, test_message = ? WHERE name_key = ?`+where),
		append([]any{at.UTC().Format(time.RFC3339Nano), b2i(ok), message, strings.ToLower(name)}, args...)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
