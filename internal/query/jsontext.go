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
// A single-quoted string becomes a double-quoted one: \' becomes ', a bare " is escaped, other
// escapes are kept. Double-quoted strings, apostrophes inside them included, are copied as they
// are. Depth is counted here, in one flat loop, so no recursive decoder ever meets deep input.
// Malformed input is passed on unchanged for encoding/json to describe.
func normalizeJSON(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	var out []byte // nil until the first single-quoted string: most bodies need no copy
	depth := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '"':
			j := endOfString(data, i+1, '"')
			if out != nil {
				out = append(out, data[i:j]...)
			}
			i = j - 1
		case '\'':
			if out == nil {
				out = append(make([]byte, 0, len(data)+16), data[:i]...)
			}
			var j int
			out, j = convertSingleQuoted(out, data, i+1)
			i = j - 1
		default:
			switch c {
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
			if out != nil {
				out = append(out, c)
			}
		}
	}
	if out == nil {
		return data, nil
	}
	return out, nil
}

// endOfString returns the index just past the quote closing the string whose body starts at i,
// or len(data) when the string is not closed.
func endOfString(data []byte, i int, quote byte) int {
	for ; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case quote:
			return i + 1
		}
	}
	return len(data)
}

// convertSingleQuoted appends, double-quoted, the single-quoted string whose body starts at i,
// and returns the index just past its closing quote.
func convertSingleQuoted(out, data []byte, i int) ([]byte, int) {
	out = append(out, '"')
	for ; i < len(data); i++ {
		c := data[i]
		switch c {
		case '\\':
			if i+1 >= len(data) {
				return append(out, c), len(data)
			}
			i++
			if data[i] == '\'' {
				out = append(out, '\'') // JSON has no \' escape
			} else {
				out = append(out, '\\', data[i])
			}
		case '"':
			out = append(out, '\\', '"')
		case '\'':
			return append(out, '"'), i + 1
		default:
			out = append(out, c)
		}
	}
	return out, len(data) // unclosed: encoding/json reports the unexpected end
}
