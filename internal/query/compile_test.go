package query

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The UDF value expressions, spelled out so that a change to them shows here.
const (
	sqliteUDFText = `(SELECT j.value FROM json_each("udf") AS j WHERE j.key = ? COLLATE NOCASE LIMIT 1)`
	sqliteUDFNum  = `(SELECT CASE WHEN trim(j.value) GLOB '*[0-9]*' AND trim(j.value) NOT GLOB '*[^0-9.eE+-]*' ` +
		`THEN CAST(trim(j.value) AS REAL) END FROM json_each("udf") AS j WHERE j.key = ? COLLATE NOCASE LIMIT 1)`
	pgUDFText = `(SELECT j.value FROM jsonb_each_text("udf") AS j(key, value) WHERE lower(j.key) = lower($1::text) LIMIT 1)`
	pgUDFNum  = `(SELECT CASE WHEN j.value ~ '^\s*[-+]{0,1}([0-9]+[.]{0,1}[0-9]*|[.][0-9]+)([eE][-+]{0,1}[0-9]+){0,1}\s*$' ` +
		`THEN CAST(j.value AS double precision) END FROM jsonb_each_text("udf") AS j(key, value) WHERE lower(j.key) = lower($1::text) LIMIT 1)`
)

type want struct {
	where string
	args  []any
}

