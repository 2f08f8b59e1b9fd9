package atapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
)

// MaxBody is the largest request body accepted, after decompression.
const MaxBody = 10 << 20

// readBody reads the request body, inflating gzip, refusing what is too large or not UTF-8.
func readBody(r *http.Request) ([]byte, error) {
	var src io.Reader = http.MaxBytesReader(nil, r.Body, MaxBody)
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, apperr.BadRequest("The request body is not valid gzip data.")
		}
		defer zr.Close()
		src = io.LimitReader(zr, MaxBody+1)
	}
	body, err := io.ReadAll(src)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || len(body) > MaxBody {
		return nil, apperr.New(http.StatusRequestEntityTooLarge, "The request body is larger than %d bytes.", MaxBody)
	}
	if err != nil {
		return nil, apperr.BadRequest("The request body could not be read.")
	}
	if !utf8.Valid(body) {
		return nil, apperr.BadRequest("The request body is not valid UTF-8.")
	}
	return body, nil
}

// decodeInput reads an entity body: keys matched to catalog fields case-insensitively, unknown
// keys ignored, values converted to the field's type.
func (s *Server) decodeInput(r *http.Request, e *catalog.Entity) (*psa.Input, error) {
	body, err := readBody(r)
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

// convert turns a decoded JSON value into the Go value of a field's type, as leniently as
// Json.NET does (numbers in strings, "true"), and refuses what cannot be that type.
func convert(f *catalog.Field, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	bad := func() error {
		return apperr.Invalid("Error converting value %s to type '%s'. Path '%s'.", shortJSON(raw), f.Type, f.Name)
	}
	switch {
	case f.Type.IsInteger():
		var n int64
		switch x := raw.(type) {
		case json.Number:
			i, err := strconv.ParseInt(string(x), 10, 64)
			if err != nil {
				fl, ferr := strconv.ParseFloat(string(x), 64)
				if ferr != nil || fl != math.Trunc(fl) || math.Abs(fl) > 1<<62 {
					return nil, bad()
				}
				i = int64(fl)
			}
			n = i
		case string:
			i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, bad()
			}
			n = i
		case bool:
			if x {
				n = 1
			}
		default:
			return nil, bad()
		}
		if (f.Type == catalog.Integer && (n > math.MaxInt32 || n < math.MinInt32)) || (f.Type == catalog.Short && (n > math.MaxInt16 || n < math.MinInt16)) {
			return nil, apperr.Invalid("Value %d is out of range for %s.", n, f.Name)
		}
		return n, nil
	case f.Type == catalog.Double || f.Type == catalog.Decimal:
		var s string
		switch x := raw.(type) {
		case json.Number:
			s = string(x)
		case string:
			s = strings.TrimSpace(x)
		default:
			return nil, bad()
		}
		fl, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(fl, 0) || math.IsNaN(fl) {
			return nil, bad()
		}
		return fl, nil
	case f.Type == catalog.Boolean:
		switch x := raw.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "1":
				return true, nil
			case "false", "0":
				return false, nil
			}
		case json.Number:
			switch string(x) {
			case "1":
				return true, nil
			case "0":
				return false, nil
			}
		}
		return nil, bad()
	case f.Type == catalog.DateTime:
		s, ok := raw.(string)
		if !ok {
			return nil, bad()
		}
		t, err := ParseTime(s)
		if err != nil {
			return nil, bad()
		}
		return t, nil
	default:
		switch x := raw.(type) {
		case string:
			return x, nil
		case json.Number:
			return string(x), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
		return nil, bad()
	}
}

func shortJSON(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		b = append(b[:57], "..."...)
	}
	return string(b)
}

// ParseTime reads the time formats Autotask accepts: ISO 8601 with or without fraction and zone
// (no zone means UTC), or a date alone.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: %q", s)
}
