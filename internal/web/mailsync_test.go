package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/sync"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
	"github.com/switchboard-psa/switchboard/internal/web"
)

// integrated serves the site's Switchboard again with the Integrations services wired as
// serve wires them (connections, email to ticket, sync), and returns them.
func (s *site) integrated() (*connection.Service, *mail.Service, *sync.Service) {
	s.t.Helper()
	conns := newConnections(s.t, s.env.PSA.DB)
	ms, ss := mail.NewService(s.env.PSA, conns, nil), sync.New(s.env.PSA, conns, nil)
	handler, _ := server.New(s.env.PSA, server.Options{Version: "test", Web: web.Options{Connections: conns, Mail: ms, Sync: ss}})
	srv := httptest.NewServer(handler)
	s.t.Cleanup(srv.Close)
	s.env = &testsupport.Env{Backend: s.env.Backend, PSA: s.env.PSA, Server: srv, Tenant: s.env.Tenant, Creds: s.env.Creds}
	return conns, ms, ss
}

// noPageScroll checks that at phone width the page itself does not scroll sideways: a wide
// table (wideTable, a selector, when given) scrolls inside its own box instead. Every item of
// the top navigation is whole on the screen: inside the viewport, not clipped by a box that
// hides or scrolls its overflow (the nav scrolling sideways cut its last item), and not
// covered by anything else.
func (s *site) noPageScroll(path, wideTable string) {
	s.t.Helper()
	s.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	defer s.run(chromedp.EmulateViewport(1280, 900))
	s.open(path)
	over := get(s, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	if over > 0 {
		s.t.Fatalf("%s is %dpx wider than a 390px phone screen: the page scrolls sideways", path, over)
	}
	nav := get(s, chromedp.Evaluate[navCheck](navVisibleJS))
	if len(nav.Items) == 0 {
		s.t.Fatalf("%s: no items in the top navigation", path)
	}
	if len(nav.Problems) > 0 {
		s.t.Fatalf("%s at 390px: the top navigation (%s) is not wholly visible:\n%s", path, strings.Join(nav.Items, ", "), strings.Join(nav.Problems, "\n"))
	}
	if wideTable != "" {
		box := get(s, chromedp.Evaluate[int](`(() => { const w = document.querySelector(`+jsString(wideTable)+`).closest(".tablewrap"); return w.scrollWidth - w.clientWidth })()`))
		if box <= 0 {
			s.t.Fatalf("%s: the table %s should be wider than a phone and scroll in its box", path, wideTable)
		}
	}
}

// navCheck is navVisibleJS's answer.
type navCheck struct {
	Items    []string
	Problems []string
}

// navVisibleJS lists the top navigation's items and, for each one not wholly visible, why.
const navVisibleJS = `(() => {
  const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
  const items = [], problems = [];
  const px = r => "[" + Math.round(r.left) + "," + Math.round(r.top) + " – " + Math.round(r.right) + "," + Math.round(r.bottom) + "]";
  for (const a of document.querySelectorAll("header.topbar nav.mainnav a")) {
    const name = a.textContent.trim(), r = a.getBoundingClientRect();
    items.push(name);
    if (r.width < 1 || r.height < 1) { problems.push(name + ": not shown"); continue; }
    if (r.left < 0 || r.top < 0 || r.right > vw + 0.5 || r.bottom > vh + 0.5) {
      problems.push(name + ": " + px(r) + " is outside the " + vw + "×" + vh + " viewport"); continue;
    }
    for (let p = a.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      const st = getComputedStyle(p);
      if (st.overflowX === "visible" && st.overflowY === "visible") continue;
      const q = p.getBoundingClientRect();
      if (r.left < q.left - 0.5 || r.right > q.right + 0.5 || r.top < q.top - 0.5 || r.bottom > q.bottom + 0.5) {
        problems.push(name + ": " + px(r) + " is cut by <" + p.tagName.toLowerCase() + " class=" + p.className + "> " + px(q));
      }
    }
    const mid = (r.top + r.bottom) / 2; // both ends and the middle, clear of the rounded corners
    for (const [x, y] of [[r.left + 3, mid], [(r.left + r.right) / 2, mid], [r.right - 3, mid]]) {
      const e = document.elementFromPoint(x, y);
      if (!e || !a.contains(e)) { problems.push(name + ": covered at " + Math.round(x) + "," + Math.round(y) + " by " + (e ? e.tagName : "nothing")); break; }
    }
  }
  return {Items: items, Problems: problems};
})()`

// chartReadable checks that the usage chart a phone shows has labels at least 10px high.
func (s *site) chartReadable() {
	s.t.Helper()
	s.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	defer s.run(chromedp.EmulateViewport(1280, 900))
	s.open("/admin/api-usage")
	px := get(s, chromedp.Evaluate[float64](`(() => { const c = [...document.querySelectorAll("svg.chart")].find(e => e.getBoundingClientRect().width > 0);
		return Math.min(...[...c.querySelectorAll("text")].map(t => t.getBoundingClientRect().height)) })()`))
	if px < 10 {
		s.t.Fatalf("the usage chart's labels are %.1fpx high on a phone", px)
	}
}

func jsString(v string) string { b, _ := json.Marshal(v); return string(b) }

// Integrations › Mailboxes: bad input shows its message in place and saves nothing; an IMAP
// mailbox on a Dovecot of the test's own is added (its password never shown back), "Poll now"
// turns the mail waiting in it into a ticket, and the list shows the count; disable and remove.
func TestBrowserMailboxes(t *testing.T) {
	d := testsupport.StartDovecot(t, "helpdesk@msp.test")
	s := newSite(t)
	_, ms, _ := s.integrated()
	s.signIn(s.adminUser, s.adminPass)
	s.open("/admin/integrations")
	s.press("nav.tabs a[href='/admin/integrations/mailboxes']")
	s.mustSee("Mailboxes", "No mailboxes yet", "Add a mailbox")
	count := func() int {
		list, err := ms.Mailboxes(context.Background(), s.env.Tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}

	// Bad input: nothing saved, a message beside each field.
	s.press("form input[value=add] ~ div.actions button.primary")
	s.mustSee("Enter the address mail is sent to")
	s.set("#address", "not an address")
	s.set("#kind", "imap")
	s.set("#rateLimit", "0")
	s.set("#domains", "acme.example")
	s.press("form input[value=add] ~ div.actions button.primary")
	s.mustSee("Enter a whole number from 1 to 100000.", `"acme.example": give domain=company id`, "Enter the IMAP server", "Enter the IMAP username.", "Enter the IMAP password.")
	s.shot("mailboxes-errors")
	s.set("#rateLimit", "20")
	s.set("#domains", "")
	s.fill("#imapHost", d.IMAP, "#imapUsername", "helpdesk@msp.test", "#imapPassword", d.Password)
	s.set("#imapSecurity", "none")
	s.press("form input[value=add] ~ div.actions button.primary")
	s.mustSee(`"not an address" is not an email address.`)
	s.mustNotSee(d.Password)
	if v := s.value("#imapPassword"); v != "" {
		t.Fatalf("the IMAP password came back in the form: %q", v)
	}
	if n := count(); n != 0 {
		t.Fatalf("bad input saved %d mailbox(es)", n)
	}

	// The mailbox is added; mail waiting in it becomes a ticket with "Poll now".
	s.fill("#address", "helpdesk@msp.test", "#imapPassword", d.Password)
	s.press("form input[value=add] ~ div.actions button.primary")
	s.mustSee("Mailbox helpdesk@msp.test was added.", "helpdesk@msp.test", "Active", "Poll now")
	s.mustNotSee(d.Password)
	if n := count(); n != 1 {
		t.Fatalf("%d mailboxes after adding one", n)
	}
	d.Deliver(t, "helpdesk@msp.test", "From: Ann Archer <alice.archer@acmedental.example>\nTo: helpdesk@msp.test\nSubject: Scanner jams on every page\nMessage-ID: <scan-"+testsupport.RandomHex(4)+"@acmedental.example>\nDate: Mon, 30 Nov 2026 09:00:00 +0000\n\nThe scanner at reception jams.\n")
	s.press("#mailboxes button[value=poll]")
	s.mustSee("Poll finished", "1 processed")
	if got := get(s, chromedp.Evaluate[string](`document.querySelector("#mailboxes tbody tr td:nth-child(4)").textContent`)); got != "1" {
		t.Fatalf("the Tickets count shows %q, want 1", got)
	}
	s.shot("mailboxes")
	log, err := ms.Log(context.Background(), store.MailFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range log {
		found = found || (e.Subject == "Scanner jams on every page" && e.Outcome == mail.OutcomeTicket)
	}
	if !found {
		t.Fatalf("the polled message did not become a ticket: %+v", log)
	}
	st, body := api(t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/Tickets/query", s.env.Creds.Username, s.env.Creds.Secret, s.env.Creds.IntegrationCode,
		`{"filter":[{"op":"eq","field":"title","value":"Scanner jams on every page"}]}`)
	if st != http.StatusOK || len(items(body)) != 1 {
		t.Fatalf("the ticket through the API: %d %v", st, body)
	}

	// A wrong password: "Poll now" says why, in place.
	if _, err := ms.EditMailbox(context.Background(), "helpdesk@msp.test", mail.MailboxChange{IMAPPassword: ptr("wrong-" + d.Password)}); err != nil {
		t.Fatal(err)
	}
	s.press("#mailboxes button[value=poll]")
	s.mustSee("Poll failed", "log in to "+d.IMAP+" as helpdesk@msp.test")
	s.mustNotSee("wrong-" + d.Password)

	s.press("#mailboxes button[value=disable]")
	s.mustSee("is inactive", "Inactive")
	if m, _ := ms.Mailbox(context.Background(), "helpdesk@msp.test"); m == nil || m.Active {
		t.Fatalf("the mailbox is still active: %+v", m)
	}
	s.noPageScroll("/admin/integrations/mailboxes", "#mailboxes")
	get(s, chromedp.Evaluate[bool](`window.confirm = () => true; true`))
	s.press("#mailboxes button[value=remove]")
	s.mustSee("was removed", "No mailboxes yet")
	if n := count(); n != 0 {
		t.Fatalf("%d mailboxes after removing the one", n)
	}
}

// Integrations › Sync jobs: a connection to a second Switchboard, a job over it (bad input
// first: a message in place, nothing saved), "Sync now" answers with the result on the page,
// and the copied records are in this tenant.
func TestBrowserSyncJobs(t *testing.T) {
	remote := testsupport.Start(t, testsupport.SQLite, true)
	s := newSiteOf(t, false)
	_, _, ss := s.integrated()
	jobs := func() int {
		list, err := ss.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, j := range list {
			if j.TenantID == s.env.Tenant.ID {
				n++
			}
		}
		return n
	}
	s.signIn(s.adminUser, s.adminPass)
	s.open("/admin/integrations")
	rc := remote.Creds
	s.fill("#name", "Upstream", "#username", rc.Username, "#secret", rc.Secret, "#integrationCode", rc.IntegrationCode, "#baseUrl", remote.Server.URL+"/ATServicesRest/")
	s.press("form button[type=submit].primary")
	s.mustSee("Connection was established")
	s.press("nav.tabs a[href='/admin/integrations/sync']")
	s.mustSee("Sync jobs", "No sync jobs yet")

	add := "form input[value=add] ~ div.actions button.primary"
	s.press(add)
	s.mustSee("Name the job.", "Choose the connection to copy from")
	s.fill("#syncname", "Mirror of upstream", "#companyTypes", "No Such Type", "#schedule", "0")
	s.set("#connection", "Upstream")
	s.press(add)
	s.mustSee(`The remote has no company type "No Such Type"`)
	if v := s.value("#syncname"); v != "Mirror of upstream" {
		t.Fatalf("the typed name was lost: %q", v)
	}
	s.set("#schedule", "-3")
	s.press(add)
	s.mustSee("Enter a whole number from 0 to 10080.")
	s.shot("sync-errors")
	if n := jobs(); n != 0 {
		t.Fatalf("bad input saved %d job(s)", n)
	}

	s.set("#schedule", "0")
	s.set("#companyTypes", "")
	s.press(add)
	s.mustSee("Sync job Mirror of upstream was added.", "Mirror of upstream", "Never run", "Manual only")
	if n := jobs(); n != 1 {
		t.Fatalf("%d jobs after adding one", n)
	}
	s.press("#syncjobs button[value=run]")
	s.mustSee("Sync finished", "Mirror of upstream", "created")
	s.mustSee("Companies")
	s.shot("sync")
	j, err := ss.Get(context.Background(), "Mirror of upstream")
	if err != nil || j.Status.State != sync.StateOK || j.Status.Counts["Companies"] == nil || j.Status.Counts["Companies"].Created == 0 {
		t.Fatalf("after Sync now the job is %+v (%v)", j, err)
	}
	// The copied records are in this tenant.
	st, body := api(t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/Companies/query", s.env.Creds.Username, s.env.Creds.Secret, s.env.Creds.IntegrationCode,
		`{"filter":[{"op":"eq","field":"companyName","value":"Acme Dental Group"}]}`)
	if st != http.StatusOK || len(items(body)) != 1 {
		t.Fatalf("the synced company through the API: %d %v", st, body)
	}
	if !strings.Contains(s.text(), "OK") {
		t.Fatal("the job's row does not say OK after the run")
	}
	s.press("#syncjobs button[value=pause]")
	s.mustSee("is paused", "Paused", "Resume")
	s.noPageScroll("/admin/integrations/sync", "#syncjobs")
	s.noPageScroll("/admin/integrations", "")
	s.noPageScroll("/admin/api-usage", "")
	s.noPageScroll("/desk/tickets", "")
	s.noPageScroll("/admin/resources", "")
	s.chartReadable()
}

func ptr(s string) *string { return &s }