func TestCompile(t *testing.T) {
	t.Parallel()
	jan2 := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		filter string // the filter array of the body
		sqlite want
		pg     want
	}{
		{
			name:   "eq integer",
			filter: `[{"op":"eq","field":"companyID","value":5}]`,
			sqlite: want{`"company_id" = ?`, []any{int64(5)}},
			pg:     want{`"company_id" = $1`, []any{int64(5)}},
		},
		{
			name:   "field and op names in any case, integer as string",
			filter: `[{"op":"NotEq","field":"CompanyId","value":"5"}]`,
			sqlite: want{`"company_id" <> ?`, []any{int64(5)}},
			pg:     want{`"company_id" <> $1`, []any{int64(5)}},
		},
		{
			name:   "gt gte lt lte",
			filter: `[{"op":"gt","field":"id","value":1},{"op":"gte","field":"id","value":"2"},{"op":"lt","field":"id","value":3.0},{"op":"lte","field":"id","value":4e1}]`,
			sqlite: want{`"id" > ? AND "id" >= ? AND "id" < ? AND "id" <= ?`, []any{int64(1), int64(2), int64(3), int64(40)}},
			pg:     want{`"id" > $1 AND "id" >= $2 AND "id" < $3 AND "id" <= $4`, []any{int64(1), int64(2), int64(3), int64(40)}},
		},
		{
			name:   "eq string ignores case",
			filter: `[{"op":"eq","field":"title","value":"Printer"}]`,
			sqlite: want{`"title" = ? COLLATE NOCASE`, []any{"Printer"}},
			pg:     want{`lower("title") = lower($1::text)`, []any{"Printer"}},
		},
		{
			name:   "gt string",
			filter: `[{"op":"gt","field":"title","value":"m"}]`,
			sqlite: want{`"title" > ? COLLATE NOCASE`, []any{"m"}},
			pg:     want{`lower("title") > lower($1::text)`, []any{"m"}},
		},
		{
			name:   "number on a string field is its text",
			filter: `[{"op":"eq","field":"title","value":12.50}]`,
			sqlite: want{`"title" = ? COLLATE NOCASE`, []any{"12.50"}},
			pg:     want{`lower("title") = lower($1::text)`, []any{"12.50"}},
		},
		{
			name:   "datetime date-only",
			filter: `[{"op":"gt","field":"createDate","value":"2024-01-02"}]`,
			sqlite: want{`"create_date" > ?`, []any{"2024-01-02T00:00:00.0000000Z"}},
			pg:     want{`"create_date" > $1`, []any{jan2}},
		},
		{
			name:   "datetime with offset and fraction",
			filter: `[{"op":"lte","field":"createDate","value":"2024-01-02T01:30:00.1234567+01:30"}]`,
			sqlite: want{`"create_date" <= ?`, []any{"2024-01-02T00:00:00.1234567Z"}},
			pg:     want{`"create_date" <= $1`, []any{jan2.Add(123456700 * time.Nanosecond)}},
		},
		{
			name:   "datetime without zone is UTC",
			filter: `[{"op":"eq","field":"dueDateTime","value":"2024-01-02T00:00:00"}]`,
			sqlite: want{`"due_date_time" = ?`, []any{"2024-01-02T00:00:00.0000000Z"}},
			pg:     want{`"due_date_time" = $1`, []any{jan2}},
		},
		{
			name:   "datetime Z, lower case, space",
			filter: `[{"op":"gte","field":"dueDateTime","value":"2024-01-02 00:00:00z"}]`,
			sqlite: want{`"due_date_time" >= ?`, []any{"2024-01-02T00:00:00.0000000Z"}},
			pg:     want{`"due_date_time" >= $1`, []any{jan2}},
		},
		{
			name:   "boolean forms",
			filter: `[{"op":"eq","field":"isActive","value":true},{"op":"eq","field":"isActive","value":"1"},{"op":"eq","field":"isActive","value":0},{"op":"noteq","field":"isActive","value":"FALSE"}]`,
			sqlite: want{`"is_active" = ? AND "is_active" = ? AND "is_active" = ? AND "is_active" <> ?`, []any{int64(1), int64(1), int64(0), int64(0)}},
			pg:     want{`"is_active" = $1 AND "is_active" = $2 AND "is_active" = $3 AND "is_active" <> $4`, []any{true, true, false, false}},
		},
		{
			name:   "double",
			filter: `[{"op":"gte","field":"estimatedHours","value":"3.5"},{"op":"lt","field":"estimatedHours","value":10}]`,
			sqlite: want{`"estimated_hours" >= ? AND "estimated_hours" < ?`, []any{3.5, 10.0}},
			pg:     want{`"estimated_hours" >= $1 AND "estimated_hours" < $2`, []any{3.5, 10.0}},
		},
		{
			name:   "beginsWith escapes LIKE characters",
			filter: `[{"op":"beginsWith","field":"title","value":"50%_off\\"}]`,
			sqlite: want{`"title" LIKE ? ESCAPE '\'`, []any{`50\%\_off\\%`}},
			pg:     want{`"title" ILIKE $1::text ESCAPE '\'`, []any{`50\%\_off\\%`}},
		},
		{
			name:   "endsWith and contains",
			filter: `[{"op":"endswith","field":"title","value":"jam"},{"op":"CONTAINS","field":"title","value":"print"}]`,
			sqlite: want{`"title" LIKE ? ESCAPE '\' AND "title" LIKE ? ESCAPE '\'`, []any{"%jam", "%print%"}},
			pg:     want{`"title" ILIKE $1::text ESCAPE '\' AND "title" ILIKE $2::text ESCAPE '\'`, []any{"%jam", "%print%"}},
		},
		{
			name:   "contains on a number compares its text",
			filter: `[{"op":"contains","field":"companyID","value":12}]`,
			sqlite: want{`CAST("company_id" AS TEXT) LIKE ? ESCAPE '\'`, []any{"%12%"}},
			pg:     want{`CAST("company_id" AS TEXT) ILIKE $1::text ESCAPE '\'`, []any{"%12%"}},
		},
		{
			name:   "exist and notExist on text count empty as missing",
			filter: `[{"op":"exist","field":"title"},{"op":"notExist","field":"title","value":"ignored"}]`,
			sqlite: want{`("title" IS NOT NULL AND "title" <> '') AND ("title" IS NULL OR "title" = '')`, nil},
			pg:     want{`("title" IS NOT NULL AND "title" <> '') AND ("title" IS NULL OR "title" = '')`, nil},
		},
		{
			name:   "exist and notExist on other types",
			filter: `[{"op":"exist","field":"companyID"},{"op":"notexist","field":"dueDateTime"}]`,
			sqlite: want{`"company_id" IS NOT NULL AND "due_date_time" IS NULL`, nil},
			pg:     want{`"company_id" IS NOT NULL AND "due_date_time" IS NULL`, nil},
		},
		{
			name:   "in integers",
			filter: `[{"op":"in","field":"status","value":[1,"2",3]}]`,
			sqlite: want{`"status" IN (?, ?, ?)`, []any{int64(1), int64(2), int64(3)}},
			pg:     want{`"status" IN ($1, $2, $3)`, []any{int64(1), int64(2), int64(3)}},
		},
		{
			name:   "in with a scalar is a list of one",
			filter: `[{"op":"in","field":"status","value":7}]`,
			sqlite: want{`"status" IN (?)`, []any{int64(7)}},
			pg:     want{`"status" IN ($1)`, []any{int64(7)}},
		},
		{
			name:   "notIn strings ignores case",
			filter: `[{"op":"notIn","field":"title","value":["a","B"]}]`,
			sqlite: want{`"title" COLLATE NOCASE NOT IN (?, ?)`, []any{"a", "B"}},
			pg:     want{`lower("title") NOT IN (lower($1::text), lower($2::text))`, []any{"a", "B"}},
		},
		{
			name:   "in datetimes",
			filter: `[{"op":"in","field":"createDate","value":["2024-01-02"]}]`,
			sqlite: want{`"create_date" IN (?)`, []any{"2024-01-02T00:00:00.0000000Z"}},
			pg:     want{`"create_date" IN ($1)`, []any{jan2}},
		},
		{
			name:   "empty notIn matches everything",
			filter: `[{"op":"notin","field":"status","value":[]}]`,
			sqlite: want{"", nil},
			pg:     want{"", nil},
		},
		{
			name:   "nested groups",
			filter: `[{"op":"or","items":[{"op":"eq","field":"status","value":1},{"op":"and","items":[{"op":"eq","field":"status","value":5},{"op":"gt","field":"id","value":10}]}]},{"op":"exist","field":"title"}]`,
			sqlite: want{`("status" = ? OR ("status" = ? AND "id" > ?)) AND ("title" IS NOT NULL AND "title" <> '')`, []any{int64(1), int64(5), int64(10)}},
			pg:     want{`("status" = $1 OR ("status" = $2 AND "id" > $3)) AND ("title" IS NOT NULL AND "title" <> '')`, []any{int64(1), int64(5), int64(10)}},
		},
		{
			name:   "group of one needs no parentheses",
			filter: `[{"op":"or","items":[{"op":"and","items":[{"op":"eq","field":"status","value":1}]}]}]`,
			sqlite: want{`"status" = ?`, []any{int64(1)}},
			pg:     want{`"status" = $1`, []any{int64(1)}},
		},
		{
			name:   "unknown operator is ignored, with its unknown field",
			filter: `[{"op":"ne","field":"nosuchfield","value":1},{"op":"eq","field":"status","value":1}]`,
			sqlite: want{`"status" = ?`, []any{int64(1)}},
			pg:     want{`"status" = $1`, []any{int64(1)}},
		},
		{
			name:   "only unknown operators match everything",
			filter: `[{"op":"ne","field":"status","value":1},{"op":"isNull","field":"title"}]`,
			sqlite: want{"", nil},
			pg:     want{"", nil},
		},
		{
			name:   "unknown operator leaves an or group",
			filter: `[{"op":"or","items":[{"op":"between","field":"id","value":[1,2]},{"op":"eq","field":"id","value":1},{"op":"eq","field":"id","value":2}]}]`,
			sqlite: want{`"id" = ? OR "id" = ?`, []any{int64(1), int64(2)}},
			pg:     want{`"id" = $1 OR "id" = $2`, []any{int64(1), int64(2)}},
		},
		{
			name:   "empty groups match everything",
			filter: `[{"op":"and","items":[]},{"op":"or"},{"op":"eq","field":"id","value":1}]`,
			sqlite: want{`"id" = ?`, []any{int64(1)}},
			pg:     want{`"id" = $1`, []any{int64(1)}},
		},
		{
			name:   "or with an empty notIn matches everything, its other arguments dropped",
			filter: `[{"op":"eq","field":"status","value":9},{"op":"or","items":[{"op":"eq","field":"id","value":1},{"op":"notIn","field":"id","value":[]}]},{"op":"eq","field":"status","value":3}]`,
			sqlite: want{`"status" = ? AND "status" = ?`, []any{int64(9), int64(3)}},
			pg:     want{`"status" = $1 AND "status" = $2`, []any{int64(9), int64(3)}},
		},
		{
			name:   "or drops an empty in-list",
			filter: `[{"op":"or","items":[{"op":"in","field":"id","value":[]},{"op":"eq","field":"id","value":1}]}]`,
			sqlite: want{`"id" = ?`, []any{int64(1)}},
			pg:     want{`"id" = $1`, []any{int64(1)}},
		},
		{
			name:   "SQL meta characters stay arguments",
			filter: `[{"op":"eq","field":"title","value":"'; DROP TABLE tickets; --"},{"op":"contains","field":"title","value":"\" OR 1=1 --"}]`,
			sqlite: want{`"title" = ? COLLATE NOCASE AND "title" LIKE ? ESCAPE '\'`, []any{"'; DROP TABLE tickets; --", `%" OR 1=1 --%`}},
			pg:     want{`lower("title") = lower($1::text) AND "title" ILIKE $2::text ESCAPE '\'`, []any{"'; DROP TABLE tickets; --", `%" OR 1=1 --%`}},
		},
		{
			name:   "udf text, name in any case",
			filter: `[{"op":"eq","field":"Customer CODE","value":"AB'1","udf":true}]`,
			sqlite: want{sqliteUDFText + ` = ? COLLATE NOCASE`, []any{"Customer CODE", "AB'1"}},
			pg:     want{`lower(` + pgUDFText + `) = lower($2::text)`, []any{"Customer CODE", "AB'1"}},
		},
		{
			name:   "udf numeric, several conditions on one UDF",
			filter: `[{"op":"gt","field":"Employees","value":0,"udf":true},{"op":"lte","field":"employees","value":"100","udf":true}]`,
			sqlite: want{sqliteUDFNum + ` > ? AND ` + sqliteUDFText + ` <= ? COLLATE NOCASE`, []any{"Employees", 0.0, "employees", "100"}},
			pg: want{strings.ReplaceAll(pgUDFNum, "$1", "$1") + ` > $2 AND lower(` + strings.ReplaceAll(pgUDFText, "$1", "$3") + `) <= lower($4::text)`,
				[]any{"Employees", 0.0, "employees", "100"}},
		},
		{
			name:   "udf exist",
			filter: `[{"op":"exist","field":"customer code","udf":true}]`,
			sqlite: want{`COALESCE(` + sqliteUDFText + `, '') <> ''`, []any{"customer code"}},
			pg:     want{`COALESCE(` + pgUDFText + `, '') <> ''`, []any{"customer code"}},
		},
		{
			name:   "udf notExist",
			filter: `[{"op":"notExist","field":"customer code","udf":true}]`,
			sqlite: want{`COALESCE(` + sqliteUDFText + `, '') = ''`, []any{"customer code"}},
			pg:     want{`COALESCE(` + pgUDFText + `, '') = ''`, []any{"customer code"}},
		},
		{
			name:   "udf in numbers",
			filter: `[{"op":"in","field":"employees","value":[25,100],"udf":true}]`,
			sqlite: want{sqliteUDFNum + ` IN (?, ?)`, []any{"employees", 25.0, 100.0}},
			pg:     want{pgUDFNum + ` IN ($2, $3)`, []any{"employees", 25.0, 100.0}},
		},
		{
			name:   "udf contains",
			filter: `[{"op":"contains","field":"employees","value":5,"udf":true}]`,
			sqlite: want{sqliteUDFText + ` LIKE ? ESCAPE '\'`, []any{"employees", "%5%"}},
			pg:     want{pgUDFText + ` ILIKE $2::text ESCAPE '\'`, []any{"employees", "%5%"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := Parse([]byte(`{"filter":` + tt.filter + `}`))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for _, d := range []struct {
				dialect Dialect
				want    want
			}{{SQLite, tt.sqlite}, {Postgres, tt.pg}} {
				got, err := Compile(req, testTickets(), testUDFs, d.dialect)
				if err != nil {
					t.Fatalf("%v: Compile: %v", d.dialect, err)
				}
				if got.Empty {
					t.Fatalf("%v: Empty; want %q", d.dialect, d.want.where)
				}
				if got.Where = numbered(d.dialect, got.Where, 0); got.Where != d.want.where {
					t.Errorf("%v: Where\n got %s\nwant %s", d.dialect, got.Where, d.want.where)
				}
				if !reflect.DeepEqual(got.Args, d.want.args) && (len(got.Args) != 0 || len(d.want.args) != 0) {
					t.Errorf("%v: Args\n got %#v\nwant %#v", d.dialect, got.Args, d.want.args)
				}
			}
		})
	}
}

