package autotask_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// The tests in this file run the library against a real, in-process Switchboard on SQLite and
// (when SWITCHBOARD_TEST_POSTGRES is set) PostgreSQL: what the fake cannot prove, the server does.

func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }

// countingTransport records every request the client sends.
type countingTransport struct {
	mu   sync.Mutex
	reqs []string // "METHOD /path"
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.mu.Lock()
	ct.reqs = append(ct.reqs, r.Method+" "+r.URL.Path)
	ct.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// count returns how many recorded requests end with suffix (case-insensitive) and forgets them all.
func (ct *countingTransport) take(suffix string) int {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	n := 0
	for _, r := range ct.reqs {
		if strings.HasSuffix(strings.ToLower(r), strings.ToLower(suffix)) {
			n++
		}
	}
	ct.reqs = nil
	return n
}

// sbClient returns a client of env that discovers its zone at env's server and counts requests.
func sbClient(t *testing.T, env *testsupport.Env, mod func(*autotask.Config)) (*autotask.Client, *countingTransport) {
	t.Helper()
	ct := &countingTransport{}
	cfg := autotask.Config{
		Username: env.Creds.Username, Secret: env.Creds.Secret, IntegrationCode: env.Creds.IntegrationCode,
		DiscoveryURL:        env.URL("/ATServicesRest/"),
		HTTPClient:          &http.Client{Transport: ct},
		ThresholdCheckEvery: -1, // requests are counted exactly below; the watch has tests of its own
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := autotask.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, ct
}

// seedTickets creates n tickets through the PSA service (not the API, to keep the request
// counts of the tests clean): title "Bulk 0001"…, status 8 except every third (1), priority
// i%4+1, a description on even ones.
func seedTickets(t *testing.T, env *testsupport.Env, n int) {
	t.Helper()
	e := env.PSA.Catalog.MustEntity("Tickets")
	ctx := env.Ctx()
	for i := 1; i <= n; i++ {
		in := psa.NewInput()
		set := func(k string, v any) { in.Set[e.Index(k)] = v }
		set("companyID", int64(0))
		set("title", fmt.Sprintf("Bulk %04d", i))
		set("status", map[bool]int64{true: 1, false: 8}[i%3 == 0])
		set("priority", int64(i%4+1))
		if i%2 == 0 {
			set("description", fmt.Sprintf("even ticket %d", i))
		}
		if _, err := env.PSA.Create(ctx, e, in, nil); err != nil {
			t.Fatalf("seed ticket %d: %v", i, err)
		}
	}
}

func TestSwitchboardZoneAndErrors(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, false)
			ctx := context.Background()

			c, ct := sbClient(t, env, nil)
			zone, err := c.Zone(ctx)
			if err != nil {
				t.Fatalf("zone discovery: %v", err)
			}
			if zone.ZoneName != "Switchboard" || zone.URL != env.URL("/ATServicesRest/") {
				t.Errorf("zone = %+v, want Switchboard at %s", zone, env.URL("/ATServicesRest/"))
			}
			if n := ct.take("/V1.0/zoneInformation"); n != 1 {
				t.Errorf("%d zoneInformation requests, want 1", n)
			}
			// A discovery URL without a path means the server's /ATServicesRest/, as a base URL does.
			if z, err := autotask.Discover(ctx, nil, env.Server.URL, env.Creds.Username); err != nil || z.URL != zone.URL {
				t.Errorf("discovery at %s: %+v %v", env.Server.URL, z, err)
			}
			if _, err := c.ThresholdInformation(ctx); err != nil {
				t.Errorf("ThresholdInformation: %v", err)
			}
			if raw, err := c.Do(ctx, http.MethodGet, "Version", nil); err != nil || !strings.Contains(string(raw), "majorVersion") {
				t.Errorf("GET Version: %s %v", raw, err)
			}

			tests := []struct {
				name string
				mod  func(*autotask.Config)
				want error
				not  []error
				msg  string
			}{
				{name: "wrong secret", mod: func(c *autotask.Config) { c.Secret = "not-the-secret" },
					want: autotask.ErrAuthentication, not: []error{autotask.ErrIntegrationCode, autotask.ErrValidation}, msg: "username or secret is not valid"},
				{name: "wrong integration code", mod: func(c *autotask.Config) { c.IntegrationCode = "NOTTHECODE" },
					want: autotask.ErrIntegrationCode, not: []error{autotask.ErrAuthentication, autotask.ErrValidation}, msg: "IntegrationCode is invalid"},
				{name: "unknown user", mod: func(c *autotask.Config) { c.Username = "nobody-" + testsupport.RandomHex(4) + "@example.com" },
					want: autotask.ErrZone, not: []error{autotask.ErrAuthentication}, msg: "could not be determined"},
				{name: "unknown user with a base URL", mod: func(c *autotask.Config) {
					c.Username = "nobody-" + testsupport.RandomHex(4) + "@example.com"
					c.BaseURL = env.URL("/")
				}, want: autotask.ErrZone, msg: "Zone information could not be determined"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					bad, _ := sbClient(t, env, tt.mod)
					_, err := bad.Count(ctx, "Tickets", nil)
					if !errors.Is(err, tt.want) {
						t.Fatalf("err = %v, want %v", err, tt.want)
					}
					for _, n := range tt.not {
						if errors.Is(err, n) {
							t.Errorf("err %v also matches %v", err, n)
						}
					}
					if !strings.Contains(err.Error(), tt.msg) {
						t.Errorf("err = %q, want Autotask's message %q", err, tt.msg)
					}
					if strings.Contains(err.Error(), env.Creds.Secret) {
						t.Errorf("the error shows the secret: %v", err)
					}
				})
			}

			_, err = c.Get(ctx, "Tickets", 987654)
			var nf *autotask.NotFoundError
			if !errors.Is(err, autotask.ErrNotFound) || !errors.As(err, &nf) || nf.ID != 987654 {
				t.Errorf("Get of a missing ticket: %v, want a NotFoundError", err)
			}
			if _, err := c.ChildGet(ctx, "Companies", 0, "Contacts", 987654); !errors.Is(err, autotask.ErrNotFound) {
				t.Errorf("ChildGet of a missing contact: %v, want ErrNotFound", err)
			}
			if _, err := c.Query(ctx, "Tickets", autotask.NewQuery(autotask.Eq("noSuchField", 1))); !errors.Is(err, autotask.ErrValidation) {
				t.Errorf("query on an unknown field: %v, want ErrValidation", err)
			}
			if _, err := c.Create(ctx, "Tickets", autotask.Ticket{Title: autotask.Ptr("no company")}); !errors.Is(err, autotask.ErrValidation) {
				t.Errorf("create without required fields: %v, want ErrValidation", err)
			}
			if _, err := c.Get(ctx, "NoSuchThings", 1); !errors.Is(err, autotask.ErrNotFound) {
				t.Errorf("Get on an unknown collection: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestSwitchboardQueryAndPaging(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, false)
			const n = 1234
			seedTickets(t, env, n)
			ctx := context.Background()
			c, ct := sbClient(t, env, nil)
			if _, err := c.Zone(ctx); err != nil {
				t.Fatal(err)
			}
			ct.take("")

			// Expected results, computed from the seed rule.
			want := func(keep func(i int) bool) []string {
				var out []string
				for i := 1; i <= n; i++ {
					if keep(i) {
						out = append(out, fmt.Sprintf("Bulk %04d", i))
					}
				}
				return out
			}
			status := func(i int) int { return map[bool]int{true: 1, false: 8}[i%3 == 0] }
			prio := func(i int) int { return i%4 + 1 }
			// Ticket ids follow the seed order within this tenant; find the first.
			first, _, err := autotask.QueryAs[autotask.Ticket](ctx, c, "Tickets", autotask.NewQuery(autotask.Eq("title", "Bulk 0001")))
			if err != nil || len(first) != 1 {
				t.Fatalf("the first ticket: %v %v", first, err)
			}
			id0 := *first[0].ID - 1 // ticket i has id id0+i
			tests := []struct {
				name  string
				conds []autotask.Condition
				want  []string
			}{
				{"eq", []autotask.Condition{autotask.Eq("status", 1)}, want(func(i int) bool { return status(i) == 1 })},
				{"noteq", []autotask.Condition{autotask.NotEq("status", 1)}, want(func(i int) bool { return status(i) != 1 })},
				{"gt and lt", []autotask.Condition{autotask.Gt("id", id0+100), autotask.Lt("id", id0+110)}, want(func(i int) bool { return i > 100 && i < 110 })},
				{"gte and lte", []autotask.Condition{autotask.Gte("id", id0+100), autotask.Lte("id", id0+110)}, want(func(i int) bool { return i >= 100 && i <= 110 })},
				{"beginsWith, case-insensitive", []autotask.Condition{autotask.BeginsWith("title", "bulk 00")}, want(func(i int) bool { return i < 100 })},
				{"endsWith", []autotask.Condition{autotask.EndsWith("title", "99")}, want(func(i int) bool { return i%100 == 99 })},
				{"contains", []autotask.Condition{autotask.Contains("title", "k 12")}, want(func(i int) bool { return i >= 1200 && i < 1300 })},
				{"exist", []autotask.Condition{autotask.Exist("description"), autotask.Lte("id", id0+20)}, want(func(i int) bool { return i%2 == 0 && i <= 20 })},
				{"notExist", []autotask.Condition{autotask.NotExist("description"), autotask.Lte("id", id0+20)}, want(func(i int) bool { return i%2 == 1 && i <= 20 })},
				{"in", []autotask.Condition{autotask.In("priority", 1, 4), autotask.Lte("id", id0+40)}, want(func(i int) bool { return (prio(i) == 1 || prio(i) == 4) && i <= 40 })},
				{"notIn", []autotask.Condition{autotask.NotIn("priority", 1, 4), autotask.Lte("id", id0+40)}, want(func(i int) bool { return prio(i) != 1 && prio(i) != 4 && i <= 40 })},
				{"nested or inside and", []autotask.Condition{
					autotask.Eq("status", 1),
					autotask.Or(autotask.Eq("priority", 2), autotask.And(autotask.Eq("priority", 4), autotask.Lt("id", id0+100))),
				}, want(func(i int) bool { return status(i) == 1 && (prio(i) == 2 || prio(i) == 4 && i < 100) })},
			}
			for _, tt := range tests {
				q := autotask.NewQuery(tt.conds...).Include("title")
				var got []string
				for tk, err := range autotask.AllAs[autotask.Ticket](ctx, c, "Tickets", q) {
					if err != nil {
						t.Fatalf("%s: %v", tt.name, err)
					}
					got = append(got, autotask.Value(tk.Title))
					if tk.Status != nil {
						t.Errorf("%s: IncludeFields title, but status came back", tt.name)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s: %d tickets %v…, want %d %v…", tt.name, len(got), head(got), len(tt.want), head(tt.want))
				}
				cnt, err := c.Count(ctx, "Tickets", autotask.NewQuery(tt.conds...))
				if err != nil || cnt != len(tt.want) {
					t.Errorf("%s: Count = %d, %v; want %d", tt.name, cnt, err, len(tt.want))
				}
			}
			ct.take("")

			// All() through 1,234 rows: exactly the pages needed, counted by the client and by
			// the server's own request counter.
			pagings := []struct {
				name      string
				q         *autotask.Query
				wantRows  int
				wantPages int
			}{
				{"nil query, 500 a page", nil, n, 3},
				{"200 a page", autotask.NewQuery().Limit(200), n, 7},
				{"status 8, 500 a page", autotask.NewQuery(autotask.Eq("status", 8)), n - n/3, 2},
				{"exactly one full page", autotask.NewQuery(autotask.Lte("id", id0+500)), 500, 1},
				{"two full pages", autotask.NewQuery(autotask.Lte("id", id0+1000)), 1000, 2},
			}
			for _, p := range pagings {
				before := env.Parts.Limits.InWindow(env.Tenant.ID)
				var ids []int64
				for raw, err := range c.All(ctx, "Tickets", p.q) {
					if err != nil {
						t.Fatalf("%s: %v", p.name, err)
					}
					var tk struct{ ID int64 }
					if err := json.Unmarshal(raw, &tk); err != nil {
						t.Fatal(err)
					}
					ids = append(ids, tk.ID)
				}
				served := env.Parts.Limits.InWindow(env.Tenant.ID) - before
				sent := ct.take("")
				if len(ids) != p.wantRows {
					t.Errorf("%s: %d rows, want %d", p.name, len(ids), p.wantRows)
				}
				for i := 1; i < len(ids); i++ {
					if ids[i] <= ids[i-1] {
						t.Fatalf("%s: id %d after %d", p.name, ids[i], ids[i-1])
					}
				}
				if sent != p.wantPages || served != int64(p.wantPages) {
					t.Errorf("%s: the client sent %d requests and the server counted %d, want %d pages", p.name, sent, served, p.wantPages)
				}
			}

			// A page at a time with NextPage: the last page says there is no next.
			page, err := c.Query(ctx, "Tickets", autotask.NewQuery().Limit(500))
			pages := 0
			for err == nil && page != nil {
				pages++
				if page.PageDetails.Count != len(page.Items) {
					t.Errorf("page %d: count %d for %d items", pages, page.PageDetails.Count, len(page.Items))
				}
				page, err = c.NextPage(ctx, page)
			}
			if err != nil || pages != 3 {
				t.Errorf("NextPage: %d pages, %v", pages, err)
			}
			if cnt, err := c.Count(ctx, "Tickets", nil); err != nil || cnt != n {
				t.Errorf("Count(nil) = %d, %v", cnt, err)
			}
			// Time values go on the wire as Autotask writes them.
			if cnt, err := c.Count(ctx, "Tickets", autotask.NewQuery(autotask.Gte("createDate", time.Now().Add(-time.Hour)))); err != nil || cnt != n {
				t.Errorf("Count(createDate ≥ an hour ago) = %d, %v", cnt, err)
			}
			if cnt, err := c.Count(ctx, "Tickets", autotask.NewQuery(autotask.Gt("createDate", time.Now().Add(time.Hour)))); err != nil || cnt != 0 {
				t.Errorf("Count(createDate > in an hour) = %d, %v", cnt, err)
			}

			// A child collection longer than a page: ChildList follows nextPageUrl with GET.
			ce := env.PSA.Catalog.MustEntity("Contacts")
			for i := range 623 {
				in := psa.NewInput()
				in.Set[ce.Index("companyID")] = int64(0)
				in.Set[ce.Index("firstName")] = "Child"
				in.Set[ce.Index("lastName")] = fmt.Sprintf("%04d", i)
				in.Set[ce.Index("isActive")] = int64(1)
				if _, err := env.PSA.Create(env.Ctx(), ce, in, nil); err != nil {
					t.Fatal(err)
				}
			}
			ct.take("")
			contacts, err := autotask.ChildListAs[autotask.Contact](ctx, c, "Companies", 0, "Contacts")
			if err != nil || len(contacts) != 623 {
				t.Errorf("ChildList of 623 contacts: %d, %v", len(contacts), err)
			}
			if sent := ct.take("/Contacts"); sent != 2 {
				t.Errorf("ChildList of 623 contacts took %d requests, want 2 pages", sent)
			}
		})
	}
}

