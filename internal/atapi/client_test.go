package atapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// call is one HTTP exchange with a running Switchboard.
type call struct {
	Method  string
	Path    string            // below the server root, e.g. /ATServicesRest/V1.0/Tickets/1
	Body    string            // sent as is
	Headers map[string]string // added to (or, with "" values, removed from) the API user's headers
	NoAuth  bool
	Gzip    bool
	URL     string // absolute URL instead of Path (for nextPageUrl)
}

type reply struct {
	Status int
	Body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("reply is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

func do(t *testing.T, env *testsupport.Env, c call) reply {
	t.Helper()
	var body io.Reader
	if c.Body != "" {
		if c.Gzip {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write([]byte(c.Body))
			_ = zw.Close()
			body = &b
		} else {
			body = strings.NewReader(c.Body)
		}
	}
	u := c.URL
	if u == "" {
		u = env.URL(c.Path)
	}
	req, err := http.NewRequest(c.Method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if !c.NoAuth {
		req.Header.Set("UserName", env.Creds.Username)
		req.Header.Set("Secret", env.Creds.Secret)
		req.Header.Set("ApiIntegrationCode", env.Creds.IntegrationCode)
	}
	if c.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range c.Headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header[k] = []string{v} // exactly the casing given, as odd clients send it
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.Method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{Status: resp.StatusCode, Body: b}
}

// noRedirects is a client that, like several published Autotask clients, does not follow
// redirects: an answer must come from the path asked.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var (
	timeRe   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$`)
	ticketRe = regexp.MustCompile(`^T\d{8}\.(\d{4})$`)
)

// normalise replaces what changes from run to run (times, today's date in ticket numbers, the
// server's address) so replies can be compared with golden files.
func normalise(v any, base, tenant string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = normalise(val, base, tenant)
		}
	case []any:
		for i, val := range x {
			x[i] = normalise(val, base, tenant)
		}
	case string:
		switch {
		case x == tenant:
			return "<tenant>"
		case timeRe.MatchString(x):
			return "<time>"
		case ticketRe.MatchString(x):
			return "T<yyyymmdd>." + ticketRe.FindStringSubmatch(x)[1]
		case strings.HasPrefix(x, base):
			return "<base>" + strings.TrimPrefix(x, base)
		}
	}
	return v
}
