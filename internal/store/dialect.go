package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// args collects statement arguments and writes their placeholders in the dialect's form.
type args struct {
	d    query.Dialect
	list []any
}

func (a *args) add(v any) string {
	a.list = append(a.list, query.EncodeArg(a.d, v))
	if a.d == query.Postgres {
		return "$" + strconv.Itoa(len(a.list))
	}
	return "?"
}

// rebind turns ? placeholders into $n for PostgreSQL; statements written here never hold a
// literal question mark.
func rebind(d query.Dialect, stmt string) string {
	if d != query.Postgres || !strings.Contains(stmt, "?") {
		return stmt
	}
	var b strings.Builder
	n := 0
	for _, r := range stmt {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// columnType is the SQL type of a catalog field in each dialect.
func columnType(d query.Dialect, t catalog.Type) string {
	pg := d == query.Postgres
	switch {
	case t.IsInteger():
		return "BIGINT"
	case t == catalog.Double || t == catalog.Decimal:
		if pg {
			return "DOUBLE PRECISION"
		}
		return "REAL"
	case t == catalog.DateTime:
		if pg {
			return "TIMESTAMPTZ"
		}
		return "TEXT"
	case t == catalog.Boolean:
		if pg {
			return "BOOLEAN"
		}
		return "INTEGER"
	default:
		if pg {
			return "TEXT"
		}
		return "TEXT COLLATE NOCASE"
	}
}

func udfColumnType(d query.Dialect) string {
	if d == query.Postgres {
		return "JSONB"
	}
	return "TEXT"
}

// sqliteTime is how SQLite keeps datetimes: fixed width, so text order is time order.
const sqliteTime = "2006-01-02T15:04:05.0000000Z"

// decodeValue turns what the driver scanned into the catalog type's Go value.
func decodeValue(t catalog.Type, v any) any {
	if v == nil {
		return nil
	}
	switch {
	case t.IsInteger():
		switch x := v.(type) {
		case int64:
			return x
		case int32:
			return int64(x)
		case float64:
			return int64(x)
		case []byte:
			n, _ := strconv.ParseInt(string(x), 10, 64)
			return n
		case string:
			n, _ := strconv.ParseInt(x, 10, 64)
			return n
		}
	case t == catalog.Double || t == catalog.Decimal:
		switch x := v.(type) {
		case float64:
			return x
		case int64:
			return float64(x)
		case []byte:
			f, _ := strconv.ParseFloat(string(x), 64)
			return f
		case string:
			f, _ := strconv.ParseFloat(x, 64)
			return f
		}
	case t == catalog.Boolean:
		switch x := v.(type) {
		case bool:
			return x
		case int64:
			return x != 0
		}
	case t == catalog.DateTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC()
		case string:
			if tm, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return tm.UTC()
			}
		case []byte:
			if tm, err := time.Parse(time.RFC3339Nano, string(x)); err == nil {
				return tm.UTC()
			}
		}
	default:
		switch x := v.(type) {
		case string:
			return x
		case []byte:
			return string(x)
		}
	}
	return v
}

func quote(ident string) string { return `"` + ident + `"` }
