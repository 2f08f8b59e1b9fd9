package query

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"
)

// The compiled SQL is only right if a database agrees: these scenarios run each filter against
// a real SQLite always and a real PostgreSQL when SWITCHBOARD_TEST_POSTGRES names one, on a
// table laid out as the store lays out its tables.

// ticketRow is one row of the test table; nil fields are NULL.
type ticketRow struct {
	id        int64
	company   any
	title     any
	status    int64
	created   time.Time
	due       any
	active    bool
	hours     any
	udfObject any // JSON text
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

var ticketRows = []ticketRow{
	{1, int64(10), "Printer jam", 1, ts("2024-01-01T10:00:00Z"), nil, true, 1.5, `{"Customer Code":"ABC","Employees":"25"}`},
	{2, int64(10), "printer JAM 50% off_x", 5, ts("2024-01-02T00:00:00Z"), ts("2024-02-01T00:00:00Z"), false, 0.0, `{"Customer Code":"abc","Employees":"7.5000"}`},
	{3, int64(20), "", 1, ts("2024-01-02T00:00:00.5Z"), nil, true, nil, `{"Customer Code":null,"Employees":"many"}`},
	{4, nil, nil, 8, ts("2023-12-31T23:59:59.9999999Z"), nil, false, 3.0, nil},
	{5, int64(30), `O'Brien "quoted" \back`, 5, ts("2025-06-01T12:00:00Z"), nil, true, 10.0, `{"Employees":"100","customer code":""}`},
}

func TestCompiledSQLOnDatabases(t *testing.T) {
	t.Parallel()
	scenarios := []struct {
		filter string
		want   []int64
	}{
		{`[{"op":"exist","field":"id"}]`, []int64{1, 2, 3, 4, 5}},
		{`[{"op":"eq","field":"title","value":"PRINTER JAM"}]`, []int64{1}},
		{`[{"op":"noteq","field":"title","value":"printer jam"}]`, []int64{2, 3, 5}},
		{`[{"op":"gt","field":"title","value":"P"}]`, []int64{1, 2}},
		{`[{"op":"contains","field":"title","value":"jam"}]`, []int64{1, 2}},
		{`[{"op":"beginsWith","field":"title","value":"PRINTER"}]`, []int64{1, 2}},
		{`[{"op":"endsWith","field":"title","value":"JAM"}]`, []int64{1}},
		{`[{"op":"contains","field":"title","value":"50%"}]`, []int64{2}},
		{`[{"op":"contains","field":"title","value":"%"}]`, []int64{2}},
		{`[{"op":"contains","field":"title","value":"_"}]`, []int64{2}},
		{`[{"op":"contains","field":"title","value":"\\"}]`, []int64{5}},
		{`[{"op":"contains","field":"title","value":"\"quoted\""}]`, []int64{5}},
		{`{'op':'beginsWith','field':'title','value':'o\'b'}`, []int64{5}},
		{`[{"op":"exist","field":"title"}]`, []int64{1, 2, 5}},
		{`[{"op":"notExist","field":"title"}]`, []int64{3, 4}},
		{`[{"op":"exist","field":"companyID"}]`, []int64{1, 2, 3, 5}},
		{`[{"op":"notExist","field":"companyID"}]`, []int64{4}},
		{`[{"op":"contains","field":"companyID","value":"0"}]`, []int64{1, 2, 3, 5}},
		{`[{"op":"gt","field":"createDate","value":"2024-01-02"}]`, []int64{3, 5}},
		{`[{"op":"gte","field":"createDate","value":"2024-01-02T00:00:00Z"}]`, []int64{2, 3, 5}},
		{`[{"op":"lt","field":"createDate","value":"2024-01-01T10:00:00+01:00"}]`, []int64{4}},
		{`[{"op":"eq","field":"createDate","value":"2024-01-02T00:00:00.5Z"}]`, []int64{3}},
		{`[{"op":"eq","field":"createDate","value":"2023-12-31T23:59:59.9999999Z"}]`, []int64{4}},
		{`[{"op":"in","field":"createDate","value":["2024-01-02","2025-06-01T12:00:00"]}]`, []int64{2, 5}},
		{`[{"op":"exist","field":"dueDateTime"}]`, []int64{2}},
		{`[{"op":"eq","field":"isActive","value":"true"}]`, []int64{1, 3, 5}},
		{`[{"op":"eq","field":"isActive","value":0}]`, []int64{2, 4}},
		{`[{"op":"gt","field":"estimatedHours","value":1}]`, []int64{1, 4, 5}},
		{`[{"op":"in","field":"status","value":[1,8]}]`, []int64{1, 3, 4}},
		{`[{"op":"notIn","field":"status","value":"1"}]`, []int64{2, 4, 5}},
		{`[{"op":"in","field":"title","value":["printer jam","O'BRIEN \"QUOTED\" \\BACK"]}]`, []int64{1, 5}},
		{`[{"op":"notIn","field":"title","value":["PRINTER JAM"]}]`, []int64{2, 3, 5}},
		{`[{"op":"notIn","field":"title","value":[]}]`, []int64{1, 2, 3, 4, 5}},
		{`[{"op":"in","field":"title","value":[]}]`, nil},
		{`[]`, nil},
		{`[{"op":"ne","field":"status","value":1}]`, []int64{1, 2, 3, 4, 5}},
		{`[{"op":"or","items":[{"op":"eq","field":"status","value":8},{"op":"and","items":[{"op":"eq","field":"status","value":5},{"op":"lt","field":"id","value":5}]}]},{"op":"gt","field":"id","value":1}]`, []int64{2, 4}},
		{`[{"op":"eq","field":"title","value":"'; DROP TABLE tickets; --"}]`, nil},
		{`[{"op":"eq","field":"Customer Code","value":"abc","udf":true}]`, []int64{1, 2}},
		{`[{"op":"eq","field":"CUSTOMER CODE","value":"ABC","udf":true}]`, []int64{1, 2}},
		{`[{"op":"exist","field":"customer code","udf":true}]`, []int64{1, 2}},
		{`[{"op":"notExist","field":"customer code","udf":true}]`, []int64{3, 4, 5}},
		{`[{"op":"gt","field":"employees","value":10,"udf":true}]`, []int64{1, 5}},
		{`[{"op":"lte","field":"Employees","value":7.5,"udf":true}]`, []int64{2}},
		{`[{"op":"gt","field":"Employees","value":"10","udf":true}]`, []int64{1, 2, 3, 5}}, // as text: "25" "7.5000" "many" "100" > "10"
		{`[{"op":"in","field":"employees","value":[25,100],"udf":true}]`, []int64{1, 5}},
		{`[{"op":"in","field":"employees","value":["MANY"],"udf":true}]`, []int64{3}},
		{`[{"op":"contains","field":"employees","value":5,"udf":true}]`, []int64{1, 2}},
		{`[{"op":"gte","field":"employees","value":0,"udf":true},{"op":"lt","field":"employees","value":50,"udf":true}]`, []int64{1, 2}},
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			d, conn := openTestTable(t, backend)
			for _, sc := range scenarios {
				body := `{"filter":` + sc.filter + `}`
				req, err := Parse([]byte(body))
				if err != nil {
					t.Fatalf("Parse(%s): %v", body, err)
				}
				got, err := selectIDs(conn, d, req)
				if err != nil {
					t.Errorf("%s: %v", sc.filter, err)
					continue
				}
				if !reflect.DeepEqual(got, sc.want) {
					t.Errorf("%s: ids %v; want %v", sc.filter, got, sc.want)
				}
			}
			if n, err := selectIDs(conn, d, &Request{FilterPresent: true, Filter: []*Node{{Op: "exist", Field: "id"}}}); err != nil || len(n) != len(ticketRows) {
				t.Errorf("table damaged: %v, %v", n, err)
			}
		})
	}
}

