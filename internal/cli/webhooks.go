package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/webhook"
)

// webhookConfig is serve's webhook settings: the URL policy and the worker's timings (Autotask's
// by default; smaller ones let tests and local development see retries in seconds).
type webhookConfig struct {
	allowLoopback bool
	timeout       time.Duration
	retryDelay    time.Duration
	lease         time.Duration
	poll          time.Duration
}

func (a *app) webhookFlags(f *pflag.FlagSet) {
	w := &a.webhooks
	f.BoolVar(&w.allowLoopback, "webhook-allow-loopback", false, "let webhook URLs point at loopback addresses (127.0.0.0/8, ::1), for tests and local development (SWITCHBOARD_WEBHOOK_ALLOW_LOOPBACK)")
	f.DurationVar(&w.timeout, "webhook-timeout", 10*time.Second, "time a webhook receiver has to answer a callout (SWITCHBOARD_WEBHOOK_TIMEOUT)")
	f.DurationVar(&w.retryDelay, "webhook-retry-delay", 30*time.Second, "delay between the 5 attempts of a webhook event (SWITCHBOARD_WEBHOOK_RETRY_DELAY)")
	f.DurationVar(&w.lease, "webhook-lease", 0, "how long a node owns a webhook's queue; default the timeout + 20s (SWITCHBOARD_WEBHOOK_LEASE)")
	f.DurationVar(&w.poll, "webhook-poll", time.Second, "how often the outbox is checked for events committed by other nodes (SWITCHBOARD_WEBHOOK_POLL)")
}

// startWebhooks applies the URL policy to svc and starts the delivery worker; the returned
// function stops it and waits for callouts in flight.
func (a *app) startWebhooks(ctx context.Context, svc *admin.Service, log *slog.Logger) (stop func()) {
	w := a.webhooks
	policy := webhook.Policy{AllowLoopback: w.allowLoopback}
	svc.WebhookPolicy = policy
	worker := webhook.NewWorker(svc.DB, webhook.Options{Timeout: w.timeout, RetryDelay: w.retryDelay, Lease: w.lease, Poll: w.poll,
		Policy: policy, Logger: log, UserAgent: "Switchboard-Webhooks/" + Version})
	if svc.DB.Dialect == query.SQLite { // one server: leases left by a crash are its own
		if err := svc.DB.ReleaseAllWebhookLeases(ctx); err != nil {
			log.Error("webhook leases not released", "error", err)
		}
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); worker.Run(wctx) }()
	return func() { cancel(); <-done }
}
