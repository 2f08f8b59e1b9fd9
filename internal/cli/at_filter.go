package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/switchboard-psa/switchboard/autotask"
)

// filterOps maps what --filter accepts (case-insensitive) to Autotask's operators.
var filterOps = map[string]autotask.Operator{
	"eq": autotask.OpEq, "=": autotask.OpEq, "==": autotask.OpEq,
	"noteq": autotask.OpNotEq, "!=": autotask.OpNotEq, "<>": autotask.OpNotEq,
	"gt": autotask.OpGt, ">": autotask.OpGt,
	"gte": autotask.OpGte, ">=": autotask.OpGte,
	"lt": autotask.OpLt, "<": autotask.OpLt,
	"lte": autotask.OpLte, "<=": autotask.OpLte,
	"beginswith": autotask.OpBeginsWith, "endswith": autotask.OpEndsWith, "contains": autotask.OpContains,
	"exist": autotask.OpExist, "exists": autotask.OpExist,
	"notexist": autotask.OpNotExist, "notexists": autotask.OpNotExist,
	"in": autotask.OpIn, "notin": autotask.OpNotIn,
}

const filterHelp = `FIELD OP [VALUE]: OP is eq, noteq, gt, gte, lt, lte, beginsWith, endsWith, contains, exist, notExist, in, notIn (or = != > >= < <=); in/notIn take a comma-separated list; quote a value with "..." to keep it a string; prefix the field with udf: for a user-defined field, e.g. 'udf:"Billable Minutes" gt 30'`

// parseFilter reads one --filter: `status eq 1`, `title beginsWith "Printer on"`,
// `priority in 1,4`, `description exist`, `udf:"Customer Code" eq EB25`.
func parseFilter(s string) (autotask.Condition, error) {
	bad := func(format string, args ...any) (autotask.Condition, error) {
		return autotask.Condition{}, fmt.Errorf("bad filter %q: %s (a filter is %s)", s, fmt.Sprintf(format, args...), filterHelp)
	}
	rest := strings.TrimSpace(s)
	isUDF := false
	if len(rest) >= 4 && strings.EqualFold(rest[:4], "udf:") {
		isUDF, rest = true, strings.TrimSpace(rest[4:])
	}
	field, rest, err := nextToken(rest)
	if err != nil {
		return bad("%v", err)
	}
	if field == "" {
		return bad("no field")
	}
	opText, rest, err := nextToken(rest)
	if err != nil {
		return bad("%v", err)
	}
	if opText == "" {
		return bad("no operator after %q", field)
	}
	op, ok := filterOps[strings.ToLower(opText)]
	if !ok {
		return bad("unknown operator %q", opText)
	}
	value := strings.TrimSpace(rest)
	c := autotask.Condition{Op: op, Field: field, IsUDF: isUDF}
	switch op {
	case autotask.OpExist, autotask.OpNotExist:
		if value != "" {
			return bad("%s takes no value", op)
		}
	case autotask.OpIn, autotask.OpNotIn:
		if value == "" {
			return bad("%s needs a comma-separated list of values", op)
		}
		var list []any
		for _, part := range splitList(value) {
			v, err := scalar(part)
			if err != nil {
				return bad("%v", err)
			}
			list = append(list, v)
		}
		c.Value = list
	default:
		if value == "" {
			return bad("%s needs a value", op)
		}
		v, err := scalar(value)
		if err != nil {
			return bad("%v", err)
		}
		c.Value = v
	}
	return c, nil
}

// nextToken returns the first word of s (or a "quoted string") and the rest.
func nextToken(s string) (tok, rest string, err error) {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return "", "", nil
	}
	if s[0] == '"' {
		end := closingQuote(s)
		if end < 0 {
			return "", "", errors.New("unterminated quote")
		}
		var v string
		if err := json.Unmarshal([]byte(s[:end+1]), &v); err != nil {
			return "", "", fmt.Errorf("bad quoted text %s", s[:end+1])
		}
		return v, s[end+1:], nil
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i:], nil
	}
	return s, "", nil
}

// closingQuote returns the index of the quote that closes the one at s[0], or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// splitList splits on commas outside quotes.
func splitList(s string) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if inQuote {
				i++
			}
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// scalar reads a value: "quoted" is a string, true/false are booleans, numbers are numbers,
// anything else is a string as written.
func scalar(s string) (any, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, errors.New("an empty value")
	case s[0] == '"':
		if end := closingQuote(s); end != len(s)-1 {
			return nil, fmt.Errorf("bad quoted value %s", s)
		}
		var v string
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("bad quoted value %s", s)
		}
		return v, nil
	case s == "true", s == "false":
		return s == "true", nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXnN") {
		return f, nil
	}
	return s, nil
}

// readArg returns text given as is, or the contents of a file named after "@" ("@-": standard input).
func readArg(flag, v string, stdin func() ([]byte, error)) ([]byte, error) {
	name, ok := strings.CutPrefix(v, "@")
	if !ok {
		return []byte(v), nil
	}
	var b []byte
	var err error
	if name == "-" {
		b, err = stdin()
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, v, err)
	}
	return b, nil
}

// parseQueryJSON reads --json: a whole query ({"filter":[…],"IncludeFields":[…],"MaxRecords":N},
// keys in any case) or just the filter array.
func parseQueryJSON(b []byte) (*autotask.Query, error) {
	b = bytes.TrimSpace(b)
	q := &autotask.Query{}
	if len(b) > 0 && b[0] == '[' {
		if err := json.Unmarshal(b, &q.Filter); err != nil {
			return nil, fmt.Errorf("--json: not a filter array: %w", err)
		}
		return q, nil
	}
	var w struct {
		Filter        []autotask.Condition
		IncludeFields []string
		MaxRecords    int
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf(`--json: not a query like {"filter":[{"op":"eq","field":"status","value":1}]}: %w`, err)
	}
	q.Filter, q.IncludeFields, q.MaxRecords = w.Filter, w.IncludeFields, w.MaxRecords
	return q, nil
}

// canonicalOps rewrites operators written in another case ("beginswith") the way Autotask
// spells them, so that Validate judges them rather than refusing them.
func canonicalOps(cs []autotask.Condition) {
	for i := range cs {
		switch l := strings.ToLower(string(cs[i].Op)); l {
		case "and":
			cs[i].Op = autotask.OpAnd
		case "or":
			cs[i].Op = autotask.OpOr
		default:
			if op, ok := filterOps[l]; ok {
				cs[i].Op = op
			}
		}
		canonicalOps(cs[i].Items)
	}
}
