package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// args collects statement arguments, encoded for the dialect, and writes their placeholders
// as "?": every statement is numbered once, by rebind, when it is complete.
type args struct {
	d    query.Dialect
	list []any
}

func (a *args) add(v any) string {
	a.list = append(a.list, query.EncodeArg(a.d, v))
	return "?"
}

// rebind turns the ? placeholders of a complete statement into $1, $2… for PostgreSQL. Neither
// the statements written here nor the query compiler's fragments hold a literal question mark
// (values are always arguments; names come from the catalog).
func rebind(d query.Dialect, stmt string) string {
	if d != query.Postgres || strings.IndexByte(stmt, '?') < 0 {
		return stmt
	}
	b := make([]byte, 0, len(stmt)+len(stmt)/8)
	n := int64(0)
	for i := 0; i < len(stmt); i++ {
		if stmt[i] == '?' {
			n++
			b = append(b, '$')
			b = strconv.AppendInt(b, n, 10)
			continue
		}
		b = append(b, stmt[i])
	}
	return string(b)
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
