package autotask

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// TimeLayout is how Autotask writes times: UTC, a fraction of up to seven digits with trailing
// zeros trimmed, and a literal Z ("2019-11-25T15:47:59.167Z").
const TimeLayout = "2006-01-02T15:04:05.9999999Z"

// Time is a time.Time that reads and writes Autotask's time format. It reads the Autotask form,
// RFC 3339 with any offset, and times without a zone (taken as UTC, as the API stores all times in
// UTC); it always writes UTC in TimeLayout. The zero Time is written as null.
type Time struct{ time.Time }

// NewTime returns a *Time for t, convenient for the pointer fields of entity structs.
func NewTime(t time.Time) *Time { return &Time{t} }

// FormatTime formats t the way Autotask does.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.9999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// ParseTime parses the time forms the Autotask API produces or accepts.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("autotask: cannot parse time %q", s)
}

// MarshalJSON writes the time in TimeLayout, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + FormatTime(t.Time) + `"`), nil
}

// UnmarshalJSON reads any form ParseTime knows; null and "" leave the zero time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("autotask: time is not a string: %s", b)
	}
	return t.UnmarshalText([]byte(s))
}

// MarshalText writes the time in TimeLayout ("" for the zero time).
func (t Time) MarshalText() ([]byte, error) {
	if t.IsZero() {
		return nil, nil
	}
	return []byte(FormatTime(t.Time)), nil
}

// UnmarshalText reads any form ParseTime knows.
func (t *Time) UnmarshalText(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		t.Time = time.Time{}
		return nil
	}
	v, err := ParseTime(string(b))
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// String formats the time as Autotask would send it.
func (t Time) String() string { return FormatTime(t.Time) }
