package autotask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultDiscoveryURL is where zone discovery asks when Config.DiscoveryURL is empty.
const DefaultDiscoveryURL = "https://webservices.autotask.net/ATServicesRest/"

// Defaults of the transport settings in Config.
const (
	DefaultMaxConcurrentPerCollection = 3
	DefaultMaxRetries                 = 5
	DefaultMaxRetryWait               = 2 * time.Minute
	DefaultRetryBackoff               = time.Second
	DefaultRetryAfter                 = 60 * time.Second // when a 429 carries no Retry-After
	DefaultThresholdCheckEvery        = 100
	DefaultThresholdCheckInterval     = time.Minute
)

// Config configures a Client. Username, Secret and IntegrationCode are required; everything else
// has a working default.
type Config struct {
	// Username is the API user (an email address); Secret its password; IntegrationCode the
	// API tracking identifier.
	Username, Secret, IntegrationCode string
	// BaseURL, e.g. "https://webservices5.autotask.net/ATServicesRest/", skips zone discovery.
	// A URL with no path gets "/ATServicesRest/".
	BaseURL string
	// DiscoveryURL is where zone discovery asks (DefaultDiscoveryURL when empty). Like
	// BaseURL, a URL with no path gets "/ATServicesRest/": "http://127.0.0.1:8080" finds a
	// Switchboard.
	DiscoveryURL string
	// HTTPClient sends the requests (a client with a 6-minute timeout when nil; Autotask stops
	// executing a request after 5 minutes).
	HTTPClient *http.Client
	// Logger receives retries, slowdowns and debug traces of requests (nothing when nil). The
	// secret is never logged.
	Logger *slog.Logger
	// ImpersonationResourceID, when not zero, is sent as ImpersonationResourceId on every call
	// (WithImpersonation overrides it per call).
	ImpersonationResourceID int64

	// MaxConcurrentPerCollection is how many requests may be in flight at once per collection
	// (DefaultMaxConcurrentPerCollection; Autotask refuses the fourth concurrent request of an
	// integration on one endpoint).
	MaxConcurrentPerCollection int
	// MaxRetries is how often a request that is safe to repeat (GET, query, count) is retried
	// after 429, a thread-limit error, 502/503/504 or a network error (DefaultMaxRetries;
	// negative disables retries).
	MaxRetries int
	// MaxRetryWait caps every wait: Retry-After, the 60 s assumed when it is missing, and backoff
	// (DefaultMaxRetryWait).
	MaxRetryWait time.Duration
	// RetryBackoff is the first backoff step, doubled per attempt (DefaultRetryBackoff).
	RetryBackoff time.Duration
	// ThresholdCheckEvery and ThresholdCheckInterval say how often ThresholdInformation is
	// read: after this many requests or this much time, whichever comes first (defaults 100 and
	// 1 minute). A negative ThresholdCheckEvery turns the watch off.
	ThresholdCheckEvery    int
	ThresholdCheckInterval time.Duration
	// ThresholdDelay turns the latest ThresholdInformation into a delay between requests
	// (DefaultThresholdDelay when nil).
	ThresholdDelay func(ThresholdInfo) time.Duration
	// UserAgent is sent as User-Agent (DefaultUserAgent when empty).
	UserAgent string
}

// DefaultUserAgent is the User-Agent sent when Config.UserAgent is empty.
const DefaultUserAgent = "switchboard-autotask-go/1"

// Client talks to one Autotask (or Switchboard) tenant as one API user. It is safe for
// concurrent use; share one per tenant so that its limits hold across your goroutines.
type Client struct {
	cfg          Config
	http         *http.Client
	log          *slog.Logger
	discoveryURL string

	zone  zoneHolder
	sems  semaphores
	gate  gate
	watch *thresholdWatcher
	meta  metaCache
}

