package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/apperr"
)

// member is one key of a JSON object, in the order the body gave it.
type member struct {
	key string
	raw json.RawMessage
}

// Parse reads a QueryModel JSON body, double- or single-quoted. Keys are matched
// case-insensitively, as Json.NET does; when a key appears twice the last one wins, and unknown
// keys are ignored. A body of JSON null is a request without a filter.
func Parse(data []byte) (*Request, error) {
	text, err := normalizeJSON(data)
	if err != nil {
		return nil, err
	}
	members, isNull, err := objectMembers(text, true)
	if err != nil {
		return nil, err
	}
	req := &Request{}
	if isNull {
		return req, nil
	}
	for _, m := range members {
		switch strings.ToLower(m.key) {
		case "filter":
			req.Filter, req.FilterPresent, err = parseNodeList(m.raw, 1)
		case "includefields":
			req.IncludeFields, err = parseNames(m.raw)
		case "maxrecords":
			req.MaxRecords = parseMaxRecords(m.raw)
		}
		if err != nil {
			return nil, err
		}
	}
	return req, nil
}

// malformed is the answer to a body encoding/json cannot read. Autotask answers bad input with
// 500, and so does Switchboard.
func malformed(err error) error {
	msg := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		msg = "unexpected end of input"
	}
	return apperr.Wrap(http.StatusInternalServerError, err, "The query is not valid JSON: "+msg+".")
}

func newDecoder(raw []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec
}

// objectMembers splits a JSON object into its members, keeping their order so that the last of
// two keys differing only in case wins, as in Json.NET. isNull reports a JSON null. top asks for
// the whole input to be this one value.
func objectMembers(raw []byte, top bool) (members []member, isNull bool, err error) {
	dec := newDecoder(raw)
	tok, err := dec.Token()
	if err != nil {
		return nil, false, malformed(err)
	}
	switch tok {
	case nil:
		return nil, true, endOfInput(dec, raw, top)
	case json.Delim('{'):
	default:
		if top {
			return nil, false, apperr.Invalid("The query must be a JSON object.")
		}
		return nil, false, apperr.Invalid("Each filter item must be a JSON object.")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false, malformed(err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false, malformed(err)
		}
		members = append(members, member{key: key, raw: v})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, false, malformed(err)
	}
	return members, false, endOfInput(dec, raw, top)
}

// endOfInput refuses text after the query object, as Json.NET does.
func endOfInput(dec *json.Decoder, raw []byte, top bool) error {
	if top && len(bytes.TrimSpace(raw[dec.InputOffset():])) > 0 {
		return malformed(errors.New("unexpected text after the query object"))
	}
	return nil
}

// parseNodeList reads a filter array whose items sit at depth. present is false for JSON null.
// A single object where an array belongs is taken as a list of one, leniently.
func parseNodeList(raw json.RawMessage, depth int) (nodes []*Node, present bool, err error) {
	switch firstByte(raw) {
	case 'n':
		return nil, false, nil
	case '{':
		n, err := parseNode(raw, depth)
		if err != nil || n == nil {
			return nil, true, err
		}
		return []*Node{n}, true, nil
	case '[':
	default:
		return nil, false, apperr.Invalid("The filter must be an array of filter items.")
	}
	dec := newDecoder(raw)
	if _, err := dec.Token(); err != nil {
		return nil, false, malformed(err)
	}
	nodes = []*Node{} // present and empty is not absent
	for dec.More() {
		var item json.RawMessage
		if err := dec.Decode(&item); err != nil {
			return nil, false, malformed(err)
		}
		n, err := parseNode(item, depth)
		if err != nil {
			return nil, false, err
		}
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	return nodes, true, nil
}

// parseNode reads one filter item; a JSON null item is skipped (nil, nil).
func parseNode(raw json.RawMessage, depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, errTooDeep()
	}
	members, isNull, err := objectMembers(raw, false)
	if err != nil || isNull {
		return nil, err
	}
	n := &Node{}
	for _, m := range members {
		switch strings.ToLower(m.key) {
		case "op":
			n.Op, err = scalarText(m.raw, "op")
			n.Op = strings.ToLower(n.Op)
		case "field":
			n.Field, err = scalarText(m.raw, "field")
		case "value":
			n.Value, err = decodeValue(m.raw)
		case "udf":
			n.UDF, err = parseUDFFlag(m.raw)
		case "items":
			n.Items, _, err = parseNodeList(m.raw, depth+1)
		}
		if err != nil {
			return nil, err
		}
	}
	return n, nil
}

func firstByte(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// decodeValue keeps a filter value as JSON gave it: string, json.Number, bool, nil or []any.
func decodeValue(raw json.RawMessage) (any, error) {
	var v any
	if err := newDecoder(raw).Decode(&v); err != nil {
		return nil, malformed(err)
	}
	return v, nil
}

// scalarText reads a string-typed key; like Json.NET it takes a number or boolean as its text.
func scalarText(raw json.RawMessage, key string) (string, error) {
	v, err := decodeValue(raw)
	if err != nil {
		return "", err
	}
	if v == nil {
		return "", nil
	}
	s, ok := text(v)
	if !ok {
		return "", apperr.Invalid("The %s of a filter item must be a string.", key)
	}
	return s, nil
}

// parseUDFFlag reads "udf" leniently: true/false, "true"/"false", 1/0.
func parseUDFFlag(raw json.RawMessage) (bool, error) {
	v, err := decodeValue(raw)
	if err != nil || v == nil {
		return false, err
	}
	b, ok := toBool(v)
	if !ok {
		return false, apperr.Invalid("The udf of a filter item must be true or false.")
	}
	return b, nil
}

// parseNames reads IncludeFields: an array of names (a single name is a list of one).
func parseNames(raw json.RawMessage) ([]string, error) {
	v, err := decodeValue(raw)
	if err != nil {
		return nil, err
	}
	var list []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		list = x
	default:
		list = []any{x}
	}
	names := make([]string, 0, len(list))
	for _, item := range list {
		if item == nil {
			continue
		}
		s, ok := text(item)
		if !ok {
			return nil, apperr.Invalid("IncludeFields must be an array of field names.")
		}
		names = append(names, s)
	}
	return names, nil
}

// parseMaxRecords reads MaxRecords leniently (a number or numeric string). Anything that is not
// a whole number within int becomes -1, so that PageSize answers Autotask's range message.
func parseMaxRecords(raw json.RawMessage) int {
	v, err := decodeValue(raw)
	if err != nil || v == nil {
		return 0
	}
	n, ok := toInt(v)
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		return -1
	}
	return int(n)
}
