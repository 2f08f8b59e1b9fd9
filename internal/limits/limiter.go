package limits

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"
)

// Defaults of Autotask.
const (
	DefaultThreshold   = 10000
	DefaultThreadLimit = 3
	DefaultLatency50   = 500 * time.Millisecond
	DefaultLatency75   = time.Second
)

// Config configures a Limiter.
type Config struct {
	Latency50   time.Duration // added to each request above 50% of the threshold
	Latency75   time.Duration // added to each request above 75% of the threshold
	ThreadLimit int           // requests in flight per (tenant, tracking identifier, collection); 0: no limit
	// Shared, when set, is where every node counts: one hourly budget and one thread limit for
	// all of them. Nil: this process counts alone.
	Shared       Shared
	SyncInterval time.Duration // Shared: how often this node's counts are exchanged; default 200 ms
	// Threshold returns a tenant's hourly request threshold (remembered for a second).
	Threshold func(ctx context.Context, tenant int64) (int64, error)
	// Notify is called, in its own goroutine, when a tenant crosses 50%, 75% or 100%.
	Notify func(ctx context.Context, n Notice)
	Logger *slog.Logger
	Now    func() time.Time // for tests; default time.Now
}

// DefaultConfig is Autotask's behaviour on one node.
func DefaultConfig() Config {
	return Config{Latency50: DefaultLatency50, Latency75: DefaultLatency75, ThreadLimit: DefaultThreadLimit}
}

// Notice is a tenant crossing a tier of its hourly threshold.
type Notice struct {
	Tenant    int64
	Tier      int // 50, 75 or 100 (percent)
	Count     int64
	Threshold int64
	At        time.Time
}

// Shared counts for every node of a deployment.
type Shared interface {
	// Sync adds this node's counts (per tenant and minute) to the shared ones and returns, for
	// each tenant asked, the requests of every node per minute from fromMinute on.
	Sync(ctx context.Context, deltas []Delta, tenants []int64, fromMinute int64) (map[int64]map[int64]int64, error)
	// Acquire takes one of limit slots of a key for every node; ok is false when all are taken.
	// release gives the slot back.
	Acquire(ctx context.Context, key string, limit int) (release func(), ok bool, err error)
	Close() error
}

// Delta is requests a node counted for a tenant in one minute.
type Delta struct {
	Tenant, Minute, Requests int64
}

// Call is one API request to be admitted.
type Call struct {
	Tenant     int64
	Code       string // tracking identifier (ApiIntegrationCode)
	Resource   int64  // the API user's resource
	Collection string // the endpoint, lower case: "tickets", "thresholdinformation"...
}

// Ticket is an admitted request.
type Ticket struct {
	Count     int64         // requests in the tenant's rolling hour, this one included
	Threshold int64         // the tenant's hourly threshold
	Delay     time.Duration // latency to add before serving (it holds the thread slot)

	l       *Limiter
	slot    threadKey // the slot held in this process, when held is true
	held    bool
	release func() // the slot held in the shared store
}

// Release ends the request: its thread slot is free again. Twice is once.
func (t *Ticket) Release() {
	if t == nil {
		return
	}
	if t.release != nil {
		t.release()
		t.release = nil
	}
	if t.held {
		t.held = false
		t.l.mu.Lock()
		if t.l.threads[t.slot]--; t.l.threads[t.slot] <= 0 {
			delete(t.l.threads, t.slot)
		}
		t.l.mu.Unlock()
	}
}

// Refusal is a request answered 429.
type Refusal struct {
	Message    string
	RetryAfter time.Duration // hourly threshold: until enough of the hour frees; 0 for threads
	Thread     bool          // refused by the thread limit
}

func (r *Refusal) Error() string { return r.Message }

// ThreadMessage is Autotask's answer when the thread limit is reached.
func ThreadMessage(limit int) string {
	return fmt.Sprintf("Thread Threshold Exceeded — The Autotask API thread threshold of %d threads has been exceeded.", limit)
}

// ThresholdMessage is the answer when the tenant's hourly threshold is reached.
func ThresholdMessage(threshold int64, retry time.Duration) string {
	return fmt.Sprintf("API request threshold exceeded: this database has made %d requests in the last 60 minutes, its threshold. Try again in %d seconds.",
		threshold, retrySeconds(retry))
}

func retrySeconds(d time.Duration) int64 { return max(1, int64(math.Ceil(d.Seconds()))) }

// RetryAfterSeconds is the Retry-After header's value for a refusal.
func (r *Refusal) RetryAfterSeconds() int64 { return retrySeconds(r.RetryAfter) }

type tenantState struct {
	window   window // requests of the rolling hour (one node), or this node's part of it
	global   window // Shared: every node's requests, as of the last sync
	pending  window // Shared: this node's requests since the last sync began
	inflight window // Shared: this node's requests being synced
	tier     int    // the tier of the last count seen (0, 50, 75, 100)
	synced   bool   // Shared: the other nodes' counts have been read once
	seen     int64  // unix minute of the last request

	threshold   int64
	thresholdAt time.Time
}

