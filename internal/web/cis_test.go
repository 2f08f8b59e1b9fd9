package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// oneID is the id of the one row of a collection with field = value, read through psa.
func oneID(t *testing.T, env *testsupport.Env, entity, field string, value any) int64 {
	t.Helper()
	rows := rowsWhere(t, env, entity, field, value)
	if len(rows) != 1 {
		t.Fatalf("%s with %s = %v: %d rows", entity, field, value, len(rows))
	}
	return rows[0].ID(env.PSA.Catalog.MustEntity(entity))
}

// Configuration items: a technician opens New configuration item from a company's page (the
// company and the tenant's only product preselected), is told in place what is missing or too
// long, and saves one with dates, type, contact and notes; the REST API reads what was typed,
// the item's page shows it with its tickets, and Edit changes it. Script text is shown as
// text; a forged or missing CSRF token saves nothing.
func TestBrowserConfigurationItemForms(t *testing.T) {
	s := newSite(t)
	ctx := s.env.Ctx()
	acme := oneID(t, s.env, "Companies", "companyName", "Acme Dental Group")
	product := oneID(t, s.env, "Products", "name", "Managed Workstation")
	server := oneID(t, s.env, "ConfigurationItemTypes", "name", "Server")
	alice := oneID(t, s.env, "Contacts", "firstName", "Alice")
	s.signIn(s.adminUser, s.adminPass)

	s.open(fmt.Sprintf("/crm/companies/%d", acme))
	s.mustSee("Configuration items", "New configuration item")
	s.press("#new-ci")
	s.mustSee("New Configuration Item", "Reference title", "Company", "Type", "Product", "Serial number", "Reference number",
		"Install date", "Warranty expiration date", "Location", "Contact", "Notes", "Active")
	if s.value("#f-companyID") != "Acme Dental Group" || s.value("#f-companyID-id") != fmt.Sprint(acme) || s.value("#f-productID") != fmt.Sprint(product) {
		t.Fatalf("New configuration item from the company page preselects company %q (%q) and product %q, want Acme Dental Group (%d) and %d",
			s.value("#f-companyID"), s.value("#f-companyID-id"), s.value("#f-productID"), acme, product)
	}
	if n := get(s, chromedp.Evaluate[int](`document.querySelectorAll("input[type=date]#f-installDate, input[type=date]#f-warrantyExpirationDate").length`)); n != 2 {
		t.Fatalf("%d of the two dates are date inputs", n)
	}
	script := `<script>window.__pwned=1</script>Rack 2, shelf 3`
	// No company and no product: nothing saved, both marked, what was typed kept.
	s.set("#f-companyID", "")
	s.set("#f-productID", "")
	s.fill("#f-referenceTitle", "ACME-NAS-01", "#f-serialNumber", "NAS-2026-0042", "#f-location", script)
	s.set("#f-installDate", "2026-11-02")
	s.press("#record button[type=submit]")
	s.mustSee("The configuration item was not saved", "Choose a company.", "Choose a product.")
	if n := get(s, chromedp.Evaluate[int](`document.querySelectorAll(".field.has-error #f-companyID, .field.has-error #f-productID").length`)); n != 2 {
		t.Fatalf("%d of the company and product fields are marked in error, want 2", n)
	}
	if s.value("#f-referenceTitle") != "ACME-NAS-01" || s.value("#f-location") != script || s.value("#f-installDate") != "2026-11-02" {
		t.Fatalf("the form lost what was typed: %q %q %q", s.value("#f-referenceTitle"), s.value("#f-location"), s.value("#f-installDate"))
	}
	s.shot("ci-new-errors")
	// Over-long reference title (past maxlength, as a paste would).
	s.set("#f-companyID", "Acme Dental Group") // typed whole, without choosing a suggestion: the server resolves it
	s.set("#f-productID", fmt.Sprint(product))
	s.set("#f-referenceTitle", strings.Repeat("R", 201))
	s.press("#record button[type=submit]")
	s.mustSee("At most 200 characters.")
	if s.count("ConfigurationItems", "serialNumber", "NAS-2026-0042") != 0 {
		t.Fatal("a refused configuration item was saved")
	}
	// A forged and a missing CSRF token.
	for _, tok := range []string{"forged-token-forged-token", ""} {
		s.open(fmt.Sprintf("/crm/cis/new?company=%d", acme))
		s.fill("#f-referenceTitle", "ACME-NAS-01", "#f-serialNumber", "NAS-2026-0042")
		s.forgeCSRF("#record", tok)
		s.press("#record button[type=submit]")
		s.mustSee("Form not accepted", "reload the page")
		if s.count("ConfigurationItems", "serialNumber", "NAS-2026-0042") != 0 {
			t.Fatalf("saved with CSRF token %q", tok)
		}
	}

	s.open(fmt.Sprintf("/crm/cis/new?company=%d", acme))
	s.fill("#f-referenceTitle", "ACME-NAS-01", "#f-serialNumber", "NAS-2026-0042", "#f-referenceNumber", "PO-7781", "#f-location", script,
		"#f-notes", "Backs up the practice's scans nightly.\n"+script)
	s.set("#f-configurationItemType", fmt.Sprint(server))
	s.set("#f-contactID", "alice") // not a whole name: refused beside the field after the other fields are checked
	s.set("#f-installDate", "2026-11-02")
	s.press("#record button[type=submit]")
	s.mustSee("The configuration item was not saved", "No contact of Acme Dental Group is named “alice”; did you mean Alice Archer")
	if s.count("ConfigurationItems", "serialNumber", "NAS-2026-0042") != 0 {
		t.Fatal("a configuration item with an unresolved contact was saved")
	}
	s.set("#f-contactID", "Alice Archer")
	s.set("#f-installDate", "2026-11-02")
	s.set("#f-warrantyExpirationDate", "2029-11-01")
	s.shot("ci-new")
	s.press("#record button[type=submit]")
	s.mustSee("The configuration item was saved.", "ACME-NAS-01", "Acme Dental Group", "Server", "Managed Workstation", "NAS-2026-0042", "PO-7781",
		"2026-11-02", "2029-11-01", script, "Alice Archer", "Backs up the practice's scans nightly.", "No tickets for this configuration item.")
	if v := get(s, chromedp.Evaluate[bool](`window.__pwned === 1`)); v {
		t.Fatal("script text in a configuration item field ran")
	}
	ci := s.apiOne("ConfigurationItems", "serialNumber", "NAS-2026-0042")
	if ci["referenceTitle"] != "ACME-NAS-01" || ci["companyID"] != float64(acme) || ci["productID"] != float64(product) || ci["configurationItemType"] != float64(server) ||
		ci["contactID"] != float64(alice) || ci["location"] != script || ci["referenceNumber"] != "PO-7781" || ci["isActive"] != true ||
		!strings.HasPrefix(fmt.Sprint(ci["installDate"]), "2026-11-02") || !strings.HasPrefix(fmt.Sprint(ci["warrantyExpirationDate"]), "2029-11-01") ||
		ci["notes"] != "Backs up the practice's scans nightly.\n"+script {
		t.Fatalf("the configuration item through the API: %v", ci)
	}
	id := int64(ci["id"].(float64))

	// A ticket that names the item is listed on its page.
	te := s.env.PSA.Catalog.MustEntity("Tickets")
	rows, err := s.env.PSA.Query(ctx, te, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "companyID", Value: acme}}}, nil, -1, 1)
	if err != nil || len(rows) != 1 {
		t.Fatalf("a ticket of Acme: %v", err)
	}
	in := psa.NewInput()
	in.Set[te.Index("id")] = rows[0].ID(te)
	in.Set[te.Index("configurationItemID")] = id
	if _, err := s.env.PSA.Update(ctx, te, in, nil, false); err != nil {
		t.Fatal(err)
	}
	title, _ := rows[0].Values[te.Index("title")].(string)
	s.open(fmt.Sprintf("/crm/cis/%d", id))
	s.mustSee(title)
	s.mustNotSee("No tickets for this configuration item.")
	s.shot("ci")

	// The list and the company page link to it.
	s.open("/crm/cis")
	s.press(fmt.Sprintf("#ltable a[href='/crm/cis/%d']", id))
	s.mustSee("ACME-NAS-01", "Configuration item of")
	s.open(fmt.Sprintf("/crm/companies/%d", acme))
	s.shot("company-cis")
	s.press(fmt.Sprintf("#company-cis a[href='/crm/cis/%d']", id))
	s.mustSee("NAS-2026-0042")

	// Edit shows the saved values; a cleared company is refused, a change is saved.
	s.press("#edit")
	s.mustSee("Edit ACME-NAS-01")
	if s.value("#f-installDate") != "2026-11-02" || s.value("#f-contactID-id") != fmt.Sprint(alice) || s.value("#f-configurationItemType") != fmt.Sprint(server) || s.value("#f-location") != script {
		t.Fatalf("Edit does not show the saved values: %q %q %q %q", s.value("#f-installDate"), s.value("#f-contactID-id"), s.value("#f-configurationItemType"), s.value("#f-location"))
	}
	s.shot("ci-edit")
	s.set("#f-companyID", "")
	s.press("#record button[type=submit]")
	s.mustSee("Choose a company.")
	if ci := s.apiOne("ConfigurationItems", "serialNumber", "NAS-2026-0042"); ci["companyID"] != float64(acme) {
		t.Fatalf("a refused edit changed the company: %v", ci["companyID"])
	}
	s.set("#f-companyID", "acme dental group")
	s.fill("#f-location", "Server room")
	s.set("#f-warrantyExpirationDate", "")
	s.run(chromedp.Click(chromedp.CSS("#f-isActive")))
	s.press("#record button[type=submit]")
	s.mustSee("The configuration item was saved.", "Server room", "Inactive")
	s.mustNotSee("2029-11-01")
	if ci := s.apiOne("ConfigurationItems", "serialNumber", "NAS-2026-0042"); ci["location"] != "Server room" || ci["isActive"] != false || ci["warrantyExpirationDate"] != nil {
		t.Fatalf("the edited configuration item through the API: %v", ci)
	}

	// A type no longer in use: Edit keeps it rather than choosing another.
	cte := s.env.PSA.Catalog.MustEntity("ConfigurationItemTypes")
	in = psa.NewInput()
	in.Set[cte.Index("id")] = server
	in.Set[cte.Index("isActive")] = false
	if _, err := s.env.PSA.Update(ctx, cte, in, nil, false); err != nil {
		t.Fatal(err)
	}
	s.open(fmt.Sprintf("/crm/cis/%d/edit", id))
	s.mustSee("Server (inactive)")
	s.fill("#f-referenceNumber", "PO-7782")
	s.press("#record button[type=submit]")
	s.mustSee("The configuration item was saved.", "PO-7782")
	if ci := s.apiOne("ConfigurationItems", "serialNumber", "NAS-2026-0042"); ci["configurationItemType"] != float64(server) {
		t.Fatalf("editing an item of an inactive type changed the type: %v", ci["configurationItemType"])
	}
}

