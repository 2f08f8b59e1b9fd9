package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/sync"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
	"github.com/switchboard-psa/switchboard/internal/web"
)

// Integrations › Mailboxes and Sync jobs act for the signed-in tenant only: another tenant's
// mailbox or job is not listed, and a form naming it is "not found" and changes nothing; a
// form without its CSRF token saves nothing; script typed in a field comes back as text.
// Plain HTTP, SQLite and PostgreSQL.
func TestMailboxesAndSyncJobsTenantIsolation(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env, adminA := consoleOn(t, b, true)
			tenantB, err := env.PSA.CreateTenant(context.Background(), "Other "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			conns := newConnections(t, env.PSA.DB)
			ms, ss := mail.NewService(env.PSA, conns, nil), sync.New(env.PSA, conns, nil)
			handler, _ := server.New(env.PSA, server.Options{Version: "test", Web: web.Options{Connections: conns, Mail: ms, Sync: ss}})
			srv := httptest.NewServer(handler)
			t.Cleanup(srv.Close)
			ctx := context.Background()

			// B's mailbox, connection and sync job (the remote is this server's own tenant A).
			suffix := testsupport.RandomHex(3)
			boxB, connB, jobB := "desk-"+suffix+"@b.example", "B remote "+suffix, "B job "+suffix
			mb, err := ms.AddMailbox(ctx, mail.MailboxChange{Address: &boxB, Tenant: &tenantB.Name})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conns.Add(ctx, connection.Input{Name: connB, Username: env.Creds.Username, Secret: env.Creds.Secret, IntegrationCode: env.Creds.IntegrationCode,
				BaseURL: srv.URL + "/ATServicesRest/", TenantID: tenantB.ID}, false); err != nil {
				t.Fatal(err)
			}
			manual := 0
			if _, err := ss.Add(ctx, sync.AddInput{Name: jobB, Connection: connB, Tenant: tenantB.Name, ScheduleMinutes: &manual}); err != nil {
				t.Fatal(err)
			}

			a := signedIn(t, srv.URL, adminA.Username, adminPassword)
			st, _, body := a.get("/admin/integrations/mailboxes")
			if st != http.StatusOK || strings.Contains(body, boxB) || !strings.Contains(body, "No mailboxes yet") {
				t.Fatalf("A's Mailboxes page shows B's mailbox: %d\n%s", st, body)
			}
			st, _, body = a.get("/admin/integrations/sync")
			if st != http.StatusOK || strings.Contains(body, jobB) || strings.Contains(body, connB) || !strings.Contains(body, "No sync jobs yet") {
				t.Fatalf("A's Sync jobs page shows B's: %d\n%s", st, body)
			}
			tok := a.csrf("/admin/integrations/mailboxes")
			for _, action := range []string{"disable", "poll", "remove"} {
				st, _, body := a.post("/admin/integrations/mailboxes", url.Values{"csrf": {tok}, "action": {action}, "id": {strconv.FormatInt(mb.ID, 10)}})
				if st != http.StatusNotFound || !strings.Contains(body, "There is no such mailbox") {
					t.Errorf("A %s B's mailbox: %d, want 404", action, st)
				}
			}
			if m, err := ms.Mailbox(ctx, boxB); err != nil || !m.Active {
				t.Errorf("B's mailbox after A's forged forms: %+v %v", m, err)
			}
			for _, action := range []string{"run", "pause", "remove"} {
				st, _, body := a.post("/admin/integrations/sync", url.Values{"csrf": {tok}, "action": {action}, "name": {jobB}})
				if st != http.StatusNotFound || !strings.Contains(body, "There is no such sync job") {
					t.Errorf("A %s B's job: %d, want 404", action, st)
				}
			}
			if j, err := ss.Get(ctx, jobB); err != nil || j.Paused || j.Status.State != sync.StateNever {
				t.Errorf("B's job after A's forged forms: %+v %v", j, err)
			}
			// A job of A's over B's connection: refused beside the field, nothing saved.
			st, _, body = a.post("/admin/integrations/sync", url.Values{"csrf": {tok}, "action": {"add"}, "name": {"Stolen " + suffix}, "connection": {connB}, "schedule": {"0"}, "fullPass": {"24"}})
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, "There is no connection named") {
				t.Errorf("A adds a job over B's connection: %d\n%s", st, body)
			}
			if _, err := ss.Get(ctx, "Stolen "+suffix); err == nil {
				t.Error("a job over B's connection was saved")
			}

			// No CSRF token: refused, nothing saved.
			for path, form := range map[string]url.Values{
				"/admin/integrations/mailboxes": {"action": {"add"}, "address": {"nocsrf-" + suffix + "@a.example"}, "kind": {"smtp"}},
				"/admin/integrations/sync":      {"action": {"add"}, "name": {"No CSRF " + suffix}, "connection": {connB}},
			} {
				if st, _, body := a.post(path, form); st != http.StatusForbidden || !strings.Contains(body, "The form expired or did not come from this site") {
					t.Errorf("POST %s without CSRF: %d", path, st)
				}
			}
			if _, err := ms.Mailbox(ctx, "nocsrf-"+suffix+"@a.example"); err == nil {
				t.Error("a mailbox was saved without a CSRF token")
			}

			// Script typed in a field is shown as text, and nothing is saved.
			st, _, body = a.post("/admin/integrations/mailboxes", url.Values{"csrf": {tok}, "action": {"add"}, "address": {`<script>alert(1)</script>@a.example`}, "kind": {"smtp"},
				"status": {"1"}, "priority": {"2"}, "source": {"2"}, "rateLimit": {"20"}})
			if st != http.StatusUnprocessableEntity || strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;@a.example") {
				t.Errorf("script in the address: %d\n%s", st, body)
			}
			if list, _ := ms.Mailboxes(ctx, env.Tenant.ID); len(list) != 0 {
				t.Errorf("bad input saved %d mailboxes", len(list))
			}

			// The company of unknown senders is typed by name: one no company has is refused
			// beside the field.
			own := "help-" + suffix + "@a.example"
			st, _, body = a.post("/admin/integrations/mailboxes", url.Values{"csrf": {tok}, "action": {"add"}, "address": {own}, "kind": {"smtp"},
				"status": {"1"}, "priority": {"2"}, "source": {"2"}, "rateLimit": {"5"}, "fallback": {""}, "fallbackText": {"Nowhere Dental Co"}})
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, `id="fallback-error" role="alert">No company is named “Nowhere Dental Co”.`) {
				t.Errorf("an unknown company of unknown senders: %d\n%s", st, body)
			}
			if list, _ := ms.Mailboxes(ctx, env.Tenant.ID); len(list) != 0 {
				t.Errorf("a mailbox with an unknown company was saved")
			}

			// A's own SMTP mailbox: added for A's tenant, disabled, removed.
			if st, loc, _ := a.post("/admin/integrations/mailboxes", url.Values{"csrf": {tok}, "action": {"add"}, "address": {own}, "kind": {"smtp"}, "queue": {"0"},
				"status": {"1"}, "priority": {"2"}, "source": {"2"}, "fallback": {""}, "fallbackText": {"acme dental group"}, "rateLimit": {"5"}, "domains": {"acme-mail.example=0"}}); st != http.StatusSeeOther || !strings.Contains(loc, "was+added") {
				t.Fatalf("A adds a mailbox: %d %s", st, loc)
			}
			m, err := ms.Mailbox(ctx, own)
			if acme := oneID(t, env, "Companies", "companyName", "Acme Dental Group"); err != nil || m.FallbackCompanyID != acme {
				t.Fatalf("the mailbox's company of unknown senders: %+v %v, want Acme Dental Group (%d)", m, err, acme)
			}
			if err != nil || m.TenantID != env.Tenant.ID || m.Kind != mail.KindSMTP || m.RateLimit != 5 || m.Domains["acme-mail.example"] != 0 || len(m.Domains) != 1 {
				t.Fatalf("A's mailbox: %+v %v", m, err)
			}
			if st, _, _ := a.post("/admin/integrations/mailboxes", url.Values{"csrf": {tok}, "action": {"disable"}, "id": {strconv.FormatInt(m.ID, 10)}}); st != http.StatusSeeOther {
				t.Errorf("A disables its mailbox: %d", st)
			}
			if m, _ := ms.Mailbox(ctx, own); m == nil || m.Active {
				t.Errorf("A's mailbox is still active: %+v", m)
			}
		})
	}
}

