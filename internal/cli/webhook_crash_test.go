package cli

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/webhook"
)

// TestWebhookEventsSurviveKill: 8 clients create tickets while the webhook receiver is down, the
// server is killed with SIGKILL, the receiver comes up and the server starts again: every
// ticket whose create was answered has its event delivered, signed, exactly once, in order.
func TestWebhookEventsSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	const secret = "crash-secret"
	var mu sync.Mutex
	down := true
	seqs := map[int64]int{}  // SequenceNumber → deliveries
	ids := map[int64]int64{} // ticket id → SequenceNumber
	var order []int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		m := hmac.New(sha1.New, []byte(secret))
		m.Write(body)
		if r.Header.Get("X-Hook-Signature") != "sha1="+base64.StdEncoding.EncodeToString(m.Sum(nil)) {
			t.Errorf("bad signature on %s", body)
		}
		var p struct {
			Action         string
			Id             int64
			SequenceNumber int64
		}
		_ = json.Unmarshal(body, &p)
		seqs[p.SequenceNumber]++
		ids[p.Id] = p.SequenceNumber
		order = append(order, p.SequenceNumber)
	}))
	defer rcv.Close()

	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			mu.Lock()
			down, seqs, ids, order = true, map[int64]int{}, map[int64]int64{}, nil
			mu.Unlock()
			dir := t.TempDir()
			addr := freeAddr(t)
			args := []string{"serve", "--addr", addr, "--data-dir", dir, "--database", db, "--log-level", "error",
				"--webhook-allow-loopback", "--webhook-retry-delay", "2s", "--webhook-timeout", "1s", "--webhook-lease", "3s", "--webhook-poll", "100ms"}
			first := serveChild(t, args...)
			waitHealthy(t, addr)
			c := demoCreds(t, dir)
			call := func(method, path, body string) (map[string]any, error) {
				resp, err := http.DefaultClient.Do(apiRequest("http://"+addr, c, method, path, body))
				if err != nil {
					return nil, err
				}
				defer resp.Body.Close()
				var m map[string]any
				if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
					return nil, fmt.Errorf("%s %s: %d %v", method, path, resp.StatusCode, m)
				}
				return m, nil
			}
			hook, err := call("POST", "/TicketWebhooks", fmt.Sprintf(`{"name":"crash","webhookUrl":%q,"deactivationUrl":%q,"secretKey":%q,"isActive":true,
				"isSubscribedToCreateEvents":true,"isSubscribedToUpdateEvents":false,"isSubscribedToDeleteEvents":false}`, rcv.URL+"/hook", rcv.URL+"/off", secret))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := call("POST", fmt.Sprintf("/TicketWebhooks/%v/Fields", hook["itemId"]), fmt.Sprintf(`{"fieldID":%d,"isSubscribedField":true}`, webhook.FieldID("title"))); err != nil {
				t.Fatal(err)
			}
			load := startTicketLoad(func(w, i int) (int64, error) {
				m, err := call("POST", "/Tickets", fmt.Sprintf(`{"companyID":1,"title":"crash %d-%d","status":1,"priority":2}`, w, i))
				if err != nil {
					return 0, err
				}
				id, _ := m["itemId"].(float64)
				return int64(id), nil
			})
			load.killServer(t, first, 100) // creates in flight, events pending
			acked := load.stop()
			mu.Lock()
			delivered := len(order)
			down = false
			mu.Unlock()
			if delivered != 0 || len(acked) < 10 {
				t.Fatalf("before the kill: %d delivered (want 0, the receiver was down), %d creates answered", delivered, len(acked))
			}
			serveChild(t, args...)
			waitHealthy(t, addr)
			deadline := time.Now().Add(60 * time.Second)
			for {
				mu.Lock()
				missing := 0
				for _, id := range acked {
					if _, ok := ids[id]; !ok {
						missing++
					}
				}
				mu.Unlock()
				if missing == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d answered creates never reached the receiver after the restart", missing, len(acked))
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(500 * time.Millisecond) // anything delivered twice would arrive by now
			mu.Lock()
			defer mu.Unlock()
			for i, s := range order {
				if s != int64(i+1) {
					t.Fatalf("delivery %d has sequence %d: out of order or repeated", i, s)
				}
			}
			for s, n := range seqs {
				if n != 1 {
					t.Fatalf("sequence %d delivered %d times", s, n)
				}
			}
			t.Logf("%d answered creates, %d events delivered after the kill, each once, in order", len(acked), len(order))
		})
	}
}
