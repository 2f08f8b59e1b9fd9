package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Options are the worker's timings and limits; the zero value of each is Autotask's.
type Options struct {
	Timeout         time.Duration // one callout: 10 s
	RetryDelay      time.Duration // between attempts of an event: 30 s
	Attempts        int           // attempts of one event before it goes to the error log: 5
	DeactivateAfter int           // consecutive failed attempts that deactivate a webhook: 25
	Lease           time.Duration // how long a node owns a webhook's queue: Timeout + 20 s
	Poll            time.Duration // how often the outbox is looked at without a wake-up: 1 s
	Retention       time.Duration // how long the error log keeps an entry: 30 days
	Concurrency     int           // webhooks delivered at once by this node: 8
	Policy          Policy
	Logger          *slog.Logger
	UserAgent       string
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 30 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.DeactivateAfter <= 0 {
		o.DeactivateAfter = 25
	}
	if o.Lease <= 0 {
		o.Lease = o.Timeout + 20*time.Second
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.UserAgent == "" {
		o.UserAgent = "Switchboard-Webhooks"
	}
}

// wake tells this process's workers that events were just committed.
var wake = make(chan struct{}, 1)

// Wake tells the workers of this process that new events are in the outbox; other nodes find
// them on their next poll.
func Wake() {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// Worker delivers the outbox: each webhook's events in order, one node at a time per webhook.
type Worker struct {
	db     *store.DB
	opt    Options
	owner  string
	client *http.Client
	log    *slog.Logger
}

// NewWorker makes a worker over db.
func NewWorker(db *store.DB, opt Options) *Worker {
	opt.defaults()
	var id [8]byte
	_, _ = rand.Read(id[:])
	dialer := &net.Dialer{Timeout: opt.Timeout, Control: opt.Policy.control}
	tr := &http.Transport{
		Proxy:               nil, // a proxy would dial for us, past the address check
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: opt.Timeout,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	client := &http.Client{Transport: tr, Timeout: opt.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Worker{db: db, opt: opt, owner: hex.EncodeToString(id[:]), client: client, log: opt.Logger}
}

// Run delivers until ctx ends; deliveries in flight finish (or time out) before it returns.
func (w *Worker) Run(ctx context.Context) {
	sem := make(chan struct{}, w.opt.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	purge := time.NewTicker(time.Hour)
	defer purge.Stop()
	w.purge(ctx)
	poll := time.NewTimer(0)
	defer poll.Stop()
	for {
		free := cap(sem) - len(sem)
		var claimed []store.WebhookQueue
		if free > 0 {
			now := time.Now()
			var err error
			claimed, err = w.db.ClaimWebhookQueues(ctx, w.owner, now, now.Add(w.opt.Lease), free)
			if err != nil && ctx.Err() == nil {
				w.log.Error("webhook claim failed", "error", err)
			}
		}
		for _, q := range claimed {
			sem <- struct{}{}
			wg.Add(1)
			go func(q store.WebhookQueue) {
				defer func() { <-sem; wg.Done(); Wake() }()
				w.deliverQueue(ctx, q)
			}(q)
		}
		if len(claimed) > 0 && len(claimed) == free {
			select { // more may be due: look again as soon as a slot frees
			case <-ctx.Done():
				return
			case sem <- struct{}{}:
				<-sem
			}
			continue
		}
		poll.Reset(w.opt.Poll)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-poll.C:
		case <-purge.C:
			w.purge(ctx)
		}
	}
}

// purge drops error log entries past their retention.
func (w *Worker) purge(ctx context.Context) {
	e := w.db.Catalog.MustEntity("WebhookEventErrorLogs")
	if n, err := w.db.PurgeBefore(ctx, e, "createDateTime", time.Now().Add(-w.opt.Retention)); err != nil && ctx.Err() == nil {
		w.log.Error("webhook error log purge failed", "error", err)
	} else if n > 0 {
		w.log.Info("webhook error log purged", "entries", n)
	}
}

// hook is what delivery needs of a webhook row.
type hook struct {
	entity                       *catalog.Entity // the webhook collection
	target                       *catalog.Entity // the entity it reports on
	active                       bool
	url, deactivationURL, secret string
	guid                         string
}

func (w *Worker) loadHook(ctx context.Context, q store.WebhookQueue) (*hook, error) {
	e, ok := w.db.Catalog.Entity(q.Collection)
	if !ok {
		return nil, nil
	}
	r, err := w.db.Get(ctx, e, q.WebhookID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h := &hook{entity: e}
	h.target, _ = Target(w.db.Catalog, e.Name)
	h.active, _ = valueAt(e, r, "isActive").(bool)
	h.url, _ = valueAt(e, r, "webhookUrl").(string)
	h.deactivationURL, _ = valueAt(e, r, "deactivationUrl").(string)
	h.secret, _ = valueAt(e, r, "secretKey").(string)
	h.guid, _ = valueAt(e, r, "webhookGUID").(string)
	return h, nil
}

// deliverQueue sends a leased queue's events in order until it is empty, an attempt fails, or
// the lease is about to run out; then it gives the lease back. Deliveries are recorded (their
// events deleted) in small batches: every Batch events or 50 ms, and before anything else is
// written or read for the queue.
func (w *Worker) deliverQueue(ctx context.Context, q store.WebhookQueue) {
	ctx = store.WithTenant(ctx, q.TenantID)
	b := &batch{w: w, q: &q}
	defer func() {
		b.flush(context.WithoutCancel(ctx))
		if err := w.db.ReleaseWebhookQueue(context.WithoutCancel(ctx), q, w.owner); err != nil {
			w.log.Error("webhook release failed", "error", err)
		}
	}()
	h, err := w.loadHook(ctx, q)
	if err != nil {
		w.log.Error("webhook read failed", "error", err)
		return
	}
	for ctx.Err() == nil {
		if !b.flush(ctx) {
			return
		}
		events, err := w.db.WebhookEvents(ctx, q, 64)
		if err != nil {
			w.log.Error("webhook events read failed", "error", err)
			return
		}
		if len(events) == 0 {
			return
		}
		if h == nil || !h.active {
			w.dropInactive(ctx, q, h, events)
			continue
		}
		for _, ev := range events {
			if !h.active {
				break // deactivated: the rest goes to the error log
			}
			if time.Now().Add(w.opt.Timeout + time.Second).After(q.LeaseUntil) {
				return // the next node (or this one) takes it up with a fresh lease
			}
			if !w.deliverOne(ctx, b, h, ev) {
				return
			}
		}
	}
}

// batch holds deliveries made but not yet recorded.
type batch struct {
	w     *Worker
	q     *store.WebhookQueue
	upTo  int64 // highest sequence delivered
	n     int
	since time.Time
}

func (b *batch) add(ctx context.Context, seq int64) bool {
	if b.n == 0 {
		b.since = time.Now()
	}
	b.upTo, b.n = seq, b.n+1
	if b.n >= 16 || time.Since(b.since) > 50*time.Millisecond {
		return b.flush(ctx)
	}
	return true
}

// flush records the batch's deliveries; false when that failed.
func (b *batch) flush(ctx context.Context) bool {
	if b.n == 0 {
		return true
	}
	q := *b.q
	ctx = context.WithoutCancel(ctx) // a delivery made is recorded, even while shutting down
	err := b.w.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteWebhookEvents(ctx, q, b.upTo); err != nil {
			return err
		}
		if q.Failures != 0 {
			return tx.SetWebhookQueue(ctx, q, 0, time.Time{})
		}
		return nil
	})
	if err != nil {
		b.w.log.Error("webhook deliveries not recorded", "error", err)
		return false
	}
	b.q.Failures, b.n = 0, 0
	return true
}

// deliverOne sends one event and records the outcome; it reports whether the next event of the
// queue may follow at once.
func (w *Worker) deliverOne(ctx context.Context, b *batch, h *hook, ev store.WebhookEvent) bool {
	q := b.q
	err := w.post(ctx, h.url, h.secret, ev.Body)
	if err == nil {
		return b.add(ctx, ev.Seq) && ctx.Err() == nil
	}
	if ctx.Err() != nil {
		return false // shutting down: the attempt does not count
	}
	if !b.flush(ctx) {
		return false
	}
	attempts, failures := ev.Attempts+1, q.Failures+1
	w.log.Warn("webhook callout failed", "webhook", h.entity.Name, "id", q.WebhookID, "sequence", ev.Seq, "attempt", attempts, "error", logSafe(err))
	deactivate := failures >= int64(w.opt.DeactivateAfter)
	logged := attempts >= int64(w.opt.Attempts)
	next := time.Now().Add(w.opt.RetryDelay)
	if logged {
		next = time.Time{} // the next event is a new callout: try it at once
	}
	txErr := w.db.InTx(ctx, func(tx *store.Tx) error {
		if logged {
			if err := w.errorLog(ctx, tx, *q, h, ev, fmt.Sprintf("Delivery failed after %d attempts: %v", attempts, err)); err != nil {
				return err
			}
			if err := tx.DeleteWebhookEvents(ctx, *q, ev.Seq); err != nil {
				return err
			}
		} else if err := tx.SetWebhookEventAttempts(ctx, *q, ev.Seq, attempts); err != nil {
			return err
		}
		if deactivate {
			failures = 0
			if err := w.setInactive(ctx, tx, h, q.WebhookID); err != nil {
				return err
			}
		}
		return tx.SetWebhookQueue(ctx, *q, failures, next)
	})
	if txErr != nil {
		w.log.Error("webhook failure not recorded", "error", txErr)
		return false
	}
	q.Failures = failures
	if deactivate {
		w.log.Warn("webhook deactivated after consecutive failures", "webhook", h.entity.Name, "id", q.WebhookID, "failures", w.opt.DeactivateAfter)
		h.active = false
		w.callDeactivation(ctx, q, h)
		return true // the remaining events go to the error log
	}
	return logged
}

// setInactive turns a webhook off (isActive false) inside tx.
func (w *Worker) setInactive(ctx context.Context, tx *store.Tx, h *hook, id int64) error {
	r, err := tx.Get(ctx, h.entity, id)
	if err != nil {
		return err
	}
	r.Values[h.entity.MustIndex("isActive")] = false // checked at start (rowFields)
	if err := tx.Update(ctx, h.entity, r); err != nil {
		return err
	}
	return ConfigChanged(ctx, tx, w.db.Catalog, h.entity.Name)
}

// callDeactivation tells the deactivation URL, signed like every callout.
func (w *Worker) callDeactivation(ctx context.Context, q *store.WebhookQueue, h *hook) {
	entityType := ""
	if h.target != nil {
		entityType = h.target.Singular
	}
	p := Payload{Action: Deactivated, GUID: h.guid, EntityType: entityType, ID: q.WebhookID, EventTime: time.Now()}
	if err := w.post(ctx, h.deactivationURL, h.secret, p.Encode()); err != nil {
		w.log.Warn("webhook deactivation URL failed", "webhook", h.entity.Name, "id", q.WebhookID, "error", logSafe(err))
	}
}

// dropInactive moves the events of a deleted or inactive webhook to the error log.
func (w *Worker) dropInactive(ctx context.Context, q store.WebhookQueue, h *hook, events []store.WebhookEvent) {
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		if h != nil {
			for _, ev := range events {
				if err := w.errorLog(ctx, tx, q, h, ev, "The webhook is inactive; the event was not delivered."); err != nil {
					return err
				}
			}
		}
		return tx.DeleteWebhookEvents(ctx, q, events[len(events)-1].Seq)
	})
	if err != nil {
		w.log.Error("webhook events of an inactive webhook not dropped", "error", err)
	}
}

// errorLog writes an entry of WebhookEventErrorLogs.
func (w *Worker) errorLog(ctx context.Context, tx *store.Tx, q store.WebhookQueue, h *hook, ev store.WebhookEvent, msg string) error {
	e := w.db.Catalog.MustEntity("WebhookEventErrorLogs")
	row := store.NewRow(e)
	set := func(field string, v any) {
		if i := e.Index(field); i >= 0 {
			row.Values[i] = v
		}
	}
	switch h.entity.Name {
	case "CompanyWebhooks":
		set("accountWebhookID", q.WebhookID)
	case "ContactWebhooks":
		set("contactWebhookID", q.WebhookID)
	}
	set("createDateTime", time.Now().UTC().Truncate(time.Millisecond))
	set("errorMessage", truncate(fmt.Sprintf("%s %d: %s", h.entity.Name, q.WebhookID, msg), 8000))
	set("payload", truncate(string(ev.Body), 8000))
	set("sequenceNumber", ev.Seq)
	id, err := tx.NextID(ctx, e.Table)
	if err != nil {
		return err
	}
	set("id", id)
	return tx.Insert(ctx, e, row)
}

// logSafe describes a callout error without its URL, whose path or query may carry a token.
func logSafe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// post sends one callout: 2xx is delivered, anything else (or no answer within the timeout) a
// failure.
func (w *Worker) post(ctx context.Context, url, secret string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", w.opt.UserAgent)
	req.Header.Set("X-Hook-Signature", Sign(secret, body))
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return nil
}
