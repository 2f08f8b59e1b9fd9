package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestOperations checks what an operator sees: /healthz, Prometheus /metrics counting API
// calls, and structured request logs that never carry credentials.
func TestOperations(t *testing.T) {
	env := testsupport.Start(t, testsupport.SQLite, false)
	var logs lockedBuffer
	h, _ := server.New(env.PSA, server.Options{Version: "test", Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	srv := httptest.NewServer(h)
	defer srv.Close()

	get := func(path string, auth bool) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if auth {
			req.Header.Set("UserName", env.Creds.Username)
			req.Header.Set("Secret", env.Creds.Secret)
			req.Header.Set("ApiIntegrationCode", env.Creds.IntegrationCode)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz", false); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, _ := get("/ATServicesRest/V1.0/Companies/0", true); code != 200 {
		t.Fatalf("API call: %d", code)
	}
	if code, _ := get("/ATServicesRest/V1.0/Companies/0", false); code != 401 {
		t.Fatalf("unauthenticated API call: %d", code)
	}
	code, metrics := get("/metrics", false)
	if code != 200 || !strings.Contains(metrics, `switchboard_http_requests_total{method="GET",status="200"}`) ||
		!strings.Contains(metrics, `switchboard_http_requests_total{method="GET",status="401"} 1`) {
		t.Errorf("/metrics does not count the calls: %d\n%.2000s", code, metrics)
	}
	out := logs.String()
	if !strings.Contains(out, `"path":"/ATServicesRest/V1.0/Companies/0"`) || !strings.Contains(out, `"status":401`) {
		t.Errorf("request logs miss the calls:\n%s", out)
	}
	for _, secret := range []string{env.Creds.Secret, env.Creds.IntegrationCode} {
		if strings.Contains(out, secret) || strings.Contains(metrics, secret) {
			t.Errorf("a credential appears in the logs or metrics")
		}
	}
}

// TestDoubledSlashAnsweredDirectly: zone URLs end in /ATServicesRest/ and clients append
// /v1.0/..., so the API must answer ATServicesRest//v1.0 itself (Go's ServeMux would redirect),
// and such a call must count exactly once, like any other, in ThresholdInformation and /metrics.
func TestDoubledSlashAnsweredDirectly(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := testsupport.Start(t, b, false)
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			call := func(method, path, body string) (int, string) {
				t.Helper()
				req, _ := http.NewRequest(method, env.URL(path), strings.NewReader(body))
				req.Header.Set("UserName", env.Creds.Username)
				req.Header.Set("Secret", env.Creds.Secret)
				req.Header.Set("ApiIntegrationCode", env.Creds.IntegrationCode)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				out, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(out)
			}
			count := func() int {
				t.Helper()
				_, body := call("GET", "/ATServicesRest/V1.0/ThresholdInformation", "")
				var m struct {
					N int `json:"currentTimeframeRequestCount"`
				}
				if err := json.Unmarshal([]byte(body), &m); err != nil {
					t.Fatalf("ThresholdInformation: %v: %s", err, body)
				}
				return m.N
			}
			before := count()
			for _, c := range []struct{ method, path, body string }{
				{"GET", "/ATServicesRest//v1.0/Companies/0", ""},
				{"GET", "//ATServicesRest//V1.0//Companies//0/", ""},
				{"POST", "/ATServicesRest//v1.0/Companies/query", `{"filter":[{"op":"eq","field":"id","value":0}]}`},
			} {
				code, body := call(c.method, c.path, c.body)
				if code != 200 || !strings.Contains(body, `"id":0`) {
					t.Errorf("%s %s: %d %.300s", c.method, c.path, code, body)
				}
			}
			// Three calls plus the ThresholdInformation call that read "before".
			if after := count(); after != before+4 {
				t.Errorf("ThresholdInformation counted %d requests for 4 calls", after-before)
			}
			req, _ := http.NewRequest("GET", env.URL("/metrics"), nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(metrics), `status="307"`) || strings.Contains(string(metrics), `status="301"`) {
				t.Errorf("a call was redirected:\n%.2000s", metrics)
			}
		})
	}
}
