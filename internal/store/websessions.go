package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Web sessions and portal logins (the console migration): plain reads and writes; the rules
// (expiry, lockout, password policy) live in internal/psa.

// WebSession is a signed-in browser: a console resource or a portal contact.
type WebSession struct {
	TokenHash string
	TenantID  int64
	Kind      string // "console" or "portal"
	SubjectID int64  // resource id or contact id
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateWebSession stores a session.
func (db *DB) CreateWebSession(ctx context.Context, s *WebSession) error {
	_, err := db.write.ExecContext(ctx, rebind(db.Dialect, `INSERT INTO web_sessions (token_hash, tenant_id, kind, subject_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		s.TokenHash, s.TenantID, s.Kind, s.SubjectID, s.CSRF, s.CreatedAt.UTC().Format(time.RFC3339Nano), s.ExpiresAt.UTC().Format(time.RFC3339Nano))
	return err
}

// WebSession reads a session by its token hash; ErrNotFound when there is none.
func (db *DB) WebSession(ctx context.Context, tokenHash string) (*WebSession, error) {
	s := &WebSession{TokenHash: tokenHash}
	var created, expires string
	err := db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT tenant_id, kind, subject_id, csrf, created_at, expires_at FROM web_sessions WHERE token_hash = ?`), tokenHash).
		Scan(&s.TenantID, &s.Kind, &s.SubjectID, &s.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	s.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	s.ExpiresAt, _ = time.Parse(time.RFC3339Nano, expires)
	return s, nil
}

// ExtendWebSession moves a session's expiry.
func (db *DB) ExtendWebSession(ctx context.Context, tokenHash string, expires time.Time) error {
	_, err := db.write.ExecContext(ctx, rebind(db.Dialect, `UPDATE web_sessions SET expires_at = ? WHERE token_hash = ?`), expires.UTC().Format(time.RFC3339Nano), tokenHash)
	return err
}

// DeleteWebSession ends a session.
func (db *DB) DeleteWebSession(ctx context.Context, tokenHash string) error {
	_, err := db.write.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM web_sessions WHERE token_hash = ?`), tokenHash)
	return err
}

// DeleteWebSessionsOf ends every session of one subject of the tenant in ctx (after a password
// change or deactivation); keep, when not empty, is spared.
func (db *DB) DeleteWebSessionsOf(ctx context.Context, kind string, subjectID int64, keep string) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM web_sessions WHERE tenant_id = ? AND kind = ? AND subject_id = ? AND token_hash <> ?`), tenant, kind, subjectID, keep)
	return err
}

// DeleteExpiredWebSessions removes sessions that expired before now.
func (db *DB) DeleteExpiredWebSessions(ctx context.Context, now time.Time) error {
	_, err := db.write.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM web_sessions WHERE expires_at < ?`), now.UTC().Format(time.RFC3339Nano))
	return err
}

// PortalLogin is a contact's client-portal credential.
type PortalLogin struct {
	TenantID     int64
	ContactID    int64
	Email        string
	PasswordHash string
	FailedLogins int64
	Locked       bool
}

func scanPortal(row scanner) (*PortalLogin, error) {
	p := &PortalLogin{}
	var locked int
	if err := row.Scan(&p.TenantID, &p.ContactID, &p.Email, &p.PasswordHash, &p.FailedLogins, &locked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	p.Locked = locked != 0
	return p, nil
}

const portalCols = `tenant_id, contact_id, email, password_hash, failed_logins, locked`

// PortalLoginByEmail finds a portal login in any tenant by email (case-insensitive).
func (db *DB) PortalLoginByEmail(ctx context.Context, email string) (*PortalLogin, error) {
	return scanPortal(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+portalCols+` FROM portal_logins WHERE email = ?`), strings.ToLower(strings.TrimSpace(email))))
}

// PortalLogin reads the portal login of a contact of the tenant in ctx.
func (db *DB) PortalLogin(ctx context.Context, contactID int64) (*PortalLogin, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	return scanPortal(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+portalCols+` FROM portal_logins WHERE tenant_id = ? AND contact_id = ?`), tenant, contactID))
}

// PortalLogins reads the portal logins of these contacts of the tenant in ctx in one query,
// keyed by contact id; a contact without one has no key. Lists ask it for the contacts of a
// page (at most a few hundred), so the IN list stays far below either database's limit on
// parameters.
func (db *DB) PortalLogins(ctx context.Context, contactIDs []int64) (map[int64]*PortalLogin, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*PortalLogin, len(contactIDs))
	if len(contactIDs) == 0 {
		return out, nil
	}
	ph := make([]string, len(contactIDs))
	args := make([]any, 0, len(contactIDs)+1)
	args = append(args, tenant)
	for i, id := range contactIDs {
		ph[i] = "?"
		args = append(args, id)
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT `+portalCols+` FROM portal_logins WHERE tenant_id = ? AND contact_id IN (`+strings.Join(ph, ", ")+`)`), args...)
	list, err := scanAll(rows, err, scanPortal)
	if err != nil {
		return nil, err
	}
	for _, p := range list {
		out[p.ContactID] = p
	}
	return out, nil
}

// SavePortalLogin inserts or replaces a contact's portal login; ErrConflict when another contact
// already uses the email.
func (db *DB) SavePortalLogin(ctx context.Context, p *PortalLogin) error {
	_, err := db.write.ExecContext(ctx, rebind(db.Dialect, `INSERT INTO portal_logins (`+portalCols+`, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, contact_id) DO UPDATE SET email = excluded.email, password_hash = excluded.password_hash,
		failed_logins = excluded.failed_logins, locked = excluded.locked, updated_at = excluded.updated_at`),
		p.TenantID, p.ContactID, strings.ToLower(strings.TrimSpace(p.Email)), p.PasswordHash, p.FailedLogins, b2i(p.Locked), time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil && isUniqueViolation(err) {
		return ErrConflict
	}
	return err
}

// DeletePortalLogin removes a contact's portal access.
func (db *DB) DeletePortalLogin(ctx context.Context, contactID int64) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	_, err = db.write.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM portal_logins WHERE tenant_id = ? AND contact_id = ?`), tenant, contactID)
	return err
}

// RecentAuthFailures lists the tenant's latest failed authentications of every user (API,
// console and portal), newest first.
func (db *DB) RecentAuthFailures(ctx context.Context, limit int) ([]AuthFailure, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT username, remote_addr, reason, at FROM auth_failures WHERE tenant_id = ? ORDER BY at DESC LIMIT ?`), tenant, int64(limit))
	return scanAll(rows, err, scanAuthFailure)
}
