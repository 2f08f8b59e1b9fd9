package webhook_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// The receiver of docs/webhooks.md: the code between the markers is copied into the doc, and
// TestDocReceiver checks the copy is the same.

// BEGIN receiver

// Callout is the body Autotask (and Switchboard) POSTs to a webhook URL.
type Callout struct {
	Action         string         // Create, Update, Delete (Deactivated on the deactivation URL)
	Guid           string         // the webhook's webhookGUID
	EntityType     string         // Ticket, Company, Contact, ConfigurationItem, TicketNote
	Id             int64          // the entity's id
	Fields         map[string]any // subscribed fields that changed, and display-always fields
	EventTime      string
	SequenceNumber int64 // counts per webhook: ignore one you have already seen
	PersonID       *int64
}

// Receiver returns a handler that accepts callouts signed with secretKey and hands each to
// handle. Anything unsigned or wrongly signed is refused with 401.
func Receiver(secretKey string, handle func(Callout)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		// The signature covers the exact bytes received: check it before decoding.
		mac := hmac.New(sha1.New, []byte(secretKey))
		mac.Write(body)
		want := "sha1=" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(r.Header.Get("X-Hook-Signature")), []byte(want)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var c Callout
		if err := json.Unmarshal(body, &c); err != nil {
			http.Error(w, "not a callout", http.StatusBadRequest)
			return
		}
		handle(c)
		w.WriteHeader(http.StatusOK) // any 2xx within 10 s: delivered
	})
}

// END receiver

// Example_receiver runs the receiver and sends it one signed callout and one forged one.
func Example_receiver() {
	srv := httptest.NewServer(Receiver("my-secret-key", func(c Callout) {
		fmt.Println(c.Action, c.EntityType, c.Id, c.Fields["title"])
	}))
	defer srv.Close()
	body := []byte(`{"Action":"Update","Guid":"g","EntityType":"Ticket","Id":42,"Fields":{"title":"Printer \u0026 scanner"},` +
		`"EventTime":"2026-11-30T09:00:00.000Z","SequenceNumber":7,"PersonID":4}`)
	mac := hmac.New(sha1.New, []byte("my-secret-key"))
	mac.Write(body)
	for _, sig := range []string{"sha1=" + base64.StdEncoding.EncodeToString(mac.Sum(nil)), "sha1=forged"} {
		req, _ := http.NewRequest("POST", srv.URL, bytes.NewReader(body))
		req.Header.Set("X-Hook-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	// Output:
	// Update Ticket 42 Printer & scanner
	// 200 OK
	// 401 Unauthorized
}

// TestDocReceiver runs the doc's receiver against a real Switchboard: the callouts of a ticket
// webhook pass its signature check; and the doc holds the receiver as compiled here.
func TestDocReceiver(t *testing.T) {
	src, err := readFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := readFile("../../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	code := src[strings.Index(src, "// BEGIN receiver\n")+len("// BEGIN receiver\n") : strings.Index(src, "// END receiver")]
	if !strings.Contains(doc, strings.TrimSpace(code)) {
		t.Fatal("docs/webhooks.md does not hold the receiver of example_test.go as it is")
	}

	env := newEnv(t, testsupport.SQLite)
	startWorker(t, env, fastOptions())
	var mu sync.Mutex
	var got []Callout
	srv := httptest.NewServer(Receiver("doc-secret", func(c Callout) { mu.Lock(); got = append(got, c); mu.Unlock() }))
	defer srv.Close()
	rcv := &receiver{t: t, secret: "doc-secret", srv: srv}
	id := makeWebhook(t, env, "TicketWebhooks", rcv, "")
	subscribe(t, env, "TicketWebhooks", id, fieldID(t, env, "TicketWebhookFields", "Title"), true, false)
	tid := mustID(t, env, "POST", "/Tickets", `{"companyID":0,"title":"Printer & scanner ✓","status":1,"priority":2}`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the doc's receiver accepted no callout (a signature it could not verify?)")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c := got[0]; c.Action != "Create" || c.Id != tid || c.Fields["title"] != "Printer & scanner ✓" {
		t.Fatalf("callout = %+v", c)
	}
}
