package web_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// count is how many rows of a collection match field = value, read through the psa service.
func (s *site) count(entity, field string, value any) int {
	s.t.Helper()
	return len(rowsWhere(s.t, s.env, entity, field, value))
}

// apiOne reads the one row of a collection with field = value through the REST API.
func (s *site) apiOne(entity, field, value string) map[string]any {
	s.t.Helper()
	c := s.env.Creds
	st, body := api(s.t, s.env.Server.URL, http.MethodPost, "/ATServicesRest/V1.0/"+entity+"/query", c.Username, c.Secret, c.IntegrationCode,
		fmt.Sprintf(`{"filter":[{"op":"eq","field":%q,"value":%q}]}`, field, value))
	if st != http.StatusOK || len(items(body)) != 1 {
		s.t.Fatalf("%s with %s = %q through the API: %d %v", entity, field, value, st, body)
	}
	return items(body)[0].(map[string]any)
}

// forgeCSRF replaces (or, with "", removes) the CSRF token of the form holding sel.
func (s *site) forgeCSRF(form, token string) {
	s.t.Helper()
	js := fmt.Sprintf(`(() => { const i = document.querySelector(%q + " input[name=csrf]"); if (%q === "") { i.remove() } else { i.value = %q }; return true })()`, form, token, token)
	get(s, chromedp.Evaluate[bool](js))
}

