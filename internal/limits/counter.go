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
	byCode  map[string]map[int64]int64 // integration code → hour (unix/3600) → requests
}

type window struct {
	buckets [60]int64
	minutes [60]int64 // the unix minute each bucket holds
}

// NewCounter returns an empty counter.
func NewCounter() *Counter {
	return &Counter{tenants: map[int64]*window{}, byCode: map[string]map[int64]int64{}}
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
	hours := c.byCode[code]
	if hours == nil {
		hours = map[int64]int64{}
		c.byCode[code] = hours
	}
	hours[now.Unix()/3600]++
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

// ByHour returns the requests made with an integration code, by unix hour.
func (c *Counter) ByHour(code string) map[int64]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[int64]int64{}
	for h, n := range c.byCode[code] {
		out[h] = n
	}
	return out
}
