package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// API users' credentials, tracking identifiers, failed authentications and usage per
// identifier. APIUser and CreateAPIUser are in tenants.go.

const apiUserColumns = `username, tenant_id, resource_id, secret_hash, integration_code, is_active, failed_logins, locked, created_at`

func scanAPIUser(row scanner) (*APIUser, error) {
	var u APIUser
	var active, locked int
	var created string
	err := row.Scan(&u.Username, &u.TenantID, &u.ResourceID, &u.SecretHash, &u.IntegrationCode, &active, &u.FailedLogins, &locked, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	u.Active, u.Locked = active != 0, locked != 0
	u.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return &u, nil
}

// APIUsers lists the tenant's API users by username.
func (db *DB) APIUsers(ctx context.Context) ([]*APIUser, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT `+apiUserColumns+` FROM api_users WHERE tenant_id = ? ORDER BY username`), tenant)
	return scanAll(rows, err, scanAPIUser)
}

// APIUserByResource finds the tenant's API user of a resource.
func (db *DB) APIUserByResource(ctx context.Context, resourceID int64) (*APIUser, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	return scanAPIUser(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+apiUserColumns+` FROM api_users WHERE tenant_id = ? AND resource_id = ?`), tenant, resourceID))
}

// APIUserOfTenant finds one of the tenant's API users by username.
func (db *DB) APIUserOfTenant(ctx context.Context, username string) (*APIUser, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	return scanAPIUser(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+apiUserColumns+` FROM api_users WHERE tenant_id = ? AND username = ?`), tenant, strings.ToLower(username)))
}

// UpdateAPIUser rewrites an API user's secret hash, code, active and locked state; unlocking
// clears the failure count.
func (tx *Tx) UpdateAPIUser(ctx context.Context, u *APIUser) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	if !u.Locked {
		u.FailedLogins = 0
	}
	res, err := tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `UPDATE api_users SET secret_hash = ?, integration_code = ?, is_active = ?, locked = ?, failed_logins = ?
		WHERE tenant_id = ? AND username = ?`), u.SecretHash, u.IntegrationCode, b2i(u.Active), b2i(u.Locked), u.FailedLogins, tenant, strings.ToLower(u.Username))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AuthFailure is one failed authentication.
type AuthFailure struct {
	Username   string
	RemoteAddr string
	Reason     string
	At         time.Time
}

// scanAuthFailure reads a row of SELECT username, remote_addr, reason, at FROM auth_failures.
func scanAuthFailure(row scanner) (AuthFailure, error) {
	var f AuthFailure
	var at string
	if err := row.Scan(&f.Username, &f.RemoteAddr, &f.Reason, &at); err != nil {
		return AuthFailure{}, err
	}
	f.At, _ = time.Parse(time.RFC3339Nano, at)
	return f, nil
}

// BeginAuthAttempt counts a sign-in attempt of an API user as a failure BEFORE its secret is
// checked, so that concurrent attempts (in this process or another) cannot pass the tenant's
// lockout threshold: it refuses (false) when the user is locked or already has threshold
// failures counted. A verified secret then clears the count (ResetAuthFailures); a wrong one is
// recorded by RecordAuthFailure, which locks at the threshold.
func (db *DB) BeginAuthAttempt(ctx context.Context, tenantID int64, username string, threshold int64) (bool, error) {
	var failed int64
	err := db.write.QueryRowContext(ctx, rebind(db.Dialect, `UPDATE api_users SET failed_logins = failed_logins + 1
		WHERE tenant_id = ? AND username = ? AND locked = 0 AND (? <= 0 OR failed_logins < ?) RETURNING failed_logins`),
		tenantID, strings.ToLower(username), threshold, threshold).Scan(&failed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// CancelAuthAttempt takes back an attempt BeginAuthAttempt counted whose secret was never
// checked (the server was too busy to hash it): a caller answered "busy" is not a failure.
func (db *DB) CancelAuthAttempt(ctx context.Context, tenantID int64, username string) error {
	_, err := db.write.ExecContext(ctx, rebind(db.Dialect, `UPDATE api_users SET failed_logins = failed_logins - 1
		WHERE tenant_id = ? AND username = ? AND failed_logins > 0`), tenantID, strings.ToLower(username))
	return err
}

// RecordAuthFailure records a wrong secret, already counted by BeginAuthAttempt, with the
// address it came from; at the tenant's threshold the user is locked (and the tenant's access
// generation bumped).
func (db *DB) RecordAuthFailure(ctx context.Context, tenantID int64, username, remoteAddr, reason string, threshold int64) (locked bool, err error) {
	ctx = WithTenant(ctx, tenantID)
	err = db.InTx(ctx, func(tx *Tx) error {
		d := tx.db.Dialect
		now := time.Now().UTC().Format(time.RFC3339Nano)
		if _, err := tx.tx.ExecContext(ctx, rebind(d, `INSERT INTO auth_failures (tenant_id, username, remote_addr, reason, at) VALUES (?, ?, ?, ?, ?)`),
			tenantID, strings.ToLower(username), remoteAddr, reason, now); err != nil {
			return err
		}
		var failed int64
		var wasLocked int
		err := tx.tx.QueryRowContext(ctx, rebind(d, `SELECT failed_logins, locked FROM api_users WHERE tenant_id = ? AND username = ?`),
			tenantID, strings.ToLower(username)).Scan(&failed, &wasLocked)
		if err != nil {
			return err
		}
		if wasLocked == 0 && threshold > 0 && failed >= threshold {
			if _, err := tx.tx.ExecContext(ctx, rebind(d, `UPDATE api_users SET locked = 1 WHERE tenant_id = ? AND username = ?`), tenantID, strings.ToLower(username)); err != nil {
				return err
			}
			locked = true
			return tx.BumpAccessGeneration(ctx)
		}
		return nil
	})
	return locked, err
}

// ResetAuthFailures clears an API user's failure count after a verified authentication.
func (db *DB) ResetAuthFailures(ctx context.Context, tenantID int64, username string) error {
	_, err := db.write.ExecContext(ctx, rebind(db.Dialect, `UPDATE api_users SET failed_logins = 0 WHERE tenant_id = ? AND username = ? AND locked = 0`),
		tenantID, strings.ToLower(username))
	return err
}

// CountAuthFailures is how many failed authentications of an API user are recorded: the rows
// AuthFailures lists, without a limit.
func (db *DB) CountAuthFailures(ctx context.Context, username string) (int64, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT COUNT(*) FROM auth_failures WHERE tenant_id = ? AND username = ?`),
		tenant, strings.ToLower(username)).Scan(&n)
	return n, err
}

