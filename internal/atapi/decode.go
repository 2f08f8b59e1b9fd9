package atapi

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// MaxBody is the largest request body accepted, after decompression.
const MaxBody = 10 << 20

// readBody reads the request body, inflating gzip, refusing what is too large or not UTF-8.
//
// A body sent with Content-Encoding: gzip is inflated only when it starts with gzip's magic
// bytes: the published Node client autotask-node labels plain JSON bodies gzip, and Autotask
// reads them as plain JSON on top-level collections. On child collections (/Tickets/{id}/Notes)
// Autotask answers such a request 500, and so does Switchboard (child is true there); see
// docs/compatibility.md.
func readBody(r *http.Request, child bool) ([]byte, error) {
	var src io.Reader = http.MaxBytesReader(nil, r.Body, MaxBody)
	inflating := false
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		br := bufio.NewReader(src)
		src = br
		magic, _ := br.Peek(2)
		switch {
		case bytes.Equal(magic, gzipMagic):
			zr, err := gzip.NewReader(br)
			if err != nil {
				return nil, apperr.BadRequest("The request body is not valid gzip data.")
			}
			defer zr.Close()
			src, inflating = io.LimitReader(zr, MaxBody+1), true
		case child && len(magic) > 0:
			return nil, apperr.Invalid("The request body is declared gzip (Content-Encoding: gzip) but is not gzip data.")
		}
	}
	body, err := io.ReadAll(src)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || len(body) > MaxBody {
		return nil, apperr.New(http.StatusRequestEntityTooLarge, "The request body is larger than %d bytes.", MaxBody)
	}
	if err != nil {
		if inflating {
			return nil, apperr.BadRequest("The request body is not valid gzip data.")
		}
		return nil, apperr.BadRequest("The request body could not be read.")
	}
	if !utf8.Valid(body) {
		return nil, apperr.BadRequest("The request body is not valid UTF-8.")
	}
	return body, nil
}

// gzipMagic starts every gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// decodeInput reads an entity body: keys matched to catalog fields case-insensitively, unknown
// keys ignored, values converted to the field's type.
func (s *Server) decodeInput(r *http.Request, e *catalog.Entity, child bool) (*psa.Input, error) {
	body, err := readBody(r, child)
	if err != nil {
		return nil, err
	}
	return DecodeEntity(body, e)
}

// DecodeEntity converts a JSON entity body to a psa.Input.
func DecodeEntity(body []byte, e *catalog.Entity) (*psa.Input, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, apperr.Invalid("The request body is not a JSON object: %s", jsonProblem(err))
	}
	in := psa.NewInput()
	for key, raw := range obj {
		if strings.EqualFold(key, "userDefinedFields") {
			udf, err := decodeUDFs(raw)
			if err != nil {
				return nil, err
			}
			in.UDF, in.UDFPresent = udf, true
			continue
		}
		i := e.Index(key)
		if i < 0 {
			continue
		}
		f := &e.Fields[i]
		v, err := convert(f, raw)
		if err != nil {
			return nil, err
		}
		in.Set[i] = v
	}
	return in, nil
}

func jsonProblem(err error) string {
	if err == nil {
		return "null"
	}
	return err.Error()
}

func decodeUDFs(raw any) (map[string]*string, error) {
	list, ok := raw.([]any)
	if raw == nil {
		return nil, nil
	}
	if !ok {
		return nil, apperr.Invalid("userDefinedFields must be an array of {\"name\",\"value\"} objects.")
	}
	out := map[string]*string{}
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, apperr.Invalid("userDefinedFields must be an array of {\"name\",\"value\"} objects.")
		}
		var name string
		var value *string
		for k, v := range m {
			switch strings.ToLower(k) {
			case "name":
				name, _ = v.(string)
			case "value":
				if v != nil {
					str := fmt.Sprint(v)
					value = &str
				}
			}
		}
		if name == "" {
			return nil, apperr.Invalid("Every user defined field needs a name.")
		}
		out[name] = value
	}
	return out, nil
}

// convert turns a decoded JSON value into the Go value of a field's type (query.Convert holds
// the leniency rules), and refuses what cannot be that type or is out of its range.
func convert(f *catalog.Field, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	v, ok := query.Convert(f.Type, raw)
	if !ok {
		return nil, apperr.Invalid("Error converting value %s to type '%s'. Path '%s'.", shortJSON(raw), f.Type, f.Name)
	}
	if n, isInt := v.(int64); isInt && ((f.Type == catalog.Integer && (n > math.MaxInt32 || n < math.MinInt32)) || (f.Type == catalog.Short && (n > math.MaxInt16 || n < math.MinInt16))) {
		return nil, apperr.Invalid("Value %d is out of range for %s.", n, f.Name)
	}
	if fl, isFloat := v.(float64); isFloat && (math.IsInf(fl, 0) || math.IsNaN(fl)) {
		return nil, apperr.Invalid("Error converting value %s to type '%s'. Path '%s'.", shortJSON(raw), f.Type, f.Name)
	}
	return v, nil
}

func shortJSON(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		b = append(b[:57], "..."...)
	}
	return string(b)
}
