package query

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/apperr"
)

// FuzzParseCompile feeds arbitrary bodies through Parse and Compile. Neither may panic, every
// error must be one a client may see, and the SQL must be made only of the compiler's own words:
// catalog columns, placeholders and fixed keywords and literals. A value can then never be SQL.
func FuzzParseCompile(f *testing.F) {
	for _, seed := range []string{
		`{"filter":[{"op":"eq","field":"title","value":"'; DROP TABLE tickets; --"}]}`,
		`{'filter':[{'op':'exist','field':'IsActive'}]}`,
		`{'filter':[{'op':'beginsWith','field':'title','value':'it\'s "x" 50%_\\'}],'MaxRecords':5}`,
		`{"Filter":[{"Op":"or","Items":[{"op":"in","field":"status","value":[1,"2",null]},{"op":"and","items":[{"op":"contains","field":"companyID","value":"1"}]}]}]}`,
		`{"filter":[{"op":"gt","field":"Employees","value":1.5,"udf":true},{"op":"notExist","field":"createDate"}]}`,
		`{"filter":[{"op":"notIn","field":"Customer Code","value":["a\" OR 1=1 --","$1"],"udf":true}]}`,
		`{"filter":[{"op":"lte","field":"dueDateTime","value":"2024-01-02T03:04:05.123+02:00"},{"op":"eq","field":"isActive","value":"1"}]}`,
		`{"filter":[{"op":"ne","field":"x"},{"op":"and"}],"IncludeFields":["id","Customer Code"]}`,
		`{"filter":[]}`,
		`{"filter":[{"op":"and","items":[{"op":"and","items":[{"op":"and","items":[{"op":"eq","field":"estimatedHours","value":"1e3"}]}]}]}]}`,
	} {
		f.Add([]byte(seed))
	}
	e := testTickets()
	columns := map[string]bool{`"udf"`: true}
	for _, fl := range e.Fields {
		columns[`"`+fl.Column+`"`] = true
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := Parse(body)
		if err != nil {
			mustBeAppErr(t, err)
			return
		}
		_, _ = req.PageSize()
		if _, _, err := IncludeColumns(req, e, testUDFs); err != nil {
			mustBeAppErr(t, err)
		}
		for _, d := range []Dialect{SQLite, Postgres} {
			c, err := Compile(req, e, testUDFs, d)
			if err != nil {
				mustBeAppErr(t, err)
				continue
			}
			if err := checkSQL(d, c, columns); err != nil {
				t.Fatal(err)
			}
			for _, v := range stringsIn(req.Filter, 0) {
				if v != "" && strings.Contains(c.Where, v) && strings.ContainsFunc(v, notSQLVocabulary) {
					t.Fatalf("%v: value %q appears in %s", d, v, c.Where)
				}
			}
		}
	})
}

func mustBeAppErr(t *testing.T, err error) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Status != 500 || len(ae.Messages) != 1 {
		t.Fatalf("error %v is not a client-safe 500", err)
	}
}

// sqlToken matches one token of what the compiler writes; checkSQL insists the tokens cover the
// whole text.
var sqlToken = regexp.MustCompile(`\s+|"[a-z_]+"|\$[0-9]+|\?|'(?:[^']|'')*'|LIMIT 1\b|[A-Za-z_][A-Za-z_.]*|::|<>|<=|>=|[()=<>,~]`)

var sqlWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`AND OR NOT IN IS NULL LIKE ILIKE ESCAPE COLLATE NOCASE CAST AS TEXT REAL
		lower COALESCE SELECT FROM WHERE CASE WHEN THEN END trim GLOB json_each jsonb_each_text
		j j.key j.value key value double precision text`) {
		sqlWords[w] = true
	}
}

var sqlLiterals = map[string]bool{
	`''`: true, `'\'`: true, `'*[0-9]*'`: true, `'*[^0-9.eE+-]*'`: true,
	`'^\s*[-+]{0,1}([0-9]+[.]{0,1}[0-9]*|[.][0-9]+)([eE][-+]{0,1}[0-9]+){0,1}\s*$'`: true,
}

