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

// Parse reads a QueryModel JSON body, double- or single-quoted. Keys are matched
// case-insensitively, as Json.NET does; when a key appears twice the last one wins, and unknown
// keys are ignored. A body of JSON null is a request without a filter.
func Parse(data []byte) (*Request, error) {
	text, err := normalizeJSON(data)
	if err != nil {
		return nil, err
	}
	if !json.Valid(text) {
		var v any
		if err := json.Unmarshal(text, &v); err != nil { // for its description of the fault
			return nil, malformed(err)
		}
	}
	text = bytes.TrimSpace(text)
	req := &Request{}
	switch text[0] {
	case 'n':
		return req, nil
	case '{':
	default:
		return nil, apperr.Invalid("The query must be a JSON object.")
	}
	for _, m := range splitObject(text) {
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
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || strings.HasPrefix(msg, "unexpected end of JSON") {
		msg = "unexpected end of input"
	}
	return apperr.Wrap(http.StatusInternalServerError, err, "The query is not valid JSON: "+msg+".")
}

// parseNodeList reads a filter array whose items sit at depth. present is false for JSON null.
// A single object where an array belongs is taken as a list of one, leniently.
func parseNodeList(raw []byte, depth int) (nodes []*Node, present bool, err error) {
	switch raw[0] {
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
	nodes = []*Node{} // present and empty is not absent
	for _, item := range splitArray(raw) {
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
func parseNode(raw []byte, depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, errTooDeep()
	}
	switch raw[0] {
	case 'n':
		return nil, nil
	case '{':
	default:
		return nil, apperr.Invalid("Each filter item must be a JSON object.")
	}
	n := &Node{}
	var err error
	for _, m := range splitObject(raw) {
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

// decodeValue keeps a filter value as JSON gave it: string, json.Number, bool, nil or []any.
// Parse has validated the whole body, so scalars are read without a decoder of their own.
func decodeValue(raw []byte) (any, error) {
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, malformed(err)
		}
		return s, nil
	case c == '-' || c >= '0' && c <= '9':
		return json.Number(raw), nil
	case string(raw) == "true":
		return true, nil
	case string(raw) == "false":
		return false, nil
	case string(raw) == "null":
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, malformed(err)
	}
	return v, nil
}

// scalarText reads a string-typed key; like Json.NET it takes a number or boolean as its text.
func scalarText(raw []byte, key string) (string, error) {
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
func parseUDFFlag(raw []byte) (bool, error) {
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
func parseNames(raw []byte) ([]string, error) {
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

// parseMaxRecords reads MaxRecords leniently (a number or numeric string); null counts as
// absent (0). Anything else that is not a whole number from 1 to int's range, 0 included,
// becomes -1, so that PageSize answers Autotask's range message: Autotask refuses a
// MaxRecords of 0 rather than reading it as the default.
func parseMaxRecords(raw []byte) int {
	v, err := decodeValue(raw)
	if err != nil {
		return -1
	}
	if v == nil {
		return 0
	}
	n, ok := toInt(v)
	if !ok || n < 1 || n > math.MaxInt32 {
		return -1
	}
	return int(n)
}
