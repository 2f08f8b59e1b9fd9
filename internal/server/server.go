// Package server assembles Switchboard's HTTP server: the Autotask REST surface, health and
// metrics endpoints, request logs and metrics around all of them.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboard-psa/switchboard/internal/atapi"
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/limits"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/web"
)

// Options configure the handler.
type Options struct {
	PublicURL string
	Version   string
	Logger    *slog.Logger
	Registry  *prometheus.Registry // nil: a new one
	Limits    *limits.Config       // API limits; nil: Autotask's defaults, counted in this process
	// Web configures the console, client portal and tile served at / (internal/web).
	Web web.Options
}

// Parts are the services the handler serves, for callers that want them too.
type Parts struct {
	API    *atapi.Server
	Auth   *auth.Authenticator
	Limits *limits.Limiter
	svc    *psa.Service

	prunedAt time.Time
}

// FlushUsage adds the requests counted per tracking identifier since the last flush to the
// stored totals ("API activity by hour"); what cannot be stored is kept for the next flush.
func (p *Parts) FlushUsage(ctx context.Context) error {
	list := p.Limits.Drain()
	if len(list) == 0 {
		return nil
	}
	deltas := make([]store.Usage, len(list))
	for i, u := range list {
		deltas[i] = store.Usage{TenantID: u.Tenant, Code: u.Code, ResourceID: u.Resource, Hour: u.Hour, Requests: u.Requests}
	}
	if err := p.svc.RecordUsage(ctx, deltas); err != nil {
		p.Limits.Restore(list)
		return err
	}
	if time.Since(p.prunedAt) > time.Hour { // usage is kept 30 days
		p.prunedAt = time.Now()
		return p.svc.PruneUsage(ctx, time.Now())
	}
	return nil
}

// RunUsageFlusher flushes usage every interval until ctx ends, and once more then. With a
// shared store for the API limits it also exchanges this node's counts with the other nodes.
func (p *Parts) RunUsageFlusher(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if p.Limits.Shared() {
		synced := make(chan struct{})
		go func() { defer close(synced); p.Limits.Run(ctx) }()
		defer func() { <-synced }()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := p.FlushUsage(context.Background()); err != nil {
				log.Error("store API usage", slog.Any("error", err))
			}
			return
		case <-t.C:
			if err := p.FlushUsage(ctx); err != nil {
				log.Error("store API usage", slog.Any("error", err))
			}
		}
	}
}

// New builds the root handler over the PSA service.
func New(svc *admin.Service, opt Options) (http.Handler, *Parts) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	reg := opt.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	}
	parts := &Parts{Auth: auth.NewAuthenticator(svc.DB), Limits: newLimiter(svc.Service, opt), svc: svc.Service}
	parts.Auth.Logger = opt.Logger
	svc.OnAccessChange(parts.Auth.ForgetTenant) // changes made in this process reach the cache at once
	svc.OnAccessChange(parts.Limits.ForgetThreshold)
	parts.Auth.OnNewGeneration = svc.TenantChanged // and those of other processes within a poll interval
	parts.API = &atapi.Server{PSA: svc.Service, Auth: parts.Auth, Limits: parts.Limits, PublicURL: opt.PublicURL, Logger: opt.Logger, Version: opt.Version}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := svc.DB.SQL().PingContext(r.Context()); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	api := parts.API
	wopt := opt.Web
	if wopt.Logger == nil {
		wopt.Logger = opt.Logger
	}
	if wopt.Version == "" {
		wopt.Version = opt.Version
	}
	mux.Handle("/", web.New(svc, parts.Auth, wopt)) // the console, client portal and tile
	// The API prefix is served before the mux: ServeMux answers an unclean path (zone URLs end
	// in /ATServicesRest/ and clients append /v1.0/..., so ATServicesRest//v1.0) with a redirect,
	// which costs a round trip and fails clients that do not follow redirects. Autotask answers
	// such paths directly, and the API splits paths ignoring empty segments.
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPIPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	return observe(root, opt.Logger, reg), parts
}

// isAPIPath reports whether a path is for the API (it answers its own 404s), whatever its
// casing and slashes.
func isAPIPath(p string) bool {
	p = strings.TrimLeft(p, "/")
	const prefix = "atservicesrest"
	return len(p) >= len(prefix) && strings.EqualFold(p[:len(prefix)], prefix)
}

// newLimiter builds the API limits over the tenants' thresholds, recording notices in the database.
func newLimiter(svc *psa.Service, opt Options) *limits.Limiter {
	cfg := limits.DefaultConfig()
	if opt.Limits != nil {
		cfg = *opt.Limits
	}
	cfg.Logger = opt.Logger
	cfg.Threshold = svc.APIThreshold
	cfg.Notify = func(ctx context.Context, n limits.Notice) {
		svc.RecordThresholdNotice(ctx, n.Tenant, n.Tier, n.Count, n.Threshold, n.At, opt.Logger)
	}
	return limits.New(cfg)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// observe logs every request (never headers or bodies, which carry secrets) and records metrics.
func observe(next http.Handler, log *slog.Logger, reg *prometheus.Registry) http.Handler {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_http_requests_total", Help: "HTTP requests by method and status."}, []string{"method", "status"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "switchboard_http_request_duration_seconds", Help: "HTTP request duration.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"method"})
	reg.MustRegister(requests, duration)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		took := time.Since(start)
		requests.WithLabelValues(r.Method, strconv.Itoa(sw.status)).Inc()
		duration.WithLabelValues(r.Method).Observe(took.Seconds())
		level := slog.LevelInfo
		switch {
		case sw.status >= 500:
			level = slog.LevelError
		case sw.status >= 400:
			level = slog.LevelWarn
		}
		if !log.Enabled(r.Context(), level) {
			return
		}
		log.LogAttrs(r.Context(), level, "request", slog.Group("request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("remote_addr", r.RemoteAddr)),
			slog.Int("status", sw.status), slog.Int("bytes", sw.bytes), slog.Duration("duration", took))
	})
}
