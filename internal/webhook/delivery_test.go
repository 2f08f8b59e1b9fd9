package webhook_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// readyTicketWebhook makes a ticket webhook subscribed to the title.
func readyTicketWebhook(t *testing.T, env *testsupport.Env, rcv *receiver, deactivationURL string) int64 {
	id := makeWebhook(t, env, "TicketWebhooks", rcv, deactivationURL)
	subscribe(t, env, "TicketWebhooks", id, fieldID(t, env, "TicketWebhookFields", "Title"), true, false)
	return id
}

func createTickets(t *testing.T, env *testsupport.Env, n int, prefix string) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = mustID(t, env, "POST", "/Tickets", fmt.Sprintf(`{"companyID":0,"title":"%s %d","status":1,"priority":2}`, prefix, i))
	}
	return ids
}

// checkInOrder checks the callouts are the tickets' creates, each once, in order.
func checkInOrder(t *testing.T, got []callout, ids []int64) {
	t.Helper()
	if len(got) != len(ids) {
		t.Fatalf("%d callouts, want %d", len(got), len(ids))
	}
	for i, c := range got {
		if c.Payload.Id != ids[i] || c.Payload.SequenceNumber != int64(i+1) {
			t.Fatalf("callout %d is ticket %d sequence %d, want ticket %d sequence %d", i, c.Payload.Id, c.Payload.SequenceNumber, ids[i], i+1)
		}
	}
}

// TestReceiverDownThenUp is R7's first half: the receiver is down for a while (less than the
// retry window), then up; every event is delivered, in order, none twice.
func TestReceiverDownThenUp(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := newEnv(t, b)
			rcv := newReceiver(t, "down-up")
			rcv.setFailing(true)
			opt := fastOptions()
			opt.RetryDelay = 500 * time.Millisecond // 5 attempts span 2 s
			startWorker(t, env, opt)
			readyTicketWebhook(t, env, rcv, "")
			ids := createTickets(t, env, 10, "down")
			deadline := time.Now().Add(10 * time.Second)
			for rcv.attemptCount() < 2 && time.Now().Before(deadline) { // the first event failed twice
				time.Sleep(5 * time.Millisecond)
			}
			rcv.setFailing(false)
			rcv.mu.Lock()
			times := append([]time.Time(nil), rcv.times...)
			rcv.mu.Unlock()
			if len(times) < 2 || times[1].Sub(times[0]) < opt.RetryDelay*9/10 {
				t.Fatalf("attempts while down at %v: want the first event retried 30 s (here 500 ms) later", times)
			}
			checkInOrder(t, rcv.waitFor(10, 10*time.Second), ids)
			time.Sleep(200 * time.Millisecond)
			checkInOrder(t, rcv.callouts(), ids)
			_, m := api(t, env, "POST", "/WebhookEventErrorLogs/query", `{"filter":[{"op":"exist","field":"id"}]}`)
			if items := m["items"].([]any); len(items) != 0 {
				t.Fatalf("error log has %d entries, want none", len(items))
			}
		})
	}
}

// TestReceiverDownForGood is R7's second half: every attempt fails; each event goes to the error
// log after 5 attempts; after 25 consecutive failures the webhook is deactivated and its
// deactivation URL called; the events left go to the error log undelivered.
func TestReceiverDownForGood(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := newEnv(t, b)
			rcv := newReceiver(t, "down-for-good")
			rcv.setFailing(true)
			deact := newReceiver(t, "down-for-good") // the deactivation URL, on another server that is up
			opt := fastOptions()
			opt.RetryDelay = 20 * time.Millisecond
			startWorker(t, env, opt)
			id := readyTicketWebhook(t, env, rcv, deact.srv.URL+"/deactivated")
			createTickets(t, env, 7, "lost")

			got := deact.waitFor(1, 60*time.Second)
			d := got[0].Payload
			hook := item(t, env, fmt.Sprintf("/TicketWebhooks/%d", id))
			if d.Action != "Deactivated" || d.Guid != hook["webhookGUID"] || d.EntityType != "Ticket" {
				t.Fatalf("deactivation callout = %+v", d)
			}
			if hook["isActive"] != false {
				t.Fatalf("isActive = %v after 25 failures", hook["isActive"])
			}
			if n := rcv.attemptCount(); n != 25 {
				t.Fatalf("%d attempts, want 25 (5 events × 5 attempts)", n)
			}
			var items []any
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				_, m := api(t, env, "POST", "/WebhookEventErrorLogs/query", `{"filter":[{"op":"exist","field":"id"}]}`)
				if items = m["items"].([]any); len(items) == 7 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if len(items) != 7 {
				t.Fatalf("error log has %d entries, want 7 (5 failed, 2 not sent)", len(items))
			}
			for i, it := range items {
				it := it.(map[string]any)
				if it["sequenceNumber"] != float64(i+1) || it["payload"] == "" || it["errorMessage"] == "" {
					t.Errorf("error log entry %d = %v", i, it)
				}
			}
			// An inactive webhook fires nothing more.
			createTickets(t, env, 1, "after")
			time.Sleep(300 * time.Millisecond)
			if n := rcv.attemptCount(); n != 25 {
				t.Fatalf("an inactive webhook was called: %d attempts", n)
			}
		})
	}
}

