// Package limits holds Autotask's API limits: the tenant's hourly request threshold over a
// rolling hour (with added latency above 50% and 75% of it and 429 at 100%), the thread limit per
// (tracking identifier, collection), and the request counts per identifier, API user and hour
// ("API activity by hour"). Counting is in the process on one node; with a Shared backend
// (PostgreSQL or Redis) every node takes from one budget and one thread limit.
package limits

// window counts requests in one-minute buckets over the last 60 minutes: a request made in
// minute m counts until minute m+60 begins.
type window struct {
	buckets [60]int64
	minutes [60]int64 // the unix minute each bucket holds
}

func (w *window) add(minute, n int64) {
	i := minute % 60
	if w.minutes[i] != minute {
		w.minutes[i], w.buckets[i] = minute, 0
	}
	w.buckets[i] += n
}

// at returns the count of one minute, if it is still in the window of now.
func (w *window) at(minute int64) int64 {
	i := minute % 60
	if w.minutes[i] != minute {
		return 0
	}
	return w.buckets[i]
}

// sum returns the requests in the 60 minutes ending with minute now.
func (w *window) sum(now int64) int64 {
	var n int64
	for i := range w.buckets {
		if d := now - w.minutes[i]; d >= 0 && d < 60 {
			n += w.buckets[i]
		}
	}
	return n
}

// merge adds every minute of o still in the window of now.
func (w *window) merge(o *window, now int64) {
	for i := range o.buckets {
		if d := now - o.minutes[i]; d >= 0 && d < 60 && o.buckets[i] != 0 {
			w.add(o.minutes[i], o.buckets[i])
		}
	}
}

func (w *window) empty(now int64) bool { return w.sum(now) == 0 }

// Usage is the requests of one tracking identifier and API user of a tenant in one hour.
type Usage struct {
	Tenant   int64
	Code     string
	Resource int64 // the API user's resource id
	Hour     int64 // unix seconds / 3600
	Requests int64
}

type usageKey struct {
	tenant   int64
	code     string
	resource int64
	hour     int64
}

// Drain returns the requests counted since the last Drain, per tenant, identifier, API user and
// hour, and forgets them; the server adds them to the stored totals.
func (l *Limiter) Drain() []Usage {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Usage, 0, len(l.usage))
	for k, n := range l.usage {
		out = append(out, Usage{Tenant: k.tenant, Code: k.code, Resource: k.resource, Hour: k.hour, Requests: n})
	}
	clear(l.usage)
	return out
}

// Restore puts back usage a failed flush could not store.
func (l *Limiter) Restore(list []Usage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, u := range list {
		l.usage[usageKey{u.Tenant, u.Code, u.Resource, u.Hour}] += u.Requests
	}
}
