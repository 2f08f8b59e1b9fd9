package autotask

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ThresholdInfo is the answer of GET V1.0/ThresholdInformation: the tenant's request budget
// and how much of it the current timeframe has used (all integrations together).
type ThresholdInfo struct {
	ExternalRequestThreshold int `json:"externalRequestThreshold"`
	// RequestThresholdTimeframe is the length of the rolling window in minutes (60).
	RequestThresholdTimeframe    int `json:"requestThresholdTimeframe"`
	CurrentTimeframeRequestCount int `json:"currentTimeframeRequestCount"`
}

// Usage is the share of the budget used, 0 to 1 (or more).
func (t ThresholdInfo) Usage() float64 {
	if t.ExternalRequestThreshold <= 0 {
		return 0
	}
	return float64(t.CurrentTimeframeRequestCount) / float64(t.ExternalRequestThreshold)
}

// Remaining is the number of requests left in the timeframe.
func (t ThresholdInfo) Remaining() int {
	return max(t.ExternalRequestThreshold-t.CurrentTimeframeRequestCount, 0)
}

// DefaultThresholdDelay is the slowdown used when Config.ThresholdDelay is nil: none below 50 %
// of the budget, 100 ms between requests from 50 %, 500 ms from 75 %, and from 90 % as much as
// spreads the remaining requests over the timeframe (at least 2 s, at most 30 s).
func DefaultThresholdDelay(t ThresholdInfo) time.Duration {
	switch u := t.Usage(); {
	case u >= 0.90:
		window := time.Duration(t.RequestThresholdTimeframe) * time.Minute
		if window <= 0 {
			window = time.Hour
		}
		d := 30 * time.Second
		if r := t.Remaining(); r > 0 {
			d = window / time.Duration(r)
		}
		return min(max(d, 2*time.Second), 30*time.Second)
	case u >= 0.75:
		return 500 * time.Millisecond
	case u >= 0.50:
		return 100 * time.Millisecond
	}
	return 0
}

// thresholdWatcher reads ThresholdInformation now and then and spaces requests out accordingly.
type thresholdWatcher struct {
	off      bool
	every    int64
	interval time.Duration
	policy   func(ThresholdInfo) time.Duration

	since    atomic.Int64 // requests since the last check
	last     atomic.Int64 // unix nanos of the last check
	checking atomic.Bool
	delay    atomic.Int64 // current spacing between requests, ns
	info     atomic.Pointer[ThresholdInfo]

	mu   sync.Mutex
	next time.Time // earliest start of the next request while slowed down
}

func newThresholdWatcher(cfg Config) *thresholdWatcher {
	w := &thresholdWatcher{
		off:      cfg.ThresholdCheckEvery < 0,
		every:    int64(cfg.ThresholdCheckEvery),
		interval: cfg.ThresholdCheckInterval,
		policy:   cfg.ThresholdDelay,
	}
	w.last.Store(time.Now().UnixNano())
	return w
}

// beforeRequest checks the thresholds when due and waits for this request's turn when slowed down.
func (c *Client) beforeRequest(ctx context.Context) error {
	w := c.watch
	if !w.off {
		n := w.since.Add(1)
		due := n >= w.every || time.Since(time.Unix(0, w.last.Load())) >= w.interval
		if due && w.checking.CompareAndSwap(false, true) {
			_, err := c.ThresholdInformation(ctx)
			w.since.Store(0)
			w.last.Store(time.Now().UnixNano())
			w.checking.Store(false)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				c.log.Warn("reading ThresholdInformation failed", slog.String("error", err.Error()))
			}
		}
	}
	d := time.Duration(w.delay.Load())
	if d <= 0 {
		return nil
	}
	w.mu.Lock()
	now := time.Now()
	at := w.next
	if at.Before(now) {
		at = now
	}
	w.next = at.Add(d)
	w.mu.Unlock()
	return sleep(ctx, time.Until(at))
}

func (c *Client) observe(t ThresholdInfo) {
	w := c.watch
	w.info.Store(&t)
	d := max(w.policy(t), 0)
	if old := time.Duration(w.delay.Swap(int64(d))); old != d {
		level := slog.LevelInfo
		if d > old {
			level = slog.LevelWarn
		}
		c.log.Log(context.Background(), level, "request pacing changed",
			slog.Int("requests_used", t.CurrentTimeframeRequestCount),
			slog.Int("request_threshold", t.ExternalRequestThreshold),
			slog.Float64("usage_percent", t.Usage()*100),
			slog.Duration("delay", d))
	}
}

// ThresholdInformation reads the tenant's request budget and usage (the call counts against
// it too), and adjusts the client's pacing to it.
func (c *Client) ThresholdInformation(ctx context.Context) (ThresholdInfo, error) {
	u, err := c.endpoint(ctx, "ThresholdInformation")
	if err != nil {
		return ThresholdInfo{}, err
	}
	body, err := c.send(ctx, call{method: http.MethodGet, url: u, auth: true, safe: true, exempt: true})
	if err != nil {
		return ThresholdInfo{}, err
	}
	var t ThresholdInfo
	if err := json.Unmarshal(body, &t); err != nil {
		return ThresholdInfo{}, fmt.Errorf("autotask: decoding ThresholdInformation: %w", err)
	}
	c.observe(t)
	return t, nil
}

// Pacing reports the latest ThresholdInformation the client has seen (ok is false before the
// first reading) and the delay it currently keeps between requests.
func (c *Client) Pacing() (latest ThresholdInfo, delay time.Duration, ok bool) {
	if p := c.watch.info.Load(); p != nil {
		latest, ok = *p, true
	}
	return latest, time.Duration(c.watch.delay.Load()), ok
}
