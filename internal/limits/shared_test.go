package limits

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// memShared is a Shared kept in memory: the store every node of a test deployment talks to.
type memShared struct {
	mu      sync.Mutex
	minutes map[int64]map[int64]int64
	slots   map[string]int
	fail    bool // the next Sync fails, as an unreachable store does
	syncs   int
}

func newMemShared() *memShared {
	return &memShared{minutes: map[int64]map[int64]int64{}, slots: map[string]int{}}
}

func (m *memShared) Sync(_ context.Context, deltas []Delta, tenants []int64, from int64) (map[int64]map[int64]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncs++
	if m.fail {
		m.fail = false
		return nil, errors.New("store unreachable")
	}
	for _, d := range deltas {
		if m.minutes[d.Tenant] == nil {
			m.minutes[d.Tenant] = map[int64]int64{}
		}
		m.minutes[d.Tenant][d.Minute] += d.Requests
	}
	out := map[int64]map[int64]int64{}
	for _, t := range tenants {
		for min, n := range m.minutes[t] {
			if min >= from {
				if out[t] == nil {
					out[t] = map[int64]int64{}
				}
				out[t][min] = n
			}
		}
	}
	return out, nil
}

func (m *memShared) Acquire(_ context.Context, key string, limit int) (func(), bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.slots[key] >= limit {
		return nil, false, nil
	}
	m.slots[key]++
	var once sync.Once
	return func() { once.Do(func() { m.mu.Lock(); m.slots[key]--; m.mu.Unlock() }) }, true, nil
}

func (m *memShared) Close() error { return nil }