func TestCompileEmpty(t *testing.T) {
	t.Parallel()
	for _, filter := range []string{
		`[]`,
		`[null]`,
		`[{"op":"in","field":"id","value":[]}]`,
		`[{"op":"in","field":"id","value":null}]`,
		`[{"op":"eq","field":"id","value":1},{"op":"or","items":[{"op":"in","field":"title","value":[]}]}]`,
	} {
		req, err := Parse([]byte(`{"filter":` + filter + `}`))
		if err != nil {
			t.Fatalf("Parse(%s): %v", filter, err)
		}
		for _, d := range []Dialect{SQLite, Postgres} {
			got, err := Compile(req, testTickets(), nil, d)
			if err != nil || !got.Empty || got.Where != "1=0" || len(got.Args) != 0 {
				t.Errorf("%v: Compile(%s) = %#v, %v; want Empty", d, filter, got, err)
			}
		}
	}
}

// A tree built in Go rather than parsed: what psa does for a child collection's parent.
func TestCompileGoValues(t *testing.T) {
	t.Parallel()
	req := &Request{FilterPresent: true, Filter: []*Node{
		{Op: "eq", Field: "companyID", Value: int64(42)},
		{Op: "IN", Field: "status", Value: []int{1, 2}},
		{Op: "gt", Field: "createDate", Value: time.Date(2024, 1, 2, 1, 0, 0, 0, time.FixedZone("x", 3600))},
		{Op: "eq", Field: "isActive", Value: true},
	}}
	got, err := Compile(req, testTickets(), nil, SQLite)
	if err != nil {
		t.Fatal(err)
	}
	wantArgs := []any{int64(42), int64(1), int64(2), "2024-01-02T00:00:00.0000000Z", int64(1)}
	if !reflect.DeepEqual(got.Args, wantArgs) {
		t.Errorf("Args = %#v; want %#v", got.Args, wantArgs)
	}
}

