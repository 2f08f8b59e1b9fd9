package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// Pickers: a tenant with more companies than a form's <select> ever held (1,503; the forms
// read 1,000). New Ticket saves a ticket for the 1,500th company typed by name, with a contact
// of that company typed by name; an ambiguous name, an unknown name and a contact of another
// company are refused beside the field and save nothing; the lookup needs a session and
// answers at most 20; a company the level may not see is neither suggested nor resolved, by
// name or by id. The contact form resolves a typed company the same way (the mailbox form:
// TestMailboxesAndSyncJobsTenantIsolation).
// Plain HTTP, SQLite and PostgreSQL.
func TestPickersChooseAmongThousands(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			if b == testsupport.Postgres && testsupport.PostgresURL() == "" {
				t.Skip("SWITCHBOARD_TEST_POSTGRES is not set")
			}
			t.Parallel()
			env := testsupport.Start(t, b, false)
			ctx := env.Ctx()
			adm, err := env.PSA.EditResource(ctx, "1", admin.ResourceChange{Password: adminPassword})
			if err != nil {
				t.Fatal(err)
			}
			// A level that sees only the companies its resource owns.
			if _, err := env.PSA.CopySecurityLevel(ctx, "Full Access (system)", "Own companies", false); err != nil {
				t.Fatal(err)
			}
			if _, err := env.PSA.ChangeSecurityLevel(ctx, "Own companies", admin.LevelChange{Object: "Companies", View: "mine"}); err != nil {
				t.Fatal(err)
			}
			const restrictedPass = "Own-Companies-2026!"
			olga := "olga." + testsupport.RandomHex(4) // usernames are unique across tenants
			mine, err := env.PSA.CreateResource(ctx, admin.NewResource{FirstName: "Olga", LastName: "Owner", Email: "olga@example.com", Username: olga,
				Password: restrictedPass, SecurityLevel: "Own companies", LocationID: 1, Departments: []admin.DepartmentRole{{DepartmentID: 1, RoleID: 1, Default: true}}})
			if err != nil {
				t.Fatal(err)
			}

			ce, ke := env.PSA.Catalog.MustEntity("Companies"), env.PSA.Catalog.MustEntity("Contacts")
			var companies, contacts []*store.Row
			company := func(id int64, name string, owner int64) {
				r := store.NewRow(ce)
				for k, v := range map[string]any{"id": id, "companyName": name, "companyType": int64(1), "isActive": true, "ownerResourceID": owner} {
					r.Values[ce.Index(k)] = v
				}
				companies = append(companies, r)
			}
			for id := int64(1); id <= 1500; id++ {
				company(id, fmt.Sprintf("Clinic %04d", id), mine.ID) // the restricted resource owns these
			}
			company(1501, "Twin Dental", mine.ID)
			company(1502, "Twin Dental", mine.ID)
			company(1503, "Hidden Harbour Clinic", adm.ID) // not the restricted resource's
			contact := func(id, companyID int64, first, last, email string) {
				r := store.NewRow(ke)
				for k, v := range map[string]any{"id": id, "firstName": first, "lastName": last, "emailAddress": email, "companyID": companyID, "isActive": int64(1)} {
					r.Values[ke.Index(k)] = v
				}
				contacts = append(contacts, r)
			}
			contact(1, 1500, "Pat", "Lee", "pat@clinic1500.example")
			contact(2, 1, "Sam", "Stone", "sam@clinic0001.example")
			err = env.PSA.DB.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.BulkInsert(ctx, ce, companies); err != nil {
					return err
				}
				if err := tx.BumpSequence(ctx, ce.Table, 1503); err != nil {
					return err
				}
				if err := tx.BulkInsert(ctx, ke, contacts); err != nil {
					return err
				}
				return tx.BumpSequence(ctx, ke.Table, 2)
			})
			if err != nil {
				t.Fatal(err)
			}
			te := env.PSA.Catalog.MustEntity("Tickets")
			ticketsOf := func(companyID int64) int {
				t.Helper()
				rows, err := env.PSA.Query(ctx, te, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "companyID", Value: companyID}}}, nil, -1, 100)
				if err != nil {
					t.Fatal(err)
				}
				return len(rows)
			}
			signIn := func(user, pass string) *client { return signedIn(t, env.Server.URL, user, pass) }
			a := signIn(adm.Username, adminPassword)
			tok := a.csrf("/desk/tickets/new")
			newTicket := func(c *client, tok string, set map[string]string) (int, string, string) {
				t.Helper()
				form := url.Values{"csrf": {tok}, "title": {"Picker test"}, "status": {"1"}, "priority": {"2"}, "queue": {"8"}, "company": {""}, "contact": {""}, "contactText": {""}}
				for k, v := range set {
					form.Set(k, v)
				}
				if _, ok := set["contact"]; ok {
					form.Del("contactText") // an id alone, as a client without the text field posts it
				}
				return c.post("/desk/tickets/new", form)
			}
			// refused: the form comes back 422 with msg beside the field, and no ticket is saved.
			refused := func(st int, body, field, msg string, companyID int64) {
				t.Helper()
				if st != http.StatusUnprocessableEntity {
					t.Fatalf("%s: status %d, want 422", msg, st)
				}
				want := fmt.Sprintf(`<span class="field-error" id="%s-error" role="alert">%s`, field, html.EscapeString(msg))
				if !strings.Contains(html.UnescapeString(body), html.UnescapeString(want)) {
					t.Fatalf("the form does not say %q beside %s:\n%s", msg, field, fieldErrors(body))
				}
				if n := ticketsOf(companyID); n != 0 {
					t.Fatalf("%s: %d tickets saved for company %d", msg, n, companyID)
				}
			}

			// The 1,500th company and its contact, typed by name (case aside), no id.
			st, loc, _ := newTicket(a, tok, map[string]string{"companyText": "clinic 1500", "contactText": "Pat Lee"})
			if st != http.StatusSeeOther || !strings.Contains(loc, "was+created") {
				t.Fatalf("New Ticket for Clinic 1500 by name: %d %s", st, loc)
			}
			rows, _ := env.PSA.Query(ctx, te, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "companyID", Value: int64(1500)}}}, nil, -1, 10)
			if len(rows) != 1 || rows[0].Values[te.Index("contactID")] != int64(1) {
				t.Fatalf("tickets of Clinic 1500: %d, contact %v; want 1 for Pat Lee (1)", len(rows), rows)
			}
			// Ambiguous and unknown names, a contact of another company: refused, nothing saved.
			st, _, body := newTicket(a, tok, map[string]string{"companyText": "Twin Dental"})
			refused(st, body, "company", "2 companies are named “Twin Dental”: Twin Dental, Twin Dental; choose one from the suggestions.", 1501)
			st, _, body = newTicket(a, tok, map[string]string{"companyText": "Clinic 14"})
			refused(st, body, "company", "100 companies match “Clinic 14”: Clinic 1400, Clinic 1401, Clinic 1402, …; type more of the name.", 1400)
			st, _, body = newTicket(a, tok, map[string]string{"companyText": "Nowhere Dental"})
			refused(st, body, "company", "No company is named “Nowhere Dental”.", 0)
			st, _, body = newTicket(a, tok, map[string]string{"companyText": "Clinic 0002", "contactText": "Sam Stone"})
			refused(st, body, "contact", "No contact of Clinic 0002 is named “Sam Stone”.", 2)
			st, _, body = newTicket(a, tok, map[string]string{"company": "2", "contact": "2"}) // ids, no text: the contact must be the company's too
			refused(st, body, "contact", "There is no such contact of Clinic 0002, or your security level does not let you see it.", 2)
			// A stale id beside a changed name: the name decides.
			if st, _, _ := newTicket(a, tok, map[string]string{"company": "1", "companyText": "Clinic 0003"}); st != http.StatusSeeOther || ticketsOf(3) != 1 || ticketsOf(1) != 0 {
				t.Fatalf("a changed name beside a stale id: %d; tickets of 3: %d, of 1: %d", st, ticketsOf(3), ticketsOf(1))
			}

			// The lookup: a session, at most 20, contacts of one company.
			anon := newClient(t, env.Server.URL)
			if st, _, body := anon.get("/crm/lookup/companies?q=Clinic"); st != http.StatusUnauthorized || strings.Contains(body, "Clinic") {
				t.Fatalf("lookup without a session: %d %s", st, body)
			}
			lookup := func(c *client, path string) []map[string]any {
				t.Helper()
				st, _, body := c.get(path)
				var out []map[string]any
				if st != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil {
					t.Fatalf("%s: %d %s", path, st, body)
				}
				return out
			}
			if got := lookup(a, "/crm/lookup/companies?q=clinic"); len(got) != 20 || got[0]["label"] != "Clinic 0001" {
				t.Fatalf("lookup of “clinic” answers %d, first %v; want 20 from Clinic 0001", len(got), got[0])
			}
			if got := lookup(a, "/crm/lookup/companies?q=c"); len(got) != 0 {
				t.Fatalf("lookup of one character answers %d", len(got))
			}
			if got := lookup(a, "/crm/lookup/contacts?q=example&company=1500"); len(got) != 1 || got[0]["label"] != "Pat Lee <pat@clinic1500.example>" || got[0]["id"] != float64(1) {
				t.Fatalf("contacts of Clinic 1500 matching “example”: %v", got)
			}
			if got := lookup(a, "/crm/lookup/companies?q=Hidden+Harbour"); len(got) != 1 {
				t.Fatalf("the administrator's lookup of Hidden Harbour: %v", got)
			}

			// A level that sees only its own companies: the others are neither suggested nor
			// resolved, by name or by id.
			o := signIn(olga, restrictedPass)
			otok := o.csrf("/desk/tickets/new")
			if got := lookup(o, "/crm/lookup/companies?q=Hidden"); len(got) != 0 {
				t.Fatalf("the restricted lookup suggests %v", got)
			}
			st, _, body = newTicket(o, otok, map[string]string{"companyText": "Hidden Harbour Clinic"})
			refused(st, body, "company", "No company is named “Hidden Harbour Clinic”.", 1503)
			st, _, body = newTicket(o, otok, map[string]string{"company": "1503"})
			refused(st, body, "company", "There is no such company, or your security level does not let you see it.", 1503)
			if st, _, _ := newTicket(o, otok, map[string]string{"companyText": "Clinic 1499"}); st != http.StatusSeeOther || ticketsOf(1499) != 1 {
				t.Fatalf("the restricted resource's own company by name: %d, %d tickets", st, ticketsOf(1499))
			}

			// New Contact and the mailbox form resolve a typed company too.
			ctok := a.csrf("/crm/contacts/new")
			st, loc, body = a.post("/crm/contacts/new", url.Values{"csrf": {ctok}, "firstName": {"Nia"}, "lastName": {"North"}, "companyIDText": {"Clinic 1234"}, "companyID": {""}, "isActive": {"on"}})
			if st != http.StatusSeeOther || !strings.Contains(loc, "was+saved") {
				t.Fatalf("New Contact at Clinic 1234 by name: %d %s\n%s\n%s", st, loc, fieldErrors(body), body[strings.Index(body, "<main"):])
			}
			if got, err := env.PSA.Query(ctx, ke, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "lastName", Value: "North"}}}, nil, -1, 5); err != nil || len(got) != 1 || got[0].Values[ke.Index("companyID")] != int64(1234) {
				t.Fatalf("the new contact: %v %v", got, err)
			}
			st, _, body = a.post("/crm/contacts/new", url.Values{"csrf": {ctok}, "firstName": {"Nia"}, "lastName": {"Nowhere"}, "companyIDText": {"Twin Dental"}, "isActive": {"on"}})
			if st != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), "2 companies are named “Twin Dental”") {
				t.Fatalf("New Contact at an ambiguous company: %d\n%s", st, fieldErrors(body))
			}
		})
	}
}

// fieldErrors are the messages beside the fields of a page, for a test's failure.
func fieldErrors(body string) string {
	var out []string
	for _, part := range strings.Split(body, `class="field-error"`)[1:] {
		if i := strings.Index(part, "</span>"); i >= 0 {
			out = append(out, part[:i])
		}
	}
	return strings.Join(out, "\n")
}
