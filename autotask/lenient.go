package autotask

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// decodeLenient decodes an item into an entity struct. The strict decoder is tried first; when a
// value does not fit its field's type — Autotask has turned several integer ids into strings
// over the years, booleans are sometimes sent as 1/0, and other servers may differ — each field
// is decoded on its own, converting numbers, numeric strings and booleans where the meaning is
// unambiguous. dst must point to a struct whose type has no UnmarshalJSON method.
func decodeLenient(data []byte, dst any) error {
	err := json.Unmarshal(data, dst)
	var typeErr *json.UnmarshalTypeError
	if err == nil || !errors.As(err, &typeErr) {
		return err
	}
	rv := reflect.ValueOf(dst).Elem()
	rv.SetZero()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	folded := make(map[string]json.RawMessage, len(raw))
	for k, v := range raw {
		folded[strings.ToLower(k)] = v
	}
	t := rv.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		v, ok := raw[name]
		if !ok {
			v, ok = folded[strings.ToLower(name)]
		}
		if !ok {
			continue
		}
		if err := setLenient(rv.Field(i), v); err != nil {
			return fmt.Errorf("autotask: field %s: %w", name, err)
		}
	}
	return nil
}

func setLenient(f reflect.Value, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if f.Kind() == reflect.Pointer && f.Type().Elem().Kind() != reflect.Struct {
		p := reflect.New(f.Type().Elem())
		if err := setLenient(p.Elem(), raw); err != nil {
			return err
		}
		f.Set(p)
		return nil
	}
	text, quoted := string(raw), raw[0] == '"'
	if quoted {
		if err := json.Unmarshal(raw, &text); err != nil {
			return err
		}
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(text)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := parseInteger(text)
		if err != nil || f.OverflowInt(n) {
			return fmt.Errorf("%s is not an integer", raw)
		}
		f.SetInt(n)
		return nil
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			return fmt.Errorf("%s is not a number", raw)
		}
		f.SetFloat(n)
		return nil
	case reflect.Bool:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "true", "1":
			f.SetBool(true)
		case "false", "0", "":
			f.SetBool(false)
		default:
			return fmt.Errorf("%s is not a boolean", raw)
		}
		return nil
	}
	return json.Unmarshal(raw, f.Addr().Interface())
}

func parseInteger(s string) (int64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) { // integer flags such as Contact.isActive, sent as booleans
	case "true":
		return 1, nil
	case "false":
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return 0, errors.New("not an integer")
	}
	return int64(f), nil
}
