package atapi

import (
	"encoding/json"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// rowEncoder writes rows of one collection as Autotask JSON: camelCase keys in catalog order,
// nulls included, times as 2019-11-25T15:47:59.167Z, then userDefinedFields listing every UDF
// the tenant defines for the collection. It writes bytes directly: this is the hot path of
// every read.
type rowEncoder struct {
	e      *catalog.Entity
	keys   [][]byte // `"name":` per field
	pick   []int    // field indexes to write
	udfs   []psa.UDFDefinition
	udfKey [][]byte
}

// entityKeys holds, per collection, the JSON keys of its fields and the list of all field
// indexes: built once, used by every encoder of that collection.
type entityKeys struct {
	keys [][]byte
	all  []int
}

var keyCache sync.Map // *catalog.Entity → *entityKeys

func keysOf(e *catalog.Entity) *entityKeys {
	if k, ok := keyCache.Load(e); ok {
		return k.(*entityKeys)
	}
	k := &entityKeys{keys: make([][]byte, len(e.Fields)), all: make([]int, len(e.Fields))}
	for i, f := range e.Fields {
		k.keys[i] = append(appendJSONString(nil, f.Name), ':')
		k.all[i] = i
	}
	keyCache.Store(e, k)
	return k
}

func newRowEncoder(e *catalog.Entity, udfs []psa.UDFDefinition, only []*catalog.Field) *rowEncoder {
	k := keysOf(e)
	enc := &rowEncoder{e: e, udfs: udfs, keys: k.keys}
	if only == nil {
		enc.pick = k.all
	} else {
		want := map[string]bool{"id": true}
		for _, f := range only {
			want[f.Name] = true
		}
		for i, f := range e.Fields {
			if want[f.Name] {
				enc.pick = append(enc.pick, i)
			}
		}
	}
	for _, u := range udfs {
		enc.udfKey = append(enc.udfKey, appendJSONString(nil, u.Name))
	}
	return enc
}

func (enc *rowEncoder) append(buf []byte, row *store.Row) []byte {
	buf = append(buf, '{')
	for n, i := range enc.pick {
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, enc.keys[i]...)
		buf = appendValue(buf, row.Values[i])
	}
	if len(enc.pick) > 0 {
		buf = append(buf, ',')
	}
	buf = append(buf, `"userDefinedFields":[`...)
	for n, u := range enc.udfs {
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"name":`...)
		buf = append(buf, enc.udfKey[n]...)
		buf = append(buf, `,"value":`...)
		if v, ok := row.UDF[u.Name]; ok && v != nil {
			buf = appendJSONString(buf, *v)
		} else {
			buf = append(buf, "null"...)
		}
		buf = append(buf, '}')
	}
	return append(buf, "]}"...)
}

// TimeFormat is Autotask's time format: UTC, fraction trimmed of trailing zeros.
const TimeFormat = "2006-01-02T15:04:05.9999999Z"

func appendValue(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...)
	case int64:
		return strconv.AppendInt(buf, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(buf, "null"...)
		}
		return strconv.AppendFloat(buf, x, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(buf, x)
	case string:
		return appendJSONString(buf, x)
	case time.Time:
		buf = append(buf, '"')
		buf = appendTime(buf, x)
		return append(buf, '"')
	default:
		b, _ := json.Marshal(x)
		return append(buf, b...)
	}
}

// appendTime writes t in TimeFormat. It is AppendFormat's answer, byte for byte, without parsing
// the layout on every call: a ticket has a dozen dates and this ran once per date per row.
func appendTime(buf []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(buf, TimeFormat)
	}
	hour, minute, sec := t.Clock()
	buf = appendDigits(buf, year, 4)
	buf = append(buf, '-')
	buf = appendDigits(buf, int(month), 2)
	buf = append(buf, '-')
	buf = appendDigits(buf, day, 2)
	buf = append(buf, 'T')
	buf = appendDigits(buf, hour, 2)
	buf = append(buf, ':')
	buf = appendDigits(buf, minute, 2)
	buf = append(buf, ':')
	buf = appendDigits(buf, sec, 2)
	if frac := t.Nanosecond() / 100; frac > 0 {
		digits := 7
		for frac%10 == 0 {
			frac /= 10
			digits--
		}
		buf = append(buf, '.')
		buf = appendDigits(buf, frac, digits)
	}
	return append(buf, 'Z')
}

// appendDigits writes n (≥ 0) in exactly width decimal digits, zero-padded.
func appendDigits(buf []byte, n, width int) []byte {
	start := len(buf)
	for range width {
		buf = append(buf, '0')
	}
	for i := len(buf) - 1; i >= start; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return buf
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string, escaping what JSON requires and what browsers mind.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