// AuthFailures lists an API user's latest failed authentications, newest first.
func (db *DB) AuthFailures(ctx context.Context, username string, limit int) ([]AuthFailure, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT username, remote_addr, reason, at FROM auth_failures WHERE tenant_id = ? AND username = ? ORDER BY at DESC LIMIT ?`),
		tenant, strings.ToLower(username), int64(limit))
	return scanAll(rows, err, scanAuthFailure)
}

// TrackingIdentifier is an API tracking identifier of a tenant: a vendor's code from the vendor
// list, or a Custom (Internal Integration) code.
type TrackingIdentifier struct {
	Code      string
	Kind      string // "vendor" or "custom"
	Name      string
	Active    bool
	CreatedAt time.Time
}

// The kinds of tracking identifier.
const (
	TrackingVendor = "vendor"
	TrackingCustom = "custom"
)

const trackingColumns = `code, kind, name, is_active, created_at`

func scanTracking(row scanner) (*TrackingIdentifier, error) {
	var t TrackingIdentifier
	var active int
	var created string
	if err := row.Scan(&t.Code, &t.Kind, &t.Name, &active, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	t.Active = active != 0
	t.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return &t, nil
}

// TrackingIdentifiers lists the tenant's identifiers: vendors by name, then custom codes.
func (db *DB) TrackingIdentifiers(ctx context.Context) ([]*TrackingIdentifier, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT `+trackingColumns+` FROM tracking_identifiers WHERE tenant_id = ? ORDER BY kind DESC, name_key, code`), tenant)
	return scanAll(rows, err, scanTracking)
}

// TrackingIdentifier reads one of the tenant's identifiers by code.
func (db *DB) TrackingIdentifier(ctx context.Context, code string) (*TrackingIdentifier, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	return scanTracking(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+trackingColumns+` FROM tracking_identifiers WHERE tenant_id = ? AND code = ?`), tenant, code))
}

