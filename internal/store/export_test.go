package store

import "context"

// MigrateTo runs the numbered migrations up to and including last, for tests of a migration
// over data written before it.
func (db *DB) MigrateTo(ctx context.Context, last int) error { return db.migrateTo(ctx, last) }