// New Ticket's "Primary resource (role)" offers active people with their own roles, never an
// API-only user; a forged value is refused in place by the psa service's rule, a malformed one
// by the page, and neither saves a ticket. A good one assigns resource and role together.
func TestNewTicketAssignment(t *testing.T) {
	env, adm := consoleOn(t, testsupport.SQLite, true)
	c := signedIn(t, env.Server.URL, adm.Username, adminPassword)
	// The demo's administrator can be assigned in both of their roles: Administrator and Technician.
	if _, _, page := c.get("/desk/tickets/new"); !strings.Contains(page, `<option value="1:2" >Administrator Account · Administrator</option>`) ||
		!strings.Contains(page, `<option value="1:1" >Administrator Account · Technician</option>`) {
		t.Fatalf("the demo's administrator is not offered in both roles:\n%s", page)
	}
	// Without a department/role association no one can be assigned, and the page says why.
	none := []admin.DepartmentRole{}
	if _, err := env.PSA.EditResource(env.Ctx(), "1", admin.ResourceChange{Departments: &none}); err != nil {
		t.Fatal(err)
	}
	if _, _, page := c.get("/desk/tickets/new"); !strings.Contains(page, "No one can be assigned yet") || strings.Contains(page, "<optgroup") {
		t.Fatalf("the list without associations:\n%s", page)
	}
	deps := []admin.DepartmentRole{{DepartmentID: 2, RoleID: 2, Default: true}}
	if _, err := env.PSA.EditResource(env.Ctx(), "1", admin.ResourceChange{Departments: &deps}); err != nil {
		t.Fatal(err)
	}
	_, _, page := c.get("/desk/tickets/new")
	apiUser := strconv.FormatInt(env.Creds.ResourceID, 10)
	if strings.Contains(page, `value="`+apiUser+`:`) || !strings.Contains(page, `<optgroup label="Administrator Account">`) || strings.Contains(page, `value="1:1"`) {
		t.Fatalf("the assignment list offers the API user, or a role the administrator no longer has, or not the administrator:\n%s", page)
	}
	tok := c.csrf("/desk/tickets/new")
	form := func(title, assign string) url.Values {
		return url.Values{"csrf": {tok}, "company": {"0"}, "title": {title}, "status": {"1"}, "priority": {"2"}, "queue": {"8"}, "assign": {assign}}
	}
	count := func(title string) int {
		_, body := api(t, env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/Tickets/query", env.Creds.Username, env.Creds.Secret, env.Creds.IntegrationCode,
			`{"filter":[{"op":"eq","field":"title","value":"`+title+`"}]}`)
		return len(items(body))
	}
	if st, _, body := c.post("/desk/tickets/new", form("Forged assignment", apiUser+":1")); st != http.StatusUnprocessableEntity || !strings.Contains(body, "API-only user cannot be the assigned resource") {
		t.Errorf("an API user as the assignee: %d\n%s", st, body)
	}
	if st, _, body := c.post("/desk/tickets/new", form("Forged assignment", "1;drop")); st != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose a resource and role from the list.") {
		t.Errorf("a malformed assignee: %d\n%s", st, body)
	}
	// A role the resource does not have is refused by the psa service, beside the field.
	if st, _, body := c.post("/desk/tickets/new", form("Forged assignment", "1:1")); st != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "The resource (assignedResourceID 1) does not have the role (assignedResourceRoleID 1)") {
		t.Errorf("a role the resource does not have: %d\n%s", st, body)
	}
	if n := count("Forged assignment"); n != 0 {
		t.Fatalf("a forged assignment saved %d ticket(s)", n)
	}
	st, loc, _ := c.post("/desk/tickets/new", form("Assigned at creation", "1:2"))
	if st != http.StatusSeeOther {
		t.Fatalf("create with an assignee: %d", st)
	}
	_, _, body := c.get(loc)
	if !strings.Contains(body, `<option value="1:2" selected>`) {
		t.Errorf("the new ticket's page does not show the assignment:\n%s", body)
	}
	// On the ticket's own page a role the resource does not have is refused beside the
	// assignment, and the ticket keeps the one it has.
	upd := url.Values{"csrf": {c.csrf(loc)}, "action": {"update"}, "assign": {"1:1"}}
	st, _, body = c.post(strings.SplitN(loc, "?", 2)[0], upd)
	msg := `<span class="field-error" role="alert">The resource (assignedResourceID 1) does not have the role (assignedResourceRoleID 1)`
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, msg) || !strings.Contains(body, `<option value="1:2" selected>`) {
		t.Errorf("a forged assignment on the ticket's page: %d\n%s", st, body)
	}
}