// New checks cfg and returns a client. It makes no request: the zone is discovered on first use.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.Username == "":
		return nil, errors.New("autotask: Config.Username is required")
	case cfg.Secret == "":
		return nil, errors.New("autotask: Config.Secret is required")
	case cfg.IntegrationCode == "":
		return nil, errors.New("autotask: Config.IntegrationCode is required")
	}
	c := &Client{cfg: cfg, http: cfg.HTTPClient, log: cfg.Logger}
	if c.http == nil {
		c.http = &http.Client{Timeout: 6 * time.Minute}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With(slog.String("component", "autotask"))
	if c.cfg.MaxConcurrentPerCollection <= 0 {
		c.cfg.MaxConcurrentPerCollection = DefaultMaxConcurrentPerCollection
	}
	if c.cfg.MaxRetries == 0 {
		c.cfg.MaxRetries = DefaultMaxRetries
	}
	if c.cfg.MaxRetryWait <= 0 {
		c.cfg.MaxRetryWait = DefaultMaxRetryWait
	}
	if c.cfg.RetryBackoff <= 0 {
		c.cfg.RetryBackoff = DefaultRetryBackoff
	}
	if c.cfg.ThresholdCheckEvery == 0 {
		c.cfg.ThresholdCheckEvery = DefaultThresholdCheckEvery
	}
	if c.cfg.ThresholdCheckInterval <= 0 {
		c.cfg.ThresholdCheckInterval = DefaultThresholdCheckInterval
	}
	if c.cfg.ThresholdDelay == nil {
		c.cfg.ThresholdDelay = DefaultThresholdDelay
	}
	if c.cfg.UserAgent == "" {
		c.cfg.UserAgent = DefaultUserAgent
	}
	c.discoveryURL = DefaultDiscoveryURL
	if cfg.DiscoveryURL != "" {
		d, err := normalizeBase(cfg.DiscoveryURL)
		if err != nil {
			return nil, fmt.Errorf("autotask: Config.DiscoveryURL: %w", err)
		}
		c.discoveryURL = d.String()
	}
	if cfg.BaseURL != "" {
		base, err := normalizeBase(cfg.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("autotask: Config.BaseURL: %w", err)
		}
		c.zone.set(ZoneInfo{URL: base.String()}, base)
	}
	c.sems.init(c.cfg.MaxConcurrentPerCollection)
	c.watch = newThresholdWatcher(c.cfg)
	return c, nil
}

// normalizeBase makes an absolute zone base URL that ends in "/" (adding "/ATServicesRest/"
// when the URL has no path).
func normalizeBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, err
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute URL", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/ATServicesRest/"
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u, nil
}

type impersonationKey struct{}

// WithImpersonation makes the calls made with the returned context act as the resource
// resourceID (header ImpersonationResourceId), so that records created or changed are attributed
// to that resource. Zero sends no impersonation even when Config has one.
func WithImpersonation(ctx context.Context, resourceID int64) context.Context {
	return context.WithValue(ctx, impersonationKey{}, resourceID)
}

func (c *Client) impersonation(ctx context.Context) int64 {
	if v, ok := ctx.Value(impersonationKey{}).(int64); ok {
		return v
	}
	return c.cfg.ImpersonationResourceID
}

// endpoint builds base + "V1.0/" + segments.
func (c *Client) endpoint(ctx context.Context, segments ...string) (string, error) {
	base, err := c.baseURL(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(base.String())
	b.WriteString("V1.0")
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String(), nil
}

func checkName(kind, name string) error {
	if name == "" {
		return fmt.Errorf("autotask: empty %s name", kind)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("autotask: invalid %s name %q", kind, name)
		}
	}
	return nil
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// Do sends a request to any path under V1.0/ (for example "Version", "Modules" or
// "Companies/0/invoiceSettings") and returns the response body. body, when not nil, is sent as
// JSON ([]byte and json.RawMessage as they are). Only GET requests are retried.
func (c *Client) Do(ctx context.Context, method, path string, body any) (json.RawMessage, error) {
	u, err := c.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	u += "/" + strings.TrimLeft(path, "/")
	var b []byte
	if body != nil {
		if b, err = marshalBody(body); err != nil {
			return nil, err
		}
	}
	return c.send(ctx, call{method: method, url: u, body: b, auth: true, safe: method == http.MethodGet})
}

func marshalBody(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case json.RawMessage:
		return b, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("autotask: encoding body: %w", err)
	}
	return b, nil
}