func checkSQL(d Dialect, c Compiled, columns map[string]bool) error {
	if c.Empty {
		if c.Where != "1=0" || len(c.Args) != 0 {
			return fmt.Errorf("%v: Empty with %q %v", d, c.Where, c.Args)
		}
		return nil
	}
	pos, placeholders := 0, 0
	for _, loc := range sqlToken.FindAllStringIndex(c.Where, -1) {
		if loc[0] != pos {
			break
		}
		pos = loc[1]
		tok := c.Where[loc[0]:loc[1]]
		switch {
		case strings.TrimSpace(tok) == "", strings.ContainsAny(tok[:1], "()=<>,~:"):
		case tok[0] == '"':
			if !columns[tok] {
				return fmt.Errorf("%v: identifier %s is no column, in %s", d, tok, c.Where)
			}
		case tok == "?" || tok[0] == '$':
			placeholders++
			if tok != "?" {
				return fmt.Errorf("%v: placeholder %s out of order in %s", d, tok, c.Where)
			}
		case tok[0] == '\'':
			if !sqlLiterals[tok] {
				return fmt.Errorf("%v: literal %s in %s", d, tok, c.Where)
			}
		case tok == "LIMIT 1":
		default:
			if !sqlWords[tok] {
				return fmt.Errorf("%v: word %q in %s", d, tok, c.Where)
			}
		}
	}
	if pos != len(c.Where) {
		return fmt.Errorf("%v: foreign text %q in %s", d, c.Where[pos:], c.Where)
	}
	if placeholders != len(c.Args) {
		return fmt.Errorf("%v: %d placeholders for %d args in %s", d, placeholders, len(c.Args), c.Where)
	}
	for _, a := range c.Args {
		switch a.(type) {
		case int64, float64, string:
		case bool, time.Time:
			if d == SQLite {
				return fmt.Errorf("SQLite arg %#v not encoded", a)
			}
		default:
			return fmt.Errorf("%v: arg of type %T", d, a)
		}
	}
	return nil
}

// TestCheckSQL shows that the fuzz test's checker refuses what an injection would look like.
func TestCheckSQL(t *testing.T) {
	t.Parallel()
	columns := map[string]bool{`"title"`: true}
	bad := []struct {
		d Dialect
		c Compiled
	}{
		{SQLite, Compiled{Where: `"title" = 'x'`}},
		{SQLite, Compiled{Where: `"title" = ? OR 1=1`, Args: []any{"x"}}},
		{SQLite, Compiled{Where: `"title" = ?; DROP TABLE t`, Args: []any{"x"}}},
		{SQLite, Compiled{Where: `"secret" = ?`, Args: []any{"x"}}},
		{SQLite, Compiled{Where: `"title" = ? -- x`, Args: []any{"x"}}},
		{SQLite, Compiled{Where: `"title" = ?`}},
		{SQLite, Compiled{Where: `"title" = ?`, Args: []any{true}}},
		{Postgres, Compiled{Where: `"title" = $1`, Args: []any{"x"}}}, // numbered: the store's job
		{Postgres, Compiled{Where: `"title" = ? AND "title" = ?`, Args: []any{"x"}}},
	}
	for _, b := range bad {
		if checkSQL(b.d, b.c, columns) == nil {
			t.Errorf("checkSQL(%v, %q) accepted it", b.d, b.c.Where)
		}
	}
	good := Compiled{Where: `lower("title") = lower(?::text) AND ("title" IS NULL OR "title" = '')`, Args: []any{"x"}}
	if err := checkSQL(Postgres, good, columns); err != nil {
		t.Errorf("checkSQL refused %q: %v", good.Where, err)
	}
}

// notSQLVocabulary reports a character the compiler never writes: a value holding one cannot be
// found in the SQL by chance.
func notSQLVocabulary(r rune) bool {
	return r > 0x7e || r < ' ' || strings.ContainsRune(";#@!&`/", r)
}

func stringsIn(nodes []*Node, depth int) []string {
	var out []string
	if depth > MaxDepth {
		return nil
	}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		for _, v := range append(list(n.Value), n.Field) {
			if s, ok := text(v); ok {
				out = append(out, s)
			}
		}
		out = append(out, stringsIn(n.Items, depth+1)...)
	}
	return out
}
