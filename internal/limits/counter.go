// Package limits counts API requests per tenant over a rolling hour (ThresholdInformation) and
// per integration per hour (API activity). Counting is in memory, per node.
package limits

import (
	"sync"
	"time"
)

// Counter counts requests in one-minute buckets over the last 60 minutes.
type Counter struct {
	mu      sync.Mutex
	tenants map[int64]*window
	byCode  map[codeKey]map[int64]int64 // (tenant, integration code) → hour (unix/3600) → requests
	pending map[usageKey]int64          // counted since the last Drain
}

type codeKey struct {
	tenant int64
	code   string
}

type usageKey struct {
	codeKey
	hour int64
}

// Usage is the requests of one tracking identifier of a tenant in one hour.
type Usage struct {
	Tenant   int64
	Code     string
	Hour     int64 // unix seconds / 3600
	Requests int64
}

type window struct {
	buckets [60]int64
	minutes [60]int64 // the unix minute each bucket holds
}

// NewCounter returns an empty counter.
func NewCounter() *Counter {
	return &Counter{tenants: map[int64]*window{}, byCode: map[codeKey]map[int64]int64{}, pending: map[usageKey]int64{}}
}

// Count records one request of a tenant made with an integration code.
func (c *Counter) Count(tenant int64, code string, now time.Time) {
	minute := now.Unix() / 60
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.tenants[tenant]
	if w == nil {
		w = &window{}
		c.tenants[tenant] = w
	}
	i := minute % 60
	if w.minutes[i] != minute {
		w.minutes[i], w.buckets[i] = minute, 0
	}
	w.buckets[i]++
	k := codeKey{tenant, code}
	hours := c.byCode[k]
	if hours == nil {
		hours = map[int64]int64{}
		c.byCode[k] = hours
	}
	hour := now.Unix() / 3600
	if _, ok := hours[hour]; !ok {
		for h := range hours { // keep a day of hours in memory; older ones are in the database
			if h < hour-24 {
				delete(hours, h)
			}
		}
	}
	hours[hour]++
	c.pending[usageKey{k, hour}]++
}

// InWindow returns the tenant's requests in the last 60 minutes.
func (c *Counter) InWindow(tenant int64) int64 {
	return c.inWindowAt(tenant, time.Now())
}

func (c *Counter) inWindowAt(tenant int64, now time.Time) int64 {
	minute := now.Unix() / 60
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.tenants[tenant]
	if w == nil {
		return 0
	}
	var n int64
	for i := range w.buckets {
		if minute-w.minutes[i] < 60 {
			n += w.buckets[i]
		}
	}
	return n
}

// ByHour returns the requests a tenant made with an integration code, by unix hour.
func (c *Counter) ByHour(tenant int64, code string) map[int64]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[int64]int64{}
	for h, n := range c.byCode[codeKey{tenant, code}] {
		out[h] = n
	}
	return out
}

// Drain returns the requests counted since the last Drain, per tenant, code and hour, and
// forgets them; the server adds them to the stored totals.
func (c *Counter) Drain() []Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Usage, 0, len(c.pending))
	for k, n := range c.pending {
		out = append(out, Usage{Tenant: k.tenant, Code: k.code, Hour: k.hour, Requests: n})
	}
	clear(c.pending)
	return out
}

// Restore puts back usage a failed flush could not store.
func (c *Counter) Restore(list []Usage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range list {
		c.pending[usageKey{codeKey{u.Tenant, u.Code}, u.Hour}] += u.Requests
	}
}
