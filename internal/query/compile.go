package query

import (
	"strings"
	"unicode/utf8"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// ph marks a placeholder while a fragment is being built; render writes it as the neutral
// "?". The store numbers the placeholders of the whole statement once, for PostgreSQL, when
// the statement is complete. Column names never hold a NUL or a question mark.
const ph = "\x00"

// sqlWriter is what differs between the dialects; sqlite.go and postgres.go hold one each.
type sqlWriter interface {
	compareText(x, op string) string        // x op value, ignoring case
	inText(x, list string, not bool) string // x [NOT] IN (list), ignoring case
	inItem() string                         // one placeholder of a text in-list
	like(x string) string                   // x LIKE pattern, ignoring case, escape \
	asText(x string) string                 // a non-text column as text, for LIKE
	udf(numeric bool) string                // the value of the UDF named by the one placeholder
	encode(v any) any                       // an argument as the driver should bind it
}

func (d Dialect) writer() sqlWriter {
	if d == Postgres {
		return postgres{}
	}
	return sqlite{}
}

// EncodeArg readies a value for binding: on SQLite a bool becomes int64 0/1 and a time.Time
// the fixed-width UTC text "2006-01-02T15:04:05.0000000Z"; PostgreSQL values are left as they
// are. Compile applies it to Compiled.Args already; the store uses it for its own arguments so
// that both agree on how a time is written.
func EncodeArg(d Dialect, v any) any { return d.writer().encode(v) }

// opKind groups the operators by the SQL they need.
type opKind uint8

const (
	opCompare opKind = iota + 1
	opLike
	opExist
	opIn
)

type operator struct {
	kind opKind
	sql  string // the comparison operator of opCompare
	// pre and post wrap the value of opLike into its pattern.
	pre, post string
	not       bool // notExist, notIn
}

// operators are Autotask's, by lower-cased name. Any other name is ignored, as Autotask does.
var operators = map[string]operator{
	"eq":         {kind: opCompare, sql: "="},
	"noteq":      {kind: opCompare, sql: "<>"},
	"gt":         {kind: opCompare, sql: ">"},
	"gte":        {kind: opCompare, sql: ">="},
	"lt":         {kind: opCompare, sql: "<"},
	"lte":        {kind: opCompare, sql: "<="},
	"beginswith": {kind: opLike, post: "%"},
	"endswith":   {kind: opLike, pre: "%"},
	"contains":   {kind: opLike, pre: "%", post: "%"},
	"exist":      {kind: opExist},
	"notexist":   {kind: opExist, not: true},
	"in":         {kind: opIn},
	"notin":      {kind: opIn, not: true},
}

// truth is what a fragment is known to be before the database sees it.
type truth uint8

const (
	maybe   truth = iota // depends on the row: sql says how
	always               // matches every row
	never                // matches no row
	dropped              // an unknown operator: left out of its group
)

// frag is a compiled condition or group, its placeholders still marked by ph.
type frag struct {
	truth    truth
	sql      string
	args     []any
	compound bool // an AND/OR list: needs parentheses inside another group
}

// emptyResult matches nothing. Where is set too, for a caller that ignores Empty.
var emptyResult = Compiled{Where: "1=0", Empty: true}

// Compile checks req against the entity and the tenant's UDFs (udfs maps a UDF name, lower-cased
// or as defined, to whether it exists) and writes the WHERE fragment: req.Scope's conditions
// and then the filter's, ANDed. Its placeholders are "?" in both dialects; the store numbers
// them for PostgreSQL once the statement around them is written.
func Compile(req *Request, e *catalog.Entity, udfs map[string]bool, d Dialect) (Compiled, error) {
	if req == nil || !req.FilterPresent {
		return Compiled{}, apperr.Invalid("Value cannot be null.\r\nParameter name: filters")
	}
	if len(req.Filter) == 0 {
		return emptyResult, nil // Autotask answers filter:[] with no rows
	}
	var s shape
	if err := s.walk(req.Filter, 1); err != nil {
		return Compiled{}, err
	}
	c := &compiler{e: e, udfs: udfs, w: d.writer()}
	f, err := c.group("and", req.Filter, 1) // the client's errors come first
	if err != nil {
		return Compiled{}, err
	}
	if len(req.Scope) > 0 && f.truth != never {
		// The server's conditions: no UDFs, and their values do not count against the client's.
		sc := &compiler{e: e, w: c.w}
		scope, err := sc.group("and", req.Scope, 1)
		if err != nil {
			return Compiled{}, err
		}
		f = fold("and", []frag{scope, f})
	}
	switch f.truth {
	case maybe:
		return render(f, c.w), nil
	case never:
		return emptyResult, nil
	}
	return Compiled{}, nil
}

// shape checks the limits of a tree before any of it is compiled, so that an oversized or
// hostile query is refused whole and early, and recursion never goes deeper than MaxDepth.
type shape struct {
	conditions int
	nodes      int    // groups and unknown operators too: a tree built in Go may share nodes
	udf        string // lower-cased name of the one UDF queried
	hasUDF     bool
}

func (s *shape) walk(nodes []*Node, depth int) error {
	for _, n := range nodes {
		if n == nil {
			continue
		}
		if depth > MaxDepth {
			return errTooDeep()
		}
		s.nodes++
		if s.nodes > maxNodes {
			return errTooManyConditions()
		}
		op := strings.ToLower(n.Op)
		if op == "and" || op == "or" {
			if err := s.walk(n.Items, depth+1); err != nil {
				return err
			}
			continue
		}
		if _, known := operators[op]; !known {
			continue
		}
		s.conditions++
		if s.conditions > MaxConditions {
			return errTooManyConditions()
		}
		if n.UDF {
			// Autotask: "You can only query by one user-defined field at a time." Several
			// conditions on that one field (a range, say) are allowed.
			name := strings.ToLower(n.Field)
			if s.hasUDF && s.udf != name {
				return apperr.Invalid("Only one user defined field may be queried at a time.")
			}
			s.udf, s.hasUDF = name, true
		}
	}
	return nil
}

// maxNodes bounds the items of a tree, whatever their operators, so that walking it stays cheap.
const maxNodes = 10 * MaxConditions

func errTooManyConditions() error {
	return apperr.Invalid("The query contains more than %d conditions.", MaxConditions)
}

type compiler struct {
	e     *catalog.Entity
	udfs  map[string]bool
	w     sqlWriter
	nargs int
}

// group compiles the items of an and/or group and folds what is known without the database:
// an unknown operator leaves its group, a group left empty matches everything, and a condition
// that matches nothing (an empty in-list) decides an AND.
func (c *compiler) group(op string, items []*Node, depth int) (frag, error) {
	frags := make([]frag, 0, len(items))
	for _, n := range items {
		if n == nil {
			continue
		}
		f, err := c.node(n, depth)
		if err != nil {
			return frag{}, err
		}
		frags = append(frags, f)
	}
	return fold(op, frags), nil
}

// fold joins compiled items under op, leaving out what is known without the database.
func fold(op string, frags []frag) frag {
	parts := make([]frag, 0, len(frags))
	anyAlways, anyNever := false, false
	for _, f := range frags {
		switch f.truth {
		case maybe:
			parts = append(parts, f)
		case always:
			anyAlways = true
		case never:
			anyNever = true
		}
	}
	if op == "or" {
		switch {
		case anyAlways:
			return frag{truth: always}
		case len(parts) == 0 && anyNever:
			return frag{truth: never}
		}
		return join(parts, " OR ")
	}
	if anyNever {
		return frag{truth: never}
	}
	return join(parts, " AND ")
}

// join lists parts under one operator; no parts is an empty group, which matches everything.
func join(parts []frag, sep string) frag {
	switch len(parts) {
	case 0:
		return frag{truth: always}
	case 1:
		return parts[0]
	}
	var b strings.Builder
	var args []any
	for i, p := range parts {
		if i > 0 {
			b.WriteString(sep)
		}
		if p.compound {
			b.WriteString("(" + p.sql + ")")
		} else {
			b.WriteString(p.sql)
		}
		args = append(args, p.args...)
	}
	return frag{sql: b.String(), args: args, compound: true}
}

func (c *compiler) node(n *Node, depth int) (frag, error) {
	op := strings.ToLower(n.Op)
	if op == "and" || op == "or" {
		return c.group(op, n.Items, depth+1)
	}
	if n.Sub != nil {
		return c.semiJoin(n, depth)
	}
	o, known := operators[op]
	if !known {
		return frag{truth: dropped}, nil
	}
	var f frag
	var err error
	switch o.kind {
	case opCompare:
		f, err = c.compare(n, o.sql)
	case opLike:
		f, err = c.like(n, o.pre, o.post)
	case opExist:
		f, err = c.exist(n, o.not)
	case opIn:
		f, err = c.in(n, o.not)
	}
	if err != nil {
		return frag{}, err
	}
	c.nargs += len(f.args)
	if c.nargs > MaxValues {
		return frag{}, apperr.Invalid("The query contains more than %d values.", MaxValues)
	}
	return f, nil
}

// operand is the left side of a condition: a catalog column or a UDF's value.
type operand struct {
	sql  string
	args []any        // the UDF name, for a UDF
	typ  catalog.Type // a UDF is a String, or a Double when compared as a number
	udf  bool
	name string // the field's name, for messages
	max  int    // the most characters the field holds (0: no limit)
}

// UDFMaxLength is the most characters a UDF value holds (entityInformation/userDefinedFields
// reports it as every UDF's length).
const UDFMaxLength = 8000

// errTooLong is Autotask's validation message for a string longer than its field holds.
func errTooLong(field string) error {
	return apperr.Invalid("String value exceeds maximum length (field:%s).", field)
}

// fits refuses a text value longer than the field can hold: no row can hold it, and a LIKE
// pattern that long exceeds SQLite's limit (50,000 bytes), which would answer an internal error.
func (x operand) fits(v any) error {
	s, ok := v.(string)
	if !ok || x.max <= 0 || len(s) <= x.max || utf8.RuneCountInString(s) <= x.max {
		return nil
	}
	return errTooLong(x.name)
}

// textual reports whether values of t compare as text.
func textual(t catalog.Type) bool {
	return !t.IsNumber() && t != catalog.Boolean && t != catalog.DateTime
}

// operand resolves the field of n through the catalog or the tenant's UDFs: nothing else ever
// becomes SQL text. numeric asks for a UDF's value as a number.
func (c *compiler) operand(n *Node, numeric bool) (operand, error) {
	if n.UDF {
		if !c.hasUDF(n.Field) {
			return operand{}, errUnknownField(n.Field, c.e)
		}
		t := catalog.String
		if numeric {
			t = catalog.Double
		}
		return operand{sql: c.w.udf(numeric), args: []any{n.Field}, typ: t, udf: true, name: n.Field, max: UDFMaxLength}, nil
	}
	f, ok := c.e.Field(n.Field)
	if !ok {
		return operand{}, errUnknownField(n.Field, c.e)
	}
	if !f.Queryable {
		return operand{}, apperr.Invalid("The field %s of the %s Entity cannot be queried.", n.Field, c.e.Singular)
	}
	x := operand{sql: quoteIdent(f.Column), typ: f.Type, name: f.Name}
	if textual(f.Type) {
		x.max = f.Length
	}
	return x, nil
}

func (c *compiler) hasUDF(name string) bool {
	return lookupUDF(c.udfs, name)
}

// lookupUDF finds a UDF name in the caller's set, whether its keys are lower-cased or not.
func lookupUDF(udfs map[string]bool, name string) bool {
	if udfs[name] || udfs[strings.ToLower(name)] {
		return true
	}
	for k, ok := range udfs {
		if ok && strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func errUnknownField(name string, e *catalog.Entity) error {
	return apperr.Invalid("Unable to find %s in the %s Entity", name, e.Singular)
}

func (c *compiler) compare(n *Node, op string) (frag, error) {
	x, err := c.operand(n, n.UDF && isNumber(n.Value))
	if err != nil {
		return frag{}, err
	}
	v, ok := Convert(x.typ, n.Value)
	if n.Value == nil || !ok {
		return frag{}, errBadValue(n.Field, x.typ, n.Value)
	}
	if err := x.fits(v); err != nil {
		return frag{}, err
	}
	sql := x.sql + " " + op + " " + ph
	if textual(x.typ) {
		sql = c.w.compareText(x.sql, op)
	}
	return frag{sql: sql, args: append(x.args, v)}, nil
}

// like compiles beginsWith, endsWith and contains. Autotask is lenient with them, so a field
// that is not text is compared by its text rather than refused.
func (c *compiler) like(n *Node, pre, post string) (frag, error) {
	x, err := c.operand(n, false)
	if err != nil {
		return frag{}, err
	}
	s, ok := text(n.Value)
	if n.Value == nil || !ok {
		return frag{}, errBadValue(n.Field, catalog.String, n.Value)
	}
	if err := x.fits(s); err != nil {
		return frag{}, err
	}
	if !textual(x.typ) && len(s) > maxNonTextPattern { // a number or date as text is short
		return frag{}, errTooLong(x.name)
	}
	pattern := pre + escapeLike(s) + post
	col := x.sql
	if !textual(x.typ) {
		col = c.w.asText(col)
	}
	return frag{sql: c.w.like(col), args: append(x.args, pattern)}, nil
}

// maxNonTextPattern bounds a beginsWith/endsWith/contains value on a field that is not text
// (compared by its text): no number or date is this long.
const maxNonTextPattern = 100

// escapeLike makes every character of s match itself under ESCAPE '\'.
func escapeLike(s string) string {
	if !strings.ContainsAny(s, `\%_`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\\' || r == '%' || r == '_' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// exist compiles exist and notExist. An empty string is no value, as in Autotask.
func (c *compiler) exist(n *Node, not bool) (frag, error) {
	x, err := c.operand(n, false)
	if err != nil {
		return frag{}, err
	}
	var sql string
	switch {
	case x.udf && not:
		sql = "COALESCE(" + x.sql + ", '') = ''" // one mention, so the name is bound once
	case x.udf:
		sql = "COALESCE(" + x.sql + ", '') <> ''"
	case textual(x.typ) && not:
		sql = "(" + x.sql + " IS NULL OR " + x.sql + " = '')"
	case textual(x.typ):
		sql = "(" + x.sql + " IS NOT NULL AND " + x.sql + " <> '')"
	case not:
		sql = x.sql + " IS NULL"
	default:
		sql = x.sql + " IS NOT NULL"
	}
	return frag{sql: sql, args: x.args}, nil
}

// in compiles in and notIn. An empty list is decided here: in matches nothing, notIn everything.
func (c *compiler) in(n *Node, not bool) (frag, error) {
	items := list(n.Value)
	numeric := n.UDF && len(items) > 0
	for _, v := range items {
		numeric = numeric && isNumber(v)
	}
	x, err := c.operand(n, numeric)
	if err != nil {
		return frag{}, err
	}
	if len(items) == 0 {
		if not {
			return frag{truth: always}, nil
		}
		return frag{truth: never}, nil
	}
	if len(items) > MaxValues {
		return frag{}, apperr.Invalid("The query contains more than %d values.", MaxValues)
	}
	args := append(make([]any, 0, len(x.args)+len(items)), x.args...)
	item := ph
	if textual(x.typ) {
		item = c.w.inItem()
	}
	var b strings.Builder
	for i, v := range items {
		cv, ok := Convert(x.typ, v)
		if v == nil || !ok {
			return frag{}, errBadValue(n.Field, x.typ, v)
		}
		if err := x.fits(cv); err != nil {
			return frag{}, err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(item)
		args = append(args, cv)
	}
	if textual(x.typ) {
		return frag{sql: c.w.inText(x.sql, b.String(), not), args: args}, nil
	}
	return frag{sql: x.sql + " " + notKeyword(not) + "IN (" + b.String() + ")", args: args}, nil
}

func notKeyword(not bool) string {
	if not {
		return "NOT "
	}
	return ""
}

// quoteIdent double-quotes a catalog column name.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// render writes the placeholders as "?" and encodes the arguments for binding.
func render(f frag, w sqlWriter) Compiled {
	var b strings.Builder
	b.Grow(len(f.sql) + 3*len(f.args))
	args := make([]any, len(f.args))
	for i, a := range f.args {
		args[i] = w.encode(a)
	}
	s := f.sql
	for {
		i := strings.IndexByte(s, ph[0])
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		b.WriteByte('?')
		s = s[i+1:]
	}
	return Compiled{Where: b.String(), Args: args}
}