// TestCompileFullLength: a value exactly as long as the field holds (in characters, not
// bytes) is a query like any other.
func TestCompileFullLength(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"eq", "contains", "beginsWith", "endsWith"} {
		req, err := Parse([]byte(`{"filter":[{"op":"` + op + `","field":"title","value":"` + strings.Repeat("é", 255) + `"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Compile(req, testTickets(), testUDFs, SQLite); err != nil {
			t.Errorf("%s with 255 characters: %v", op, err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string
	}{
		{"no filter", `{}`, "Value cannot be null.\r\nParameter name: filters"},
		{"null filter", `{"filter":null,"MaxRecords":5}`, "Value cannot be null.\r\nParameter name: filters"},
		{"unknown field", `{"filter":[{"op":"eq","field":"projectID","value":1}]}`, "Unable to find projectID in the Ticket Entity"},
		{"unknown field nested", `{"filter":[{"op":"or","items":[{"op":"eq","field":"id","value":1},{"op":"and","items":[{"op":"exist","field":"Limit"}]}]}]}`, "Unable to find Limit in the Ticket Entity"},
		{"unknown field beside an empty in-list", `{"filter":[{"op":"in","field":"id","value":[]},{"op":"exist","field":"nope"}]}`, "Unable to find nope in the Ticket Entity"},
		{"unknown field with an empty in-list", `{"filter":[{"op":"in","field":"nope","value":[]}]}`, "Unable to find nope in the Ticket Entity"},
		{"unknown UDF", `{"filter":[{"op":"exist","field":"Acronym","udf":true}]}`, "Unable to find Acronym in the Ticket Entity"},
		{"field asked as UDF", `{"filter":[{"op":"exist","field":"title","udf":true}]}`, "Unable to find title in the Ticket Entity"},
		{"two UDFs", `{"filter":[{"op":"exist","field":"customer code","udf":true},{"op":"or","items":[{"op":"gt","field":"employees","value":1,"udf":true}]}]}`, "Only one user defined field may be queried at a time."},
		{"not queryable", `{"filter":[{"op":"exist","field":"SecretNotes"}]}`, "The field SecretNotes of the Ticket Entity cannot be queried."},
		{"integer from a word", `{"filter":[{"op":"eq","field":"companyID","value":"abc"}]}`, `The value "abc" is not a valid integer for the field companyID.`},
		{"integer with a fraction", `{"filter":[{"op":"gt","field":"id","value":1.5}]}`, `The value 1.5 is not a valid long for the field id.`},
		{"integer too large", `{"filter":[{"op":"gt","field":"id","value":99999999999999999999}]}`, `The value 99999999999999999999 is not a valid long for the field id.`},
		{"boolean from a word", `{"filter":[{"op":"eq","field":"isActive","value":"yes"}]}`, `The value "yes" is not a valid boolean for the field isActive.`},
		{"boolean from 2", `{"filter":[{"op":"eq","field":"isActive","value":2}]}`, `The value 2 is not a valid boolean for the field isActive.`},
		{"datetime from a word", `{"filter":[{"op":"gt","field":"createDate","value":"yesterday"}]}`, `The value "yesterday" is not a valid datetime for the field createDate.`},
		{"datetime from a number", `{"filter":[{"op":"gt","field":"createDate","value":20240102}]}`, `The value 20240102 is not a valid datetime for the field createDate.`},
		{"double from NaN", `{"filter":[{"op":"gt","field":"estimatedHours","value":"NaN"}]}`, `The value "NaN" is not a valid double for the field estimatedHours.`},
		{"eq null", `{"filter":[{"op":"eq","field":"title","value":null}]}`, `The value null is not a valid string for the field title.`},
		{"eq without value", `{"filter":[{"op":"eq","field":"status"}]}`, `The value null is not a valid integer for the field status.`},
		{"eq an array", `{"filter":[{"op":"eq","field":"title","value":["a"]}]}`, `The value ["a"] is not a valid string for the field title.`},
		{"contains an object", `{"filter":[{"op":"contains","field":"title","value":{"a":1}}]}`, `The value {"a":1} is not a valid string for the field title.`},
		{"in with a bad item", `{"filter":[{"op":"in","field":"status","value":[1,"two"]}]}`, `The value "two" is not a valid integer for the field status.`},
		{"in with null", `{"filter":[{"op":"notIn","field":"status","value":[null]}]}`, `The value null is not a valid integer for the field status.`},
		{"long value is shortened", `{"filter":[{"op":"eq","field":"id","value":"` + strings.Repeat("é", 80) + `"}]}`, `The value "` + strings.Repeat(`é`, 49) + `... is not a valid long for the field id.`},
		{"contains longer than the field", `{"filter":[{"op":"contains","field":"title","value":"` + strings.Repeat("x", 50001) + `"}]}`, "String value exceeds maximum length (field:title)."},
		{"beginsWith longer than the field", `{"filter":[{"op":"beginsWith","field":"Title","value":"` + strings.Repeat("é", 256) + `"}]}`, "String value exceeds maximum length (field:title)."},
		{"endsWith longer than the field", `{"filter":[{"op":"endsWith","field":"title","value":"` + strings.Repeat("x", 256) + `"}]}`, "String value exceeds maximum length (field:title)."},
		{"eq longer than the field", `{"filter":[{"op":"eq","field":"title","value":"` + strings.Repeat("x", 256) + `"}]}`, "String value exceeds maximum length (field:title)."},
		{"in item longer than the field", `{"filter":[{"op":"in","field":"title","value":["a","` + strings.Repeat("x", 256) + `"]}]}`, "String value exceeds maximum length (field:title)."},
		{"UDF contains longer than a UDF", `{"filter":[{"op":"contains","field":"customer code","udf":true,"value":"` + strings.Repeat("x", 50001) + `"}]}`, "String value exceeds maximum length (field:customer code)."},
		{"contains on a number, too long", `{"filter":[{"op":"contains","field":"id","value":"` + strings.Repeat("1", 50001) + `"}]}`, "String value exceeds maximum length (field:id)."},
		{"501 conditions", manyConditions(501), "The query contains more than 500 conditions."},
		{"10,000 conditions", manyConditions(10000), "The query contains more than 500 conditions."},
		{"too many values", `{"filter":[{"op":"in","field":"id","value":[` + strings.TrimSuffix(strings.Repeat("1,", MaxValues+1), ",") + `]}]}`, "The query contains more than 30000 values."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for _, d := range []Dialect{SQLite, Postgres} {
				got, err := Compile(req, testTickets(), testUDFs, d)
				if err == nil {
					t.Fatalf("%v: Compile = %#v; want error %q", d, got, tt.want)
				}
				wantAppErr(t, err, tt.want)
			}
		})
	}
}