// Integrations › Mailboxes counts each mailbox's own log: tickets, notes, held and failed
// messages with the last failure, the time of the last mail, and a dash for one with none;
// another tenant's mail is not counted. Plain HTTP, SQLite and PostgreSQL.
func TestMailboxesPageCounts(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env, adminA := consoleOn(t, b, true)
			tenantB, err := env.PSA.CreateTenant(context.Background(), "Other "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ms := mail.NewService(env.PSA, nil, nil)
			handler, _ := server.New(env.PSA, server.Options{Version: "test", Web: web.Options{Mail: ms}})
			srv := httptest.NewServer(handler)
			t.Cleanup(srv.Close)
			ctx := context.Background()
			suffix := testsupport.RandomHex(3)
			missing := int64(987654)
			add := func(name, tenant string, ch mail.MailboxChange) (string, *store.Mailbox) {
				addr := name + "-" + suffix + "@a.example"
				ch.Address, ch.Tenant = &addr, &tenant
				if _, err := ms.AddMailbox(ctx, ch); err != nil {
					t.Fatal(err)
				}
				rec, err := env.PSA.DB.MailboxByAddress(ctx, addr)
				if err != nil {
					t.Fatal(err)
				}
				return addr, rec
			}
			receive := func(mb *store.Mailbox, from, subject string) *mail.Entry {
				raw := "From: " + from + "\r\nTo: " + mb.Address + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + testsupport.RandomHex(6) +
					"@test>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n\r\nHello.\r\n"
				e, err := ms.Receive(ctx, mb, []byte(raw), "")
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			off := false
			busy, busyRec := add("busy", env.Tenant.Name, mail.MailboxChange{})
			broken, brokenRec := add("broken", env.Tenant.Name, mail.MailboxChange{Fallback: &missing})
			paused, pausedRec := add("paused", env.Tenant.Name, mail.MailboxChange{Active: &off})
			quiet, _ := add("quiet", env.Tenant.Name, mail.MailboxChange{})
			_, otherRec := add("other", tenantB.Name, mail.MailboxChange{})
			first := receive(busyRec, "x@one.example", "Printer down")
			receive(busyRec, "y@two.example", "Scanner down")
			if e := receive(busyRec, "x@one.example", "Re: "+first.TicketNumber); e.Outcome != mail.OutcomeNote {
				t.Fatalf("a reply: %+v", e)
			}
			last := receive(busyRec, "z@three.example", "Fax down")
			if e := receive(brokenRec, "x@one.example", "Lost"); e.Outcome != mail.OutcomeFailed {
				t.Fatalf("to the broken mailbox: %+v", e)
			}
			receive(pausedRec, "x@one.example", "Anyone?")
			for range 4 {
				receive(otherRec, "x@one.example", "Not A's "+testsupport.RandomHex(2))
			}

			a := signedIn(t, srv.URL, adminA.Username, adminPassword)
			st, _, body := a.get("/admin/integrations/mailboxes")
			if st != http.StatusOK || strings.Contains(body, "other-"+suffix) {
				t.Fatalf("the Mailboxes page: %d\n%s", st, body)
			}
			num := regexp.MustCompile(`<td class="num">(.*?)</td>`)
			row := func(addr string) (cells []string, rest string) {
				i := strings.Index(body, `<td class="mono nobreak">`+addr+`</td>`)
				if i < 0 {
					t.Fatalf("no row for %s", addr)
				}
				r := body[i : i+strings.Index(body[i:], "</tr>")]
				for _, m := range num.FindAllStringSubmatch(r, -1) {
					cells = append(cells, m[1])
				}
				return cells, r
			}
			for _, c := range []struct {
				addr                         string
				tickets, notes, held, failed string
				last                         string
			}{
				{busy, "3", "1", "0", "0", last.ReceivedAt.UTC().Format("2006-01-02 15:04")},
				{broken, "0", "0", "0", `<span class="badge bad" title="`, "Last failure: create ticket"},
				{paused, "0", "0", "1", "0", ""},
				{quiet, "0", "0", "0", "0", "<td>—</td>"},
			} {
				cells, r := row(c.addr)
				if len(cells) != 4 || cells[0] != c.tickets || cells[1] != c.notes || cells[2] != c.held || !strings.HasPrefix(cells[3], c.failed) || !strings.Contains(r, c.last) {
					t.Errorf("%s: %q\n%s", c.addr, cells, r)
				}
			}
		})
	}
}