type threadKey struct {
	tenant     int64
	code       string
	collection string
}

// Limiter admits API requests.
type Limiter struct {
	cfg Config

	syncMu  sync.Mutex // one sync at a time
	mu      sync.Mutex
	tenants map[int64]*tenantState
	threads map[threadKey]int
	usage   map[usageKey]int64
}

// New returns a limiter.
func New(cfg Config) *Limiter {
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 200 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Limiter{cfg: cfg, tenants: map[int64]*tenantState{}, threads: map[threadKey]int{}, usage: map[usageKey]int64{}}
}

// NewCounter returns a limiter that only counts: no threshold lookups (10,000), Autotask's
// latencies and thread limit, one node.
func NewCounter() *Limiter { return New(DefaultConfig()) }

// Shared reports whether the limiter counts with other nodes.
func (l *Limiter) Shared() bool { return l.cfg.Shared != nil }

func (l *Limiter) state(tenant int64) *tenantState {
	st := l.tenants[tenant]
	if st == nil {
		st = &tenantState{}
		l.tenants[tenant] = st
	}
	return st
}

// count returns the tenant's requests in the window of minute now. Caller holds mu.
func (l *Limiter) count(st *tenantState, now int64) int64 {
	if l.cfg.Shared == nil {
		return st.window.sum(now)
	}
	return st.global.sum(now) + st.inflight.sum(now) + st.pending.sum(now)
}

// perMinute returns the tenant's requests per minute of the window. Caller holds mu.
func (l *Limiter) perMinute(st *tenantState, now int64) *window {
	if l.cfg.Shared == nil {
		return &st.window
	}
	w := st.global
	w.merge(&st.inflight, now)
	w.merge(&st.pending, now)
	return &w
}

// threshold returns the tenant's threshold, read at most once a second. Caller holds mu; it
// is released while the threshold is read.
func (l *Limiter) threshold(ctx context.Context, st *tenantState, tenant int64, now time.Time) int64 {
	if st.threshold > 0 && now.Sub(st.thresholdAt) < time.Second {
		return st.threshold
	}
	l.mu.Unlock()
	th := int64(DefaultThreshold)
	var err error
	if l.cfg.Threshold != nil {
		var v int64
		if v, err = l.cfg.Threshold(ctx, tenant); err == nil && v > 0 {
			th = v
		}
	}
	l.mu.Lock()
	if err != nil && st.threshold > 0 {
		th = st.threshold // keep the last one known while the database does not answer
	}
	st.threshold, st.thresholdAt = th, now
	return th
}

// ForgetThreshold makes the next request of the tenant read its threshold again.
func (l *Limiter) ForgetThreshold(tenant int64) {
	l.mu.Lock()
	if st := l.tenants[tenant]; st != nil {
		st.thresholdAt = time.Time{}
	}
	l.mu.Unlock()
}

func tierOf(count, threshold int64) int {
	switch {
	case count >= threshold:
		return 100
	case count*4 > threshold*3:
		return 75
	case count*2 > threshold:
		return 50
	}
	return 0
}

// Admit decides a request: a thread slot first (the fourth concurrent call of an identifier on a
// collection is refused at once), then the hourly threshold (refused at 100%, counted
// otherwise). The ticket's Delay is the latency of the tier; Release frees the thread slot.
// A refused request is not counted.
func (l *Limiter) Admit(ctx context.Context, c Call) (*Ticket, error) {
	now := l.cfg.Now()
	minute := now.Unix() / 60
	t := &Ticket{l: l}
	if l.cfg.Shared != nil {
		l.mu.Lock()
		first := !l.state(c.Tenant).synced
		l.mu.Unlock()
		if first { // a tenant this node has not served lately: learn what the others counted first
			_ = l.Sync(ctx)
		}
		if l.cfg.ThreadLimit > 0 {
			release, ok, err := l.cfg.Shared.Acquire(ctx, fmt.Sprintf("%d\x00%s\x00%s", c.Tenant, c.Code, c.Collection), l.cfg.ThreadLimit)
			switch {
			case err != nil: // the shared store is unreachable: serve rather than refuse everyone
				l.cfg.Logger.Error("thread limit: shared store", slog.Any("error", err))
			case !ok:
				return nil, &Refusal{Message: ThreadMessage(l.cfg.ThreadLimit), Thread: true}
			default:
				t.release = release
			}
		}
	}
	l.mu.Lock()
	st := l.state(c.Tenant)
	threshold := l.threshold(ctx, st, c.Tenant, now)
	if l.cfg.Shared == nil && l.cfg.ThreadLimit > 0 {
		k := threadKey{c.Tenant, c.Code, c.Collection}
		if l.threads[k] >= l.cfg.ThreadLimit {
			l.mu.Unlock()
			return nil, &Refusal{Message: ThreadMessage(l.cfg.ThreadLimit), Thread: true}
		}
		l.threads[k]++
		t.slot, t.held = k, true
	}
	n := l.count(st, minute)
	if n >= threshold {
		retry := retryAfter(l.perMinute(st, minute), n, threshold, now)
		notice := l.crossed(st, c.Tenant, 100, n, threshold, now)
		l.mu.Unlock()
		t.Release()
		l.notify(notice)
		return nil, &Refusal{Message: ThresholdMessage(threshold, retry), RetryAfter: retry}
	}
	st.window.add(minute, 1)
	if l.cfg.Shared != nil {
		st.pending.add(minute, 1)
	}
	st.seen = minute
	n++
	l.usage[usageKey{c.Tenant, c.Code, c.Resource, now.Unix() / 3600}]++
	tier := tierOf(n, threshold)
	notice := l.crossed(st, c.Tenant, tier, n, threshold, now)
	l.mu.Unlock()
	l.notify(notice)
	t.Count, t.Threshold = n, threshold
	switch {
	case tier >= 75:
		t.Delay = l.cfg.Latency75
	case tier >= 50:
		t.Delay = l.cfg.Latency50
	}
	return t, nil
}