// A level that may see configuration items but not add or edit them: no New button on the
// company page, no Edit on the item, the form says so and the service refuses it; nothing is
// saved.
func TestBrowserConfigurationItemPermission(t *testing.T) {
	s := newSite(t)
	ctx := s.env.Ctx()
	team := access.SystemLevel(access.TeamMemberLevel).Name
	if _, err := s.env.PSA.CopySecurityLevel(ctx, team, "Team Member without CI changes", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.env.PSA.ChangeSecurityLevel(ctx, "Team Member without CI changes", admin.LevelChange{Object: "ConfigurationItems", View: "all", Add: "no", Edit: "none"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.env.PSA.CreateResource(ctx, admin.NewResource{FirstName: "Cid", LastName: "Reader", Email: "cid@msp.example", Username: "cid.reader",
		Password: "Str0ng-Pass!", SecurityLevel: "Team Member without CI changes", LocationID: 1}); err != nil {
		t.Fatal(err)
	}
	acme := oneID(t, s.env, "Companies", "companyName", "Acme Dental Group")
	s.signIn("cid.reader", "Str0ng-Pass!")
	s.open(fmt.Sprintf("/crm/companies/%d", acme))
	s.mustSee("Configuration items")
	s.mustNotSee("New configuration item")
	s.open(fmt.Sprintf("/crm/cis/new?company=%d", acme))
	s.mustSee("does not allow you to add configuration item records")
	s.fill("#f-referenceTitle", "FORBIDDEN-01", "#f-serialNumber", "FORBIDDEN-SN")
	s.press("#record button[type=submit]")
	s.mustSee("does not have the adequate permissions")
	if s.count("ConfigurationItems", "serialNumber", "FORBIDDEN-SN") != 0 {
		t.Fatal("a level without Add created a configuration item")
	}
	s.open("/crm/cis")
	s.press("#ltable tbody a[href^='/crm/cis/']")
	s.mustSee("Configuration item of")
	if get(s, chromedp.Evaluate[bool](`document.querySelector("#edit") !== null`)) {
		t.Fatal("a level without Edit is offered Edit on a configuration item")
	}
}

// The configuration item forms over plain HTTP on SQLite and PostgreSQL: without or with a
// forged CSRF token nothing is saved; a date that is not a date is refused beside its field and
// saves nothing; with the token and good values the item is created and edited.
func TestConfigurationItemFormsHTTP(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env, administrator := consoleOn(t, b, true)
			c := signedIn(t, env.Server.URL, administrator.Username, adminPassword)
			acme := oneID(t, env, "Companies", "companyName", "Acme Dental Group")
			product := oneID(t, env, "Products", "name", "Managed Workstation")
			existing := oneID(t, env, "ConfigurationItems", "serialNumber", "SN000000")
			form := func() url.Values {
				return url.Values{"referenceTitle": {"HTTP-CI-01"}, "companyID": {fmt.Sprint(acme)}, "productID": {fmt.Sprint(product)},
					"serialNumber": {"HTTP-SN-1"}, "installDate": {"2026-11-02"}, "isActive": {"on"}}
			}
			for _, path := range []string{"/crm/cis/new", fmt.Sprintf("/crm/cis/%d/edit", existing)} {
				for _, tok := range []string{"", "forged-token-forged-token-forged"} {
					f := form()
					if tok != "" {
						f.Set("csrf", tok)
					}
					if st, _, body := c.post(path, f); st != http.StatusForbidden || !strings.Contains(body, "Form not accepted") {
						t.Errorf("POST %s with CSRF token %q: %d", path, tok, st)
					}
				}
			}
			count := func(field, value string) int {
				e := env.PSA.Catalog.MustEntity("ConfigurationItems")
				rows, err := env.PSA.Query(env.Ctx(), e, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: field, Value: value}}}, nil, -1, 10)
				if err != nil {
					t.Fatal(err)
				}
				return len(rows)
			}
			if count("serialNumber", "HTTP-SN-1") != 0 || count("referenceTitle", "HTTP-CI-01") != 0 {
				t.Fatal("a configuration item was saved or changed without a CSRF token")
			}
			bad := form()
			bad.Set("csrf", c.csrf("/crm/cis/new"))
			bad.Set("warrantyExpirationDate", "next spring")
			st, _, body := c.post("/crm/cis/new", bad)
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a date as YYYY-MM-DD.") || !strings.Contains(body, `value="next spring"`) {
				t.Fatalf("a bad date: %d", st)
			}
			if count("serialNumber", "HTTP-SN-1") != 0 {
				t.Fatal("a configuration item with a bad date was saved")
			}
			good := form()
			good.Set("csrf", c.csrf("/crm/cis/new"))
			st, loc, _ := c.post("/crm/cis/new", good)
			if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/crm/cis/") {
				t.Fatalf("with the token: %d %s", st, loc)
			}
			id := oneID(t, env, "ConfigurationItems", "serialNumber", "HTTP-SN-1")
			edit := form()
			edit.Set("csrf", c.csrf(fmt.Sprintf("/crm/cis/%d/edit", id)))
			edit.Set("location", "Reception")
			if st, _, _ := c.post(fmt.Sprintf("/crm/cis/%d/edit", id), edit); st != http.StatusSeeOther {
				t.Fatalf("edit with the token: %d", st)
			}
			if count("location", "Reception") != 1 {
				t.Fatal("the edit was not saved")
			}
			if st, _, body := c.get(fmt.Sprintf("/crm/cis/%d", id)); st != http.StatusOK || !strings.Contains(body, "Reception") || !strings.Contains(body, "2026-11-02") {
				t.Fatalf("the item's page: %d", st)
			}
			if st, _, _ := c.get("/crm/cis/999999"); st != http.StatusNotFound {
				t.Fatalf("an unknown item: %d, want 404", st)
			}
		})
	}
}

// A tenant with no products: the New form says where products come from, and saving is refused
// beside the product field.
func TestConfigurationItemFormWithoutProducts(t *testing.T) {
	env, administrator := consoleOn(t, testsupport.SQLite, false)
	c := signedIn(t, env.Server.URL, administrator.Username, adminPassword)
	if st, _, body := c.get("/crm/cis/new"); st != http.StatusOK || !strings.Contains(body, "There are no products yet") {
		t.Fatalf("New configuration item without products: %d", st)
	}
	st, _, body := c.post("/crm/cis/new", url.Values{"csrf": {c.csrf("/crm/cis/new")}, "referenceTitle": {"NO-PRODUCT"}, "isActive": {"on"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose a product.") || !strings.Contains(body, "Choose a company.") {
		t.Fatalf("saving without a product: %d", st)
	}
}
