package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// p4receiver is the webhook receiver of P4: it checks each signature and records how long
// after the change (EventTime) each callout arrived.
type p4receiver struct {
	secret  string
	mu      sync.Mutex
	lags    []time.Duration
	badSigs atomic.Int64
	got     atomic.Int64
	last    atomic.Int64 // unix nanos of the last callout
}

func (r *p4receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	now := time.Now()
	m := hmac.New(sha1.New, []byte(r.secret))
	m.Write(body)
	if req.Header.Get("X-Hook-Signature") != "sha1="+base64.StdEncoding.EncodeToString(m.Sum(nil)) {
		r.badSigs.Add(1)
	}
	var p struct{ Action, EventTime string }
	_ = json.Unmarshal(body, &p)
	if p.Action == "Create" {
		if t, err := time.Parse(time.RFC3339, p.EventTime); err == nil {
			r.mu.Lock()
			r.lags = append(r.lags, now.Sub(t))
			r.mu.Unlock()
		}
		r.got.Add(1)
		r.last.Store(now.UnixNano())
	}
}

// p4 is ticket creates with a ticket webhook subscribed (title, status shown always), each
// round beside the delivery of its callouts to a receiver in this process.
func (h *harness) p4(conns int, d time.Duration, rounds int) {
	rcv := &p4receiver{secret: "p4-secret"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String()
	api := h.base + "/ATServicesRest/V1.0"
	hookBody := fmt.Sprintf(`{"name":"sbload p4","webhookUrl":%q,"deactivationUrl":%q,"secretKey":%q,"isActive":true,
		"isSubscribedToCreateEvents":true,"isSubscribedToUpdateEvents":false,"isSubscribedToDeleteEvents":false}`, url+"/hook", url+"/off", rcv.secret)
	b, err := h.do(h.request("POST", api+"/TicketWebhooks", []byte(hookBody), true))
	if err != nil {
		fail(fmt.Errorf("create the webhook (is the server started with --webhook-allow-loopback?): %w", err))
	}
	var created struct{ ItemID int64 }
	_ = json.Unmarshal(b, &created)
	hookID := created.ItemID
	defer func() { // leave the webhook off, so later runs are not slowed by it
		_, _ = h.do(h.request("PATCH", api+"/TicketWebhooks", []byte(fmt.Sprintf(`{"id":%d,"isActive":false}`, hookID)), true))
	}()
	b, err = h.do(h.request("GET", api+"/TicketWebhookFields/entityInformation/fields", nil, true))
	if err != nil {
		fail(err)
	}
	ids := map[string]string{}
	var meta struct {
		Fields []struct {
			Name           string
			PicklistValues []struct{ Value, Label string }
		}
	}
	_ = json.Unmarshal(b, &meta)
	for _, f := range meta.Fields {
		if f.Name == "fieldID" {
			for _, v := range f.PicklistValues {
				ids[v.Label] = v.Value
			}
		}
	}
	for label, always := range map[string]bool{"Title": false, "Status": true} {
		body := fmt.Sprintf(`{"fieldID":%s,"isSubscribedField":%t,"isDisplayAlwaysField":%t}`, ids[label], !always, always)
		if _, err := h.do(h.request("POST", fmt.Sprintf("%s/TicketWebhooks/%d/Fields", api, hookID), []byte(body), true)); err != nil {
			fail(err)
		}
	}
	setActive := func(on bool) {
		if _, err := h.do(h.request("PATCH", api+"/TicketWebhooks", []byte(fmt.Sprintf(`{"id":%d,"isActive":%t}`, hookID, on)), true)); err != nil {
			fail(err)
		}
	}
	var rates, baseRates []float64
	var sent int64
	var last result
	for i := 0; i < rounds; i++ {
		setActive(true)
		var n atomic.Int64
		r := h.load(conns, d, func() *http.Request {
			k := n.Add(1)
			return h.request("POST", api+"/Tickets", []byte(fmt.Sprintf(`{"companyID":0,"title":"p4 %d-%d","status":1,"priority":2}`, i, k)), true)
		})
		sent += int64(len(r.latencies))
		loadEnd := time.Now()
		deadline := loadEnd.Add(5 * time.Minute)
		for rcv.got.Load() < sent && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		drain := time.Duration(0)
		if l := time.Unix(0, rcv.last.Load()); l.After(loadEnd) {
			drain = l.Sub(loadEnd)
		}
		rates, last = append(rates, r.rps), r
		// The baseline: the same creates with the webhook inactive.
		setActive(false)
		b := h.load(conns, d, func() *http.Request {
			k := n.Add(1)
			return h.request("POST", api+"/Tickets", []byte(fmt.Sprintf(`{"companyID":0,"title":"p4 base %d-%d","status":1,"priority":2}`, i, k)), true)
		})
		baseRates = append(baseRates, b.rps)
		fmt.Printf("round %d: webhook on %.0f creates/s (p50 %s, p99 %s), %d/%d callouts received, the last %s after the load ended; webhook off %.0f creates/s (p99 %s)\n",
			i+1, r.rps, r.pct(.5), r.pct(.99), rcv.got.Load(), sent, drain.Round(time.Millisecond), b.rps, b.pct(.99))
	}
	rcv.mu.Lock()
	lags := append([]time.Duration(nil), rcv.lags...)
	rcv.mu.Unlock()
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	lag := result{latencies: lags}
	fmt.Printf("P4: %.0f ticket creates/s with a webhook subscribed (%.0f with it off), median of %d rounds, %d connections; last round create p99 %s; "+
		"%d of %d callouts delivered, %d bad signatures; delivery lag (EventTime to receipt) p50 %s, p99 %s, max %s\n",
		median(rates), median(baseRates), rounds, conns, last.pct(.99), rcv.got.Load(), sent, rcv.badSigs.Load(), lag.pct(.5), lag.pct(.99), lag.pct(1))
}
