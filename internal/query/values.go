package query

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// Values arrive from JSON (string, json.Number, bool, nil, []any) or from Go callers (int64 and
// friends). Each is converted to the field's type, leniently, as Autotask's clients expect: they
// send booleans as 1, "1" and "true", numbers as strings, and dates with or without a zone.

// text is a scalar's text: what a string comparison or a LIKE pattern uses.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), true
	}
	if n, ok := goInt(v); ok {
		return strconv.FormatInt(n, 10), true
	}
	if u, ok := v.(uint64); ok {
		return strconv.FormatUint(u, 10), true
	}
	return "", false
}

// goInt reads Go's integer types, except uint64 values beyond int64.
func goInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(x), uint64(x) <= math.MaxInt64
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

// isNumber reports whether v was given as a number rather than as text.
func isNumber(v any) bool {
	switch v.(type) {
	case json.Number, float64, float32:
		return true
	}
	_, ok := goInt(v)
	return ok
}

func toInt(v any) (int64, bool) {
	if n, ok := goInt(v); ok {
		return n, true
	}
	var s string
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case float64:
		return floatToInt(x)
	case float32:
		return floatToInt(float64(x))
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	// "5.0" and 5e2 are whole numbers too.
	f, ok := parseFloat(s)
	if !ok {
		return 0, false
	}
	return floatToInt(f)
}

func floatToInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

func toFloat(v any) (float64, bool) {
	if n, ok := goInt(v); ok {
		return float64(n), true
	}
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		return toFloat(float64(x))
	case json.Number:
		return parseFloat(x.String())
	case string:
		return parseFloat(strings.TrimSpace(x))
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// parseFloat accepts decimal numbers only: Go would also read "NaN", "Inf" and hex floats.
func parseFloat(s string) (float64, bool) {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E')
	}) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
		return false, false
	}
	if isNumber(v) {
		if n, ok := toInt(v); ok && (n == 0 || n == 1) {
			return n == 1, true
		}
	}
	return false, false
}

// timeLayouts are the ISO 8601 forms Autotask's clients send, tried in order. Go accepts a
// fraction after the seconds even where a layout has none. Forms without a zone are UTC, which
// is how Autotask keeps all times.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

func toTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case string:
		// Lower-case t and z, and a space for the T, are common enough to accept.
		s := strings.ToUpper(strings.TrimSpace(x))
		if len(s) > 10 && s[10] == ' ' {
			s = s[:10] + "T" + s[11:]
		}
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}

// Convert turns one value into the Go type of a field of type t: int64, float64, string, bool
// or time.Time. It is the one place that knows how leniently Autotask reads values, for filters
// and for entity bodies alike.
func Convert(t catalog.Type, v any) (any, bool) {
	switch {
	case t.IsInteger():
		return ok1(toInt(v))
	case t.IsNumber():
		return ok1(toFloat(v))
	case t == catalog.Boolean:
		return ok1(toBool(v))
	case t == catalog.DateTime:
		return ok1(toTime(v))
	default:
		return ok1(text(v))
	}
}

func ok1[T any](v T, ok bool) (any, bool) { return v, ok }

// list is the values of an in/notIn condition: an array, or a single scalar as a list of one.
// A null value is the empty list.
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	case string, []byte:
		return []any{x}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return []any{v}
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out
}

// errBadValue names the field and the value that could not be read, shortened so that a huge
// value cannot make a huge message.
func errBadValue(field string, t catalog.Type, v any) error {
	return apperr.Invalid("The value %s is not a valid %s for the field %s.", display(v), t, field)
}

func display(v any) string {
	const maxLen = 100
	s, ok := text(v)
	switch {
	case v == nil:
		return "null"
	case !ok:
		b, err := json.Marshal(v)
		if err != nil {
			return "of type " + reflect.TypeOf(v).String()
		}
		s = string(b)
	case !isNumber(v):
		if _, isBool := v.(bool); !isBool {
			s = strconv.Quote(s)
		}
	}
	if len(s) > maxLen {
		cut := maxLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
