package autotask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// ZoneInfo is the answer of zone discovery: where the API user's tenant lives.
type ZoneInfo struct {
	ZoneName string `json:"zoneName"`
	// URL is the REST base of the zone, ending in "/ATServicesRest/".
	URL string `json:"url"`
	// WebURL is the zone's web application.
	WebURL string `json:"webUrl"`
	CI     int    `json:"ci"`
}

// zoneCache holds discoveries for the whole process, keyed by discovery URL and user name.
var zoneCache sync.Map // string → ZoneInfo

func zoneCacheKey(discoveryURL, user string) string {
	return strings.ToLower(discoveryURL) + "\x00" + strings.ToLower(user)
}

// Discover asks discoveryURL (DefaultDiscoveryURL when empty) for the zone of user, without
// credentials, as Autotask expects: GET {discoveryURL}V1.0/zoneInformation?user=…. It does not
// use the cache; clients do. Failures match ErrZone.
func Discover(ctx context.Context, hc *http.Client, discoveryURL, user string) (ZoneInfo, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	if discoveryURL == "" {
		discoveryURL = DefaultDiscoveryURL
	}
	fail := func(err error) (ZoneInfo, error) { return ZoneInfo{}, &ZoneError{User: user, Err: err} }
	d, err := normalizeBase(discoveryURL) // "https://host" → "https://host/ATServicesRest/"
	if err != nil {
		return fail(fmt.Errorf("discovery URL: %w", err))
	}
	discoveryURL = d.String()
	u := discoveryURL + "V1.0/zoneInformation?user=" + url.QueryEscape(user)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fail(err)
	}
	if resp.StatusCode/100 != 2 {
		return fail(newAPIError(resp.StatusCode, http.MethodGet, u, body))
	}
	var zi ZoneInfo // encoding/json matches keys case-insensitively: ZoneName, URL, … work too
	if err := json.Unmarshal(body, &zi); err != nil {
		return fail(fmt.Errorf("decoding zone information: %w", err))
	}
	base, err := normalizeBase(zi.URL)
	if err != nil {
		return fail(fmt.Errorf("zone url: %w", err))
	}
	zi.URL = base.String()
	return zi, nil
}

// zoneHolder is the client's own copy of its zone, resolved once.
type zoneHolder struct {
	cur atomic.Pointer[resolvedZone]
}

type resolvedZone struct {
	info ZoneInfo
	base *url.URL
}

func (z *zoneHolder) set(info ZoneInfo, b *url.URL) { z.cur.Store(&resolvedZone{info, b}) }

// zoneFlights makes concurrent discoveries of one user (from any client) share one request.
var zoneFlights = struct {
	mu sync.Mutex
	m  map[string]*zoneFlight
}{m: map[string]*zoneFlight{}}

type zoneFlight struct {
	done chan struct{}
	info ZoneInfo
	err  error
}

// discoverShared is Discover through the process-wide cache.
func discoverShared(ctx context.Context, hc *http.Client, discoveryURL, user string) (ZoneInfo, error) {
	key := zoneCacheKey(discoveryURL, user)
	for {
		if v, ok := zoneCache.Load(key); ok {
			return v.(ZoneInfo), nil
		}
		zoneFlights.mu.Lock()
		fl := zoneFlights.m[key]
		leader := fl == nil
		if leader {
			fl = &zoneFlight{done: make(chan struct{})}
			zoneFlights.m[key] = fl
		}
		zoneFlights.mu.Unlock()
		if leader {
			fl.info, fl.err = Discover(ctx, hc, discoveryURL, user)
			if fl.err == nil {
				zoneCache.Store(key, fl.info)
			}
			zoneFlights.mu.Lock()
			delete(zoneFlights.m, key)
			zoneFlights.mu.Unlock()
			close(fl.done)
			if fl.err != nil && ctx.Err() != nil {
				return ZoneInfo{}, errors.Join(ctx.Err(), fl.err)
			}
			return fl.info, fl.err
		}
		select {
		case <-fl.done:
		case <-ctx.Done():
			return ZoneInfo{}, ctx.Err()
		}
		if fl.err == nil || !errors.Is(fl.err, context.Canceled) && !errors.Is(fl.err, context.DeadlineExceeded) {
			return fl.info, fl.err
		}
		// The leader gave up for its own context's sake; try again with ours.
	}
}

func (c *Client) resolveZone(ctx context.Context) (*resolvedZone, error) {
	if r := c.zone.cur.Load(); r != nil {
		return r, nil
	}
	info, err := discoverShared(ctx, c.http, c.discoveryURL, c.cfg.Username)
	if err != nil {
		return nil, err
	}
	base, err := normalizeBase(info.URL)
	if err != nil {
		return nil, &ZoneError{User: c.cfg.Username, Err: err}
	}
	c.zone.cur.CompareAndSwap(nil, &resolvedZone{info, base})
	c.log.Debug("zone resolved", slog.String("zone", info.ZoneName), slog.String("url", info.URL))
	return c.zone.cur.Load(), nil
}

func (c *Client) baseURL(ctx context.Context) (*url.URL, error) {
	r, err := c.resolveZone(ctx)
	if err != nil {
		return nil, err
	}
	return r.base, nil
}

// Zone returns the zone of the client's user, discovering it on first use (once per process
// for a discovery URL and user). With Config.BaseURL set, only URL is filled in.
func (c *Client) Zone(ctx context.Context) (ZoneInfo, error) {
	r, err := c.resolveZone(ctx)
	if err != nil {
		return ZoneInfo{}, err
	}
	return r.info, nil
}
