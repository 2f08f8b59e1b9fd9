package query

import (
	"strconv"
	"strings"
	"testing"
)

// numbered numbers the neutral placeholders the way the store does for PostgreSQL, from
// $base+1, so that expectations can be written in the SQL the database receives.
func numbered(d Dialect, where string, base int) string {
	if d != Postgres {
		return where
	}
	var b strings.Builder
	n := base
	for _, r := range where {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestPlaceholdersNeutral: the compiler writes "?" in both dialects, and the server's scope
// comes first, ANDed with the client's filter in one fragment whose arguments follow the text.
func TestPlaceholdersNeutral(t *testing.T) {
	t.Parallel()
	req, _ := Parse([]byte(`{"filter":[{"op":"in","field":"status","value":[1,2]},{"op":"eq","field":"title","value":"x"}]}`))
	for d, want := range map[Dialect]string{
		Postgres: `"status" IN (?, ?) AND lower("title") = lower(?::text)`,
		SQLite:   `"status" IN (?, ?) AND "title" = ? COLLATE NOCASE`,
	} {
		got, err := Compile(req, testTickets(), nil, d)
		if err != nil || got.Where != want {
			t.Errorf("%v: Where = %s, %v; want %s", d, got.Where, err, want)
		}
	}

	scoped := *req
	scoped.Scope = []*Node{{Op: "eq", Field: "companyID", Value: int64(29)}, {Op: "or", Items: []*Node{
		{Op: "eq", Field: "id", Value: int64(3)}, {Op: "eq", Field: "id", Value: int64(4)}}}}
	got, err := Compile(&scoped, testTickets(), nil, SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if want := `("company_id" = ? AND ("id" = ? OR "id" = ?)) AND ("status" IN (?, ?) AND "title" = ? COLLATE NOCASE)`; got.Where != want {
		t.Errorf("scoped Where = %s; want %s", got.Where, want)
	}
	if want := []any{int64(29), int64(3), int64(4), int64(1), int64(2), "x"}; !equalArgs(got.Args, want) {
		t.Errorf("scoped Args = %v; want %v", got.Args, want)
	}

	// A scope that matches nothing, or a filter that does, is Empty; the client's errors win.
	never := *req
	never.Scope = []*Node{{Op: "in", Field: "id", Value: []int64{}}}
	if got, err := Compile(&never, testTickets(), nil, SQLite); err != nil || !got.Empty {
		t.Errorf("empty scope: %#v, %v", got, err)
	}
	bad, _ := Parse([]byte(`{"filter":[{"op":"eq","field":"nosuchfield","value":1}]}`))
	bad.Scope = never.Scope
	if _, err := Compile(bad, testTickets(), nil, SQLite); err == nil {
		t.Error("an unknown field under a scope compiled")
	}
	// The scope's conditions do not count against the client's 500.
	many, _ := Parse([]byte(manyConditions(MaxConditions)))
	many.Scope = scoped.Scope
	if _, err := Compile(many, testTickets(), nil, SQLite); err != nil {
		t.Errorf("500 conditions under a scope: %v", err)
	}
}

func equalArgs(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
