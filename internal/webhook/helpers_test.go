package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
	"github.com/switchboard-psa/switchboard/internal/webhook"
)

func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }

const v1 = "/ATServicesRest/V1.0"

// api calls the running Switchboard as the env's API user and decodes the JSON answer.
func api(t *testing.T, env *testsupport.Env, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, env.URL(v1+path), rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("UserName", env.Creds.Username)
	req.Header.Set("Secret", env.Creds.Secret)
	req.Header.Set("ApiIntegrationCode", env.Creds.IntegrationCode)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: not JSON (%d): %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

// mustID posts and returns the itemId, failing on anything else.
func mustID(t *testing.T, env *testsupport.Env, method, path, body string) int64 {
	t.Helper()
	st, m := api(t, env, method, path, body)
	id, ok := m["itemId"].(float64)
	if st != 200 || !ok {
		t.Fatalf("%s %s %s: %d %v", method, path, body, st, m)
	}
	return int64(id)
}

// item reads one entity.
func item(t *testing.T, env *testsupport.Env, path string) map[string]any {
	t.Helper()
	st, m := api(t, env, "GET", path, "")
	it, ok := m["item"].(map[string]any)
	if st != 200 || !ok {
		t.Fatalf("GET %s: %d %v", path, st, m)
	}
	return it
}

// callout is one request a receiver got.
type callout struct {
	Body      []byte
	Signature string
	Payload   struct {
		Action         string
		Guid           string
		EntityType     string
		Id             int64
		Fields         map[string]any
		EventTime      string
		SequenceNumber int64
		PersonID       *int64
	}
}

// receiver is a real HTTP webhook receiver that checks every signature with its own HMAC
// computation (not webhook.Sign) and can be told to fail.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	got      []callout
	failing  bool
	attempts int
	times    []time.Time // of every request
	badSigs  int
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// independentSignature is the signature an integration computes: base64 HMAC-SHA1 of the body.
func independentSignature(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return "sha1=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	r.times = append(r.times, time.Now())
	if r.failing {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	c := callout{Body: body, Signature: req.Header.Get("X-Hook-Signature")}
	if !hmac.Equal([]byte(c.Signature), []byte(independentSignature(r.secret, body))) {
		r.badSigs++
	}
	if err := json.Unmarshal(body, &c.Payload); err != nil {
		r.t.Errorf("callout is not JSON: %v: %s", err, body)
	}
	r.got = append(r.got, c)
}

func (r *receiver) setFailing(f bool) {
	r.mu.Lock()
	r.failing = f
	r.mu.Unlock()
}

func (r *receiver) callouts() []callout {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.badSigs > 0 {
		r.t.Errorf("%d callouts had a wrong X-Hook-Signature", r.badSigs)
	}
	return append([]callout(nil), r.got...)
}

func (r *receiver) attemptCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

// waitFor waits until the receiver got n callouts.
func (r *receiver) waitFor(n int, within time.Duration) []callout {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if got := r.callouts(); len(got) >= n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := r.callouts()
	r.t.Fatalf("receiver got %d callouts, want %d", len(got), n)
	return nil
}

// fastOptions are the worker's timings for tests: retries in a fraction of a second.
func fastOptions() webhook.Options {
	return webhook.Options{Timeout: 2 * time.Second, RetryDelay: 100 * time.Millisecond, Poll: 50 * time.Millisecond,
		Lease: 5 * time.Second, Policy: webhook.Policy{AllowLoopback: true}}
}

// startWorker runs a delivery worker over the env's database until the test ends.
func startWorker(t *testing.T, env *testsupport.Env, opt webhook.Options) {
	w := webhook.NewWorker(env.PSA.DB, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// newEnv starts a Switchboard whose webhook URLs may be on loopback (the receivers are).
func newEnv(t *testing.T, b testsupport.Backend) *testsupport.Env {
	env := testsupport.Start(t, b, false)
	env.PSA.WebhookPolicy = webhook.Policy{AllowLoopback: true}
	return env
}

// makeWebhook creates a webhook of collection (e.g. TicketWebhooks) pointing at rcv.
func makeWebhook(t *testing.T, env *testsupport.Env, collection string, rcv *receiver, deactivationURL string) int64 {
	if deactivationURL == "" {
		deactivationURL = rcv.srv.URL + "/deactivated"
	}
	body := fmt.Sprintf(`{"name":"test","webhookUrl":%q,"deactivationUrl":%q,"secretKey":%q,"isActive":true,
		"isSubscribedToCreateEvents":true,"isSubscribedToUpdateEvents":true,"isSubscribedToDeleteEvents":true}`, rcv.srv.URL+"/hook", deactivationURL, rcv.secret)
	return mustID(t, env, "POST", "/"+collection, body)
}

// fieldID finds a field's id in {X}WebhookFields/entityInformation/fields, as an integration does.
func fieldID(t *testing.T, env *testsupport.Env, fieldsCollection, label string) int64 {
	t.Helper()
	st, m := api(t, env, "GET", "/"+fieldsCollection+"/entityInformation/fields", "")
	if st != 200 {
		t.Fatalf("fields: %d %v", st, m)
	}
	for _, f := range m["fields"].([]any) {
		f := f.(map[string]any)
		if f["name"] != "fieldID" {
			continue
		}
		if f["isPickList"] != true {
			t.Fatalf("fieldID is not a picklist: %v", f)
		}
		for _, v := range f["picklistValues"].([]any) {
			v := v.(map[string]any)
			if v["label"] == label {
				var id int64
				fmt.Sscan(v["value"].(string), &id)
				return id
			}
		}
	}
	t.Fatalf("no field labelled %q in %s", label, fieldsCollection)
	return 0
}

// subscribe adds a field to a webhook: subscribed, or only displayed always.
func subscribe(t *testing.T, env *testsupport.Env, collection string, webhookID, fid int64, subscribed, always bool) {
	mustID(t, env, "POST", fmt.Sprintf("/%s/%d/Fields", collection, webhookID),
		fmt.Sprintf(`{"fieldID":%d,"isSubscribedField":%t,"isDisplayAlwaysField":%t}`, fid, subscribed, always))
}

func readFile(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}
