package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// site is a running Switchboard with demo data, its administrator's console password and a
// browser tab of its own (incognito: cookies are not shared between tests).
type site struct {
	t         *testing.T
	env       *testsupport.Env
	adminUser string
	adminPass string
	tab       context.Context
}

const adminPassword = "Console-Admin-2026!"

func newSite(t *testing.T) *site {
	t.Helper()
	return newSiteOf(t, true)
}

// newSiteOf is newSite with or without the demo data.
func newSiteOf(t *testing.T, demo bool) *site {
	t.Helper()
	if browser == nil {
		t.Skip(noBrowserWhy)
	}
	env := testsupport.Start(t, testsupport.SQLite, demo)
	admin, err := env.PSA.EditResource(env.Ctx(), "1", admin.ResourceChange{Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tab, cancelT := context.WithTimeout(tab, 150*time.Second)
	t.Cleanup(cancelT)
	s := &site{t: t, env: env, adminUser: admin.Username, adminPass: adminPassword, tab: tab}
	s.run(chromedp.EmulateViewport(1280, 900))
	return s
}

func (s *site) run(actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.tab, actions...); err != nil {
		s.t.Fatalf("browser at %s: %v", s.location(), err)
	}
}

func get[T any](s *site, a chromedp.Action[T]) T {
	s.t.Helper()
	v, err := chromedp.Run(s.tab, a)
	if err != nil {
		s.t.Fatalf("browser: %v", err)
	}
	return v
}

func (s *site) url(path string) string { return s.env.URL(path) }

func (s *site) open(path string) {
	s.t.Helper()
	s.run(chromedp.Navigate(s.url(path)), chromedp.WaitReady("body"))
}

// text returns the visible text of the page's main part (or body).
func (s *site) text() string {
	s.t.Helper()
	return get(s, chromedp.Evaluate[string](`document.body.innerText`))
}

func (s *site) location() string {
	v, _ := chromedp.Run(s.tab, chromedp.Location())
	return v
}

func (s *site) value(sel string) string {
	s.t.Helper()
	return get(s, chromedp.Value(chromedp.CSS(sel)))
}

func (s *site) mustSee(want ...string) {
	s.t.Helper()
	body := s.text()
	for _, w := range want {
		if !strings.Contains(body, w) {
			s.t.Fatalf("page %s does not show %q; it shows:\n%s", s.location(), w, body)
		}
	}
}

func (s *site) mustNotSee(bad ...string) {
	s.t.Helper()
	body := s.text()
	for _, w := range bad {
		if strings.Contains(body, w) {
			s.t.Fatalf("page %s shows %q:\n%s", s.location(), w, body)
		}
	}
}

// fill types into form fields by CSS selector (clearing them first).
func (s *site) fill(pairs ...string) {
	s.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		s.set(pairs[i], "")
		s.run(chromedp.SendKeys(chromedp.CSS(pairs[i]), pairs[i+1]))
	}
}

// submit clicks a button and waits for the next page.
func (s *site) submit(sel string) {
	s.t.Helper()
	s.press(sel)
}

// set sets a field's value by script (as a paste would, past any maxlength) and fires input
// and change events.
func (s *site) set(sel, value string) {
	s.t.Helper()
	sj, _ := json.Marshal(sel)
	vj, _ := json.Marshal(value)
	get(s, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.value = %s;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, sj, vj)))
}

// press clicks a button by script and waits for the next page to load, without walking the
// DOM tree (fast on large pages).
func (s *site) press(sel string) {
	s.t.Helper()
	sj, _ := json.Marshal(sel)
	get(s, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { window.__old = true; const b = document.querySelector(%s); setTimeout(() => b.click(), 0); return true })()`, sj)))
	for i := 0; i < 100; i++ {
		s.run(chromedp.Sleep(100 * time.Millisecond))
		v, err := chromedp.Run(s.tab, chromedp.Evaluate[bool](`window.__old !== true && document.readyState === "complete"`))
		if err == nil && v {
			return
		}
	}
	s.t.Fatalf("no new page after pressing %s", sel)
}

func (s *site) signIn(user, pass string) {
	s.t.Helper()
	s.open("/signin")
	s.fill("#username", user, "#password", pass)
	s.submit("form.signin button[type=submit]")
}

func (s *site) signOut() {
	s.t.Helper()
	s.submit("form[action='/signout'] button")
}

// shot writes a PNG of the page at desktop and phone width under artifacts/screenshots/.
func (s *site) shot(name string) {
	s.t.Helper()
	dir := filepath.Join("..", "..", "artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
	for _, size := range []struct {
		suffix string
		w, h   int64
		mobile bool
	}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
		vp := chromedp.EmulateViewport(size.w, size.h)
		if size.mobile {
			vp = chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateMobile)
		}
		s.run(vp, chromedp.Sleep(100*time.Millisecond))
		buf := get(s, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, name+"-"+size.suffix+".png"), buf, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
	s.run(chromedp.EmulateViewport(1280, 900))
}

// api calls the REST API with an API user's three headers.
func api(t *testing.T, base, method, path, user, secret, code, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("UserName", user)
	req.Header.Set("Secret", secret)
	req.Header.Set("ApiIntegrationCode", code)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return res.StatusCode, out
}

func items(m map[string]any) []any {
	v, _ := m["items"].([]any)
	return v
}

// consoleOn starts Switchboard on backend b, with or without the demo data, and gives its
// administrator the console password adminPassword. PostgreSQL is skipped when
// SWITCHBOARD_TEST_POSTGRES is not set.
func consoleOn(t *testing.T, b testsupport.Backend, demo bool) (*testsupport.Env, *admin.Resource) {
	t.Helper()
	if b == testsupport.Postgres && testsupport.PostgresURL() == "" {
		t.Skip("SWITCHBOARD_TEST_POSTGRES is not set")
	}
	env := testsupport.Start(t, b, demo)
	adm, err := env.PSA.EditResource(env.Ctx(), "1", admin.ResourceChange{Password: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	return env, adm
}

// signedIn is a plain HTTP client of the console at base, signed in as user.
func signedIn(t *testing.T, base, user, pass string) *client {
	t.Helper()
	c := newClient(t, base)
	if st, _, _ := c.post("/signin", url.Values{"csrf": {c.csrf("/signin")}, "username": {user}, "password": {pass}}); st != http.StatusSeeOther {
		t.Fatalf("sign-in of %s: %d", user, st)
	}
	return c
}

// newConnections is a connection service over db with a sealing key of the test's own.
func newConnections(t *testing.T, db *store.DB) *connection.Service {
	t.Helper()
	sealer, err := connection.LoadKey(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	return &connection.Service{DB: db, Sealer: sealer}
}

// rowsWhere reads the rows (up to 100) of a collection with field = value through psa.
func rowsWhere(t *testing.T, env *testsupport.Env, entity, field string, value any) []*store.Row {
	t.Helper()
	e := env.PSA.Catalog.MustEntity(entity)
	rows, err := env.PSA.Query(env.Ctx(), e, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: field, Value: value}}}, nil, -1, 100)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
