package limits

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestRollingHour: a request counts for the minute it was made and the 59 after; at the
// threshold the refusal says how long until enough of the window frees, and then it does.
func TestRollingHour(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 30, 10, 0, 30, 0, time.UTC)}
	var notices []int
	var mu sync.Mutex
	done := make(chan struct{}, 10)
	l := New(Config{Latency50: 5 * time.Millisecond, Latency75: 7 * time.Millisecond, ThreadLimit: 3, Now: c.now,
		Threshold: func(context.Context, int64) (int64, error) { return 4, nil },
		Notify: func(_ context.Context, n Notice) {
			mu.Lock()
			notices = append(notices, n.Tier)
			mu.Unlock()
			done <- struct{}{}
		}})
	ctx := context.Background()
	call := Call{Tenant: 1, Code: "X", Resource: 5, Collection: "tickets"}
	wantDelay := []time.Duration{0, 0, 5 * time.Millisecond, 7 * time.Millisecond} // 1/4, 2/4, 3/4 (>50%), 4/4
	for i, want := range wantDelay {
		tk, err := l.Admit(ctx, call)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		if tk.Count != int64(i+1) || tk.Delay != want || tk.Threshold != 4 {
			t.Fatalf("request %d: count %d delay %v threshold %d, want %d %v 4", i+1, tk.Count, tk.Delay, tk.Threshold, i+1, want)
		}
		tk.Release()
		c.add(10 * time.Minute) // requests at :00, :10, :20, :30
	}
	// now 10:40:30: the first request (minute 10:00) leaves the window at 11:00:00.
	_, err := l.Admit(ctx, call)
	var ref *Refusal
	if !errors.As(err, &ref) || ref.Thread || ref.RetryAfter != 19*time.Minute+30*time.Second {
		t.Fatalf("at the threshold: %v (%+v), want a refusal with 19m30s", err, ref)
	}
	if l.InWindow(1) != 4 {
		t.Fatalf("a refused request was counted: %d", l.InWindow(1))
	}
	c.add(19*time.Minute + 30*time.Second)
	if tk, err := l.Admit(ctx, call); err != nil || tk.Count != 4 {
		t.Fatalf("after Retry-After: %v %+v", err, tk)
	}
	for range 2 { // 3/4 crossed 50%, 4/4 went straight to 100%
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("no notice")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	sort.Ints(notices) // each is told in its own goroutine
	if len(notices) != 2 || notices[0] != 50 || notices[1] != 100 {
		t.Fatalf("notices %v, want 50 100", notices)
	}
	if u := l.Drain(); len(u) != 2 || u[0].Requests+u[1].Requests != 5 || u[0].Resource != 5 {
		t.Fatalf("usage %+v", u) // 10:xx and 11:xx
	}
}

// TestThreadSlots: the fourth call in flight of an identifier on a collection is refused; other
// collections and identifiers have their own slots; a released slot is free again.
func TestThreadSlots(t *testing.T) {
	l := New(Config{ThreadLimit: 3})
	ctx := context.Background()
	a := Call{Tenant: 1, Code: "A", Collection: "tickets"}
	var held []*Ticket
	for range 3 {
		tk, err := l.Admit(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tk)
	}
	_, err := l.Admit(ctx, a)
	var ref *Refusal
	if !errors.As(err, &ref) || !ref.Thread || ref.Message != ThreadMessage(3) {
		t.Fatalf("fourth: %v", err)
	}
	for _, other := range []Call{{Tenant: 1, Code: "A", Collection: "companies"}, {Tenant: 1, Code: "B", Collection: "tickets"}, {Tenant: 2, Code: "A", Collection: "tickets"}} {
		tk, err := l.Admit(ctx, other)
		if err != nil {
			t.Fatalf("%+v: %v", other, err)
		}
		tk.Release()
	}
	held[0].Release()
	held[0].Release() // twice is once
	tk, err := l.Admit(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Admit(ctx, a); err == nil {
		t.Fatal("a double release freed two slots")
	}
	tk.Release()
	held[1].Release()
	held[2].Release()
	if len(l.threads) != 0 {
		t.Fatalf("slots left: %v", l.threads)
	}
}

// BenchmarkAdmit is the limits' cost of one API call on one node: a thread slot, the threshold
// (cached), the count, the usage, the release.
func BenchmarkAdmit(b *testing.B) {
	l := New(Config{ThreadLimit: 1 << 20, Threshold: func(context.Context, int64) (int64, error) { return 1 << 40, nil }})
	ctx := context.Background()
	c := Call{Tenant: 1, Code: "CODE", Resource: 5, Collection: "tickets"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			t, err := l.Admit(ctx, c)
			if err != nil {
				b.Fatal(err)
			}
			t.Release()
		}
	})
}
