package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
	"github.com/switchboard-psa/switchboard/internal/web"
)

// The seed flows, driven in Chromium as a person follows the articles.

// Seeds 000-002: Admin › Resources/Users › + New › New API User, Generate Key, Generate
// Secret, Integration Vendor, Save & Close; then the integration calls the REST API with
// exactly the values the page showed.
func TestBrowserNewAPIUser(t *testing.T) {
	s := newSite(t)
	s.open("/")
	if !strings.Contains(s.location(), "/signin") {
		t.Fatalf("signed out, / went to %s, want the sign-in page", s.location())
	}
	s.shot("signin")
	s.signIn(s.adminUser, s.adminPass)
	s.mustSee("Good to see you", "Recently updated tickets")
	s.shot("home")
	s.open("/admin")
	s.mustSee("Account Settings & Users", "Resources/Users", "Security Levels")
	s.shot("admin")
	s.open("/admin/resources")
	s.shot("resources")
	s.run(chromedp.Click(chromedp.CSS("details.split summary")), chromedp.Click(chromedp.CSS("a[href='/admin/apiusers/new']")))
	s.run(chromedp.WaitVisible(chromedp.CSS("#firstName")))
	s.mustSee("General", "Credentials", "API Tracking Identifier")
	s.fill("#firstName", "MSPintegrations", "#lastName", "API", "#email", "mspintegrations@yourdomain.example")
	s.run(chromedp.Click(chromedp.CSS("button[data-generate=key]")), chromedp.Click(chromedp.CSS("button[data-generate=secret]")), chromedp.Sleep(400*time.Millisecond))
	key, secret := s.value("#username"), s.value("#secret")
	if key == "" || secret == "" {
		t.Fatalf("Generate Key / Generate Secret left the fields empty: %q %q", key, secret)
	}
	s.set("#vendor", "MSPintegrations - Email2AT")
	s.shot("apiuser-new")
	s.submit("form button[type=submit].primary")
	s.mustSee("API user created", "Copy the secret now", "MSPintegrations - Email2AT")
	s.shot("apiuser-created")
	user := get(s, chromedp.Text(chromedp.CSS("#cred-username")))
	shownSecret := get(s, chromedp.Text(chromedp.CSS("#cred-secret")))
	code := get(s, chromedp.Text(chromedp.CSS("#cred-code")))
	if user != key || shownSecret != secret {
		t.Fatalf("saved credentials %q/%q differ from the generated %q/%q", user, shownSecret, key, secret)
	}
	status, body := api(t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/Companies/query", user, shownSecret, code, `{"filter":[{"op":"exist","field":"id"}]}`)
	if status != http.StatusOK || len(items(body)) == 0 {
		t.Fatalf("REST API with the new API user: %d %v", status, body)
	}
	// The secret is shown once: the API user's page does not show it.
	s.open("/admin/resources?kind=api&q=MSPintegrations")
	s.mustSee("MSPintegrations API")
	s.press("#restable tbody a")
	s.mustSee("MSPintegrations - Email2AT", code)
	s.mustNotSee(shownSecret)
	s.shot("apiuser")
	// API usage: the calls above, by tracking identifier and by API user.
	if err := s.env.Parts.FlushUsage(s.env.Ctx()); err != nil {
		t.Fatal(err)
	}
	s.open("/admin/api-usage")
	s.mustSee("API Usage", "MSPintegrations - Email2AT", "Failed sign-ins")
	if n := get(s, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart rect").length`)); n == 0 {
		t.Fatal("the usage chart has no bars")
	}
	s.shot("api-usage")
	s.open("/admin/api-usage?by=user")
	s.mustSee(user)
	s.open("/admin/vendors")
	s.mustSee("Work 365 Sync", "Datto File Protection & Datto Workplace")
	s.shot("vendors")
	s.open("/admin/settings")
	s.shot("settings")
	s.open("/admin/integrations")
	s.shot("integrations")
}

var _ = fmt.Sprint
var _ = admin.TileDays

// Seed 003 (Work 365): copy "API User (system)", No Permission on every section, grant one
// read; an API user of the copy may read that and nothing else.
func TestBrowserCopySecurityLevel(t *testing.T) {
	s := newSite(t)
	s.signIn(s.adminUser, s.adminPass)
	s.open("/admin/security-levels")
	s.shot("security-levels")
	s.set("#source", "API User (system) (API-only)")
	s.fill("#name", "Work 365 API User")
	s.press("form#copy button[type=submit]")
	s.mustSee("Work 365 API User", "No Permission", "Full Permission")
	sections := get(s, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("section.panel")).map(e => e.id)`))
	if len(sections) != len(access.SectionNames) {
		t.Fatalf("%d sections on the page, want %d", len(sections), len(access.SectionNames))
	}
	for _, id := range sections {
		s.press("#" + id + " button[value=nopermission]")
		s.mustSee("Saved.")
	}
	// Grant one read: CRM › Companies, View All.
	s.set("#o-crm", "Companies")
	s.set("#v-crm", "All")
	s.press("#edit-crm button[type=submit]")
	s.mustSee("Saved.")
	s.shot("security-level")
	lvl, err := s.env.PSA.SecurityLevel(s.env.Ctx(), "Work 365 API User")
	if err != nil {
		t.Fatal(err)
	}
	for sec, objects := range lvl.Grid(s.env.PSA.Catalog).Sections {
		for o, p := range objects {
			if want := (o == "Companies"); (p.View == access.All) != want || p.Add || p.Edit != access.None || p.Delete != access.None {
				t.Fatalf("%s › %s is %+v after No Permission everywhere and one read", sec, o, p)
			}
		}
	}
	for _, pg := range []string{"org", "picklists", "udfs"} {
		s.open("/admin/" + pg)
		s.shot(pg)
	}
	s.mustSee("Customer Number")
	creds, err := s.env.PSA.CreateAPIUser(s.env.Ctx(), admin.NewAPIUser{FirstName: "Work", LastName: "365", SecurityLevel: "Work 365 API User"})
	if err != nil {
		t.Fatal(err)
	}
	q := `{"filter":[{"op":"exist","field":"id"}]}`
	if st, body := api(t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/Companies/query", creds.Username, creds.Secret, creds.IntegrationCode, q); st != http.StatusOK || len(items(body)) == 0 {
		t.Fatalf("the granted read: %d %v", st, body)
	}
	for _, coll := range []string{"Contacts", "Tickets", "ConfigurationItems"} {
		st, body := api(t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/"+coll+"/query", creds.Username, creds.Secret, creds.IntegrationCode, q)
		if st == http.StatusOK && len(items(body)) > 0 {
			t.Fatalf("%s read with No Permission: %d, %d items", coll, st, len(items(body)))
		}
	}
	if st, _ := api(t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/Companies", creds.Username, creds.Secret, creds.IntegrationCode,
		`{"companyName":"Nope","companyType":1,"phone":"1","ownerResourceID":1}`); st == http.StatusOK {
		t.Fatalf("company created with view-only permission")
	}
}

// Seed 001 (second half) and 004: New Resource with a typed username and password and its
// associations; the resource signs in. A technician's level does not open the admin pages.
func TestBrowserNewResourceSignsIn(t *testing.T) {
	s := newSite(t)
	s.signIn(s.adminUser, s.adminPass)
	s.open("/admin/resources/new")
	s.fill("#firstName", "Tess", "#lastName", "Tech", "#email", "tess@msp.example", "#username", "tess.tech", "#password", "Str0ng-Pass!", "#confirm", "Str0ng-Pass!", "#internalCost", "45.50")
	s.set("#securityLevel", "Team Member (system)")
	s.set("#department", "1")
	s.set("#role", "1")
	s.run(chromedp.SetAttributeValue(chromedp.CSS("#queues option[value='8']"), "selected", "selected"))
	s.shot("resource-new")
	s.submit("form button[type=submit].primary")
	s.mustSee("The resource was created.", "tess.tech", "Team Member (system)")
	s.shot("resource")
	res, err := s.env.PSA.Resource(s.env.Ctx(), "tess.tech")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Departments) != 1 || res.Departments[0].RoleID != 1 || len(res.Queues) != 1 || res.InternalCost == nil || *res.InternalCost != 45.5 {
		t.Fatalf("associations not saved: %+v", res)
	}
	s.signOut()
	s.mustSee("You are signed out.")
	s.signIn("tess.tech", "Str0ng-Pass!")
	s.mustSee("Good to see you, Tess")
	s.mustNotSee("Admin\n")
	s.open("/admin/resources")
	s.mustSee("No permission", "does not allow the admin pages")
	s.open("/desk/tickets")
	s.mustSee("Tickets", "Printer offline")
	s.shot("tickets")
	s.press("table tbody a")
	s.mustSee("Description", "Notes", "Status & assignment")
	s.shot("ticket")
	// A technician creates a ticket, assigns it (resource and role together), notes it and
	// changes its status; the API sees all of it.
	s.open("/desk/tickets/new")
	s.press("form button[type=submit].primary")
	s.mustSee("Choose the company.", "Enter a title.")
	// Typing in the company field offers suggestions; choosing one sets the company.
	acme := oneID(t, s.env, "Companies", "companyName", "Acme Dental Group")
	s.run(chromedp.SendKeys(chromedp.CSS("#company"), "dental"))
	offered := ""
	for i := 0; i < 50 && offered == ""; i++ {
		s.run(chromedp.Sleep(100 * time.Millisecond))
		offered = get(s, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("#company-list option")).map(o => o.value).join("|")`))
	}
	if offered != "Acme Dental Group" {
		t.Fatalf("typing “dental” in the company field offers %q, want Acme Dental Group", offered)
	}
	s.set("#company", "Acme Dental Group") // what choosing the suggestion puts in the field
	if got := s.value("#company-id"); got != fmt.Sprint(acme) {
		t.Fatalf("choosing the suggestion sets company id %q, want %d", got, acme)
	}
	// The contact field then suggests that company's contacts only.
	s.run(chromedp.SendKeys(chromedp.CSS("#contact"), "a"))
	s.run(chromedp.SendKeys(chromedp.CSS("#contact"), "r"))
	offered = ""
	for i := 0; i < 50 && offered == ""; i++ {
		s.run(chromedp.Sleep(100 * time.Millisecond))
		offered = get(s, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("#contact-list option")).map(o => o.value.split(" <")[0]).join("|")`))
	}
	if offered != "Alice Archer" {
		t.Fatalf("typing “ar” in the contact field of Acme Dental Group offers %q, want Alice Archer only (not Carol Chen of Brightside Logistics)", offered)
	}
	s.set("#contact", "")
	s.fill("#title", "Laptop will not boot", "#description", "Black screen after the update.")
	s.shot("ticket-new")
	s.press("form button[type=submit].primary")
	s.mustSee("The ticket was created.", "Laptop will not boot", "Acme Dental Group")
	c0 := s.env.Creds
	// "Assign to" offers resource and role together: active people with the roles they hold,
	// never an API-only user.
	opts := get(s, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#assign option")].map(o => o.value + "=" + o.textContent)`))
	for _, o := range opts {
		if strings.Contains(o, c0.Username) || strings.Contains(o, "API User") {
			t.Fatalf("the assignment list offers an API user: %q", opts)
		}
	}
	tess := []string{}
	for _, o := range opts {
		if strings.HasPrefix(o, fmt.Sprint(res.ID)+":") {
			tess = append(tess, o)
		}
	}
	if len(tess) != 1 || !strings.HasPrefix(tess[0], fmt.Sprintf("%d:1=Tess Tech · ", res.ID)) {
		t.Fatalf("Tess should be offered with her one role only: %q", tess)
	}
	s.set("#assign", fmt.Sprintf("%d:1", res.ID))
	s.set("#status", "8")
	s.press("form input[value=update] ~ div.actions button")
	s.mustSee("Saved.", "Tess Tech")
	s.fill("#note", "Reinstalled the graphics driver.")
	s.press("form input[value=note] ~ div.actions button")
	s.mustSee("Saved.", "Reinstalled the graphics driver.")
	c := s.env.Creds
	st, body := api(t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/Tickets/query", c.Username, c.Secret, c.IntegrationCode, `{"filter":[{"op":"eq","field":"title","value":"Laptop will not boot"}]}`)
	if st != http.StatusOK || len(items(body)) != 1 {
		t.Fatalf("console ticket through the API: %d %v", st, body)
	}
	tk := items(body)[0].(map[string]any)
	if tk["assignedResourceID"] != float64(res.ID) || tk["assignedResourceRoleID"] != float64(1) || tk["status"] != float64(8) {
		t.Fatalf("assignment and status not saved: %v", tk)
	}
	s.open("/crm/companies")
	s.mustSee("Acme Dental Group")
	s.shot("companies")
	s.press("#ltable tbody a")
	s.mustSee("Tickets", "Contacts", "Configuration items")
	s.shot("company")
	s.open("/crm/cis")
	s.mustSee("Configuration Items", "Server", "Workstation") // the type column names ConfigurationItemTypes rows
	s.shot("cis")
}

