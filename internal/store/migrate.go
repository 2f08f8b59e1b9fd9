package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/query"
)

// migrations are the numbered schema steps for everything that is not a catalog table.
// Append only: a step once released never changes. Types are written for both dialects.
var migrations = []string{
	1: `CREATE TABLE tenants (
		id BIGINT PRIMARY KEY,
		name TEXT NOT NULL UNIQUE,
		time_zone TEXT NOT NULL DEFAULT 'UTC',
		request_threshold BIGINT NOT NULL DEFAULT 10000,
		created_at TEXT NOT NULL
	);
	CREATE TABLE sequences (
		tenant_id BIGINT NOT NULL,
		name TEXT NOT NULL,
		next_id BIGINT NOT NULL,
		PRIMARY KEY (tenant_id, name)
	);
	CREATE TABLE api_users (
		username TEXT PRIMARY KEY,
		tenant_id BIGINT NOT NULL,
		resource_id BIGINT NOT NULL,
		secret_hash TEXT NOT NULL,
		integration_code TEXT NOT NULL,
		is_active INTEGER NOT NULL DEFAULT 1,
		failed_logins BIGINT NOT NULL DEFAULT 0,
		locked INTEGER NOT NULL DEFAULT 0,
		created_at TEXT NOT NULL
	);
	CREATE INDEX api_users_tenant ON api_users (tenant_id);
	CREATE TABLE picklist_values (
		tenant_id BIGINT NOT NULL,
		entity TEXT NOT NULL,
		field TEXT NOT NULL,
		value BIGINT NOT NULL,
		label TEXT NOT NULL,
		is_default INTEGER NOT NULL DEFAULT 0,
		sort_order BIGINT NOT NULL DEFAULT 0,
		parent_value BIGINT,
		is_active INTEGER NOT NULL DEFAULT 1,
		is_system INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (tenant_id, entity, field, value)
	);
	CREATE TABLE ticket_counters (
		tenant_id BIGINT NOT NULL,
		day TEXT NOT NULL,
		n BIGINT NOT NULL,
		PRIMARY KEY (tenant_id, day)
	);`,
	// Connections to Autotask-compatible tenants, deployment-wide; the secret is AES-GCM
	// ciphertext (internal/connection), never the secret itself.
	2: `CREATE TABLE connections (
		name_key TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		username TEXT NOT NULL,
		secret_enc TEXT NOT NULL,
		integration_code TEXT NOT NULL,
		base_url TEXT NOT NULL DEFAULT '',
		discovery_url TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL,
		updated_at TEXT NOT NULL,
		tested_at TEXT NOT NULL DEFAULT '',
		test_ok INTEGER NOT NULL DEFAULT 0,
		test_message TEXT NOT NULL DEFAULT ''
	);`,
	// The access model (internal/access): tenant settings, the usernames every tenant shares,
	// security-level copies, each resource's level and console credentials, tracking
	// identifiers, failed authentications, usage per identifier, approvers. Existing API users
	// keep working: they get "API User (system) (API-only)" (11) and their code becomes a
	// Custom identifier; each tenant's first resource, its administrator, gets System
	// Administrator (1).
	3: `ALTER TABLE tenants ADD COLUMN lockout_threshold BIGINT NOT NULL DEFAULT 10;
	ALTER TABLE tenants ADD COLUMN strong_passwords INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE tenants ADD COLUMN org_structure INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE tenants ADD COLUMN org_level1_label TEXT NOT NULL DEFAULT 'Division';
	ALTER TABLE tenants ADD COLUMN org_level2_label TEXT NOT NULL DEFAULT 'Line of Business';
	ALTER TABLE tenants ADD COLUMN username_domain TEXT NOT NULL DEFAULT '';
	ALTER TABLE tenants ADD COLUMN access_generation BIGINT NOT NULL DEFAULT 0;
	CREATE TABLE usernames (
		username TEXT PRIMARY KEY,
		tenant_id BIGINT NOT NULL,
		resource_id BIGINT NOT NULL
	);
	CREATE INDEX usernames_resource ON usernames (tenant_id, resource_id);
	INSERT INTO usernames (username, tenant_id, resource_id) SELECT username, tenant_id, resource_id FROM api_users;
	CREATE TABLE security_levels (
		tenant_id BIGINT NOT NULL,
		id BIGINT NOT NULL,
		name TEXT NOT NULL,
		name_key TEXT NOT NULL,
		api_only INTEGER NOT NULL,
		is_active INTEGER NOT NULL DEFAULT 1,
		license_type BIGINT NOT NULL,
		base_level_id BIGINT NOT NULL,
		definition TEXT NOT NULL,
		created_at TEXT NOT NULL,
		PRIMARY KEY (tenant_id, id),
		UNIQUE (tenant_id, name_key)
	);
	CREATE TABLE resource_security (
		tenant_id BIGINT NOT NULL,
		resource_id BIGINT NOT NULL,
		security_level_id BIGINT NOT NULL,
		api_only INTEGER NOT NULL DEFAULT 0,
		console_login INTEGER NOT NULL DEFAULT 0,
		password_hash TEXT NOT NULL DEFAULT '',
		password_history TEXT NOT NULL DEFAULT '',
		password_changed_at TEXT NOT NULL DEFAULT '',
		failed_logins BIGINT NOT NULL DEFAULT 0,
		locked INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (tenant_id, resource_id)
	);
	CREATE INDEX resource_security_level ON resource_security (tenant_id, security_level_id);
	INSERT INTO resource_security (tenant_id, resource_id, security_level_id, api_only) SELECT tenant_id, resource_id, 11, 1 FROM api_users;
	INSERT INTO resource_security (tenant_id, resource_id, security_level_id, console_login) SELECT id, 1, 1, 1 FROM tenants;
	CREATE TABLE tracking_identifiers (
		tenant_id BIGINT NOT NULL,
		code TEXT NOT NULL,
		kind TEXT NOT NULL,
		name TEXT NOT NULL,
		name_key TEXT NOT NULL,
		is_active INTEGER NOT NULL DEFAULT 1,
		created_at TEXT NOT NULL,
		PRIMARY KEY (tenant_id, code)
	);
	INSERT INTO tracking_identifiers (tenant_id, code, kind, name, name_key, created_at)
		SELECT DISTINCT tenant_id, integration_code, 'custom', 'Custom (Internal Integration)', 'custom (internal integration)', '' FROM api_users;
	CREATE TABLE auth_failures (
		tenant_id BIGINT NOT NULL,
		username TEXT NOT NULL,
		remote_addr TEXT NOT NULL,
		reason TEXT NOT NULL,
		at TEXT NOT NULL
	);
	CREATE INDEX auth_failures_user ON auth_failures (tenant_id, username, at);
	CREATE TABLE integration_usage (
		tenant_id BIGINT NOT NULL,
		code TEXT NOT NULL,
		hour BIGINT NOT NULL,
		requests BIGINT NOT NULL,
		PRIMARY KEY (tenant_id, code, hour)
	);
	CREATE TABLE resource_approvers (
		tenant_id BIGINT NOT NULL,
		resource_id BIGINT NOT NULL,
		kind TEXT NOT NULL,
		approver_id BIGINT NOT NULL,
		approval_level BIGINT NOT NULL DEFAULT 1,
		PRIMARY KEY (tenant_id, resource_id, kind, approver_id)
	);`,
	// zone ci: each tenant's own customer identifier, the "ci" of the zone answer: stable (set
	// once) and distinct (unique). Existing tenants get 100000 + their id; new ones the next
	// number after the highest (store.CreateTenant).
	4: `ALTER TABLE tenants ADD COLUMN ci BIGINT NOT NULL DEFAULT 0;
	UPDATE tenants SET ci = 100000 + id;
	CREATE UNIQUE INDEX tenants_ci ON tenants (ci);`,
	// API limits: every node's requests per tenant and minute (the shared hourly budget on
	// PostgreSQL), the notices of a tenant crossing 50/75/100% of its threshold (one per tier and
	// hour), and usage per tracking identifier and API user by hour (kept 30 days; the usage
	// counted per identifier before is carried over with resource 0).
	5: `CREATE TABLE api_request_minutes (
		tenant_id BIGINT NOT NULL,
		minute BIGINT NOT NULL,
		requests BIGINT NOT NULL,
		PRIMARY KEY (tenant_id, minute)
	);
	CREATE TABLE api_threshold_notices (
		tenant_id BIGINT NOT NULL,
		hour BIGINT NOT NULL,
		tier BIGINT NOT NULL,
		requests BIGINT NOT NULL,
		threshold BIGINT NOT NULL,
		created_at TEXT NOT NULL,
		PRIMARY KEY (tenant_id, hour, tier)
	);
	CREATE TABLE api_usage (
		tenant_id BIGINT NOT NULL,
		hour BIGINT NOT NULL,
		code TEXT NOT NULL,
		resource_id BIGINT NOT NULL,
		requests BIGINT NOT NULL,
		PRIMARY KEY (tenant_id, hour, code, resource_id)
	);
	CREATE INDEX api_usage_hour ON api_usage (hour);
	INSERT INTO api_usage (tenant_id, hour, code, resource_id, requests) SELECT tenant_id, hour, code, 0, requests FROM integration_usage;`,
	// webhooks: the outbox of webhook events, written in the transaction of the change, and one
	// delivery queue per webhook (next attempt, consecutive failures, the delivering node's lease).
	6: `CREATE TABLE webhook_outbox (
		tenant_id BIGINT NOT NULL,
		webhook_collection TEXT NOT NULL,
		webhook_id BIGINT NOT NULL,
		seq BIGINT NOT NULL,
		body TEXT NOT NULL,
		attempts BIGINT NOT NULL DEFAULT 0,
		created_at BIGINT NOT NULL,
		PRIMARY KEY (tenant_id, webhook_collection, webhook_id, seq)
	);
	CREATE TABLE webhook_queues (
		tenant_id BIGINT NOT NULL,
		webhook_collection TEXT NOT NULL,
		webhook_id BIGINT NOT NULL,
		next_attempt_at BIGINT NOT NULL DEFAULT 0,
		lease_until BIGINT NOT NULL DEFAULT 0,
		lease_owner TEXT NOT NULL DEFAULT '',
		failures BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (tenant_id, webhook_collection, webhook_id)
	);
	CREATE INDEX webhook_queues_due ON webhook_queues (next_attempt_at);`,
	// console: server-side sessions of the console, the portal (token kept as a SHA-256 hash,
	// so a database read gives no usable cookie) and the client-portal passwords of contacts
	// (email unique across tenants: the portal sign-in finds the tenant from it).
	7: `CREATE TABLE web_sessions (
		token_hash TEXT PRIMARY KEY,
		tenant_id BIGINT NOT NULL,
		kind TEXT NOT NULL,
		subject_id BIGINT NOT NULL,
		csrf TEXT NOT NULL,
		created_at TEXT NOT NULL,
		expires_at TEXT NOT NULL
	);
	CREATE INDEX web_sessions_subject ON web_sessions (tenant_id, kind, subject_id);
	CREATE TABLE portal_logins (
		tenant_id BIGINT NOT NULL,
		contact_id BIGINT NOT NULL,
		email TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL,
		failed_logins BIGINT NOT NULL DEFAULT 0,
		locked INTEGER NOT NULL DEFAULT 0,
		updated_at TEXT NOT NULL,
		PRIMARY KEY (tenant_id, contact_id)
	);`,
	// sync: sync jobs (internal/sync), each pairing a connection with a local tenant; the map of
	// remote ids to local ids with the hashes last synced on both sides; the log of runs.
	8: `CREATE TABLE sync_jobs (
		name_key TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		connection TEXT NOT NULL,
		tenant_id BIGINT NOT NULL,
		settings TEXT NOT NULL,
		state TEXT NOT NULL DEFAULT '{}',
		paused INTEGER NOT NULL DEFAULT 0,
		status TEXT NOT NULL DEFAULT '{}',
		created_at TEXT NOT NULL,
		updated_at TEXT NOT NULL
	);
	CREATE TABLE sync_map (
		job TEXT NOT NULL,
		entity TEXT NOT NULL,
		remote_id BIGINT NOT NULL,
		local_id BIGINT NOT NULL,
		remote_hash TEXT NOT NULL DEFAULT '',
		local_hash TEXT NOT NULL DEFAULT '',
		orphaned INTEGER NOT NULL DEFAULT 0,
		synced_at TEXT NOT NULL,
		PRIMARY KEY (job, entity, remote_id)
	);
	CREATE UNIQUE INDEX sync_map_local ON sync_map (job, entity, local_id);
	CREATE TABLE sync_runs (
		job TEXT NOT NULL,
		started_at TEXT NOT NULL,
		finished_at TEXT NOT NULL DEFAULT '',
		outcome TEXT NOT NULL,
		summary TEXT NOT NULL DEFAULT '{}',
		PRIMARY KEY (job, started_at)
	);`,
	// connections owned by a tenant: the tenant whose console made the connection (or named
	// with "connection add --tenant"); 0 is deployment-wide, made by the operator. Names stay
	// unique across the deployment.
	9: `ALTER TABLE connections ADD COLUMN tenant_id BIGINT NOT NULL DEFAULT 0`,
	// email: mailboxes of email to ticket (deployment-wide: an inbound address is unique across
	// tenants) and the processing log, one row per message, unique per mailbox and Message-ID.
	// settings is JSON owned by internal/mail; raw is the message in base64, kept while it may
	// need re-processing (received, held, failed).
	10: `CREATE TABLE mailboxes (
		id BIGINT PRIMARY KEY,
		address TEXT NOT NULL UNIQUE,
		tenant_id BIGINT NOT NULL,
		connection TEXT NOT NULL DEFAULT '',
		kind TEXT NOT NULL,
		settings TEXT NOT NULL,
		secret_enc TEXT NOT NULL DEFAULT '',
		active INTEGER NOT NULL DEFAULT 1,
		created_at TEXT NOT NULL,
		updated_at TEXT NOT NULL
	);
	CREATE TABLE mail_messages (
		id BIGINT PRIMARY KEY,
		mailbox_id BIGINT NOT NULL,
		message_id TEXT NOT NULL,
		sender TEXT NOT NULL,
		subject TEXT NOT NULL,
		size BIGINT NOT NULL,
		received_at TEXT NOT NULL,
		processed_at TEXT NOT NULL DEFAULT '',
		outcome TEXT NOT NULL,
		reason TEXT NOT NULL DEFAULT '',
		ticket_id BIGINT NOT NULL DEFAULT 0,
		ticket_number TEXT NOT NULL DEFAULT '',
		note_id BIGINT NOT NULL DEFAULT 0,
		attempts BIGINT NOT NULL DEFAULT 0,
		raw TEXT NOT NULL DEFAULT '',
		UNIQUE (mailbox_id, message_id)
	);
	CREATE INDEX mail_messages_sender ON mail_messages (mailbox_id, sender, received_at);
	CREATE INDEX mail_messages_mailbox ON mail_messages (mailbox_id, id);`,
}

