package fakeat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// segments splits a path into lower-case segments, ignoring empty ones (doubled or trailing
// slashes).
func segments(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, strings.ToLower(s))
		}
	}
	return out
}

func isID(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// normalize round-trips v through JSON (numbers become float64) and makes keys camelCase.
func normalize(v map[string]any) map[string]any {
	b, _ := json.Marshal(v)
	m, _ := decodeObject(b)
	return m
}

func decodeObject(b []byte) (map[string]any, bool) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, false
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[camel(k)] = v
	}
	return out, true
}

// camel lower-cases the first letter of a key ("CompanyName" → "companyName", "ID" → "id").
func camel(k string) string {
	if k == strings.ToUpper(k) {
		return strings.ToLower(k)
	}
	r := []rune(k)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

func pascal(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			r := []rune(k)
			r[0] = unicode.ToUpper(r[0])
			out[string(r)] = pascal(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = pascal(x)
		}
		return out
	case []map[string]any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = pascal(x)
		}
		return out
	}
	return v
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func compact(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

func orEmpty(f []map[string]any) []map[string]any {
	if f == nil {
		return []map[string]any{}
	}
	return f
}

func orEmptyAny(v any) any {
	if v == nil {
		return []any{}
	}
	return v
}

func lookup(m map[string]any, key string) (any, bool) {
	if k, ok := findKey(m, key); ok {
		return m[k], true
	}
	return nil, false
}

func findKey(m map[string]any, key string) (string, bool) {
	if _, ok := m[key]; ok {
		return key, true
	}
	for k := range m {
		if strings.EqualFold(k, key) {
			return k, true
		}
	}
	return "", false
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// num reads a number from a JSON value (numbers, numeric strings, booleans).
func num(v any) float64 {
	switch t := v.(type) {
	case float64:
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case bool:
		if t {
			return 1
		}
		return 0
	case string:
		f, _ := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return f
	}
	return 0
}

func isNumeric(v any) bool {
	switch t := v.(type) {
	case float64, int, int64, bool:
		return true
	case string:
		_, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return err == nil
	}
	return false
}

// fieldValue returns the value of a field or UDF of rec.
func fieldValue(rec map[string]any, field string, udf bool) (any, bool) {
	if !udf {
		return lookup(rec, field)
	}
	for _, u := range asSlice(rec["userDefinedFields"]) {
		if m, ok := u.(map[string]any); ok && strings.EqualFold(fmt.Sprint(m["name"]), field) {
			return m["value"], true
		}
	}
	return nil, false
}

// compare orders a and b: numerically when both are numbers, else as case-insensitive strings.
func compare(a, b any) int {
	if isNumeric(a) && isNumeric(b) {
		x, y := num(a), num(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(strings.ToLower(fmt.Sprint(a)), strings.ToLower(fmt.Sprint(b)))
}

func matchAll(rec map[string]any, conds []any) bool {
	for _, c := range conds {
		if !match(rec, c) {
			return false
		}
	}
	return true
}

func match(rec map[string]any, c any) bool {
	m, ok := c.(map[string]any)
	if !ok {
		return true
	}
	opv, _ := lookup(m, "op")
	op := strings.ToLower(fmt.Sprint(opv))
	if op == "and" || op == "or" {
		items, _ := lookup(m, "items")
		list := asSlice(items)
		if op == "and" {
			return matchAll(rec, list)
		}
		for _, it := range list {
			if match(rec, it) {
				return true
			}
		}
		return false
	}
	fv, _ := lookup(m, "field")
	field := fmt.Sprint(fv)
	udfv, _ := lookup(m, "udf")
	udf, _ := udfv.(bool)
	value, _ := lookup(m, "value")
	got, present := fieldValue(rec, field, udf)
	present = present && got != nil && got != ""
	str := func(v any) string { return strings.ToLower(fmt.Sprint(v)) }
	switch op {
	case "exist":
		return present
	case "notexist":
		return !present
	case "eq":
		return present && compare(got, value) == 0
	case "noteq":
		return !present || compare(got, value) != 0
	case "gt":
		return present && compare(got, value) > 0
	case "gte":
		return present && compare(got, value) >= 0
	case "lt":
		return present && compare(got, value) < 0
	case "lte":
		return present && compare(got, value) <= 0
	case "beginswith":
		return present && strings.HasPrefix(str(got), str(value))
	case "endswith":
		return present && strings.HasSuffix(str(got), str(value))
	case "contains":
		return present && strings.Contains(str(got), str(value))
	case "in", "notin":
		in := false
		for _, v := range asSlice(value) {
			in = in || (present && compare(got, v) == 0)
		}
		return in == (op == "in")
	}
	return true // Autotask ignores unknown operators
}
