package autotask

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// call is one logical request; send may make it several times.
type call struct {
	method string
	url    string // absolute
	body   []byte
	auth   bool // send the credentials
	safe   bool // may be repeated: GET, query, count
	exempt bool // ThresholdInformation itself: neither counted nor slowed down
}

// send makes the request, respecting the per-collection limit, the pause a 429 imposed and the
// slowdown ThresholdInformation asks for, and retries it when that is safe.
func (c *Client) send(ctx context.Context, cl call) (json.RawMessage, error) {
	key := collectionKey(cl.url)
	for attempt := 0; ; attempt++ {
		if err := c.gate.wait(ctx); err != nil {
			return nil, err
		}
		if !cl.exempt {
			if err := c.beforeRequest(ctx); err != nil {
				return nil, err
			}
		}
		status, hdr, body, err := c.roundTrip(ctx, cl, key, attempt)
		if err == nil && status/100 == 2 {
			return body, nil
		}
		var apiErr *APIError
		var hasRetryAfter bool
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			err = fmt.Errorf("autotask: %s %s: %w", cl.method, stripQuery(cl.url), err)
		} else {
			apiErr = newAPIError(status, cl.method, cl.url, body)
			apiErr.RetryAfter, hasRetryAfter = parseRetryAfter(hdr.Get("Retry-After"), time.Now())
			err = apiErr
		}
		wait, retry := c.plan(cl, attempt, apiErr, hasRetryAfter)
		if apiErr != nil && apiErr.StatusCode == http.StatusTooManyRequests && !apiErr.threadLimit() {
			// The hourly budget is per tenant: hold every request, not only this one.
			c.gate.pauseFor(wait)
		}
		if !retry {
			return nil, err
		}
		c.log.Warn("retrying request",
			slog.String("method", cl.method), slog.String("path", pathOf(cl.url)),
			slog.Int("attempt", attempt+1), slog.Duration("wait", wait), slog.String("error", err.Error()))
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// plan says how long to wait before the next attempt and whether there is one.
func (c *Client) plan(cl call, attempt int, apiErr *APIError, hasRetryAfter bool) (time.Duration, bool) {
	var wait time.Duration
	retryable := true
	switch {
	case apiErr == nil: // network error
		wait = c.backoff(attempt)
	case hasRetryAfter && (apiErr.StatusCode == http.StatusTooManyRequests || apiErr.threadLimit() || apiErr.StatusCode == http.StatusServiceUnavailable):
		wait = apiErr.RetryAfter
	case apiErr.threadLimit():
		wait = c.backoff(attempt)
	case apiErr.StatusCode == http.StatusTooManyRequests:
		wait = DefaultRetryAfter
	case apiErr.StatusCode == http.StatusBadGateway, apiErr.StatusCode == http.StatusServiceUnavailable, apiErr.StatusCode == http.StatusGatewayTimeout:
		wait = c.backoff(attempt)
	default:
		retryable = false
	}
	wait = min(wait, c.cfg.MaxRetryWait)
	return wait, retryable && cl.safe && attempt < c.cfg.MaxRetries
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.RetryBackoff << min(attempt, 16)
	if d <= 0 || d > c.cfg.MaxRetryWait {
		d = c.cfg.MaxRetryWait
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64())) // jitter ±20 %
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n < 0 {
			n = 0
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func (c *Client) roundTrip(ctx context.Context, cl call, key string, attempt int) (int, http.Header, []byte, error) {
	release, err := c.sems.acquire(ctx, key)
	if err != nil {
		return 0, nil, nil, err
	}
	defer release()
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, body)
	if err != nil {
		return 0, nil, nil, err
	}
	// Set directly rather than with Header.Set, to send the names exactly as Autotask documents them.
	req.Header["Accept"] = []string{"application/json"}
	req.Header["User-Agent"] = []string{c.cfg.UserAgent}
	if cl.body != nil {
		req.Header["Content-Type"] = []string{"application/json"}
	}
	if cl.auth {
		req.Header["ApiIntegrationCode"] = []string{c.cfg.IntegrationCode}
		req.Header["UserName"] = []string{c.cfg.Username}
		req.Header["Secret"] = []string{c.cfg.Secret}
		if imp := c.impersonation(ctx); imp != 0 {
			req.Header["ImpersonationResourceId"] = []string{strconv.FormatInt(imp, 10)}
		}
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 512<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "request",
		slog.String("method", cl.method), slog.String("path", pathOf(cl.url)),
		slog.Int("status", resp.StatusCode), slog.Int64("duration_ms", time.Since(start).Milliseconds()),
		slog.Int("attempt", attempt+1))
	return resp.StatusCode, resp.Header, data, nil
}

func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Path
	}
	return stripQuery(raw)
}

// collectionKey is the first path segment after V1.0/, lower-cased: Autotask counts concurrent
// requests per endpoint, so "Tickets/5", "Tickets/query" and "Tickets/5/Notes" share one limit.
func collectionKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	segs := strings.Split(u.Path, "/")
	for i, s := range segs {
		if strings.EqualFold(s, "v1.0") {
			for _, next := range segs[i+1:] {
				if next != "" {
					return strings.ToLower(next)
				}
			}
		}
	}
	return ""
}

// semaphores limit the requests in flight per collection.
type semaphores struct {
	mu   sync.Mutex
	size int
	m    map[string]chan struct{}
}

func (s *semaphores) init(size int) {
	s.size, s.m = size, map[string]chan struct{}{}
}

func (s *semaphores) acquire(ctx context.Context, key string) (release func(), err error) {
	if key == "" {
		return func() {}, nil
	}
	s.mu.Lock()
	ch := s.m[key]
	if ch == nil {
		ch = make(chan struct{}, s.size)
		s.m[key] = ch
	}
	s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// gate holds every request until a time a 429 asked for.
type gate struct{ until atomic.Int64 }

func (g *gate) pauseFor(d time.Duration) {
	t := time.Now().Add(d).UnixNano()
	for {
		cur := g.until.Load()
		if cur >= t || g.until.CompareAndSwap(cur, t) {
			return
		}
	}
}

func (g *gate) wait(ctx context.Context) error {
	for {
		d := time.Until(time.Unix(0, g.until.Load()))
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
