package webhook

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"sort"
	"strconv"
	"time"
	"unicode/utf16"
)

// Payload is one callout, as Autotask sends it.
type Payload struct {
	Action         string // Create, Update, Delete; Deactivated for the deactivation URL
	GUID           string
	EntityType     string // Ticket, Company, Contact, ConfigurationItem, TicketNote
	ID             int64
	Fields         map[string]any // nil, int64, float64, bool, string, *string, time.Time
	EventTime      time.Time
	SequenceNumber int64
	PersonID       int64 // 0 is written as null
}

// timeFormat is how datetimes are written in callouts: UTC with milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z"

// Encode writes the payload as the exact bytes that are sent and signed: the keys in
// Autotask's order, Fields sorted by name, and inside strings every character that is not
// printable ASCII or is one of & < > ' " \ + written as \uXXXX, as Autotask does.
func (p *Payload) Encode() []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"Action":`...)
	b = appendString(b, p.Action)
	b = append(b, `,"Guid":`...)
	b = appendString(b, p.GUID)
	b = append(b, `,"EntityType":`...)
	b = appendString(b, p.EntityType)
	b = append(b, `,"Id":`...)
	b = strconv.AppendInt(b, p.ID, 10)
	b = append(b, `,"Fields":{`...)
	names := make([]string, 0, len(p.Fields))
	for k := range p.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendValue(b, p.Fields[k])
	}
	b = append(b, `},"EventTime":`...)
	b = appendString(b, p.EventTime.UTC().Format(timeFormat))
	b = append(b, `,"SequenceNumber":`...)
	b = strconv.AppendInt(b, p.SequenceNumber, 10)
	b = append(b, `,"PersonID":`...)
	if p.PersonID == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, p.PersonID, 10)
	}
	return append(b, '}')
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendString(b, x)
	case *string:
		if x == nil {
			return append(b, "null"...)
		}
		return appendString(b, *x)
	case time.Time:
		return appendString(b, x.UTC().Format(timeFormat))
	default:
		return append(b, "null"...)
	}
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string with Autotask's escaping.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		if r >= 0x20 && r < 0x7f && !escaped(r) {
			b = append(b, byte(r))
			continue
		}
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			b = appendU(appendU(b, r1), r2)
			continue
		}
		b = appendU(b, r)
	}
	return append(b, '"')
}

func escaped(r rune) bool {
	switch r {
	case '&', '<', '>', '\'', '"', '\\', '+':
		return true
	}
	return false
}

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// Sign is the X-Hook-Signature value of a body: sha1= and the base64 HMAC-SHA1 of the exact
// bytes sent, keyed with the webhook's secret key.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return "sha1=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}