// selectIDs runs the compiled filter the way the store does: after arguments of its own.
func selectIDs(conn *sql.Conn, d Dialect, req *Request) ([]int64, error) {
	c, err := Compile(req, testTickets(), testUDFs, d)
	if err != nil || c.Empty {
		return nil, err
	}
	stmt := "SELECT id FROM tickets WHERE id > ?"
	if c.Where != "" {
		stmt += " AND (" + c.Where + ")"
	}
	stmt = numbered(d, stmt, 0)
	rows, err := conn.QueryContext(context.Background(), stmt+" ORDER BY id", append([]any{EncodeArg(d, int64(0))}, c.Args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// openTestTable makes the tickets table, filled, on one connection of its own (a temporary table
// on PostgreSQL, so that nothing is left behind).
func openTestTable(t *testing.T, backend string) (Dialect, *sql.Conn) {
	t.Helper()
	ctx := context.Background()
	var db *sql.DB
	var err error
	d := SQLite
	create := `CREATE TABLE tickets (id BIGINT PRIMARY KEY, company_id BIGINT, title TEXT COLLATE NOCASE, status BIGINT,
		create_date TEXT, due_date_time TEXT, is_active INTEGER, estimated_hours REAL, secret_notes TEXT COLLATE NOCASE, udf TEXT)`
	switch backend {
	case "sqlite":
		db, err = sql.Open("sqlite", filepath.Join(t.TempDir(), "query.db"))
	case "postgres":
		url := os.Getenv("SWITCHBOARD_TEST_POSTGRES")
		if url == "" {
			t.Skip("PostgreSQL tests skipped: set SWITCHBOARD_TEST_POSTGRES to a postgres:// URL (.ci/run does)")
		}
		d = Postgres
		db, err = sql.Open("pgx", url)
		create = `CREATE TEMPORARY TABLE tickets (id BIGINT PRIMARY KEY, company_id BIGINT, title TEXT, status BIGINT,
			create_date TIMESTAMPTZ, due_date_time TIMESTAMPTZ, is_active BOOLEAN, estimated_hours DOUBLE PRECISION, secret_notes TEXT, udf JSONB)`
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(ctx, create); err != nil {
		t.Fatal(err)
	}
	phs := make([]string, 9)
	for i := range phs {
		phs[i] = "?"
	}
	if d == Postgres {
		phs[8] += "::jsonb"
	}
	insert := "INSERT INTO tickets (id, company_id, title, status, create_date, due_date_time, is_active, estimated_hours, udf) VALUES (" + strings.Join(phs, ", ") + ")"
	insert = numbered(d, insert, 0)
	for _, r := range ticketRows {
		args := []any{r.id, r.company, r.title, r.status, r.created, r.due, r.active, r.hours, r.udfObject}
		for i := range args {
			args[i] = EncodeArg(d, args[i])
		}
		if _, err := conn.ExecContext(ctx, insert, args...); err != nil {
			t.Fatalf("insert row %d: %v", r.id, err)
		}
	}
	return d, conn
}
