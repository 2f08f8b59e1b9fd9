package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

var ticketRowRe = regexp.MustCompile(`<tr><td><a href="/desk/tickets/(\d+)">`)

// ticketRows are the ids of the tickets a list page shows, in its order.
func ticketRows(t *testing.T, body string) []int64 {
	t.Helper()
	var out []int64
	for _, m := range ticketRowRe.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, id)
	}
	return out
}

var (
	pagerRe = regexp.MustCompile(`(?s)<nav class="pager".*?</nav>`)
	tagRe   = regexp.MustCompile(`<[^>]*>`)
)

// pagerText is what the pager of a list page says, its words one space apart.
func pagerText(body string) string {
	return strings.Join(strings.Fields(tagRe.ReplaceAllString(pagerRe.FindString(body), " ")), " ")
}

func idRange(from, to int64) []int64 { // from down or up to to, both included
	var out []int64
	step := int64(1)
	if to < from {
		step = -1
	}
	for id := from; ; id += step {
		out = append(out, id)
		if id == to {
			return out
		}
	}
}

// The console's lists page, sort and count in the database. The tickets list of a tenant with
// more tickets than the console ever read at once (2,600; it read the 2,000 lowest ids): the
// newest ticket, id 2001, is first on page 1 sorted by updated; page 10 shows the 226th to
// 250th; the total, the pager, the sort by number both ways and the last page are right; "my
// tickets", the company name filter and the dashboard count in the database; a page past the
// end is the last page. Contacts, configuration items and companies sort, page and search the
// same way and show their company's name. Plain HTTP, SQLite and PostgreSQL.
func TestConsoleListsPageInTheDatabase(t *testing.T) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			if b == testsupport.Postgres && testsupport.PostgresURL() == "" {
				t.Skip("SWITCHBOARD_TEST_POSTGRES is not set")
			}
			env := testsupport.Start(t, b, false)
			ctx := env.Ctx()
			adm, err := env.PSA.EditResource(ctx, "1", admin.ResourceChange{Password: adminPassword})
			if err != nil {
				t.Fatal(err)
			}
			ce, te := env.PSA.Catalog.MustEntity("Companies"), env.PSA.Catalog.MustEntity("Tickets")
			var companies, tickets []*store.Row
			for id := int64(1); id <= 60; id++ {
				r := store.NewRow(ce)
				name := fmt.Sprintf("Company %02d", id)
				if id == 60 {
					name = "Zeta Dental Group"
				}
				for k, v := range map[string]any{"id": id, "companyName": name, "companyType": int64(1), "isActive": true} {
					r.Values[ce.Index(k)] = v
				}
				companies = append(companies, r)
			}
			const n = 2600
			t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
			for id := int64(1); id <= n; id++ {
				r := store.NewRow(te)
				updated := t0.Add(time.Duration(id) * time.Minute)
				if id == 2001 { // the newest ticket, beyond the 2,000 lowest ids
					updated = t0.Add(100 * 24 * time.Hour)
				}
				set := map[string]any{"id": id, "ticketNumber": fmt.Sprintf("T20260301.%04d", id), "title": fmt.Sprintf("Ticket %d", id),
					"status": int64(1), "priority": int64(2), "queueID": int64(8), "companyID": id%60 + 1, "createDate": t0, "lastActivityDate": updated}
				if id%3 == 0 {
					set["assignedResourceID"], set["assignedResourceRoleID"] = adm.ID, int64(1)
				}
				for k, v := range set {
					r.Values[te.Index(k)] = v
				}
				tickets = append(tickets, r)
			}
			err = env.PSA.DB.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.BulkInsert(ctx, ce, companies); err != nil {
					return err
				}
				if err := tx.BumpSequence(ctx, ce.Table, 60); err != nil {
					return err
				}
				return tx.BulkInsert(ctx, te, tickets)
			})
			if err != nil {
				t.Fatal(err)
			}

			c := newClient(t, env.Server.URL)
			if st, _, _ := c.post("/signin", url.Values{"csrf": {c.csrf("/signin")}, "username": {adm.Username}, "password": {adminPassword}}); st != http.StatusSeeOther {
				t.Fatalf("sign-in: %d", st)
			}
			page := func(path string, wantRows []int64, wantText ...string) string {
				t.Helper()
				st, _, body := c.get(path)
				if st != http.StatusOK {
					t.Fatalf("%s: %d", path, st)
				}
				if got := ticketRows(t, body); wantRows != nil && !slices.Equal(got, wantRows) {
					t.Errorf("%s shows tickets %v, want %v", path, got, wantRows)
				}
				for _, w := range wantText {
					if !strings.Contains(body, w) {
						t.Errorf("%s does not say %q", path, w)
					}
				}
				return body
			}
			// The dashboard counts in the database too (it counted the 2,000 tickets it read).
			page("/", nil, `2,600</div><div class="label">open tickets (of 2,600)`, `866</div><div class="label">open tickets assigned to me`,
				`<div class="big">1</div><div class="label">resources`, `<div class="big">1</div><div class="label">API users`)
			body := page("/desk/tickets", append([]int64{2001}, idRange(2600, 2577)...), "2,600 ticket(s) in view.", "1–25 of 2,600", `href="/desk/tickets?page=104"`, "Company 02")
			if strings.Contains(body, `<select id="company"`) {
				t.Error("the company filter is still a list of every company")
			}
			page("/desk/tickets?page=10", idRange(2376, 2352), "226–250 of 2,600")
			for path, want := range map[string]string{
				"/desk/tickets?page=10": "226–250 of 2,600 Previous 1 … 8 9 10 11 12 … 104 Next",
				"/desk/tickets?page=5":  "101–125 of 2,600 Previous 1 2 3 4 5 6 7 … 104 Next", // a gap of one page is that page
				"/desk/tickets":         "1–25 of 2,600 1 2 3 … 104 Next",
			} {
				if got := pagerText(page(path, nil)); got != want {
					t.Errorf("%s pager: %q, want %q", path, got, want)
				}
			}
			page("/desk/tickets?sort=number&dir=asc", idRange(1, 25), "1–25 of 2,600")
			page("/desk/tickets?sort=number&dir=asc&page=104", idRange(2576, 2600), "2,576–2,600 of 2,600")
			page("/desk/tickets?sort=number&dir=desc&page=2", idRange(2575, 2551))
			page("/desk/tickets?sort=number&dir=asc&page=999", idRange(2576, 2600), "2,576–2,600 of 2,600") // past the end: the last page
			page("/desk/tickets?mine=1", nil, "866 ticket(s) in view.")
			mine := ticketRows(t, page("/desk/tickets?mine=1&sort=number&dir=asc", nil))
			if len(mine) != 25 || mine[0] != 3 || mine[24] != 75 {
				t.Errorf("my tickets by number: %v, want 3, 6, … 75", mine)
			}
			// A company by (part of) its name: 43 tickets have company 60, "Zeta Dental Group".
			zeta := page("/desk/tickets?companyName=zeta+dental&sort=number&dir=asc", nil, "43 ticket(s) in view.", `value="zeta dental"`)
			if got := ticketRows(t, zeta); len(got) != 25 || got[0] != 59 || got[1] != 119 {
				t.Errorf("tickets of Zeta Dental: %v", got)
			}
			page("/desk/tickets?company=60", nil, "43 ticket(s) in view.", `value="Zeta Dental Group"`) // a link to one company's tickets
			page("/desk/tickets?companyName=Company", nil, "More than 50 companies match")
			page("/desk/tickets?companyName=Nobody+Inc", []int64{}, "0 ticket(s) in view.", "No company&#39;s name contains")

			// Contacts by last name, then first name, with their company's name; searched by a
			// word of the name or email; configuration items by reference, with their company.
			cte, cie := env.PSA.Catalog.MustEntity("Contacts"), env.PSA.Catalog.MustEntity("ConfigurationItems")
			var contacts, cis []*store.Row
			for id := int64(1); id <= 30; id++ {
				r := store.NewRow(cte)
				for k, v := range map[string]any{"id": id, "firstName": fmt.Sprintf("First%02d", id), "lastName": fmt.Sprintf("Last%02d", 31-id),
					"emailAddress": fmt.Sprintf("person%02d@example.com", id), "companyID": int64(60), "isActive": int64(1)} {
					r.Values[cte.Index(k)] = v
				}
				contacts = append(contacts, r)
				r = store.NewRow(cie)
				for k, v := range map[string]any{"id": id, "referenceTitle": fmt.Sprintf("Device %02d", 31-id), "companyID": id, "productID": int64(1), "isActive": true} {
					r.Values[cie.Index(k)] = v
				}
				cis = append(cis, r)
			}
			if err := env.PSA.DB.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.BulkInsert(ctx, cte, contacts); err != nil {
					return err
				}
				return tx.BulkInsert(ctx, cie, cis)
			}); err != nil {
				t.Fatal(err)
			}
			contactRe := regexp.MustCompile(`<a href="/crm/contacts/(\d+)">([^<]*)</a>`)
			for path, want := range map[string]string{
				"/crm/contacts":                     "First30 Last01,First29 Last02",
				"/crm/contacts?page=2":              "First05 Last26,First04 Last27",
				"/crm/contacts?sort=first&dir=desc": "First30 Last01,First29 Last02",
				"/crm/contacts?q=person07":          "First07 Last24",
				"/crm/contacts?q=first1+last1":      "First19 Last12,First18 Last13",
			} {
				st, _, body := c.get(path)
				var names []string
				for _, m := range contactRe.FindAllStringSubmatch(body, -1) {
					names = append(names, m[2])
				}
				if len(names) > 2 {
					names = names[:2]
				}
				if got := strings.Join(names, ","); st != http.StatusOK || got != want || (strings.Contains(path, "q=") == false && !strings.Contains(body, "Zeta Dental Group")) {
					t.Errorf("%s: %d, first contacts %q, want %q (with their company's name)", path, st, got, want)
				}
			}
			if _, _, body := c.get("/crm/cis?page=2"); !strings.Contains(body, "26–30 of 30") || !regexp.MustCompile(`(?s)Device 26.*Company 05.*Device 30.*Company 01`).MatchString(body) {
				t.Errorf("configuration items, page 2: %s", pagerText(body))
			}

			// Companies: 61 with the tenant's own, by name, paged, searched in the database.
			companyRe := regexp.MustCompile(`<td><a href="/crm/companies/(\d+)">`)
			firstCompany := func(path string, want ...string) string {
				t.Helper()
				st, _, body := c.get(path)
				for _, w := range want {
					if !strings.Contains(body, w) {
						t.Errorf("%s: %d, does not say %q", path, st, w)
					}
				}
				if m := companyRe.FindStringSubmatch(body); m != nil {
					return m[1]
				}
				return ""
			}
			if id := firstCompany("/crm/companies", "1–25 of 61", `href="/crm/companies?page=3"`); id != "1" {
				t.Errorf("companies by name start with %s, want Company 01", id)
			}
			if id := firstCompany("/crm/companies?sort=name&dir=desc", "Zeta Dental Group"); id != "60" {
				t.Errorf("companies by name descending start with %s, want Zeta Dental Group", id)
			}
			if id := firstCompany("/crm/companies?q=dental", "1–1 of 1"); id != "60" {
				t.Errorf("companies searched for dental: %s", id)
			}
		})
	}
}
