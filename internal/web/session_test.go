package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type client struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) get(path string) (int, string, string) {
	c.t.Helper()
	res, err := c.c.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

func (c *client) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	res, err := c.c.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

func (c *client) csrf(path string) string {
	c.t.Helper()
	_, _, body := c.get(path)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

// Sessions, CSRF and bad input over plain HTTP, on SQLite and PostgreSQL (sessions live in the
// database).
func TestSessionsAndCSRF(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env, admin := consoleOn(t, b, true)
			c := newClient(t, env.Server.URL)
			// The zone answer's webUrl is the console: its sign-in page when signed out.
			_, _, zone := c.get("/ATServicesRest/V1.0/zoneInformation?user=" + url.QueryEscape(admin.Username))
			if !strings.Contains(zone, `"webUrl":"`+env.Server.URL+`/"`) {
				t.Fatalf("zone answer: %s", zone)
			}
			if st, loc, _ := c.get("/"); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin") {
				t.Fatalf("webUrl signed out: %d %s", st, loc)
			}
			if st, loc, _ := c.get("/admin/resources"); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin") {
				t.Fatalf("signed out: %d %s", st, loc)
			}
			// Sign-in without the form's token is refused.
			if st, _, _ := c.post("/signin", url.Values{"username": {admin.Username}, "password": {adminPassword}}); st != http.StatusForbidden {
				t.Fatalf("sign-in without CSRF: %d", st)
			}
			tok := c.csrf("/signin")
			if st, _, body := c.post("/signin", url.Values{"csrf": {tok}, "username": {admin.Username}, "password": {"wrong"}}); st != http.StatusUnauthorized || !strings.Contains(body, "not valid") {
				t.Fatalf("wrong password: %d", st)
			}
			if st, loc, _ := c.post("/signin", url.Values{"csrf": {tok}, "username": {admin.Username}, "password": {adminPassword}}); st != http.StatusSeeOther || loc != "/" {
				t.Fatalf("sign-in: %d %s", st, loc)
			}
			// Forged and missing CSRF tokens save nothing.
			form := url.Values{"firstName": {"Eve"}, "lastName": {"Forged"}, "email": {"eve@x.example"}, "username": {"eve.forged"}, "securityLevel": {"Team Member (system)"}, "location": {"1"}}
			for _, bad := range []string{"", "forged-token-forged-token-forged"} {
				f := url.Values{}
				for k, v := range form {
					f[k] = v
				}
				if bad != "" {
					f.Set("csrf", bad)
				}
				if st, _, _ := c.post("/admin/resources/new", f); st != http.StatusForbidden {
					t.Fatalf("CSRF %q: %d", bad, st)
				}
			}
			if _, err := env.PSA.Resource(env.Ctx(), "eve.forged"); err == nil {
				t.Fatal("a forged form created a resource")
			}
			// Bad input: a username breaking the rules, an over-long name, a duplicate.
			tok = c.csrf("/admin/resources/new")
			for _, tc := range []struct{ field, value, want string }{
				{"username", "bad(name", "must not contain"},
				{"firstName", strings.Repeat("x", 51), "At most 50 characters."},
				{"username", admin.Username, "already in use"},
				{"firstName", "", "Enter a first name."},
			} {
				f := url.Values{"csrf": {tok}}
				for k, v := range form {
					f[k] = v
				}
				f.Set(tc.field, tc.value)
				st, _, body := c.post("/admin/resources/new", f)
				if st != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
					t.Fatalf("%s=%q: %d, want the message %q in place", tc.field, tc.value, st, tc.want)
				}
			}
			if _, err := env.PSA.Resource(env.Ctx(), "eve.forged"); err == nil {
				t.Fatal("bad input created a resource")
			}
			// Password change: the current password must be right; the new one works at once.
			tok = c.csrf("/account/password")
			if st, _, body := c.post("/account/password", url.Values{"csrf": {tok}, "current": {"nope"}, "new": {"Another-Pass-2"}, "confirm": {"Another-Pass-2"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "current password is not right") {
				t.Fatalf("password change with a wrong current password: %d", st)
			}
			if st, _, body := c.post("/account/password", url.Values{"csrf": {tok}, "current": {adminPassword}, "new": {"x"}, "confirm": {"x"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "field-error") {
				t.Fatalf("password change breaking the policy: %d", st)
			}
			if st, _, _ := c.post("/account/password", url.Values{"csrf": {tok}, "current": {adminPassword}, "new": {"Another-Pass-2"}, "confirm": {"Another-Pass-2"}}); st != http.StatusSeeOther {
				t.Fatalf("password change: %d", st)
			}
			if _, _, err := env.PSA.ConsoleSignIn(env.Ctx(), admin.Username, "Another-Pass-2", "127.0.0.1"); err != nil {
				t.Fatalf("new password: %v", err)
			}
			adminPass := "Another-Pass-2"
			// Expiry: a session past its time is gone.
			if _, err := env.PSA.DB.SQL().Exec(`UPDATE web_sessions SET expires_at = '2000-01-01T00:00:00Z'`); err != nil {
				t.Fatal(err)
			}
			if st, loc, _ := c.get("/admin/resources"); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin") {
				t.Fatalf("expired session: %d %s", st, loc)
			}
			// Sign-out ends the session on the server: the old cookie no longer works.
			tok = c.csrf("/signin")
			if st, _, _ := c.post("/signin", url.Values{"csrf": {tok}, "username": {admin.Username}, "password": {adminPass}}); st != http.StatusSeeOther {
				t.Fatalf("sign-in with the new password: %d", st)
			}
			u, _ := url.Parse(env.Server.URL)
			old := c.c.Jar.Cookies(u)
			tok = c.csrf("/")
			if st, _, _ := c.post("/signout", url.Values{"csrf": {tok}}); st != http.StatusSeeOther {
				t.Fatalf("sign-out: %d", st)
			}
			replay := newClient(t, env.Server.URL)
			replay.c.Jar.SetCookies(u, old)
			if st, _, _ := replay.get("/admin/resources"); st != http.StatusSeeOther {
				t.Fatalf("cookie after sign-out still works: %d", st)
			}
		})
	}
}
