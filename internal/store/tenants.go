package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Tenant is one Autotask "database": its own companies, resources, picklists, users and limits.
type Tenant struct {
	ID               int64
	Name             string
	TimeZone         string
	RequestThreshold int64
	CreatedAt        time.Time
	CI               int64 // the zone answer's "ci": the tenant's own number, stable and distinct

	TenantSettings
}

// TenantSettings are a tenant's access settings (internal/access).
type TenantSettings struct {
	LockoutThreshold int64  // failed authentications that lock an API user; default 10
	StrongPasswords  bool   // Site Setup: "Require strong passwords"
	OrgStructure     bool   // Organizational Structure (lines of business) on
	OrgLevel1Label   string // default "Division"
	OrgLevel2Label   string // default "Line of Business"
	UsernameDomain   string // when set, generated API usernames are email-shaped in this domain
	AccessGeneration int64  // grows with every change that affects who may do what
}

// CreateTenant adds a tenant; ErrConflict when the name is taken.
func (db *DB) CreateTenant(ctx context.Context, name, timeZone string) (*Tenant, error) {
	if _, err := time.LoadLocation(timeZone); err != nil {
		return nil, fmt.Errorf("time zone %q: %w", timeZone, err)
	}
	t := &Tenant{Name: name, TimeZone: timeZone, RequestThreshold: 10000, CreatedAt: time.Now().UTC(),
		TenantSettings: TenantSettings{LockoutThreshold: 10, OrgLevel1Label: "Division", OrgLevel2Label: "Line of Business"}}
	// Two tenants created at once may pick the same next id; the loser tries again.
	for attempt := 0; ; attempt++ {
		err := db.InTx(ctx, func(tx *Tx) error {
			var exists int
			if err := tx.tx.QueryRowContext(ctx, rebind(db.Dialect, `SELECT 1 FROM tenants WHERE lower(name) = lower(?)`), name).Scan(&exists); err == nil {
				return fmt.Errorf("%w: a tenant named %q exists", ErrConflict, name)
			}
			if err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1, COALESCE(MAX(ci), 100000) + 1 FROM tenants`).Scan(&t.ID, &t.CI); err != nil {
				return err
			}
			_, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `INSERT INTO tenants (id, name, time_zone, request_threshold, created_at, ci) VALUES (?, ?, ?, ?, ?, ?)`),
				t.ID, t.Name, t.TimeZone, t.RequestThreshold, t.CreatedAt.Format(time.RFC3339Nano), t.CI)
			return err
		})
		if err != nil && isUniqueViolation(err) && attempt < 10 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return t, nil
	}
}

const tenantColumns = `id, name, time_zone, request_threshold, created_at, lockout_threshold, strong_passwords, org_structure, org_level1_label, org_level2_label, username_domain, access_generation, ci`

func scanTenant(row scanner) (*Tenant, error) {
	var t Tenant
	var created string
	var strong, org int
	if err := row.Scan(&t.ID, &t.Name, &t.TimeZone, &t.RequestThreshold, &created, &t.LockoutThreshold, &strong, &org,
		&t.OrgLevel1Label, &t.OrgLevel2Label, &t.UsernameDomain, &t.AccessGeneration, &t.CI); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	t.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	t.StrongPasswords, t.OrgStructure = strong != 0, org != 0
	return &t, nil
}

// TenantByName finds a tenant by name, case-insensitively.
func (db *DB) TenantByName(ctx context.Context, name string) (*Tenant, error) {
	return scanTenant(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+tenantColumns+` FROM tenants WHERE lower(name) = lower(?)`), name))
}

// TenantByID finds a tenant by id.
func (db *DB) TenantByID(ctx context.Context, id int64) (*Tenant, error) {
	return scanTenant(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+tenantColumns+` FROM tenants WHERE id = ?`), id))
}

// Tenants lists every tenant in id order.
func (db *DB) Tenants(ctx context.Context) ([]*Tenant, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+tenantColumns+` FROM tenants ORDER BY id`)
	return scanAll(rows, err, scanTenant)
}

// APIUser is the credential record of an API-only resource.
type APIUser struct {
	Username        string
	TenantID        int64
	ResourceID      int64
	SecretHash      string
	IntegrationCode string
	Active          bool
	FailedLogins    int64
	Locked          bool
	CreatedAt       time.Time
}

// CreateAPIUser stores the credentials of an API user; usernames are unique across tenants,
// compared case-insensitively.
func (tx *Tx) CreateAPIUser(ctx context.Context, u *APIUser) error {
	_, err := tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `INSERT INTO api_users (username, tenant_id, resource_id, secret_hash, integration_code, is_active, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)`),
		strings.ToLower(u.Username), u.TenantID, u.ResourceID, u.SecretHash, u.IntegrationCode, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("%w: username %q is taken", ErrConflict, u.Username)
	}
	return err
}

// APIUserByUsername finds an API user in any tenant.
func (db *DB) APIUserByUsername(ctx context.Context, username string) (*APIUser, error) {
	var u APIUser
	var active, locked int
	var created string
	err := db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT username, tenant_id, resource_id, secret_hash, integration_code, is_active, failed_logins, locked, created_at FROM api_users WHERE username = ?`),
		strings.ToLower(username)).Scan(&u.Username, &u.TenantID, &u.ResourceID, &u.SecretHash, &u.IntegrationCode, &active, &u.FailedLogins, &locked, &created)
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

// PicklistValue is one value of a tenant's picklist.
type PicklistValue struct {
	Entity, Field string
	Value         int64
	Label         string
	IsDefault     bool
	SortOrder     int64
	Parent        *int64
	IsActive      bool
	IsSystem      bool
}

// InsertPicklistValue adds a value to one of the tenant's picklists.
func (tx *Tx) InsertPicklistValue(ctx context.Context, p PicklistValue) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `INSERT INTO picklist_values (tenant_id, entity, field, value, label, is_default, sort_order, parent_value, is_active, is_system) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		tenant, p.Entity, p.Field, p.Value, p.Label, b2i(p.IsDefault), p.SortOrder, p.Parent, b2i(p.IsActive), b2i(p.IsSystem))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("%w: picklist %s.%s already has value %d", ErrConflict, p.Entity, p.Field, p.Value)
	}
	return err
}

// PicklistValues lists every picklist value of the tenant, in entity, field, sort order.
func (db *DB) PicklistValues(ctx context.Context) ([]PicklistValue, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT entity, field, value, label, is_default, sort_order, parent_value, is_active, is_system FROM picklist_values WHERE tenant_id = ? ORDER BY entity, field, sort_order, value`), tenant)
	return scanAll(rows, err, func(row scanner) (PicklistValue, error) {
		var p PicklistValue
		var def, active, system int
		var parent sql.NullInt64
		if err := row.Scan(&p.Entity, &p.Field, &p.Value, &p.Label, &def, &p.SortOrder, &parent, &active, &system); err != nil {
			return PicklistValue{}, err
		}
		p.IsDefault, p.IsActive, p.IsSystem = def != 0, active != 0, system != 0
		if parent.Valid {
			v := parent.Int64
			p.Parent = &v
		}
		return p, nil
	})
}

