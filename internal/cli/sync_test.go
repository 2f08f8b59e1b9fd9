package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/config"
	"github.com/switchboard-psa/switchboard/internal/devseed"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/sync"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// slowRemote starts a real Switchboard with generated data, behind a proxy that delays every
// request, so that a run takes long enough to be killed halfway.
func slowRemote(t *testing.T, delay time.Duration) (*testsupport.Env, string) {
	t.Helper()
	env := testsupport.Start(t, testsupport.SQLite, false)
	c := devseed.Counts{Resources: 5, Companies: 300, Contacts: 900, ConfigurationItems: 0, Tickets: 600, TicketNotes: 300}
	if err := devseed.Generate(env.Ctx(), env.PSA, c, nil); err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(env.Server.URL)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		r.URL.Scheme, r.URL.Host, r.RequestURI = target.Scheme, target.Host, ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			_, _ = w.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(proxy.Close)
	return env, proxy.URL
}

func count(t *testing.T, env *testsupport.Env, entity string) int64 {
	t.Helper()
	e := env.PSA.Catalog.MustEntity(entity)
	n, err := env.PSA.Count(env.Ctx(), e, &query.Request{Filter: []*query.Node{{Op: "gte", Field: "id", Value: int64(0)}}, FilterPresent: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSyncKilledHalfway is kill -9 of "switchboard sync run" in the middle of a run: the next
// run resumes, and every record is there once — no duplicate, no loss.
func TestSyncKilledHalfway(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	remote, remoteURL := slowRemote(t, 150*time.Millisecond)
	dir := t.TempDir()
	base := []string{"--data-dir", dir, "--log-level", "error"}
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, err := run(t, append(args, base...)...)
		if err != nil {
			t.Fatalf("switchboard %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return out
	}
	cli("tenant", "create", "Mirror")
	cli("connection", "add", "remote", "--username", remote.Creds.Username, "--secret", remote.Creds.Secret,
		"--integration-code", remote.Creds.IntegrationCode, "--base-url", remoteURL)
	cli("sync", "add", "mirror", "--connection", "remote", "--tenant", "Mirror", "--schedule", "0")

	child := serveChild(t, append([]string{"sync", "run", "mirror"}, base...)...)
	// Kill it once contacts are being copied: companies done, the rest not.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var j sync.Job
		if err := json.Unmarshal([]byte(cli("sync", "status", "mirror", "--json")), &j); err != nil {
			t.Fatal(err)
		}
		contacts := 0
		for _, p := range j.Status.Progress {
			if p.Entity == "Contacts" {
				contacts = p.Done
			}
		}
		if contacts > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run never reached contacts")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = child.Process.Wait()
	var killed sync.Job
	_ = json.Unmarshal([]byte(cli("sync", "status", "mirror", "--json")), &killed)
	if killed.Status.State != sync.StateFailed || !strings.Contains(killed.Status.Failure, "interrupted") {
		t.Errorf("status right after kill -9: %s", killed.Status.Line())
	}

	// The next run resumes (a full pass: the first never completed).
	out, errOut, err := run(t, append([]string{"sync", "run", "mirror", "--no-progress"}, base...)...)
	if err != nil {
		t.Fatalf("the run after kill -9: %v\n%s%s", err, out, errOut)
	}
	if !strings.HasPrefix(out, "OK: ") {
		t.Errorf("the run after kill -9 printed %q", out)
	}
	// Exactly one local record per remote record.
	cfg := config.Defaults()
	cfg.DataDir = dir
	svc, closeDB, err := (&app{cfg: cfg}).open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	tn, err := svc.DB.TenantByName(t.Context(), "Mirror")
	if err != nil {
		t.Fatal(err)
	}
	local := &testsupport.Env{PSA: svc, Tenant: tn}
	for _, e := range []string{"Companies", "Contacts", "Tickets", "TicketNotes"} {
		r, l := count(t, remote, e), count(t, local, e)
		if r != l {
			t.Errorf("%s: remote %d, local %d after kill -9 and resume", e, r, l)
		}
	}
}