func TestCompileLimits(t *testing.T) {
	t.Parallel()
	req, err := Parse([]byte(manyConditions(MaxConditions)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Compile(req, testTickets(), nil, Postgres)
	if err != nil {
		t.Fatalf("500 conditions: %v", err)
	}
	if len(got.Args) != MaxConditions || !strings.HasSuffix(numbered(Postgres, got.Where, 0), `"id" = $500`) {
		t.Errorf("500 conditions: %d args, Where ends %q", len(got.Args), got.Where[len(got.Where)-20:])
	}

	req, err = Parse([]byte(nestedGroups(MaxDepth)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Compile(req, testTickets(), nil, SQLite); err != nil || got.Where != `"id" IS NOT NULL` {
		t.Errorf("64 levels: %#v, %v", got, err)
	}

	// A tree built in Go is held to the same depth, and a cycle cannot loop.
	deep := &Node{Op: "exist", Field: "id"}
	for range MaxDepth {
		deep = &Node{Op: "and", Items: []*Node{deep}}
	}
	_, err = Compile(&Request{FilterPresent: true, Filter: []*Node{deep}}, testTickets(), nil, SQLite)
	wantAppErr(t, err, "The query is nested more than 64 levels deep.")
	cycle := &Node{Op: "or"}
	cycle.Items = []*Node{cycle}
	_, err = Compile(&Request{FilterPresent: true, Filter: []*Node{cycle}}, testTickets(), nil, SQLite)
	wantAppErr(t, err, "The query is nested more than 64 levels deep.")

	// Shared nodes cannot make the walk exponential.
	shared := &Node{Op: "and"}
	for range MaxDepth - 1 {
		shared = &Node{Op: "or", Items: []*Node{shared, shared}}
	}
	_, err = Compile(&Request{FilterPresent: true, Filter: []*Node{shared}}, testTickets(), nil, SQLite)
	wantAppErr(t, err, "The query contains more than 500 conditions.")
	req, _ = Parse([]byte(`{"filter":[` + strings.TrimSuffix(strings.Repeat(`{"op":"ne"},`, 5001), ",") + `]}`))
	_, err = Compile(req, testTickets(), nil, SQLite)
	wantAppErr(t, err, "The query contains more than 500 conditions.")
	req, _ = Parse([]byte(`{"filter":[` + strings.TrimSuffix(strings.Repeat(`{"op":"ne"},`, 4999), ",") + `]}`))
	if c, err := Compile(req, testTickets(), nil, SQLite); err != nil || c.Where != "" || c.Empty {
		t.Errorf("4,999 unknown operators: %#v, %v; want everything", c, err)
	}

	// Refusing too many conditions costs work in proportion to the input, not more.
	if g := growth(func(n int) {
		req, _ := Parse([]byte(manyConditions(n)))
		_, _ = Compile(req, testTickets(), nil, SQLite)
	}, 20000); g > 60 {
		t.Errorf("10 times the conditions took %.0f times as long", g)
	}
}

func TestEncodeArg(t *testing.T) {
	t.Parallel()
	tm := time.Date(2024, 1, 2, 3, 4, 5, 60000000, time.FixedZone("x", -3600))
	tests := []struct {
		d    Dialect
		in   any
		want any
	}{
		{SQLite, true, int64(1)},
		{SQLite, false, int64(0)},
		{SQLite, tm, "2024-01-02T04:04:05.0600000Z"},
		{SQLite, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), "2024-01-02T00:00:00.0000000Z"},
		{SQLite, int64(5), int64(5)},
		{SQLite, "x", "x"},
		{SQLite, nil, nil},
		{Postgres, true, true},
		{Postgres, tm, tm},
		{Postgres, "x", "x"},
	}
	for _, tt := range tests {
		if got := EncodeArg(tt.d, tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("EncodeArg(%v, %#v) = %#v; want %#v", tt.d, tt.in, got, tt.want)
		}
	}
}

// benchBody is a typical query: a nested group, an in-list, a LIKE, a date range.
var benchBody = []byte(`{"filter":[{"op":"or","items":[{"op":"eq","field":"status","value":1},{"op":"and","items":[` +
	`{"op":"in","field":"companyID","value":[1,2,3,4,5]},{"op":"contains","field":"title","value":"printer"}]}]},` +
	`{"op":"gte","field":"createDate","value":"2024-01-02T00:00:00Z"},{"op":"exist","field":"dueDateTime"}],"MaxRecords":100}`)

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	e := testTickets()
	typical, err := Parse(benchBody)
	if err != nil {
		b.Fatal(err)
	}
	largest, err := Parse([]byte(manyConditions(MaxConditions)))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		req  *Request
		d    Dialect
	}{
		{"sqlite", typical, SQLite},
		{"postgres", typical, Postgres},
		{"500 conditions", largest, Postgres},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compile(bc.req, e, nil, bc.d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleCompile() {
	req, _ := Parse([]byte(`{'filter':[{'op':'beginsWith','field':'Title','value':'Printer'},{'op':'in','field':'status','value':[1,5]}]}`))
	c, _ := Compile(req, testTickets(), nil, Postgres)
	fmt.Println(c.Where)
	fmt.Println(numbered(Postgres, c.Where, 1)) // as the store binds it after one argument of its own
	fmt.Println(c.Args...)
	// Output:
	// "title" ILIKE ?::text ESCAPE '\' AND "status" IN (?, ?)
	// "title" ILIKE $2::text ESCAPE '\' AND "status" IN ($3, $4)
	// Printer% 1 5
}
