package autotask_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
)

func TestTimeUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time // UTC
	}{
		{`"2019-11-25T15:47:59.167Z"`, time.Date(2019, 11, 25, 15, 47, 59, 167e6, time.UTC)},
		{`"2022-12-06T13:00:00Z"`, time.Date(2022, 12, 6, 13, 0, 0, 0, time.UTC)},
		{`"2022-12-07T09:15:45.2Z"`, time.Date(2022, 12, 7, 9, 15, 45, 2e8, time.UTC)},
		{`"2022-12-07T09:15:45.1234567Z"`, time.Date(2022, 12, 7, 9, 15, 45, 123456700, time.UTC)},
		{`"2020-11-17T12:13:14+00:00"`, time.Date(2020, 11, 17, 12, 13, 14, 0, time.UTC)},
		{`"2020-11-17T12:13:14+02:00"`, time.Date(2020, 11, 17, 10, 13, 14, 0, time.UTC)},
		{`"2020-11-17T12:13:14.00"`, time.Date(2020, 11, 17, 12, 13, 14, 0, time.UTC)},
		{`"2020-11-17T12:13:14"`, time.Date(2020, 11, 17, 12, 13, 14, 0, time.UTC)},
		{`"2020-11-17"`, time.Date(2020, 11, 17, 0, 0, 0, 0, time.UTC)},
		{`null`, time.Time{}},
		{`""`, time.Time{}},
	}
	for _, tt := range tests {
		var got autotask.Time
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("%s → %v, want %v", tt.in, got.Time, tt.want)
		}
	}
	for _, bad := range []string{`"yesterday"`, `12345`, `"2020-13-01"`} {
		var got autotask.Time
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("%s accepted as %v", bad, got.Time)
		}
	}
}

func TestTimeMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2019, 11, 25, 15, 47, 59, 167e6, time.UTC), `"2019-11-25T15:47:59.167Z"`},
		{time.Date(2022, 12, 6, 13, 0, 0, 0, time.UTC), `"2022-12-06T13:00:00Z"`},
		{time.Date(2022, 12, 7, 10, 15, 45, 2e8, time.FixedZone("", 3600)), `"2022-12-07T09:15:45.2Z"`},
		{time.Date(2022, 12, 7, 9, 15, 45, 123456789, time.UTC), `"2022-12-07T09:15:45.1234567Z"`},
		{time.Time{}, `null`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(autotask.Time{Time: tt.in})
		if err != nil || string(got) != tt.want {
			t.Errorf("%v → %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	// Inside a struct, a nil *Time is left out and a set one is written in Autotask's form.
	b, _ := json.Marshal(autotask.Ticket{Title: autotask.Ptr("x"), DueDateTime: autotask.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))})
	if string(b) != `{"dueDateTime":"2024-01-02T03:04:05Z","title":"x"}` {
		t.Errorf("ticket = %s", b)
	}
}