// Migrate brings the database to the current schema: the numbered migrations, then the catalog
// tables (created from the catalog, columns only ever added).
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.migrateTo(ctx, len(migrations)-1); err != nil {
		return err
	}
	return db.syncCatalog(ctx)
}

// migrateTo runs the numbered migrations not yet run, up to and including last.
func (db *DB) migrateTo(ctx context.Context, last int) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS sb_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var version int
	_ = db.write.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM sb_meta WHERE key = 'schema_version'`).Scan(&version)
	for v := version + 1; v <= last && v < len(migrations); v++ {
		err := db.InTx(ctx, func(tx *Tx) error {
			for _, stmt := range strings.Split(migrations[v], ";") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %w", v, err)
				}
			}
			return setMeta(ctx, tx, db.Dialect, "schema_version", fmt.Sprint(v))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func setMeta(ctx context.Context, tx *Tx, d query.Dialect, key, value string) error {
	_, err := tx.tx.ExecContext(ctx, rebind(d, `INSERT INTO sb_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`), key, value)
	return err
}

// catalogDDL is every statement that creates the catalog's tables and indexes.
func (db *DB) catalogDDL() (stmts []string) {
	for _, e := range db.Catalog.Entities() {
		if !e.Stored {
			continue
		}
		cols := []string{"tenant_id BIGINT NOT NULL", "id BIGINT NOT NULL"}
		for _, f := range e.Fields {
			if f.Name == "id" {
				continue
			}
			cols = append(cols, quote(f.Column)+" "+columnType(db.Dialect, f.Type))
		}
		cols = append(cols, `udf `+udfColumnType(db.Dialect), "PRIMARY KEY (tenant_id, id)")
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (\n\t%s\n)", quote(e.Table), strings.Join(cols, ",\n\t")))
		for _, f := range e.Fields {
			if f.Indexed {
				stmts = append(stmts, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (tenant_id, %s, id)",
					quote(indexName(e.Table, f.Column)), quote(e.Table), quote(f.Column)))
			}
		}
	}
	return stmts
}

// syncCatalog creates missing catalog tables and adds missing columns. A hash of the DDL in
// sb_meta skips the work when nothing changed, so start-up stays fast.
func (db *DB) syncCatalog(ctx context.Context) error {
	stmts := db.catalogDDL()
	sum := sha256.Sum256([]byte(strings.Join(stmts, ";\n")))
	hash := hex.EncodeToString(sum[:])
	var have string
	_ = db.write.QueryRowContext(ctx, `SELECT value FROM sb_meta WHERE key = 'catalog_hash'`).Scan(&have)
	if have == hash {
		return nil
	}
	return db.InTx(ctx, func(tx *Tx) error {
		for _, s := range stmts {
			if _, err := tx.tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("catalog schema: %w\n%s", err, s)
			}
		}
		existing, err := existingColumns(ctx, tx, db.Dialect)
		if err != nil {
			return err
		}
		for _, e := range db.Catalog.Entities() {
			if !e.Stored {
				continue
			}
			for _, f := range e.Fields {
				if f.Name == "id" || existing[e.Table][f.Column] {
					continue
				}
				stmt := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", quote(e.Table), quote(f.Column), columnType(db.Dialect, f.Type))
				if _, err := tx.tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("catalog schema: %w", err)
				}
			}
		}
		return setMeta(ctx, tx, db.Dialect, "catalog_hash", hash)
	})
}

func existingColumns(ctx context.Context, tx *Tx, d query.Dialect) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	var stmt string
	if d == query.Postgres {
		stmt = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`
	} else {
		stmt = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`
	}
	rows, err := tx.tx.QueryContext(ctx, stmt)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, err
		}
		if out[t] == nil {
			out[t] = map[string]bool{}
		}
		out[t][c] = true
	}
	return out, rows.Err()
}

// indexName names the index of a column, within PostgreSQL's 63-byte identifiers.
func indexName(table, column string) string {
	name := "ix_" + table + "_" + column
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:50] + "_" + hex.EncodeToString(sum[:6])
}