// NextTicketNumber returns the tenant's next ticket counter for a day (yyyymmdd).
func (tx *Tx) NextTicketNumber(ctx context.Context, day string) (int64, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = tx.tx.QueryRowContext(ctx, rebind(tx.db.Dialect, `INSERT INTO ticket_counters (tenant_id, day, n) VALUES (?, ?, 1)
		ON CONFLICT (tenant_id, day) DO UPDATE SET n = ticket_counters.n + 1 RETURNING n`), tenant, day).Scan(&n)
	return n, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// IsAPIResource reports whether the tenant's resource is an API-only user.
func (db *DB) IsAPIResource(ctx context.Context, resourceID int64) (bool, error) {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return false, err
	}
	var one int
	err = db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT 1 FROM api_users WHERE tenant_id = ? AND resource_id = ?`), tenant, resourceID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// UpdatePicklistValue changes the label and active flag of one value of the tenant's picklist
// (entity, field, value); ErrNotFound when the picklist has no such value.
func (tx *Tx) UpdatePicklistValue(ctx context.Context, p PicklistValue) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	res, err := tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `UPDATE picklist_values SET label = ?, is_active = ? WHERE tenant_id = ? AND entity = ? AND field = ? AND value = ?`),
		p.Label, b2i(p.IsActive), tenant, p.Entity, p.Field, p.Value)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: picklist %s.%s has no value %d", ErrNotFound, p.Entity, p.Field, p.Value)
	}
	return nil
}

// SetTenantTimeZone changes the tenant's time zone (an IANA name the caller has checked).
func (tx *Tx) SetTenantTimeZone(ctx context.Context, zone string) error {
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	_, err = tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, `UPDATE tenants SET time_zone = ?, access_generation = access_generation + 1 WHERE id = ?`), zone, tenant)
	return err
}