func head(s []string) []string { return s[:min(len(s), 3)] }

func TestSwitchboardWrites(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			ctx := context.Background()
			c, _ := sbClient(t, env, nil)

			// Create, read back, update (PATCH: other fields kept), replace (PUT), delete.
			id, err := c.Create(ctx, "Tickets", autotask.Ticket{
				CompanyID: autotask.Ptr(0), Title: autotask.Ptr("VPN down"), Status: autotask.Ptr(1), Priority: autotask.Ptr(2),
				Description: autotask.Ptr("since 9:00"),
			})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			tk, err := autotask.GetAs[autotask.Ticket](ctx, c, "Tickets", id)
			if err != nil || autotask.Value(tk.Title) != "VPN down" || autotask.Value(tk.TicketNumber) == "" || tk.CreateDate == nil {
				t.Fatalf("get after create: %+v %v", tk, err)
			}
			if err := c.Update(ctx, "Tickets", id, autotask.Ticket{Status: autotask.Ptr(5)}); err != nil {
				t.Fatalf("update: %v", err)
			}
			tk, _ = autotask.GetAs[autotask.Ticket](ctx, c, "Tickets", id)
			if autotask.Value(tk.Status) != 5 || autotask.Value(tk.Description) != "since 9:00" || tk.CompletedDate == nil {
				t.Errorf("after PATCH status 5: status %d, description %q, completedDate %v", autotask.Value(tk.Status), autotask.Value(tk.Description), tk.CompletedDate)
			}
			if err := c.Update(ctx, "Tickets", id, map[string]any{"priority": 99}); !errors.Is(err, autotask.ErrValidation) {
				t.Errorf("update with a value outside the picklist: %v, want ErrValidation", err)
			}
			err = c.Replace(ctx, "Tickets", id, autotask.Ticket{CompanyID: autotask.Ptr(0), Title: autotask.Ptr("VPN down again"), Status: autotask.Ptr(1), Priority: autotask.Ptr(1)})
			if err != nil {
				t.Fatalf("replace: %v", err)
			}
			tk, _ = autotask.GetAs[autotask.Ticket](ctx, c, "Tickets", id)
			if autotask.Value(tk.Title) != "VPN down again" || tk.Description != nil {
				t.Errorf("after PUT: title %q, description %v (want it emptied)", autotask.Value(tk.Title), tk.Description)
			}

			// Child collections: notes through the ticket.
			noteID, err := c.ChildCreate(ctx, "Tickets", id, "Notes", autotask.TicketNote{
				Title: autotask.Ptr("Called the ISP"), Description: autotask.Ptr("Outage until 14:00"), NoteType: autotask.Ptr(1), Publish: autotask.Ptr(1),
			})
			if err != nil {
				t.Fatalf("child create: %v", err)
			}
			if err := c.ChildUpdate(ctx, "Tickets", id, "Notes", noteID, map[string]any{"title": "Called the ISP twice"}); err != nil {
				t.Errorf("child update: %v", err)
			}
			notes, err := autotask.ChildListAs[autotask.TicketNote](ctx, c, "Tickets", id, "Notes")
			if err != nil || len(notes) != 1 || autotask.Value(notes[0].Title) != "Called the ISP twice" || autotask.Value(notes[0].TicketID) != int(id) {
				t.Errorf("child list: %+v %v", notes, err)
			}
			if _, err := c.ChildGet(ctx, "Tickets", id, "Notes", noteID); err != nil {
				t.Errorf("child get: %v", err)
			}

			// Delete through a child collection (contacts of a company), then the record is gone.
			contactID, err := c.ChildCreate(ctx, "Companies", 0, "Contacts", autotask.Contact{
				FirstName: autotask.Ptr("Ada"), LastName: autotask.Ptr("Lovelace"), IsActive: autotask.Ptr(1), EmailAddress: autotask.Ptr("ada@example.com"),
			})
			if err != nil {
				t.Fatalf("create a contact: %v", err)
			}
			if err := c.ChildDelete(ctx, "Companies", 0, "Contacts", contactID); err != nil {
				t.Fatalf("child delete: %v", err)
			}
			if _, err := c.Get(ctx, "Contacts", contactID); !errors.Is(err, autotask.ErrNotFound) {
				t.Errorf("get after delete: %v, want ErrNotFound", err)
			}
			// A top-level delete, and one that Autotask does not allow (tickets are never deleted).
			atID, err := c.Create(ctx, "ActionTypes", map[string]any{"name": "Callback", "view": 1, "isActive": true})
			if err != nil {
				t.Fatalf("create an action type: %v", err)
			}
			if err := c.Delete(ctx, "ActionTypes", atID); err != nil {
				t.Errorf("delete: %v", err)
			}
			if _, err := c.Get(ctx, "ActionTypes", atID); !errors.Is(err, autotask.ErrNotFound) {
				t.Errorf("get after delete: %v, want ErrNotFound", err)
			}
			var apiErr *autotask.APIError
			if err := c.Delete(ctx, "Tickets", id); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("delete a ticket: %v, want 405", err)
			}

			// Entity information, fields with picklists, UDF definitions.
			info, err := c.EntityInformation(ctx, "Tickets")
			if err != nil || info.Name != "Ticket" && info.Name != "Tickets" || !info.CanCreate || !info.CanQuery || !info.HasUserDefinedFields {
				t.Errorf("entity information: %+v %v", info, err)
			}
			st, err := c.Field(ctx, "Tickets", "status")
			if err != nil || !st.IsPickList || !st.IsRequired {
				t.Fatalf("status field: %+v %v", st, err)
			}
			if label, ok := st.PicklistLabel("5"); !ok || label != "Complete" {
				t.Errorf("status 5 is %q", label)
			}
			if v, ok := st.PicklistValueOf("in progress"); !ok || v != "8" {
				t.Errorf("In Progress is %q", v)
			}
			if _, err := c.Field(ctx, "Tickets", "noSuchField"); !errors.Is(err, autotask.ErrNotFound) {
				t.Errorf("unknown field: %v", err)
			}
			udfs, err := c.UserDefinedFields(ctx, "Tickets")
			if err != nil || len(udfs) != 1 || udfs[0].Name != "Billable Minutes" {
				t.Fatalf("ticket UDFs: %+v %v", udfs, err)
			}

			// UDF write and read, and a query on the UDF.
			udfTicket := autotask.Ticket{CompanyID: autotask.Ptr(0), Title: autotask.Ptr("With minutes"), Status: autotask.Ptr(1), Priority: autotask.Ptr(2)}
			udfTicket.SetUDF("Billable Minutes", autotask.Ptr("45"))
			uid, err := c.Create(ctx, "Tickets", udfTicket)
			if err != nil {
				t.Fatalf("create with a UDF: %v", err)
			}
			got, _ := autotask.GetAs[autotask.Ticket](ctx, c, "Tickets", uid)
			if v, ok := got.UDF("billable minutes"); !ok || v != "45" {
				t.Errorf("UDF after create: %q %v (%+v)", v, ok, got.UserDefinedFields)
			}
			var upd autotask.Ticket
			upd.SetUDF("Billable Minutes", autotask.Ptr("90"))
			if err := c.Update(ctx, "Tickets", uid, upd); err != nil {
				t.Fatalf("update a UDF: %v", err)
			}
			got, _ = autotask.GetAs[autotask.Ticket](ctx, c, "Tickets", uid)
			if v, _ := got.UDF("Billable Minutes"); v != "90" || autotask.Value(got.Title) != "With minutes" {
				t.Errorf("after a UDF update: %q, title %q", v, autotask.Value(got.Title))
			}
			found, _, err := autotask.QueryAs[autotask.Ticket](ctx, c, "Tickets", autotask.NewQuery(autotask.Eq("Billable Minutes", "90").UDF()))
			if err != nil || len(found) != 1 || autotask.Value(found[0].ID) != uid {
				t.Errorf("query on the UDF: %d tickets, %v", len(found), err)
			}

			// Impersonation: the ticket is created by the resource named in the header.
			imp, err := c.Create(autotask.WithImpersonation(ctx, 1), "Tickets", autotask.Ticket{CompanyID: autotask.Ptr(0), Title: autotask.Ptr("For the admin"), Status: autotask.Ptr(1), Priority: autotask.Ptr(2)})
			if err != nil {
				t.Fatalf("create impersonating: %v", err)
			}
			got, _ = autotask.GetAs[autotask.Ticket](ctx, c, "Tickets", imp)
			if autotask.Value(got.CreatorResourceID) != 1 || autotask.Value(got.ImpersonatorCreatorResourceID) != int(env.Creds.ResourceID) {
				t.Errorf("impersonated create: creator %d, impersonator %d (API user %d)", autotask.Value(got.CreatorResourceID), autotask.Value(got.ImpersonatorCreatorResourceID), env.Creds.ResourceID)
			}
		})
	}
}
