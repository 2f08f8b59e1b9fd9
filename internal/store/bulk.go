package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// BulkInsert writes many rows of one collection with multi-row INSERTs. It is for data the
// caller has already made valid (the reference data generator, imports); ids must be set.
func (tx *Tx) BulkInsert(ctx context.Context, e *catalog.Entity, rows []*Row) error {
	if len(rows) == 0 {
		return nil
	}
	tenant, err := TenantFrom(ctx)
	if err != nil {
		return err
	}
	d := tx.db.Dialect
	cols := []string{"tenant_id"}
	for _, f := range e.Fields {
		cols = append(cols, quote(f.Column))
	}
	cols = append(cols, "udf")
	perRow := len(cols)
	batch := 30000 / perRow
	if batch > 500 {
		batch = 500
	}
	head := "INSERT INTO " + quote(e.Table) + " (" + strings.Join(cols, ", ") + ") VALUES "
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		a := &args{d: d, list: make([]any, 0, (end-start)*perRow)}
		var b strings.Builder
		b.WriteString(head)
		for i, r := range rows[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + a.add(tenant))
			for j := range e.Fields {
				b.WriteString(", " + a.add(r.Values[j]))
			}
			ph := a.add(encodeUDF(r.UDF))
			if d == query.Postgres {
				ph += "::jsonb"
			}
			b.WriteString(", " + ph + ")")
		}
		if _, err := tx.tx.ExecContext(ctx, rebind(d, b.String()), a.list...); err != nil {
			return fmt.Errorf("bulk insert %s: %w", e.Table, err)
		}
	}
	return nil
}
