package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The tables of the access model (migration 3): tenant settings, usernames, security-level
// copies, resource security, approvers. Rules live in internal/access and internal/psa; these
// are plain reads and writes, tenant from the context.

// SaveTenantSettings writes the tenant's access settings and bumps its access generation.
func (tx *Tx) SaveTenantSettings(ctx context.Context, s TenantSettings) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `UPDATE tenants SET lockout_threshold = ?, strong_passwords = ?, org_structure = ?,
		org_level1_label = ?, org_level2_label = ?, username_domain = ?, access_generation = access_generation + 1 WHERE id = ?`),
		s.LockoutThreshold, b2i(s.StrongPasswords), b2i(s.OrgStructure), s.OrgLevel1Label, s.OrgLevel2Label, s.UsernameDomain, tenant)
	return err
}

// BumpAccessGeneration records that something changed who may do what in the tenant, so that
// every server drops what it remembers of the tenant's credentials and rights.
func (tx *Tx) BumpAccessGeneration(ctx context.Context) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `UPDATE tenants SET access_generation = access_generation + 1 WHERE id = ?`), tenant)
	return err
}

// AccessGenerations returns every tenant's access generation.
func (db *DB) AccessGenerations(ctx context.Context) (map[int64]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, access_generation FROM tenants`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, g int64
		if err := rows.Scan(&id, &g); err != nil {
			return nil, err
		}
		out[id] = g
	}
	return out, rows.Err()
}

// ReserveUsername claims a username for a resource of the tenant. Usernames are unique across
// every tenant, inactive resources included, compared without regard to case; a taken one is
// ErrConflict.
func (tx *Tx) ReserveUsername(ctx context.Context, username string, resourceID int64) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `INSERT INTO usernames (username, tenant_id, resource_id) VALUES (?, ?, ?)`),
		strings.ToLower(username), tenant, resourceID)
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("%w: username %q is taken", ErrConflict, username)
	}
	return err
}

// ReleaseUsername gives up a resource's claim to a username (when it is changed).
func (tx *Tx) ReleaseUsername(ctx context.Context, username string) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `DELETE FROM usernames WHERE username = ? AND tenant_id = ?`), strings.ToLower(username), tenant)
	return err
}

// UsernameOwner finds the tenant and resource a username belongs to, in any tenant.
func (db *DB) UsernameOwner(ctx context.Context, username string) (tenantID, resourceID int64, err error) {
	err = db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT tenant_id, resource_id FROM usernames WHERE username = ?`), strings.ToLower(username)).Scan(&tenantID, &resourceID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrNotFound
	}
	return tenantID, resourceID, err
}

// SecurityLevelRow is a tenant's custom security level as stored; Definition is its grid and
// flags in JSON (internal/access).
type SecurityLevelRow struct {
	ID         int64
	Name       string
	APIOnly    bool
	Active     bool
	License    int64
	Base       int64
	Definition string
	CreatedAt  time.Time
}

const levelColumns = `id, name, api_only, is_active, license_type, base_level_id, definition, created_at`

func scanLevel(row scanner) (*SecurityLevelRow, error) {
	var l SecurityLevelRow
	var api, active int
	var created string
	if err := row.Scan(&l.ID, &l.Name, &api, &active, &l.License, &l.Base, &l.Definition, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	l.APIOnly, l.Active = api != 0, active != 0
	l.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return &l, nil
}

// SecurityLevels lists the tenant's custom levels in id order.
func (db *DB) SecurityLevels(ctx context.Context) ([]*SecurityLevelRow, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT `+levelColumns+` FROM security_levels WHERE tenant_id = ? ORDER BY id`), tenant)
	return scanAll(rows, err, scanLevel)
}

// SecurityLevel reads one custom level.
func (db *DB) SecurityLevel(ctx context.Context, id int64) (*SecurityLevelRow, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	return scanLevel(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+levelColumns+` FROM security_levels WHERE tenant_id = ? AND id = ?`), tenant, id))
}

// SaveSecurityLevel inserts a custom level (ID 0: a new id from firstID up) or rewrites one.
// A name another level of the tenant has is ErrConflict.
func (tx *Tx) SaveSecurityLevel(ctx context.Context, l *SecurityLevelRow, nameKey string, firstID int64) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	d := tx.db.Dialect
	if l.ID == 0 {
		if err := tx.BumpSequence(ctx, "security_levels", firstID-1); err != nil {
			return err
		}
		if l.ID, err = tx.NextID(ctx, "security_levels"); err != nil {
			return err
		}
		l.CreatedAt = time.Now().UTC()
		_, err = tx.tx.ExecContext(ctx, rebind(d, `INSERT INTO security_levels (tenant_id, id, name, name_key, api_only, is_active, license_type, base_level_id, definition, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), tenant, l.ID, l.Name, nameKey, b2i(l.APIOnly), b2i(l.Active), l.License, l.Base, l.Definition, l.CreatedAt.Format(time.RFC3339Nano))
	} else {
		_, err = tx.tx.ExecContext(ctx, rebind(d, `UPDATE security_levels SET name = ?, name_key = ?, is_active = ?, definition = ? WHERE tenant_id = ? AND id = ?`),
			l.Name, nameKey, b2i(l.Active), l.Definition, tenant, l.ID)
	}
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("%w: a security level named %q exists", ErrConflict, l.Name)
	}
	return err
}