// TestSharedBudget: two nodes take from one hourly budget and one thread limit; a node learns
// the others' counts on a tenant's first request and at every sync; a failed sync loses no count
// and counts none twice.
func TestSharedBudget(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	store := newMemShared()
	node := func() *Limiter {
		return New(Config{Shared: store, ThreadLimit: 1, Now: c.now,
			Threshold: func(context.Context, int64) (int64, error) { return 6, nil }})
	}
	a, b := node(), node()
	ctx := context.Background()
	call := Call{Tenant: 7, Code: "X", Collection: "tickets"}
	admit := func(l *Limiter) (*Ticket, error) {
		tk, err := l.Admit(ctx, call)
		if err == nil {
			tk.Release()
		}
		return tk, err
	}
	for i := 1; i <= 3; i++ {
		if tk, err := admit(a); err != nil || tk.Count != int64(i) {
			t.Fatalf("node A request %d: %+v %v", i, tk, err)
		}
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Node B's first request of the tenant syncs first, so it counts A's three.
	if tk, err := admit(b); err != nil || tk.Count != 4 {
		t.Fatalf("node B's first request: %+v %v, want count 4", tk, err)
	}

	// A sync that fails keeps node A's new request for the next one.
	if _, err := admit(a); err != nil {
		t.Fatal(err)
	}
	store.fail = true
	if err := a.Sync(ctx); err == nil {
		t.Fatal("the failing sync reported no error")
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.InWindow(7); got != 5 {
		t.Errorf("node B sees %d requests after the retried sync, want 5 (3+1 of A, 1 of B)", got)
	}
	if tk, err := admit(b); err != nil || tk.Count != 6 {
		t.Fatalf("node B's sixth request: %+v %v", tk, err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var ref *Refusal
	if _, err := admit(a); !errors.As(err, &ref) || ref.Thread {
		t.Fatalf("node A over the shared threshold: %v, want a threshold refusal", err)
	}

	// One thread for both nodes: held on A, refused on B, free again once released.
	c.add(2 * time.Hour) // a new window
	held, err := a.Admit(ctx, call)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Admit(ctx, call); !errors.As(err, &ref) || !ref.Thread {
		t.Fatalf("node B while A holds the only slot: %v, want a thread refusal", err)
	}
	held.Release()
	if _, err := admit(b); err != nil {
		t.Fatalf("node B after A released: %v", err)
	}
}

// TestThresholdLookup: the tenant's threshold is read at most once a second, the last one known
// is kept while the lookup fails, and ForgetThreshold makes the next request read it again.
func TestThresholdLookup(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	reads, value, fail := 0, int64(100), false
	l := New(Config{Now: c.now, Threshold: func(context.Context, int64) (int64, error) {
		mu.Lock()
		defer mu.Unlock()
		reads++
		if fail {
			return 0, errors.New("database down")
		}
		return value, nil
	}})
	ctx := context.Background()
	threshold := func() int64 {
		t.Helper()
		tk, err := l.Admit(ctx, Call{Tenant: 1})
		if err != nil {
			t.Fatal(err)
		}
		tk.Release()
		return tk.Threshold
	}
	set := func(v int64, f bool) { mu.Lock(); value, fail = v, f; mu.Unlock() }
	if got := threshold(); got != 100 || reads != 1 {
		t.Fatalf("first: threshold %d after %d reads", got, reads)
	}
	set(200, false)
	if got := threshold(); got != 100 || reads != 1 {
		t.Errorf("within a second: threshold %d after %d reads, want the cached 100 and no read", got, reads)
	}
	l.ForgetThreshold(1)
	if got := threshold(); got != 200 || reads != 2 {
		t.Errorf("after ForgetThreshold: %d after %d reads, want 200 read again", got, reads)
	}
	set(300, true)
	c.add(2 * time.Second)
	if got := threshold(); got != 200 || reads != 3 {
		t.Errorf("lookup failing: %d after %d reads, want the last known 200", got, reads)
	}
	set(0, false) // no threshold stored: Autotask's default
	c.add(2 * time.Second)
	if got := threshold(); got != DefaultThreshold {
		t.Errorf("a zero threshold: %d, want the default %d", got, DefaultThreshold)
	}
}

// TestUsageDrainRestore: usage is counted per tenant, identifier, API user and hour; Drain
// hands it over once; Restore puts back what a failed flush could not store, added to what
// came since.
func TestUsageDrainRestore(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 30, 10, 59, 0, 0, time.UTC)}
	l := New(Config{Now: c.now})
	ctx := context.Background()
	for _, call := range []Call{{Tenant: 1, Code: "A", Resource: 5}, {Tenant: 1, Code: "A", Resource: 5}, {Tenant: 1, Code: "B", Resource: 6}, {Tenant: 2, Code: "A", Resource: 5}} {
		tk, err := l.Admit(ctx, call)
		if err != nil {
			t.Fatal(err)
		}
		tk.Release()
	}
	c.add(time.Minute) // 11:00, the next hour
	if tk, err := l.Admit(ctx, Call{Tenant: 1, Code: "A", Resource: 5}); err != nil {
		t.Fatal(err)
	} else {
		tk.Release()
	}
	hour := c.now().Unix() / 3600
	sum := func(u []Usage) map[Usage]bool {
		m := map[Usage]bool{}
		for _, x := range u {
			m[x] = true
		}
		return m
	}
	first := l.Drain()
	want := map[Usage]bool{
		{Tenant: 1, Code: "A", Resource: 5, Hour: hour - 1, Requests: 2}: true,
		{Tenant: 1, Code: "B", Resource: 6, Hour: hour - 1, Requests: 1}: true,
		{Tenant: 2, Code: "A", Resource: 5, Hour: hour - 1, Requests: 1}: true,
		{Tenant: 1, Code: "A", Resource: 5, Hour: hour, Requests: 1}:     true,
	}
	if got := sum(first); len(got) != len(want) || len(first) != len(want) {
		t.Fatalf("drained %+v", first)
	} else {
		for u := range want {
			if !got[u] {
				t.Errorf("missing %+v in %+v", u, first)
			}
		}
	}
	if again := l.Drain(); len(again) != 0 {
		t.Errorf("a second Drain: %+v", again)
	}
	if tk, err := l.Admit(ctx, Call{Tenant: 1, Code: "A", Resource: 5}); err != nil {
		t.Fatal(err)
	} else {
		tk.Release()
	}
	l.Restore(first)
	got := sum(l.Drain())
	if !got[Usage{Tenant: 1, Code: "A", Resource: 5, Hour: hour, Requests: 2}] || !got[Usage{Tenant: 1, Code: "A", Resource: 5, Hour: hour - 1, Requests: 2}] || len(got) != 4 {
		t.Errorf("after Restore and one more request: %+v", got)
	}
}

// TestTiers: the latency tiers start above half and above three quarters of the threshold, and
// 100% is the threshold itself.
func TestTiers(t *testing.T) {
	for _, c := range []struct {
		count, threshold int64
		tier             int
	}{{0, 10, 0}, {5, 10, 0}, {6, 10, 50}, {7, 10, 50}, {8, 10, 75}, {9, 10, 75}, {10, 10, 100}, {11, 10, 100}, {1, 1, 100}, {2, 4, 0}, {3, 4, 50}} {
		if got := tierOf(c.count, c.threshold); got != c.tier {
			t.Errorf("tierOf(%d, %d) = %d, want %d", c.count, c.threshold, got, c.tier)
		}
	}
}
