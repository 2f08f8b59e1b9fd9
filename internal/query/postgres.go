package query

// postgres writes PostgreSQL. Text columns keep the default collation, so case is ignored by
// lower() on both sides and by ILIKE.
type postgres struct{}

func (postgres) compareText(x, op string) string {
	return "lower(" + x + ") " + op + " lower(" + ph + "::text)"
}

func (postgres) inText(x, list string, not bool) string {
	return "lower(" + x + ") " + notKeyword(not) + "IN (" + list + ")"
}

// inItem lower-cases each item of a text in-list, as compareText does.
func (postgres) inItem() string { return "lower(" + ph + "::text)" }

func (postgres) like(x string) string { return x + " ILIKE " + ph + `::text ESCAPE '\'` }

func (postgres) asText(x string) string { return "CAST(" + x + " AS TEXT)" }

// udf is the value of the named UDF in the row's jsonb object, the name matched without regard
// to case (see sqlite.udf). numeric yields a double precision, or NULL for text that is no
// number, since a bare cast would fail the whole query on the first such row. The pattern
// avoids the question mark so that no placeholder rewriting can ever touch it.
func (postgres) udf(numeric bool) string {
	value := "j.value"
	if numeric {
		value = `CASE WHEN j.value ~ '^\s*[-+]{0,1}([0-9]+[.]{0,1}[0-9]*|[.][0-9]+)([eE][-+]{0,1}[0-9]+){0,1}\s*$' ` +
			`THEN CAST(j.value AS double precision) END`
	}
	return `(SELECT ` + value + ` FROM jsonb_each_text("udf") AS j(key, value) WHERE lower(j.key) = lower(` + ph + `::text) LIMIT 1)`
}

// encode leaves values as they are: pgx binds bool and time.Time natively.
func (postgres) encode(v any) any { return v }
