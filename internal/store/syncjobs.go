package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SyncJob is the stored record of a sync job (internal/sync). Settings, State and Status are
// JSON documents owned by the sync package.
type SyncJob struct {
	Name       string
	Connection string
	TenantID   int64
	Settings   string
	State      string
	Paused     bool
	Status     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const syncJobColumns = `name, connection, tenant_id, settings, state, paused, status, created_at, updated_at`

// CreateSyncJob stores a new job; a taken name (case-insensitive) is ErrConflict.
func (db *DB) CreateSyncJob(ctx context.Context, j *SyncJob) error {
	now := time.Now().UTC()
	j.CreatedAt, j.UpdatedAt = now, now
	if j.State == "" {
		j.State = "{}"
	}
	if j.Status == "" {
		j.Status = "{}"
	}
	_, err := db.write.ExecContext(ctx, rebind(db.Dialect, `INSERT INTO sync_jobs (name_key, `+syncJobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		strings.ToLower(j.Name), j.Name, j.Connection, j.TenantID, j.Settings, j.State, b2i(j.Paused), j.Status, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("%w: a sync job named %q exists", ErrConflict, j.Name)
	}
	return err
}

func scanSyncJob(row scanner) (*SyncJob, error) {
	var j SyncJob
	var paused int
	var created, updated string
	if err := row.Scan(&j.Name, &j.Connection, &j.TenantID, &j.Settings, &j.State, &paused, &j.Status, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	j.Paused = paused != 0
	j.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	j.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
	return &j, nil
}

// SyncJob finds a job by name, case-insensitively; ErrNotFound when none.
func (db *DB) SyncJob(ctx context.Context, name string) (*SyncJob, error) {
	return scanSyncJob(db.read.QueryRowContext(ctx, rebind(db.Dialect, `SELECT `+syncJobColumns+` FROM sync_jobs WHERE name_key = ?`), strings.ToLower(name)))
}

// SyncJobs lists every job by name.
func (db *DB) SyncJobs(ctx context.Context) ([]*SyncJob, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+syncJobColumns+` FROM sync_jobs ORDER BY name_key`)
	return scanAll(rows, err, scanSyncJob)
}

// UpdateSyncJob writes one column of a job: "settings", "state", "status" (JSON text) or
// "paused" (a bool).
func (db *DB) UpdateSyncJob(ctx context.Context, name, column string, value any) error {
	switch column {
	case "settings", "state", "status":
	case "paused":
		value = b2i(value.(bool))
	default:
		return fmt.Errorf("store: no sync job column %q", column)
	}
	res, err := db.write.ExecContext(ctx, rebind(db.Dialect, `UPDATE sync_jobs SET `+column+` = ?, updated_at = ? WHERE name_key = ?`),
		value, time.Now().UTC().Format(time.RFC3339Nano), strings.ToLower(name))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteSyncJob removes a job, its map and its runs (the local data stays).
func (db *DB) DeleteSyncJob(ctx context.Context, name string) error {
	key := strings.ToLower(name)
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM sync_jobs WHERE name_key = ?`), key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		for _, t := range []string{"sync_map", "sync_runs"} {
			if _, err := tx.tx.ExecContext(ctx, rebind(db.Dialect, `DELETE FROM `+t+` WHERE job = ?`), key); err != nil {
				return err
			}
		}
		return nil
	})
}

// SyncLink is one row of a job's map: a remote record and the local record it is synced with.
type SyncLink struct {
	Entity     string
	RemoteID   int64
	LocalID    int64
	RemoteHash string
	LocalHash  string
	Orphaned   bool
}

// SyncLinks returns a job's map for one entity.
func (db *DB) SyncLinks(ctx context.Context, job, entity string) ([]SyncLink, error) {
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT remote_id, local_id, remote_hash, local_hash, orphaned FROM sync_map WHERE job = ? AND entity = ?`),
		strings.ToLower(job), entity)
	return scanAll(rows, err, func(row scanner) (SyncLink, error) {
		l := SyncLink{Entity: entity}
		var orphaned int
		if err := row.Scan(&l.RemoteID, &l.LocalID, &l.RemoteHash, &l.LocalHash, &orphaned); err != nil {
			return SyncLink{}, err
		}
		l.Orphaned = orphaned != 0
		return l, nil
	})
}

const saveLinkSQL = `INSERT INTO sync_map (job, entity, remote_id, local_id, remote_hash, local_hash, orphaned, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (job, entity, remote_id) DO UPDATE SET local_id = excluded.local_id, remote_hash = excluded.remote_hash, local_hash = excluded.local_hash,
	orphaned = excluded.orphaned, synced_at = excluded.synced_at`

// SaveSyncLinks inserts or replaces links of a job, in one transaction.
func (db *DB) SaveSyncLinks(ctx context.Context, job string, links []SyncLink) error {
	if len(links) == 0 {
		return nil
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	key := strings.ToLower(job)
	stmt := rebind(db.Dialect, saveLinkSQL)
	if len(links) == 1 {
		// One statement needs no transaction; prepared once, it is cheap enough to run per record.
		l := links[0]
		cs, err := db.stmts.acquire(ctx, db.write, stmt)
		if err != nil {
			return err
		}
		defer db.stmts.release(cs)
		_, err = cs.stmt.ExecContext(ctx, key, l.Entity, l.RemoteID, l.LocalID, l.RemoteHash, l.LocalHash, b2i(l.Orphaned), now)
		return err
	}
	return db.InTx(ctx, func(tx *Tx) error {
		for _, l := range links {
			if _, err := tx.tx.ExecContext(ctx, stmt, key, l.Entity, l.RemoteID, l.LocalID, l.RemoteHash, l.LocalHash, b2i(l.Orphaned), now); err != nil {
				return err
			}
		}
		return nil
	})
}

// SaveSyncLink inserts or replaces one link inside a transaction (the one that wrote the local
// record).
func (tx *Tx) SaveSyncLink(ctx context.Context, job string, l SyncLink) error {
	_, err := tx.tx.ExecContext(ctx, rebind(tx.db.Dialect, saveLinkSQL), strings.ToLower(job), l.Entity, l.RemoteID, l.LocalID, l.RemoteHash, l.LocalHash,
		b2i(l.Orphaned), time.Now().UTC().Format(time.RFC3339Nano))
	return err
}

// SyncRun is one entry of a job's run log. Summary is JSON owned by the sync package.
type SyncRun struct {
	StartedAt  time.Time
	FinishedAt time.Time
	Outcome    string
	Summary    string
}

// SaveSyncRun inserts or replaces a run of the log (keyed by its start).
func (db *DB) SaveSyncRun(ctx context.Context, job string, r SyncRun) error {
	fin := ""
	if !r.FinishedAt.IsZero() {
		fin = r.FinishedAt.UTC().Format(time.RFC3339Nano)
	}
	_, err := db.write.ExecContext(ctx, rebind(db.Dialect, `INSERT INTO sync_runs (job, started_at, finished_at, outcome, summary) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (job, started_at) DO UPDATE SET finished_at = excluded.finished_at, outcome = excluded.outcome, summary = excluded.summary`),
		strings.ToLower(job), r.StartedAt.UTC().Format(time.RFC3339Nano), fin, r.Outcome, r.Summary)
	return err
}

// SyncRuns returns a job's latest runs, newest first.
func (db *DB) SyncRuns(ctx context.Context, job string, limit int) ([]SyncRun, error) {
	rows, err := db.read.QueryContext(ctx, rebind(db.Dialect, `SELECT started_at, finished_at, outcome, summary FROM sync_runs WHERE job = ? ORDER BY started_at DESC LIMIT ?`),
		strings.ToLower(job), limit)
	return scanAll(rows, err, func(row scanner) (SyncRun, error) {
		var r SyncRun
		var s, f string
		if err := row.Scan(&s, &f, &r.Outcome, &r.Summary); err != nil {
			return SyncRun{}, err
		}
		r.StartedAt, _ = time.Parse(time.RFC3339Nano, s)
		if f != "" {
			r.FinishedAt, _ = time.Parse(time.RFC3339Nano, f)
		}
		return r, nil
	})
}