// SaveTrackingIdentifier adds an identifier; a code the tenant has already is ErrConflict.
func (tx *Tx) SaveTrackingIdentifier(ctx context.Context, t *TrackingIdentifier, nameKey string) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	t.CreatedAt = time.Now().UTC()
	_, err = tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `INSERT INTO tracking_identifiers (tenant_id, code, kind, name, name_key, is_active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		tenant, t.Code, t.Kind, t.Name, nameKey, b2i(t.Active), t.CreatedAt.Format(time.RFC3339Nano))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("%w: the tracking identifier exists", ErrConflict)
	}
	return err
}

// SetTrackingIdentifierActive turns an identifier on or off.
func (tx *Tx) SetTrackingIdentifierActive(ctx context.Context, code string, active bool) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	res, err := tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `UPDATE tracking_identifiers SET is_active = ? WHERE tenant_id = ? AND code = ?`), b2i(active), tenant, code)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Usage is the requests made with one identifier by one API user (resource) in one hour (unix
// seconds / 3600). Resource 0: counted before usage was kept per API user.
type Usage struct {
	TenantID   int64
	Code       string
	ResourceID int64
	Hour       int64
	Requests   int64
}

// AddUsage adds request counts to the stored totals.
func (db *DB) AddUsage(ctx context.Context, deltas []Usage) error {
	if len(deltas) == 0 {
		return nil
	}
	return db.InTx(ctx, func(tx *Tx) error {
		for _, u := range deltas {
			if _, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `INSERT INTO api_usage (tenant_id, hour, code, resource_id, requests) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (tenant_id, hour, code, resource_id) DO UPDATE SET requests = api_usage.requests + excluded.requests`), u.TenantID, u.Hour, u.Code, u.ResourceID, u.Requests); err != nil {
				return err
			}
		}
		return nil
	})
}

// PruneUsage deletes usage of every tenant older than an hour (unix seconds / 3600).
func (db *DB) PruneUsage(ctx context.Context, beforeHour int64) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM api_usage WHERE hour < ?`), beforeHour); err != nil {
			return err
		}
		_, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM api_threshold_notices WHERE hour < ?`), beforeHour)
		return err
	})
}

// UsageSince lists the tenant's stored request counts from an hour on, per identifier (all API
// users together), by code then hour.
func (db *DB) UsageSince(ctx context.Context, hour int64) ([]Usage, error) {
	list, err := db.UsageByUserSince(ctx, hour)
	if err != nil {
		return nil, err
	}
	var out []Usage
	idx := map[[2]any]int{}
	for _, u := range list {
		k := [2]any{u.Code, u.Hour}
		if i, ok := idx[k]; ok {
			out[i].Requests += u.Requests
			continue
		}
		idx[k] = len(out)
		u.ResourceID = 0
		out = append(out, u)
	}
	return out, nil
}

// UsageByUserSince lists the tenant's stored request counts from an hour on, per identifier
// and API user, by code, hour and resource.
func (db *DB) UsageByUserSince(ctx context.Context, hour int64) ([]Usage, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT code, hour, resource_id, requests FROM api_usage WHERE tenant_id = ? AND hour >= ? ORDER BY code, hour, resource_id`), tenant, hour)
	return scanAll(rows, err, func(row scanner) (Usage, error) {
		u := Usage{TenantID: tenant}
		err := row.Scan(&u.Code, &u.Hour, &u.ResourceID, &u.Requests)
		return u, err
	})
}

// ThresholdNotice is a tenant crossing 50, 75 or 100% of its hourly request threshold.
type ThresholdNotice struct {
	TenantID  int64
	Hour      int64 // unix seconds / 3600
	Tier      int64 // percent
	Requests  int64 // requests in the rolling hour when it was crossed
	Threshold int64
	CreatedAt time.Time
}

// AddThresholdNotice records a notice once per tenant, tier and hour; it reports whether it is new.
func (db *DB) AddThresholdNotice(ctx context.Context, n ThresholdNotice) (bool, error) {
	var added bool
	err := db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `INSERT INTO api_threshold_notices (tenant_id, hour, tier, requests, threshold, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, hour, tier) DO NOTHING`), n.TenantID, n.Hour, n.Tier, n.Requests, n.Threshold, n.CreatedAt.UTC().Format(time.RFC3339Nano))
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		added = k > 0
		return nil
	})
	return added, err
}

// ThresholdNotices lists the tenant's notices from an hour on, newest first.
func (db *DB) ThresholdNotices(ctx context.Context, sinceHour int64) ([]ThresholdNotice, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT hour, tier, requests, threshold, created_at FROM api_threshold_notices WHERE tenant_id = ? AND hour >= ? ORDER BY created_at DESC, tier DESC`), tenant, sinceHour)
	return scanAll(rows, err, func(row scanner) (ThresholdNotice, error) {
		n := ThresholdNotice{TenantID: tenant}
		var at string
		if err := row.Scan(&n.Hour, &n.Tier, &n.Requests, &n.Threshold, &at); err != nil {
			return ThresholdNotice{}, err
		}
		n.CreatedAt, _ = time.Parse(time.RFC3339Nano, at)
		return n, nil
	})
}

// SetRequestThreshold sets the tenant's hourly API request threshold.
func (db *DB) SetRequestThreshold(ctx context.Context, n int64) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `UPDATE tenants SET request_threshold = ? WHERE id = ?`), n, tenant)
		return err
	})
}

// SetAPIUserActiveByResource makes the API user of a resource active or not; a resource that is
// no API user is left alone.
func (tx *Tx) SetAPIUserActiveByResource(ctx context.Context, resourceID int64, active bool) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `UPDATE api_users SET is_active = ? WHERE tenant_id = ? AND resource_id = ?`), b2i(active), tenant, resourceID)
	return err
}

// RecordConsoleFailure keeps a failed console sign-in with the address it came from.
func (tx *Tx) RecordConsoleFailure(ctx context.Context, username, remoteAddr string) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `INSERT INTO auth_failures (tenant_id, username, remote_addr, reason, at) VALUES (?, ?, ?, ?, ?)`),
		tenant, strings.ToLower(username), remoteAddr, "wrong console password", time.Now().UTC().Format(time.RFC3339Nano))
	return err
}
