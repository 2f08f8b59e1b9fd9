package query

import (
	"bytes"

	"github.com/switchboard-psa/switchboard/internal/apperr"
)

// maxJSONDepth bounds the nesting of the raw JSON before any decoder sees it. A filter node at
// depth d sits at JSON depth 2d+1 (object, items array, object, ...) and its value array one
// deeper, so this admits every filter of MaxDepth levels and nothing much deeper.
const maxJSONDepth = 2*MaxDepth + 3

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// errTooDeep is the answer to nesting beyond MaxDepth, whether found in the raw JSON or in a tree.
func errTooDeep() error {
	return apperr.Invalid("The query is nested more than %d levels deep.", MaxDepth)
}

// normalizeJSON makes Json.NET's lenient JSON readable by encoding/json and bounds its depth.
//
// Autotask reads bodies and the search parameter with Json.NET, which accepts single-quoted
// strings; its own nextPageUrl echoes search as {'filter':[{'op':'exist','field':'IsActive'}]}.
// A single-quoted string becomes a double-quoted one: a bare " in it is escaped, and \' (which
// Json.NET reads in either kind of string, JSON in neither) becomes '. Apostrophes inside
// double-quoted strings are text and stay. Depth is counted here, in one flat loop, so no
// recursive decoder ever meets deep input. Malformed input is passed on for encoding/json to
// describe.
func normalizeJSON(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	out := make([]byte, 0, len(data)+8)
	depth := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '"', '\'':
			var end int
			out, end = convertString(out, data, i+1, c)
			i = end - 1
			continue
		case '[', '{':
			depth++
			if depth > maxJSONDepth {
				return nil, errTooDeep()
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// convertString appends, double-quoted, the string whose body starts at i and which quote
// closes, and returns the index just past the closing quote.
func convertString(out, data []byte, i int, quote byte) ([]byte, int) {
	out = append(out, '"')
	for ; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\\':
			if i+1 >= len(data) {
				return append(out, c), len(data)
			}
			i++
			if data[i] == '\'' {
				out = append(out, '\'')
			} else {
				out = append(out, '\\', data[i])
			}
		case c == quote:
			return append(out, '"'), i + 1
		case c == '"': // inside a single-quoted string
			out = append(out, '\\', '"')
		default:
			out = append(out, c)
		}
	}
	return out, len(data) // unclosed: encoding/json reports the unexpected end
}
