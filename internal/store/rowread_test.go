package store

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// TestPackedRowReadsAsColumns: on SQLite a row is read packed into json_array; every value must
// come back exactly as reading the columns one by one gives it (what the PostgreSQL layout and
// the previous SQLite reader do), whatever the text holds and however large the number.
func TestPackedRowReadsAsColumns(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"), catalog.Default)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tn, err := db.CreateTenant(ctx, "packed", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	ctx = WithTenant(ctx, tn.ID)
	texts := []string{
		`plain`, ``, `quote " and backslash \ and slash /`, "controls \x00\x01\b\f\n\r\t\x1f\x7f end",
		`unicode é ü 漢字 😀 \u0041`, `[1,"x",null]`, `null`, `12345`, `-0.5e3`, strings.Repeat("long ", 2000),
	}
	for n, text := range texts {
		for _, name := range []string{"Tickets", "ConfigurationItems", "Companies"} {
			e := catalog.Default.MustEntity(name)
			row := NewRow(e)
			for i, f := range e.Fields {
				switch {
				case f.Name == "id":
					row.Values[i] = int64(n + 1)
				case f.Type.IsInteger():
					row.Values[i] = []any{nil, int64(math.MaxInt64), int64(math.MinInt64), int64(-1), int64(0)}[(i+n)%5]
				case f.Type == catalog.Double || f.Type == catalog.Decimal:
					row.Values[i] = []any{nil, math.Nextafter(0.3, 1), 1e300, -2.5, 5e-324, 3.0}[(i+n)%6]
				case f.Type == catalog.Boolean:
					row.Values[i] = []any{nil, true, false}[(i+n)%3]
				case f.Type == catalog.DateTime:
					row.Values[i] = []any{nil, time.Date(2026, 11, 30, 9, 1, 2, 123456700, time.UTC)}[(i+n)%2]
				default:
					row.Values[i] = []any{nil, text}[(i+n+1)%2]
				}
			}
			row.UDF = map[string]*string{"Customer Code": &text}
			if err := db.InTx(ctx, func(tx *Tx) error { return tx.Insert(ctx, e, row) }); err != nil {
				t.Fatalf("%s %d: %v", name, n, err)
			}
			packed, err := db.Get(ctx, e, int64(n+1))
			if err != nil {
				t.Fatalf("%s %d: %v", name, n, err)
			}
			// The same row read column by column.
			plain := &rowLayout{}
			var cols []string
			for i, f := range e.Fields {
				cols = append(cols, quote(f.Column))
				plain.separate = append(plain.separate, i)
			}
			rows, err := db.read.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+", udf FROM "+quote(e.Table)+" WHERE tenant_id = ? AND id = ?", tn.ID, int64(n+1))
			if err != nil {
				t.Fatal(err)
			}
			layouts.Store(selectKey{query.Dialect(99), e}, plain)
			want, err := scanRowsUDFLast(e, plain, rows)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(packed, want) {
				for i := range packed.Values {
					if !reflect.DeepEqual(packed.Values[i], want.Values[i]) {
						t.Errorf("%s %d: %s packed %#v, by column %#v", name, n, e.Fields[i].Name, packed.Values[i], want.Values[i])
					}
				}
				t.Errorf("%s %d: UDF packed %v, by column %v", name, n, packed.UDF, want.UDF)
			}
		}
	}
}

// scanRowsUDFLast reads a result of every field's column and then udf, the plain way.
func scanRowsUDFLast(e *catalog.Entity, l *rowLayout, rows interface {
	Next() bool
	Scan(...any) error
	Close() error
}) (*Row, error) {
	defer rows.Close()
	raw := make([]any, len(e.Fields)+1)
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if !rows.Next() {
		return nil, ErrNotFound
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	r := &Row{Values: make([]any, len(e.Fields))}
	for _, i := range l.separate {
		r.Values[i] = decodeValue(e.Fields[i].Type, raw[i])
	}
	if text := textOf(raw[len(e.Fields)]); text != "" {
		if err := jsonUnmarshalUDF(text, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func TestReadPackedMalformed(t *testing.T) {
	e := catalog.Default.MustEntity("Countries")
	text := e.Index("name")
	idx := []int{e.Index("id"), text}
	for _, bad := range []string{``, `[`, `[1`, `[1,`, `[1 2]`, `["x]`, `["\q",1]`, `[1,2,3]`, `[nul,1]`, `[1,"\u12"]`, `[1,2]x`} {
		if err := readPacked(bad, idx, e, NewRow(e)); err == nil {
			t.Errorf("readPacked(%q) accepted it", bad)
		}
	}
	r := NewRow(e)
	if err := readPacked(`[7,"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"]`, idx, e, r); err != nil || r.Values[text] != "a\"\\/\b\f\n\r\té😀" {
		t.Errorf("escapes: %q, %v", r.Values[text], err)
	}
}