// CRM: a technician creates a company and a contact through the forms (the contact from the
// company's page, the company preselected) and edits both; the REST API reads what was typed.
// Empty required fields, an over-long value and a forged or missing CSRF token save nothing
// and say why beside the field; script text is kept and shown as text, never run.
func TestBrowserCompanyAndContactForms(t *testing.T) {
	s := newSite(t)
	s.signIn(s.adminUser, s.adminPass)
	s.open("/crm/companies")
	s.press("a.btn.primary[href='/crm/companies/new']")
	s.mustSee("New Company", "Name", "Type", "Phone", "Account manager (owner)", "Classification", "Active")
	if s.value("#f-companyType") == "" || s.value("#f-ownerResourceID") == "" {
		t.Fatal("New Company does not preselect the default type and the signed-in owner")
	}
	script := `<script>window.__pwned=1</script>Harbour Road 1`
	// Empty name and phone, script text in the address: nothing saved, errors beside the fields.
	s.fill("#f-address1", script, "#f-city", "Rotterdam")
	s.press("#record button[type=submit]")
	s.mustSee("The company was not saved", "Enter a name.", "Enter a phone.")
	if got := s.value("#f-address1"); got != script || s.value("#f-city") != "Rotterdam" {
		t.Fatalf("the form lost what was typed: address %q city %q", got, s.value("#f-city"))
	}
	if n := get(s, chromedp.Evaluate[int](`document.querySelectorAll(".field.has-error #f-companyName, .field.has-error #f-phone").length`)); n != 2 {
		t.Fatalf("%d of the name and phone fields are marked in error, want 2", n)
	}
	s.shot("company-new-errors")
	// Over-long name (past maxlength, as a paste would).
	s.set("#f-companyName", strings.Repeat("N", 101))
	s.fill("#f-phone", "+31 10 555 0100")
	s.press("#record button[type=submit]")
	s.mustSee("At most 100 characters.")
	if s.count("Companies", "city", "Rotterdam") != 0 {
		t.Fatal("a refused company was saved")
	}
	// A forged and a missing CSRF token.
	for _, tok := range []string{"forged-token-forged-token", ""} {
		s.open("/crm/companies/new")
		s.fill("#f-companyName", "Northwind Traders", "#f-phone", "+31 10 555 0100")
		s.forgeCSRF("#record", tok)
		s.press("#record button[type=submit]")
		s.mustSee("Form not accepted", "reload the page")
		if s.count("Companies", "companyName", "Northwind Traders") != 0 {
			t.Fatalf("saved with CSRF token %q", tok)
		}
	}
	s.open("/crm/companies/new")
	s.fill("#f-companyName", "Northwind Traders", "#f-phone", "+31 10 555 0100", "#f-address1", script, "#f-city", "Rotterdam")
	s.fill("#f-webAddress", "https://northwind.example", "#f-postalCode", "3011 AA")
	s.set("#f-classification", "2")
	s.shot("company-new")
	s.press("#record button[type=submit]")
	s.mustSee("The company was saved.", "Northwind Traders", script, "Gold")
	if v := get(s, chromedp.Evaluate[bool](`window.__pwned === 1`)); v {
		t.Fatal("script text in a company field ran")
	}
	s.shot("company-created")
	co := s.apiOne("Companies", "companyName", "Northwind Traders")
	if co["phone"] != "+31 10 555 0100" || co["address1"] != script || co["city"] != "Rotterdam" || co["classification"] != float64(2) || co["isActive"] != true || co["companyType"] != float64(1) {
		t.Fatalf("the company through the API: %v", co)
	}
	id := int64(co["id"].(float64))

	// Edit: the form shows the saved values; a change is saved, a cleared required field is not.
	s.press("#edit")
	if s.value("#f-companyName") != "Northwind Traders" || s.value("#f-address1") != script {
		t.Fatalf("Edit does not show the saved values: %q %q", s.value("#f-companyName"), s.value("#f-address1"))
	}
	s.fill("#f-phone", "")
	s.press("#record button[type=submit]")
	s.mustSee("Enter a phone.")
	s.fill("#f-phone", "+31 10 555 0199")
	s.shot("company-edit")
	s.press("#record button[type=submit]")
	s.mustSee("The company was saved.", "+31 10 555 0199")
	if co := s.apiOne("Companies", "companyName", "Northwind Traders"); co["phone"] != "+31 10 555 0199" {
		t.Fatalf("edited phone through the API: %v", co["phone"])
	}

	// New Contact from the company page: the company is preselected.
	s.press("#new-contact")
	if got, gotID := s.value("#f-companyID"), s.value("#f-companyID-id"); got != "Northwind Traders" || gotID != fmt.Sprint(id) {
		t.Fatalf("New Contact from the company page preselects company %q (%q), want Northwind Traders (%d)", got, gotID, id)
	}
	s.fill("#f-firstName", "Nora", "#f-emailAddress", "nora@northwind.example", "#f-title", "Office manager")
	s.press("#record button[type=submit]")
	s.mustSee("The contact was not saved", "Enter a last name.")
	if s.value("#f-firstName") != "Nora" || s.value("#f-companyID") != "Northwind Traders" || s.value("#f-companyID-id") != fmt.Sprint(id) {
		t.Fatal("the contact form lost what was typed")
	}
	s.shot("contact-new-errors")
	s.fill("#f-lastName", "Nilsen", "#f-mobilePhone", "+31 6 1234 5678")
	s.press("#record button[type=submit]")
	s.mustSee("The contact was saved.", "Nora Nilsen", "Office manager", "Northwind Traders")
	ct := s.apiOne("Contacts", "emailAddress", "nora@northwind.example")
	if ct["companyID"] != float64(id) || ct["firstName"] != "Nora" || ct["lastName"] != "Nilsen" || ct["mobilePhone"] != "+31 6 1234 5678" || ct["isActive"] != float64(1) {
		t.Fatalf("the contact through the API: %v", ct)
	}
	// The portal-access controls still work on the contact's page; then Edit deactivates it.
	s.fill("#password", "Portal-Pass-2", "#confirm", "Portal-Pass-2")
	s.press("form input[value=portal] ~ div.actions button")
	s.mustSee("Client portal access saved.", "Enabled")
	s.press("#edit")
	s.fill("#f-title", "Operations manager")
	s.run(chromedp.Click(chromedp.CSS("#f-isActive")))
	s.shot("contact-edit")
	s.press("#record button[type=submit]")
	s.mustSee("The contact was saved.", "Operations manager", "Inactive")
	if ct := s.apiOne("Contacts", "emailAddress", "nora@northwind.example"); ct["title"] != "Operations manager" || ct["isActive"] != float64(0) {
		t.Fatalf("the edited contact through the API: %v", ct)
	}
	s.open("/crm/contacts")
	s.mustSee("New Contact", "Nora Nilsen")

	// A company whose owner has left: Edit keeps the owner rather than choosing another.
	ctx := s.env.Ctx()
	olga, err := s.env.PSA.CreateResource(ctx, admin.NewResource{FirstName: "Olga", LastName: "Owner", Email: "olga@msp.example", Username: "olga.owner",
		SecurityLevel: access.SystemLevel(access.TeamMemberLevel).Name, LocationID: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := s.env.PSA.Catalog.MustEntity("Companies")
	in := psa.NewInput()
	for k, v := range map[string]any{"companyName": "Olga's Old Account", "companyType": int64(1), "phone": "555 0101", "ownerResourceID": olga.ID} {
		in.Set[e.Index(k)] = v
	}
	cid, err := s.env.PSA.Create(ctx, e, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.env.PSA.DeactivateResource(ctx, "olga.owner"); err != nil {
		t.Fatal(err)
	}
	s.open(fmt.Sprintf("/crm/companies/%d/edit", cid))
	s.mustSee("Olga Owner (inactive)")
	s.fill("#f-phone", "555 0102")
	s.press("#record button[type=submit]")
	s.mustSee("The company was saved.")
	if co := s.apiOne("Companies", "companyName", "Olga's Old Account"); co["ownerResourceID"] != float64(olga.ID) || co["phone"] != "555 0102" {
		t.Fatalf("editing a company of an inactive owner: %v", co)
	}
}

// A level that may not add companies: the page says so, the button is not offered, and a
// submitted form is refused by the service with its message; nothing is saved.
func TestBrowserCompanyFormPermission(t *testing.T) {
	s := newSite(t)
	ctx := s.env.Ctx()
	team := access.SystemLevel(access.TeamMemberLevel).Name
	if _, err := s.env.PSA.CopySecurityLevel(ctx, team, "Team Member without new companies", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.env.PSA.ChangeSecurityLevel(ctx, "Team Member without new companies", admin.LevelChange{Object: "Companies", View: "all", Add: "no", Edit: "none"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.env.PSA.CreateResource(ctx, admin.NewResource{FirstName: "Vic", LastName: "Viewer", Email: "vic@msp.example", Username: "vic.viewer",
		Password: "Str0ng-Pass!", SecurityLevel: "Team Member without new companies", LocationID: 1}); err != nil {
		t.Fatal(err)
	}
	s.signIn("vic.viewer", "Str0ng-Pass!")
	s.open("/crm/companies")
	s.mustNotSee("New Company")
	s.open("/crm/companies/new")
	s.mustSee("does not allow you to add company records")
	s.fill("#f-companyName", "Forbidden Fruit Ltd", "#f-phone", "555")
	s.press("#record button[type=submit]")
	s.mustSee("does not have the adequate permissions")
	if s.count("Companies", "companyName", "Forbidden Fruit Ltd") != 0 {
		t.Fatal("a level without Add created a company")
	}
	s.open("/crm/companies")
	s.press("#ltable tbody a")
	if get(s, chromedp.Evaluate[bool](`document.querySelector("#edit") !== null`)) {
		t.Fatal("a level without Edit is offered Edit on a company")
	}
}

// Admin › Picklists, User-Defined Fields and Site Setup: a value is added, renamed, deactivated
// and activated again; a new UDF is created; the time zone is changed. Bad input is refused in
// place and saves nothing.
func TestBrowserSiteSetupForms(t *testing.T) {
	s := newSite(t)
	ctx := s.env.Ctx()
	s.signIn(s.adminUser, s.adminPass)
	s.open("/admin/picklists")
	s.press("a[href='/admin/picklists/Companies/companyType']")
	s.mustSee("Company types", "Companies.companyType", "Add a value")
	companies := s.env.PSA.Catalog.MustEntity("Companies")
	label := func(l string) (int64, bool, bool) {
		vals, _ := s.env.PSA.Picklist(ctx, companies, "companyType")
		for _, v := range vals {
			if v.Label == l {
				return v.Value, v.IsActive, true
			}
		}
		return 0, false, false
	}
	before, _ := s.env.PSA.Picklist(ctx, companies, "companyType")
	for _, bad := range []struct{ label, msg string }{{"", "needs a label"}, {"lead", "already has a value"}, {strings.Repeat("x", 101), "at most 100 characters"}} {
		s.set("#label", bad.label)
		s.press("#add button[type=submit]")
		s.mustSee(bad.msg)
		if got := s.value("#label"); got != bad.label {
			t.Fatalf("the add form lost what was typed: %q", got)
		}
	}
	if after, _ := s.env.PSA.Picklist(ctx, companies, "companyType"); len(after) != len(before) {
		t.Fatal("a refused value was added")
	}
	s.fill("#label", "Reseller <i>partner</i>")
	s.press("#add button[type=submit]")
	s.mustSee("Added Reseller <i>partner</i>")
	v, active, ok := label("Reseller <i>partner</i>")
	if !ok || !active {
		t.Fatal("the added value is not in the list")
	}
	row := fmt.Sprintf("#v-%d", v)
	s.fill(row+" input[name=label]", "Reseller")
	s.press(row + " form.inline button")
	s.mustSee("Renamed.")
	s.press(row + " button[value=deactivate]")
	s.mustSee("Deactivated")
	if _, active, ok := label("Reseller"); !ok || active {
		t.Fatal("rename and deactivate not saved")
	}
	s.shot("picklist")
	// Renaming to another value's label is refused beside the row, keeping what was typed.
	s.fill(row+" input[name=label]", "Customer")
	s.press(row + " form.inline button")
	s.mustSee("The list already has a value")
	if s.value(row+" input[name=label]") != "Customer" {
		t.Fatal("the rename form lost what was typed")
	}
	s.press(row + " button[value=activate]")
	s.mustSee("Activated.")
	// Configuration item types are rows of their own collection, edited on the same page.
	s.open("/admin/picklists")
	s.mustSee("Configuration item types", "Server")
	s.press("a[href='/admin/picklists/ConfigurationItemTypes/name']")
	s.mustSee("Configuration item types", "ConfigurationItemTypes.name", "Add a value")
	s.fill("#label", " ")
	s.press("#add button[type=submit]")
	s.mustSee("Enter a label.")
	s.fill("#label", "Firewall")
	s.press("#add button[type=submit]")
	s.mustSee("Added Firewall")
	ciTypes := s.env.PSA.Catalog.MustEntity("ConfigurationItemTypes")
	ciType := func(name string) (int64, bool, bool) {
		rows, err := s.env.PSA.RowsWhere(ctx, ciTypes, "name", name)
		if err != nil || len(rows) != 1 {
			return 0, false, false
		}
		active, _ := rows[0].Values[ciTypes.MustIndex("isActive")].(bool)
		return rows[0].ID(ciTypes), active, true
	}
	fw, active, ok := ciType("Firewall")
	if !ok || !active {
		t.Fatal("the configuration item type was not added")
	}
	ciRow := fmt.Sprintf("#v-%d", fw)
	s.fill(ciRow+" input[name=label]", "Firewall appliance")
	s.press(ciRow + " form.inline button")
	s.mustSee("Renamed.")
	s.press(ciRow + " button[value=deactivate]")
	s.mustSee("Deactivated")
	if id, active, ok := ciType("Firewall appliance"); !ok || active || id != fw {
		t.Fatalf("rename and deactivate of the configuration item type not saved: %d %v %v", id, active, ok)
	}
	s.fill(ciRow+" input[name=label]", "")
	s.press(ciRow + " form.inline button")
	s.mustSee("Enter a label.")
	if _, _, ok := ciType("Firewall appliance"); !ok {
		t.Fatal("an empty rename was saved")
	}
	// Sub-issue types need their issue type.
	s.open("/admin/picklists/Tickets/subIssueType")
	s.fill("#label", "Docking station")
	s.press("#add button[type=submit]")
	s.mustSee("Choose the issue type")
	s.set("#parent", "1")
	s.press("#add button[type=submit]")
	s.mustSee("Added Docking station")
	if n := s.env.PSA.Catalog.MustEntity("Tickets"); true {
		vals, _ := s.env.PSA.Picklist(ctx, n, "subIssueType")
		found := false
		for _, x := range vals {
			found = found || (x.Label == "Docking station" && x.Parent != nil && *x.Parent == 1)
		}
		if !found {
			t.Fatal("the sub-issue type was not added under issue type 1")
		}
	}

	// New user-defined field.
	s.open("/admin/udfs")
	s.press("a.btn.primary[href='/admin/udfs/new']")
	s.press("#udf button[type=submit]")
	s.mustSee("The field was not saved", "Enter a name.")
	s.fill("#name", "Customer Number") // the demo's Companies UDF
	s.press("#udf button[type=submit]")
	s.mustSee("already has a user-defined field named")
	s.shot("udf-new")
	s.fill("#name", "Contract Reference", "#defaultValue", "none")
	s.set("#udfType", "6")
	s.press("#udf button[type=submit]")
	s.mustSee("The field Contract Reference was added.", "Contract Reference")
	udfs, err := s.env.PSA.UDFDefinitions(ctx, s.env.PSA.Catalog.MustEntity("Tickets"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range udfs {
		found = found || (d.Name == "Contract Reference" && d.DataType == 1 && d.Default != nil && *d.Default == "none")
	}
	if !found {
		t.Fatalf("the new UDF is not a Tickets UDF: %+v", udfs)
	}

	// Time zone in Site Setup.
	s.open("/admin/settings")
	zone := func() string {
		tn, err := s.env.PSA.DB.TenantByID(ctx, s.env.Tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		return tn.TimeZone
	}
	was := zone()
	get(s, chromedp.Evaluate[bool](`(() => { const o = document.createElement("option"); o.value = o.textContent = "Mars/Olympus_Mons"; document.querySelector("#timezone").append(o); return true })()`))
	s.set("#timezone", "Mars/Olympus_Mons")
	s.press("form button[type=submit].primary")
	s.mustSee(`"Mars/Olympus_Mons" is not a time zone`)
	if n := get(s, chromedp.Evaluate[int](`document.querySelectorAll(".field.has-error #timezone").length`)); n != 1 {
		t.Fatal("the time zone error is not beside the field")
	}
	if zone() != was {
		t.Fatal("an unknown zone was saved")
	}
	s.shot("settings-timezone-error")
	s.set("#timezone", "Europe/Amsterdam")
	s.press("form button[type=submit].primary")
	s.mustSee("The settings were saved.")
	if got := zone(); got != "Europe/Amsterdam" || s.value("#timezone") != "Europe/Amsterdam" {
		t.Fatalf("time zone after saving: %q, page shows %q", got, s.value("#timezone"))
	}
}

// TestNewFormsRefuseBadCSRF: every new form (company, contact, their Edit, picklist values, UDFs,
// Site Setup's time zone) refuses a missing or forged CSRF token and saves nothing, on SQLite and
// PostgreSQL; with the token, the same company form saves.
func TestNewFormsRefuseBadCSRF(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env, administrator := consoleOn(t, b, true)
			c := signedIn(t, env.Server.URL, administrator.Username, adminPassword)
			company := url.Values{"companyName": {"CSRF Test Ltd"}, "companyType": {"1"}, "phone": {"555"}, "ownerResourceID": {"1"}, "isActive": {"on"}}
			posts := []struct {
				path string
				form url.Values
			}{
				{"/crm/companies/new", company},
				{"/crm/companies/0/edit", url.Values{"companyName": {"CSRF Test Ltd"}, "companyType": {"1"}, "phone": {"555"}, "ownerResourceID": {"1"}}},
				{"/crm/contacts/new", url.Values{"firstName": {"Csrf"}, "lastName": {"Test"}, "companyID": {"0"}, "isActive": {"on"}}},
				{"/crm/contacts/1/edit", url.Values{"firstName": {"Csrf"}, "lastName": {"Test"}, "companyID": {"0"}}},
				{"/admin/picklists/Companies/companyType", url.Values{"action": {"add"}, "label": {"CSRF Test Ltd"}}},
				{"/admin/udfs/new", url.Values{"udfType": {"1"}, "dataType": {"1"}, "name": {"CSRF Test Ltd"}, "isActive": {"on"}}},
				{"/admin/settings", url.Values{"lockout": {"10"}, "apithreshold": {"10000"}, "timezone": {"Asia/Tokyo"}}},
			}
			for _, p := range posts {
				for _, tok := range []string{"", "forged-token-forged-token-forged"} {
					form := url.Values{}
					for k, v := range p.form {
						form[k] = v
					}
					if tok != "" {
						form.Set("csrf", tok)
					}
					if st, _, body := c.post(p.path, form); st != http.StatusForbidden || !strings.Contains(body, "Form not accepted") {
						t.Errorf("POST %s with CSRF token %q: %d", p.path, tok, st)
					}
				}
			}
			e := env.PSA.Catalog.MustEntity("Companies")
			for _, check := range []struct{ entity, field, value string }{{"Companies", "companyName", "CSRF Test Ltd"}, {"Contacts", "firstName", "Csrf"}, {"UserDefinedFieldDefinitions", "name", "CSRF Test Ltd"}} {
				ce := env.PSA.Catalog.MustEntity(check.entity)
				rows, err := env.PSA.Query(env.Ctx(), ce, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: check.field, Value: check.value}}}, nil, -1, 10)
				if err != nil || len(rows) != 0 {
					t.Errorf("%s saved without a CSRF token: %d rows, %v", check.entity, len(rows), err)
				}
			}
			if vals, _ := env.PSA.Picklist(env.Ctx(), e, "companyType"); strings.Contains(fmt.Sprint(vals), "CSRF Test Ltd") {
				t.Error("picklist value added without a CSRF token")
			}
			if tn, _ := env.PSA.DB.TenantByID(env.Ctx(), env.Tenant.ID); tn.TimeZone == "Asia/Tokyo" {
				t.Error("time zone changed without a CSRF token")
			}
			company.Set("csrf", c.csrf("/crm/companies/new"))
			if st, loc, _ := c.post("/crm/companies/new", company); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/crm/companies/") {
				t.Fatalf("with the token: %d %s", st, loc)
			}
		})
	}
}

// The contacts list, a company's page and a contact's page show each contact's client portal
// access (read for the whole page at once): Enabled, Locked, or none. Plain HTTP, SQLite and
// PostgreSQL.
func TestContactPagesShowPortalAccess(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env, administrator := consoleOn(t, b, false)
			svc, ctx := env.PSA, env.Ctx()
			create := func(entity string, values map[string]any) int64 {
				t.Helper()
				e := svc.Catalog.MustEntity(entity)
				in := psa.NewInput()
				for k, v := range values {
					in.Set[e.Index(k)] = v
				}
				id, err := svc.Create(ctx, e, in, nil)
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			company := create("Companies", map[string]any{"companyName": "Portal People Ltd", "companyType": int64(1), "phone": "555 0199", "ownerResourceID": int64(1), "isActive": true})
			one := int64(1)
			if _, err := svc.ChangeSettings(ctx, admin.SettingsChange{LockoutThreshold: &one}); err != nil {
				t.Fatal(err)
			}
			want := map[int64]string{} // contact id: what its Portal cell says
			for _, state := range []string{"Enabled", "Locked", "—", "Enabled", "—"} {
				email := "pp" + testsupport.RandomHex(5) + "@portalpeople.example" // portal emails are unique across tenants
				id := create("Contacts", map[string]any{"firstName": "Pat", "lastName": "Portalperson", "companyID": company, "isActive": int64(1), "emailAddress": email})
				want[id] = state
				if state == "—" {
					continue
				}
				if err := svc.SetPortalAccess(ctx, id, "Portal-Pass-1"); err != nil {
					t.Fatal(err)
				}
				if state == "Locked" {
					if _, err := svc.PortalSignIn(context.Background(), email, "wrong", "10.3.3.3"); err == nil {
						t.Fatal("a wrong portal password was accepted")
					}
				}
			}
			c := signedIn(t, env.Server.URL, administrator.Username, adminPassword)
			rowRe := regexp.MustCompile(`(?s)<tr><td><a href="/crm/contacts/(\d+)">Pat Portalperson</a>(.*?)</tr>`)
			stateOf := func(cell string) string {
				switch {
				case strings.Contains(cell, `<span class="badge bad">Locked</span>`):
					return "Locked"
				case strings.Contains(cell, `<span class="badge ok">Enabled</span>`):
					return "Enabled"
				}
				return "—"
			}
			for _, path := range []string{"/crm/contacts?q=portalperson", fmt.Sprintf("/crm/companies/%d", company)} {
				st, _, body := c.get(path)
				if st != http.StatusOK {
					t.Fatalf("%s: %d", path, st)
				}
				got := map[int64]string{}
				for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
					id, _ := strconv.ParseInt(m[1], 10, 64)
					got[id] = stateOf(m[2])
				}
				if !maps.Equal(got, want) {
					t.Errorf("%s shows portal access %v, want %v", path, got, want)
				}
			}
			for id, state := range want {
				_, _, body := c.get(fmt.Sprintf("/crm/contacts/%d", id))
				says := map[string]string{"Enabled": `<span class="badge ok">Enabled</span> The contact signs in`, "Locked": `<span class="badge bad">Locked</span> Too many failed sign-ins.`,
					"—": "The contact has no client portal access."}[state]
				if !strings.Contains(body, says) {
					t.Errorf("contact %d's page does not say %q", id, says)
				}
			}
		})
	}
}
