package limits

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// TestRollingHour: ThresholdInformation counts the last 60 minutes, per tenant; a request
// leaves the window 60 minutes after it was made.
func TestRollingHour(t *testing.T) {
	c := NewCounter()
	t0 := time.Date(2026, 11, 30, 10, 0, 30, 0, time.UTC)
	c.Count(1, "A", t0)
	c.Count(1, "B", t0.Add(10*time.Minute))
	c.Count(1, "A", t0.Add(59*time.Minute))
	c.Count(2, "A", t0)
	for _, tc := range []struct {
		at   time.Duration
		want int64
	}{{59 * time.Minute, 3}, {60 * time.Minute, 2}, {70 * time.Minute, 1}, {119 * time.Minute, 0}, {24 * time.Hour, 0}} {
		if got := c.inWindowAt(1, t0.Add(tc.at)); got != tc.want {
			t.Errorf("tenant 1 at +%v: %d in the window, want %d", tc.at, got, tc.want)
		}
	}
	if got := c.inWindowAt(2, t0); got != 1 {
		t.Errorf("tenant 2: %d, want 1", got)
	}
	if got := c.inWindowAt(3, t0); got != 0 {
		t.Errorf("unknown tenant: %d", got)
	}
	// A bucket reused a minute-hour later starts from zero.
	c.Count(1, "A", t0.Add(60*time.Minute))
	if got := c.inWindowAt(1, t0.Add(60*time.Minute)); got != 3 {
		t.Errorf("after the bucket is reused: %d, want 3", got)
	}
}

// TestByHourAndDrain: usage per tracking identifier by hour; Drain hands over what was counted
// since the last Drain exactly once, and Restore puts back a failed flush.
func TestByHourAndDrain(t *testing.T) {
	c := NewCounter()
	h0 := time.Unix(3600*500000, 0)
	c.Count(1, "A", h0)
	c.Count(1, "A", h0.Add(time.Minute))
	c.Count(1, "A", h0.Add(time.Hour))
	c.Count(1, "B", h0)
	if got := c.ByHour(1, "A"); len(got) != 2 || got[500000] != 2 || got[500001] != 1 {
		t.Errorf("ByHour A: %v", got)
	}
	got := c.Drain()
	slices.SortFunc(got, func(a, b Usage) int {
		if a.Code != b.Code {
			return map[bool]int{true: -1, false: 1}[a.Code < b.Code]
		}
		return int(a.Hour - b.Hour)
	})
	want := []Usage{{1, "A", 500000, 2}, {1, "A", 500001, 1}, {1, "B", 500000, 1}}
	if !slices.Equal(got, want) {
		t.Errorf("Drain: %v, want %v", got, want)
	}
	if again := c.Drain(); len(again) != 0 {
		t.Errorf("second Drain: %v", again)
	}
	c.Restore(want[:1])
	c.Count(1, "A", h0)
	if got := c.Drain(); len(got) != 1 || got[0].Requests != 3 {
		t.Errorf("after Restore: %v, want 3 requests of A in hour 500000", got)
	}
	// Hours older than a day leave memory when a new hour starts (they are in the database).
	c.Count(1, "A", h0.Add(26*time.Hour))
	if got := c.ByHour(1, "A"); got[500000] != 0 || got[500026] != 1 {
		t.Errorf("after a day: %v", got)
	}
}

func TestCountConcurrent(t *testing.T) {
	c := NewCounter()
	now := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				c.Count(1, "A", now)
			}
		}()
	}
	wg.Wait()
	if got := c.inWindowAt(1, now); got != 8000 {
		t.Errorf("%d counted, want 8000", got)
	}
}