// Seed 000 (Workspace 365): a contact opens a ticket's deep link signed out, signs in, comes
// back to it, adds a note and creates a ticket; both are seen through the API. The tile shows
// the contact's tickets, signed in and through an API user with ?email=.
func TestBrowserPortalAndTile(t *testing.T) {
	s := newSite(t)
	ctx := s.env.Ctx()
	// The administrator enables portal access on the contact's page.
	s.signIn(s.adminUser, s.adminPass)
	s.open("/crm/contacts?q=alice")
	s.shot("contacts")
	s.press("#ctable tbody a")
	s.fill("#password", "Portal-Pass-1", "#confirm", "Portal-Pass-1")
	s.submit("form button[type=submit].primary")
	s.mustSee("Client portal access saved.", "Enabled")
	s.shot("contact")
	s.signOut()

	_, list, err := s.env.PSA.MyTickets(ctx, "alice.archer@acmedental.example", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("demo contact has no tickets")
	}
	id := list[0].ID
	s.open(fmt.Sprintf("/clientportal/servicetickets/serviceticketdetail.aspx?TicketID=%d", id))
	if !strings.Contains(s.location(), "/ClientPortal/Login.aspx") {
		t.Fatalf("signed-out deep link went to %s", s.location())
	}
	s.mustSee("Sign in to see this page.")
	s.shot("portal-signin")
	s.fill("#email", "alice.archer@acmedental.example", "#password", "Portal-Pass-1")
	s.submit("form.signin button[type=submit]")
	if !strings.Contains(strings.ToLower(s.location()), fmt.Sprintf("ticketid=%d", id)) {
		t.Fatalf("after sign-in: %s, want the deep-linked ticket", s.location())
	}
	s.mustSee(list[0].Title, "Add a note")
	s.fill("#note", "Still broken after the restart <script>window.__pwned=1</script>")
	s.submit("form.panel button[type=submit]")
	s.mustSee("Your note was added.", "Still broken after the restart <script>window.__pwned=1</script>")
	if v := get(s, chromedp.Evaluate[bool](`window.__pwned === 1`)); v {
		t.Fatal("script in a note ran")
	}
	s.shot("portal-ticket")
	s.open("/ClientPortal/ServiceTickets/NewTicket.aspx")
	// The portal's own words for a missing title (the console says "Enter a title.").
	s.submit("form.panel button[type=submit].primary")
	s.mustSee("Enter a title: a few words that say what is wrong.")
	s.fill("#title", "Scanner jams", "#description", "The scanner at reception jams on every page.")
	s.shot("portal-new")
	s.submit("form.panel button[type=submit].primary")
	s.mustSee("Your ticket was created.", "Scanner jams")
	s.open("/ClientPortal/")
	s.mustSee("Scanner jams")
	s.shot("portal-home")
	// Both through the API.
	c := s.env.Creds
	st, body := api(t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/Tickets/query", c.Username, c.Secret, c.IntegrationCode, `{"filter":[{"op":"eq","field":"title","value":"Scanner jams"}]}`)
	if st != http.StatusOK || len(items(body)) != 1 {
		t.Fatalf("new portal ticket through the API: %d %v", st, body)
	}
	st, body = api(t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/TicketNotes/query", c.Username, c.Secret, c.IntegrationCode, fmt.Sprintf(`{"filter":[{"op":"eq","field":"ticketID","value":%d}]}`, id))
	if st != http.StatusOK || !strings.Contains(fmt.Sprint(body), "Still broken after the restart") {
		t.Fatalf("portal note through the API: %d %v", st, body)
	}
	// Another company's ticket does not exist for the contact.
	_, other, _ := s.env.PSA.MyTickets(ctx, "carol.chen@brightside.example", 0)
	if len(other) == 0 {
		t.Fatal("no ticket of another company")
	}
	s.open(fmt.Sprintf("/ClientPortal/ServiceTickets/ServiceTicketDetail.aspx?ticketId=%d", other[0].ID))
	s.mustSee("Ticket not found")
	s.mustNotSee(other[0].Title)
	// A contact cannot open console pages.
	s.open("/admin/resources")
	if !strings.Contains(s.location(), "/signin") {
		t.Fatalf("portal contact opened a console page: %s", s.location())
	}
	// The tile, signed in to the portal.
	s.open("/tile/my-tickets")
	s.mustSee("My tickets", "Scanner jams", "New ticket")
	s.shot("tile")
	// The tile through an API user with ?email=.
	req, _ := http.NewRequest(http.MethodGet, s.env.URL("/tile/my-tickets.json?email=alice.archer@acmedental.example"), nil)
	req.Header.Set("UserName", c.Username)
	req.Header.Set("Secret", c.Secret)
	req.Header.Set("ApiIntegrationCode", c.IntegrationCode)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tile struct {
		Tickets []struct{ Title, URL string }
		Error   string
	}
	_ = json.NewDecoder(res.Body).Decode(&tile)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || len(tile.Tickets) < 2 || tile.Tickets[0].Title != "Scanner jams" || !strings.Contains(tile.Tickets[0].URL, "ServiceTicketDetail.aspx?ticketId=") {
		t.Fatalf("tile JSON through an API user: %d %+v", res.StatusCode, tile)
	}
	for _, email := range []string{"nobody@nowhere.example", "not-an-email"} {
		req.URL.RawQuery = "email=" + email
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(res.Body).Decode(&tile)
		res.Body.Close()
		if res.StatusCode == http.StatusOK || tile.Error == "" || len(tile.Tickets) != 0 {
			t.Fatalf("tile for %s: %d %+v, want a clear message and no tickets", email, res.StatusCode, tile)
		}
	}
}

// Seed 002 (Datto Workplace): Integrations › Manage Autotask PSA Connection, username and secret,
// Connect: "Connection was established" in place; a wrong secret: "Failed to establish
// connection" with the reason.
func TestBrowserIntegrationConnect(t *testing.T) {
	s := newSite(t)
	handler, _ := server.New(s.env.PSA, server.Options{Version: "test", Web: web.Options{Connections: newConnections(t, s.env.PSA.DB)}})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	s.env = &testsupport.Env{Backend: s.env.Backend, PSA: s.env.PSA, Server: srv, Tenant: s.env.Tenant, Creds: s.env.Creds}
	s.signIn(s.adminUser, s.adminPass)
	s.open("/admin/integrations")
	c := s.env.Creds
	s.fill("#name", "Workplace "+testsupport.RandomHex(3), "#username", c.Username, "#secret", c.Secret, "#integrationCode", c.IntegrationCode, "#baseUrl", srv.URL+"/ATServicesRest/")
	s.press("form button[type=submit].primary")
	s.mustSee("Connection was established")
	s.shot("integrations-connected")
	s.fill("#name", "Broken "+testsupport.RandomHex(3), "#username", c.Username, "#secret", "not-the-secret", "#integrationCode", c.IntegrationCode, "#baseUrl", srv.URL+"/ATServicesRest/")
	s.press("form button[type=submit].primary")
	s.mustSee("Failed to establish connection")
	s.mustNotSee("not-the-secret")
}
