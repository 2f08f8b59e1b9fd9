package atapi

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendTimeMatchesAppendFormat holds the hand-written date writer to AppendFormat's bytes.
func TestAppendTimeMatchesAppendFormat(t *testing.T) {
	cases := []time.Time{
		time.Date(2026, 11, 30, 14, 5, 9, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 100, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 99, time.UTC), // below the 7th digit: no fraction
		time.Date(2026, 1, 2, 3, 4, 5, 120_000_000, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 999_999_999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 1_000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 6, 1, 12, 0, 0, 500, time.FixedZone("x", -7*3600)),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		cases = append(cases, time.Unix(r.Int64N(400_000_000_000)-62_000_000_000, r.Int64N(1_000_000_000)))
	}
	for _, c := range cases {
		want := c.UTC().AppendFormat(nil, TimeFormat)
		if got := appendTime(nil, c); string(got) != string(want) {
			t.Fatalf("%v: got %s, want %s", c, got, want)
		}
	}
}
