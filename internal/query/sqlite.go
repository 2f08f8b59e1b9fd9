package query

import "time"

// sqliteTime is how datetimes are kept in SQLite: fixed width, 7 fraction digits always present,
// so that comparing the text compares the times.
const sqliteTime = "2006-01-02T15:04:05.0000000Z"

// sqlite writes SQLite. Text columns are declared COLLATE NOCASE and LIKE ignores ASCII case,
// which is the case-insensitivity Autotask's SQL Server collation gives its clients.
type sqlite struct{}

func (sqlite) compareText(x, op string) string { return x + " " + op + " " + ph + " COLLATE NOCASE" }

func (sqlite) inText(x, list string, not bool) string {
	return x + " COLLATE NOCASE " + notKeyword(not) + "IN (" + list + ")"
}

func (sqlite) inItem() string { return ph }

func (sqlite) like(x string) string { return x + " LIKE " + ph + ` ESCAPE '\'` }

func (sqlite) asText(x string) string { return "CAST(" + x + " AS TEXT)" }

// udf is the value of the named UDF in the row's JSON object. The name is matched without
// regard to case, because the object is keyed by the definition's spelling and clients spell
// names as they please. numeric yields a REAL, or NULL for text that is no number.
func (sqlite) udf(numeric bool) string {
	value := "j.value"
	if numeric {
		value = `CASE WHEN trim(j.value) GLOB '*[0-9]*' AND trim(j.value) NOT GLOB '*[^0-9.eE+-]*' ` +
			`THEN CAST(trim(j.value) AS REAL) END`
	}
	return `(SELECT ` + value + ` FROM json_each("udf") AS j WHERE j.key = ` + ph + ` COLLATE NOCASE LIMIT 1)`
}

// encode stores booleans as 0/1 and times as fixed-width UTC text.
func (sqlite) encode(v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		return x.UTC().Format(sqliteTime)
	case *time.Time:
		if x == nil {
			return nil
		}
		return x.UTC().Format(sqliteTime)
	}
	return v
}
