package autotask

import (
	"bytes"
	"encoding/json"
	"strings"
)

// UDF is one user-defined field of an item, as in "userDefinedFields":[{"name","value"}].
// Autotask lists every UDF the tenant defines for the entity; Value is nil when the UDF is empty.
type UDF struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

// UnmarshalJSON accepts values written as numbers or booleans as well as strings.
func (u *UDF) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name  string          `json:"name"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	u.Name, u.Value = raw.Name, nil
	v := bytes.TrimSpace(raw.Value)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return nil
	}
	var s string
	if v[0] == '"' {
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
	} else {
		s = string(v)
	}
	u.Value = &s
	return nil
}

// UDFValue returns the value of the UDF called name (matched case-insensitively). ok is false
// when there is no such UDF or its value is null.
func UDFValue(udfs []UDF, name string) (value string, ok bool) {
	for _, u := range udfs {
		if strings.EqualFold(u.Name, name) {
			if u.Value == nil {
				return "", false
			}
			return *u.Value, true
		}
	}
	return "", false
}

// SetUDF returns udfs with the UDF called name set to value (nil clears it), appending the UDF
// when it is not there yet. Only the UDFs you send are changed by an update.
func SetUDF(udfs []UDF, name string, value *string) []UDF {
	if value != nil {
		v := *value
		value = &v
	}
	for i := range udfs {
		if strings.EqualFold(udfs[i].Name, name) {
			udfs[i].Value = value
			return udfs
		}
	}
	return append(udfs, UDF{Name: name, Value: value})
}
