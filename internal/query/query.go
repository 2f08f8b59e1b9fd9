// Package query turns an Autotask QueryModel ({"filter":[...],"IncludeFields":[...],"MaxRecords":N})
// into a checked tree and then into a parameterised SQL WHERE fragment for SQLite or PostgreSQL,
// its placeholders "?" in both (the store numbers them for PostgreSQL).
//
// Field names reach SQL only through the catalog: a name the entity does not know is Autotask's
// "Unable to find" error, and a known name is replaced by its catalog column. Values never reach
// SQL text; they are always arguments.
package query

import (
	"github.com/switchboard-psa/switchboard/internal/apperr"
)

// Dialect is the SQL flavour Compile writes.
type Dialect int

// The dialects.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Limits of one query. Autotask documents the 500 conditions and the page size; the depth limit
// is ours, so that a hostile body cannot exhaust the stack.
const (
	MaxConditions = 500
	MaxDepth      = 64
	MaxPageSize   = 500
	// MaxValues bounds the arguments of one query: SQLite refuses statements with more than
	// 32,766 parameters, and a client should hear why rather than see an internal error.
	MaxValues = 30000
)

// Request is a parsed QueryModel body.
type Request struct {
	Filter        []*Node // top-level array, ANDed
	FilterPresent bool    // false when the body had no "filter" key (or null)
	IncludeFields []string
	MaxRecords    int // 0 when absent or null; -1 when present but not a whole number from 1 to int's range
	// Scope holds conditions the server adds (the caller's access scope), ANDed ahead of the
	// filter by Compile. Parse never sets it; it is compiled without UDFs and outside the
	// client's limits.
	Scope []*Node
}

// Node is one filter item: a condition (Field, Value) or a group (Items) joined by Op "and"/"or".
type Node struct {
	Op    string // lower-cased
	Field string
	Value any
	UDF   bool
	Items []*Node
	Sub   *Sub // a server-made semi-join (subquery.go); never set by Parse
}

// Compiled is a WHERE fragment (without the word WHERE) with its arguments, ready to bind.
type Compiled struct {
	Where string
	Args  []any
	// Empty means the filter can match no row (filter:[] or a condition such as an empty in-list):
	// the store may answer without asking the database. Where is then "1=0" for callers that do.
	Empty bool
}

// PageSize is the number of records a page holds: MaxRecords, or 500 when absent. A MaxRecords
// present but outside 1–500 (0 included) is Autotask's 500 "maxCountOfRecordsToReturn must be
// between 1 and 500".
func (r *Request) PageSize() (int, error) {
	switch {
	case r.MaxRecords == 0:
		return MaxPageSize, nil
	case r.MaxRecords >= 1 && r.MaxRecords <= MaxPageSize:
		return r.MaxRecords, nil
	}
	return 0, apperr.Invalid("maxCountOfRecordsToReturn must be between 1 and 500")
}