// crossed records the tier of the latest count and returns a notice when it went up. Caller
// holds mu.
func (l *Limiter) crossed(st *tenantState, tenant int64, tier int, n, threshold int64, now time.Time) *Notice {
	prev := st.tier
	st.tier = tier
	if tier <= prev || tier == 0 {
		return nil
	}
	return &Notice{Tenant: tenant, Tier: tier, Count: n, Threshold: threshold, At: now}
}

func (l *Limiter) notify(n *Notice) {
	if n == nil || l.cfg.Notify == nil {
		return
	}
	go l.cfg.Notify(context.Background(), *n)
}

// retryAfter is the time until enough requests leave the window for one more to fit.
func retryAfter(w *window, n, threshold int64, now time.Time) time.Duration {
	need := n - threshold + 1
	minute := now.Unix() / 60
	var freed int64
	for m := minute - 59; m <= minute; m++ {
		freed += w.at(m)
		if freed >= need {
			return time.Unix((m+60)*60, 0).Sub(now)
		}
	}
	return time.Unix((minute+60)*60, 0).Sub(now)
}

// InWindow returns the tenant's requests in the rolling hour as this node knows them.
func (l *Limiter) InWindow(tenant int64) int64 {
	minute := l.cfg.Now().Unix() / 60
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.tenants[tenant]
	if st == nil {
		return 0
	}
	return l.count(st, minute)
}

// Sync exchanges this node's counts with the shared store (nothing to do on one node).
func (l *Limiter) Sync(ctx context.Context) error {
	if l.cfg.Shared == nil {
		return nil
	}
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	now := l.cfg.Now()
	minute := now.Unix() / 60
	l.mu.Lock()
	var deltas []Delta
	var tenants []int64
	for id, st := range l.tenants {
		if st.synced && minute-st.seen >= 60 && st.pending.empty(minute) && st.global.empty(minute) {
			delete(l.tenants, id) // nothing of the tenant in the window any more
			continue
		}
		tenants = append(tenants, id)
		for i := range st.pending.buckets {
			if d := minute - st.pending.minutes[i]; d >= 0 && d < 60 && st.pending.buckets[i] != 0 {
				deltas = append(deltas, Delta{Tenant: id, Minute: st.pending.minutes[i], Requests: st.pending.buckets[i]})
			}
		}
		st.inflight.merge(&st.pending, minute)
		st.pending = window{}
	}
	l.mu.Unlock()
	sort.Slice(deltas, func(i, j int) bool {
		if deltas[i].Tenant != deltas[j].Tenant {
			return deltas[i].Tenant < deltas[j].Tenant
		}
		return deltas[i].Minute < deltas[j].Minute
	})
	sort.Slice(tenants, func(i, j int) bool { return tenants[i] < tenants[j] })
	var totals map[int64]map[int64]int64
	var err error
	if len(tenants) > 0 {
		totals, err = l.cfg.Shared.Sync(ctx, deltas, tenants, minute-59)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range tenants {
		st := l.tenants[id]
		if st == nil {
			continue
		}
		st.synced = true
		if err != nil { // keep the counts for the next sync
			st.pending.merge(&st.inflight, minute)
		} else {
			st.global = window{}
			for m, n := range totals[id] {
				st.global.add(m, n)
			}
		}
		st.inflight = window{}
	}
	return err
}

// Run syncs with the shared store every SyncInterval until ctx ends.
func (l *Limiter) Run(ctx context.Context) {
	if l.cfg.Shared == nil {
		return
	}
	t := time.NewTicker(l.cfg.SyncInterval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = l.Sync(sctx)
			cancel()
			return
		case <-t.C:
			if err := l.Sync(ctx); err != nil && !failing && ctx.Err() == nil {
				l.cfg.Logger.Error("API limits: sync with the shared store", slog.Any("error", err))
				failing = true
			} else if err == nil {
				failing = false
			}
		}
	}
}

// Close closes the shared store.
func (l *Limiter) Close() error {
	if l.cfg.Shared == nil {
		return nil
	}
	return l.cfg.Shared.Close()
}