// CountActiveAPIOnlyLevels counts the tenant's active API-only custom levels.
func (tx *Tx) CountActiveAPIOnlyLevels(ctx context.Context) (int, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = tx.tx.QueryRowContext(ctx, rebind(tx.db.Dialect, `SELECT COUNT(*) FROM security_levels WHERE tenant_id = ? AND api_only = 1 AND is_active = 1`), tenant).Scan(&n)
	return n, err
}

// ResourceSecurity is a resource's access record: its security level, whether it is an API-only
// user, and its console credentials.
type ResourceSecurity struct {
	ResourceID        int64
	SecurityLevelID   int64
	APIOnly           bool
	ConsoleLogin      bool     // may sign in to the console (never for API-only users)
	PasswordHash      string   // argon2id, console password; "" for none
	PasswordHistory   []string // argon2id hashes of the previous passwords, newest first
	PasswordChangedAt time.Time
	FailedLogins      int64
	Locked            bool
}

const securityColumns = `resource_id, security_level_id, api_only, console_login, password_hash, password_history, password_changed_at, failed_logins, locked`

func scanSecurity(row scanner) (*ResourceSecurity, error) {
	var s ResourceSecurity
	var api, console, locked int
	var history, changed string
	if err := row.Scan(&s.ResourceID, &s.SecurityLevelID, &api, &console, &s.PasswordHash, &history, &changed, &s.FailedLogins, &locked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	s.APIOnly, s.ConsoleLogin, s.Locked = api != 0, console != 0, locked != 0
	if history != "" {
		_ = json.Unmarshal([]byte(history), &s.PasswordHistory)
	}
	s.PasswordChangedAt, _ = time.Parse(time.RFC3339Nano, changed)
	return &s, nil
}

// ResourceSecurity reads a resource's access record; ErrNotFound when it has none (a resource
// imported in bulk).
func (db *DB) ResourceSecurity(ctx context.Context, resourceID int64) (*ResourceSecurity, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	return scanSecurity(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+securityColumns+` FROM resource_security WHERE tenant_id = ? AND resource_id = ?`), tenant, resourceID))
}

// ResourceSecurity reads a resource's access record inside the transaction.
func (tx *Tx) ResourceSecurity(ctx context.Context, resourceID int64) (*ResourceSecurity, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	return scanSecurity(tx.tx.QueryRowContext(ctx, rebind(tx.db.Dialect, `SELECT `+securityColumns+` FROM resource_security WHERE tenant_id = ? AND resource_id = ?`), tenant, resourceID))
}

// SaveResourceSecurity writes a resource's access record (insert or replace).
func (tx *Tx) SaveResourceSecurity(ctx context.Context, s *ResourceSecurity) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	history := ""
	if len(s.PasswordHistory) > 0 {
		b, _ := json.Marshal(s.PasswordHistory)
		history = string(b)
	}
	changed := ""
	if !s.PasswordChangedAt.IsZero() {
		changed = s.PasswordChangedAt.UTC().Format(time.RFC3339Nano)
	}
	_, err = tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `INSERT INTO resource_security (tenant_id, `+securityColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, resource_id) DO UPDATE SET security_level_id = excluded.security_level_id, api_only = excluded.api_only,
		console_login = excluded.console_login, password_hash = excluded.password_hash, password_history = excluded.password_history,
		password_changed_at = excluded.password_changed_at, failed_logins = excluded.failed_logins, locked = excluded.locked`),
		tenant, s.ResourceID, s.SecurityLevelID, b2i(s.APIOnly), b2i(s.ConsoleLogin), s.PasswordHash, history, changed, s.FailedLogins, b2i(s.Locked))
	return err
}

// CountResourcesWithLevel counts the tenant's resources holding a security level.
func (db *DB) CountResourcesWithLevel(ctx context.Context, levelID int64) (int64, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT COUNT(*) FROM resource_security WHERE tenant_id = ? AND security_level_id = ?`), tenant, levelID).Scan(&n)
	return n, err
}

// SetApprovers replaces a resource's approvers of one kind ("timesheet", "expense").
func (tx *Tx) SetApprovers(ctx context.Context, resourceID int64, kind string, approvers []int64) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	d := tx.db.Dialect
	if _, err := tx.tx.ExecContext(ctx, rebind(d, `DELETE FROM resource_approvers WHERE tenant_id = ? AND resource_id = ? AND kind = ?`), tenant, resourceID, kind); err != nil {
		return err
	}
	for i, a := range approvers {
		if _, err := tx.tx.ExecContext(ctx, rebind(d, `INSERT INTO resource_approvers (tenant_id, resource_id, kind, approver_id, approval_level) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, resource_id, kind, approver_id) DO NOTHING`), tenant, resourceID, kind, a, int64(i+1)); err != nil {
			return err
		}
	}
	return nil
}

// Approvers returns a resource's approvers by kind, in approval-level order.
func (db *DB) Approvers(ctx context.Context, resourceID int64) (map[string][]int64, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT kind, approver_id FROM resource_approvers WHERE tenant_id = ? AND resource_id = ? ORDER BY kind, approval_level`), tenant, resourceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			return nil, err
		}
		out[k] = append(out[k], id)
	}
	return out, rows.Err()
}
