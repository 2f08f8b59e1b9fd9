package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// How a row is read. On PostgreSQL every field is a column of the result. On SQLite the pure-Go
// driver spends most of a one-row read on the columns themselves: their names and declared
// types, fetched and upper-cased for every query, and one call through its C translation per
// value. So SQLite packs the row in the statement: json_array(col, col, …) makes one text column
// holding every value with its storage class (integer, real, text or null), which readPacked
// splits. Doubles stay columns of their own: a float64 needs up to 17 significant digits to come
// back the same, and how many SQLite's JSON writes for a real has changed between its versions.
//
// The values are what the driver would have returned (int64, float64, string or nil) and pass
// through the same decodeValue, so a row reads the same either way.

// maxPacked is the most values one json_array takes: SQLite limits a function's arguments.
const maxPacked = 100

// rowLayout is the select list of an entity's table and how its result maps to fields: the
// packs, then udf, then the separate columns.
type rowLayout struct {
	sel      string
	packed   [][]int // SQLite: the field indexes in each json_array, in order
	separate []int   // the field indexes read as columns of their own, after the packs and udf
}

var layouts sync.Map // selectKey → *rowLayout

type selectKey struct {
	d query.Dialect
	e *catalog.Entity
}

func layoutOf(d query.Dialect, e *catalog.Entity) *rowLayout {
	if l, ok := layouts.Load(selectKey{d, e}); ok {
		return l.(*rowLayout)
	}
	l := buildLayout(d, e)
	layouts.Store(selectKey{d, e}, l)
	return l
}

func buildLayout(d query.Dialect, e *catalog.Entity) *rowLayout {
	l := &rowLayout{}
	var parts []string
	if d == query.Postgres { // udf first, as after SQLite's packs
		parts = append(parts, "udf::text")
		for i, f := range e.Fields {
			parts = append(parts, quote(f.Column))
			l.separate = append(l.separate, i)
		}
		l.sel = strings.Join(parts, ", ")
		return l
	}
	var pack []int
	for i, f := range e.Fields {
		if f.Type == catalog.Double || f.Type == catalog.Decimal {
			l.separate = append(l.separate, i)
			continue
		}
		if len(pack) == maxPacked {
			l.packed = append(l.packed, pack)
			pack = nil
		}
		pack = append(pack, i)
	}
	if len(pack) > 0 {
		l.packed = append(l.packed, pack)
	}
	for _, p := range l.packed {
		cols := make([]string, len(p))
		for j, i := range p {
			cols[j] = quote(e.Fields[i].Column)
		}
		parts = append(parts, "json_array("+strings.Join(cols, ", ")+")")
	}
	parts = append(parts, "udf")
	for _, i := range l.separate {
		parts = append(parts, quote(e.Fields[i].Column))
	}
	l.sel = strings.Join(parts, ", ")
	return l
}

// selectList is the select list of e's table; scanRows reads its result.
func selectList(d query.Dialect, e *catalog.Entity) string { return layoutOf(d, e).sel }

func scanRows(d query.Dialect, e *catalog.Entity, rows *sql.Rows) ([]*Row, error) {
	defer rows.Close()
	l := layoutOf(d, e)
	var out []*Row
	raw := make([]any, len(l.packed)+1+len(l.separate))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("scan %s: %w", e.Table, err)
		}
		r := &Row{Values: make([]any, len(e.Fields))}
		for k, p := range l.packed {
			if err := readPacked(textOf(raw[k]), p, e, r); err != nil {
				return nil, fmt.Errorf("scan %s: %w", e.Table, err)
			}
		}
		for k, i := range l.separate {
			r.Values[i] = decodeValue(e.Fields[i].Type, raw[len(l.packed)+1+k])
		}
		if text := textOf(raw[len(l.packed)]); len(text) > 0 {
			if err := jsonUnmarshalUDF(text, r); err != nil {
				return nil, fmt.Errorf("udf of %s: %w", e.Table, err)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

var errPacked = errors.New("malformed packed row")

// readPacked splits the JSON array SQLite's json_array wrote (scalars only: null, numbers,
// strings) into the fields idx of r.
func readPacked(s string, idx []int, e *catalog.Entity, r *Row) error {
	if len(s) < 2 || s[0] != '[' {
		return errPacked
	}
	pos := 1
	for n, i := range idx {
		if n > 0 {
			if pos >= len(s) || s[pos] != ',' {
				return errPacked
			}
			pos++
		}
		if pos >= len(s) {
			return errPacked
		}
		var v any
		switch c := s[pos]; {
		case c == 'n':
			if !strings.HasPrefix(s[pos:], "null") {
				return errPacked
			}
			pos += 4
		case c == '"':
			str, end, err := jsonString(s, pos)
			if err != nil {
				return err
			}
			v, pos = str, end
		default:
			end := pos
			real := false
			for end < len(s) && s[end] != ',' && s[end] != ']' {
				if b := s[end]; b == '.' || b == 'e' || b == 'E' {
					real = true
				}
				end++
			}
			num := s[pos:end]
			var err error
			if real {
				v, err = strconv.ParseFloat(num, 64)
			} else if v, err = strconv.ParseInt(num, 10, 64); err != nil {
				v, err = strconv.ParseFloat(num, 64) // beyond int64: SQLite would not write that
			}
			if err != nil {
				return errPacked
			}
			pos = end
		}
		r.Values[i] = decodeValue(e.Fields[i].Type, v)
	}
	if pos != len(s)-1 || s[pos] != ']' {
		return errPacked
	}
	return nil
}

// jsonString reads the JSON string starting at s[pos] (a quote) and returns it and the index
// after its closing quote. Without escapes it is a slice of s.
func jsonString(s string, pos int) (string, int, error) {
	start := pos + 1
	for i := start; i < len(s); i++ {
		switch s[i] {
		case '"':
			return s[start:i], i + 1, nil
		case '\\':
			return unescape(s, start)
		}
	}
	return "", 0, errPacked
}

func unescape(s string, start int) (string, int, error) {
	var b []byte
	for i := start; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			return string(b), i + 1, nil
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", 0, errPacked
		}
		switch s[i+1] {
		case '"', '\\', '/':
			b = append(b, s[i+1])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, n, ok := hex4(s, i+2)
			if !ok {
				return "", 0, errPacked
			}
			i += n
			if utf16.IsSurrogate(r) {
				if r2, n2, ok := hex4(s, i+2+2); ok && s[i+2] == '\\' && s[i+3] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						i += 2 + n2
					}
				}
			}
			b = utf8.AppendRune(b, r)
			i += 2
			continue
		default:
			return "", 0, errPacked
		}
		i += 2
	}
	return "", 0, errPacked
}

// hex4 reads the four hex digits at s[at:]; n is 4 when it did.
func hex4(s string, at int) (rune, int, bool) {
	if at+4 > len(s) {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(s[at:at+4], 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return rune(v), 4, true
}

func jsonUnmarshalUDF(text string, r *Row) error { return json.Unmarshal([]byte(text), &r.UDF) }