// TestSeveralNodes: three workers (three nodes) share one database; each event is delivered
// once and every webhook's events arrive in order.
func TestSeveralNodes(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := newEnv(t, b)
			var rcvs []*receiver
			for i := 0; i < 3; i++ {
				rcv := newReceiver(t, fmt.Sprintf("node-secret-%d", i))
				readyTicketWebhook(t, env, rcv, "")
				rcvs = append(rcvs, rcv)
			}
			for i := 0; i < 3; i++ {
				opt := fastOptions()
				opt.Concurrency = 2
				startWorker(t, env, opt)
			}
			// Writers in parallel, through the service.
			ctx := psa.WithActor(store.WithTenant(context.Background(), env.Tenant.ID), psa.SystemActor)
			e := env.PSA.Catalog.MustEntity("Tickets")
			var wg sync.WaitGroup
			var mu sync.Mutex
			var created []int64
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < 15; i++ {
						in := psa.NewInput()
						in.Set[e.Index("companyID")] = int64(0)
						in.Set[e.Index("title")] = fmt.Sprintf("n%d-%d", w, i)
						in.Set[e.Index("status")] = int64(1)
						in.Set[e.Index("priority")] = int64(2)
						id, err := env.PSA.Create(ctx, e, in, nil)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						created = append(created, id)
						mu.Unlock()
					}
				}(w)
			}
			wg.Wait()
			for _, rcv := range rcvs {
				got := rcv.waitFor(60, 60*time.Second)
				time.Sleep(200 * time.Millisecond)
				got = rcv.callouts()
				if len(got) != 60 {
					t.Fatalf("%d callouts, want 60 (each event once)", len(got))
				}
				seen := map[int64]bool{}
				for i, c := range got {
					if c.Payload.SequenceNumber != int64(i+1) {
						t.Fatalf("callout %d has sequence %d: out of order", i, c.Payload.SequenceNumber)
					}
					seen[c.Payload.Id] = true
				}
				// Sequence order is commit order, and tickets are created in id order per sequence.
				for _, id := range created {
					if !seen[id] {
						t.Fatalf("ticket %d never delivered", id)
					}
				}
			}
		})
	}
}

// TestErrorLogKept30Days: the worker drops error log entries older than the retention (30 days
// by default) and keeps the others.
func TestErrorLogKept30Days(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := newEnv(t, b)
			e := env.PSA.Catalog.MustEntity("WebhookEventErrorLogs")
			ctx := env.Ctx()
			add := func(age time.Duration) int64 {
				var id int64
				err := env.PSA.DB.InTx(ctx, func(tx *store.Tx) error {
					var err error
					if id, err = tx.NextID(ctx, e.Table); err != nil {
						return err
					}
					row := store.NewRow(e)
					row.Values[e.Index("id")] = id
					row.Values[e.Index("createDateTime")] = time.Now().UTC().Add(-age).Truncate(time.Millisecond)
					row.Values[e.Index("errorMessage")] = "old"
					return tx.Insert(ctx, e, row)
				})
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			old, recent := add(31*24*time.Hour), add(29*24*time.Hour)
			startWorker(t, env, fastOptions()) // purges when it starts, then hourly
			deadline := time.Now().Add(10 * time.Second)
			for {
				st, m := api(t, env, "GET", fmt.Sprintf("/WebhookEventErrorLogs/%d", old), "")
				if st == 200 && m["item"] == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("an error log entry 31 days old was kept")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if item(t, env, fmt.Sprintf("/WebhookEventErrorLogs/%d", recent))["id"] != float64(recent) {
				t.Fatal("an entry 29 days old was dropped")
			}
		})
	}
}

// TestDeleteWebhook: deleting a webhook removes its fields and the events still waiting.
func TestDeleteWebhook(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := newEnv(t, b)
			rcv := newReceiver(t, "gone")
			id := readyTicketWebhook(t, env, rcv, "")
			createTickets(t, env, 3, "waiting") // no worker yet: the events wait
			if _, m := api(t, env, "DELETE", fmt.Sprintf("/TicketWebhooks/%d", id), ""); m["itemId"] == nil {
				t.Fatalf("delete: %v", m)
			}
			st, m := api(t, env, "POST", "/TicketWebhookFields/query", fmt.Sprintf(`{"filter":[{"op":"eq","field":"webhookID","value":%d}]}`, id))
			if items, _ := m["items"].([]any); st != 200 || len(items) != 0 {
				t.Fatalf("fields of a deleted webhook: %d %v", st, m)
			}
			startWorker(t, env, fastOptions())
			time.Sleep(300 * time.Millisecond)
			if n := rcv.attemptCount(); n != 0 {
				t.Fatalf("a deleted webhook was called %d times", n)
			}
		})
	}
}
