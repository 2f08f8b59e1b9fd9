package atapi_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestZoneCIPerTenant: the zone answer's "ci" is the tenant's own number: the same on every
// call, different for users of another tenant.
func TestZoneCIPerTenant(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			one, two := testsupport.Start(t, b, false), testsupport.Start(t, b, false)
			ci := func(env *testsupport.Env) float64 {
				t.Helper()
				r := do(t, env, call{Method: "GET", Path: v1 + "/zoneInformation?user=" + url.QueryEscape(env.Creds.Username), NoAuth: true})
				if r.Status != 200 {
					t.Fatalf("zoneInformation: %d %s", r.Status, r.Body)
				}
				n, _ := r.json(t)["ci"].(float64)
				return n
			}
			a, b2 := ci(one), ci(two)
			if a == b2 {
				t.Errorf("two tenants share ci %v", a)
			}
			if again := ci(one); again != a {
				t.Errorf("ci changed from %v to %v", a, again)
			}
			if a != float64(one.Tenant.CI) || b2 != float64(two.Tenant.CI) {
				t.Errorf("ci %v and %v, the tenants' own are %d and %d", a, b2, one.Tenant.CI, two.Tenant.CI)
			}
		})
	}
}

// TestFilterValueLongerThanField: a filter value longer than its field can hold gets Autotask's
// validation message, not an internal error (SQLite refuses LIKE patterns over 50,000 bytes),
// and so does a write of such a value.
func TestFilterValueLongerThanField(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 50001)
	cases := []struct{ name, path, body, want string }{
		{"contains", "/Companies/query", `{"filter":[{"op":"contains","field":"companyName","value":"` + long + `"}]}`, "String value exceeds maximum length (field:companyName)."},
		{"beginsWith", "/Companies/query", `{"filter":[{"op":"beginsWith","field":"companyName","value":"` + long + `"}]}`, "String value exceeds maximum length (field:companyName)."},
		{"endsWith", "/Contacts/query/count", `{"filter":[{"op":"endsWith","field":"lastName","value":"` + long + `"}]}`, "String value exceeds maximum length (field:lastName)."},
		{"eq", "/Tickets/query", `{"filter":[{"op":"eq","field":"title","value":"` + strings.Repeat("t", 256) + `"}]}`, "String value exceeds maximum length (field:title)."},
		{"udf contains", "/Companies/query", `{"filter":[{"op":"contains","field":"Customer Number","udf":true,"value":"` + long + `"}]}`, "String value exceeds maximum length (field:Customer Number)."},
		{"write", "/Tickets", `{"companyID":1,"status":1,"priority":2,"title":"` + strings.Repeat("t", 256) + `"}`, "String value exceeds maximum length (field:title)."},
	}
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			for _, c := range cases {
				r := do(t, env, call{Method: "POST", Path: v1 + c.path, Body: c.body})
				var e struct{ Errors []string }
				_ = json.Unmarshal(r.Body, &e)
				if r.Status != 500 || len(e.Errors) != 1 || e.Errors[0] != c.want {
					t.Errorf("%s: %d %.300s; want 500 %q", c.name, r.Status, r.Body, c.want)
				}
			}
			// As long as the field holds is a query like any other.
			r := do(t, env, call{Method: "POST", Path: v1 + "/Companies/query/count", Body: `{"filter":[{"op":"contains","field":"companyName","value":"` + strings.Repeat("é", 100) + `"}]}`})
			if r.Status != 200 {
				t.Errorf("100 characters: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestCreateDefaults: what is created without isActive is active, as in Autotask, so "active"
// queries find it; a new company comes with its primary location; a value sent is kept.
func TestCreateDefaults(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			create := func(path, body string) int {
				t.Helper()
				r := do(t, env, call{Method: "POST", Path: v1 + path, Body: body})
				id, ok := r.json(t)["itemId"].(float64)
				if r.Status != 200 || !ok {
					t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
				}
				return int(id)
			}
			item := func(path string) map[string]any {
				t.Helper()
				r := do(t, env, call{Method: "GET", Path: v1 + path})
				m, _ := r.json(t)["item"].(map[string]any)
				if m == nil {
					t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
				}
				return m
			}
			company := create("/Companies", `{"companyName":"Newco Ltd","companyType":1,"phone":"555-0900","ownerResourceID":1,"address1":"1 High Street","city":"Ogdenville","postalCode":"OG1"}`)
			if got := item("/Companies/" + itoa(company))["isActive"]; got != true {
				t.Errorf("company isActive = %v, want true", got)
			}
			r := do(t, env, call{Method: "POST", Path: v1 + "/Companies/query/count", Body: `{"filter":[{"op":"eq","field":"isActive","value":true},{"op":"eq","field":"id","value":` + itoa(company) + `}]}`})
			if n := r.json(t)["queryCount"]; n != 1.0 {
				t.Errorf("active companies query finds %v of the new company", n)
			}
			r = do(t, env, call{Method: "GET", Path: v1 + "/Companies/" + itoa(company) + "/Locations"})
			locs, _ := r.json(t)["items"].([]any)
			if len(locs) != 1 {
				t.Fatalf("new company has %d locations, want its primary one: %s", len(locs), r.Body)
			}
			loc := locs[0].(map[string]any)
			for k, want := range map[string]any{"isPrimary": true, "isActive": true, "name": "Newco Ltd", "address1": "1 High Street", "city": "Ogdenville", "postalCode": "OG1", "phone": "555-0900"} {
				if loc[k] != want {
					t.Errorf("primary location %s = %v, want %v", k, loc[k], want)
				}
			}
			contact := create("/Companies/"+itoa(company)+"/Contacts", `{"firstName":"Nia","lastName":"Novak"}`)
			if got := item("/Contacts/" + itoa(contact))["isActive"]; got != 1.0 {
				t.Errorf("contact isActive = %v, want 1", got)
			}
			ci := create("/ConfigurationItems", `{"companyID":`+itoa(company)+`,"productID":1,"referenceTitle":"NEW-01"}`)
			if got := item("/ConfigurationItems/" + itoa(ci))["isActive"]; got != true {
				t.Errorf("configuration item isActive = %v, want true", got)
			}
			inactive := create("/Companies", `{"companyName":"Oldco","companyType":1,"phone":"1","ownerResourceID":1,"isActive":false}`)
			if got := item("/Companies/" + itoa(inactive))["isActive"]; got != false {
				t.Errorf("company created inactive reads isActive = %v", got)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestCostsHiddenEverywhere: "Can't Read Costs" hides every form of a cost: the internal-currency
// twin of a hidden cost, project cost budgets and margins; none can be read or filtered on.
func TestCostsHiddenEverywhere(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			u, err := env.PSA.CreateAPIUser(env.Ctx(), admin.NewAPIUser{SecurityLevel: "API User (system) Can't Read Costs"})
			if err != nil {
				t.Fatal(err)
			}
			h := headersOf(u)
			for _, c := range []struct {
				coll, body string
				hidden     []string
				visible    string
			}{
				{"Contracts", `{"companyID":1,"contractName":"Managed","setupFee":100,"internalCurrencySetupFee":100,"overageBillingRate":80}`,
					[]string{"setupFee", "internalCurrencySetupFee", "estimatedCost"}, "overageBillingRate"},
				{"Projects", `{"companyID":1,"projectName":"Migration","laborEstimatedCosts":5000,"projectCostsBudget":2000,"changeOrdersBudget":300,"laborEstimatedMarginPercentage":25,"projectCostEstimatedMarginPercentage":30,"laborEstimatedRevenue":9000}`,
					[]string{"laborEstimatedCosts", "projectCostsBudget", "changeOrdersBudget", "laborEstimatedMarginPercentage", "projectCostEstimatedMarginPercentage"}, "laborEstimatedRevenue"},
			} {
				r := do(t, env, call{Method: "POST", Path: v1 + "/" + c.coll, Body: c.body})
				id, ok := r.json(t)["itemId"].(float64)
				if !ok {
					t.Fatalf("create %s: %d %s", c.coll, r.Status, r.Body)
				}
				item, _ := do(t, env, call{Method: "GET", Path: v1 + "/" + c.coll + "/" + itoa(int(id)), Headers: h}).json(t)["item"].(map[string]any)
				if item == nil {
					t.Fatalf("%s %v not readable by Can't Read Costs", c.coll, id)
				}
				for _, f := range c.hidden {
					if item[f] != nil {
						t.Errorf("Can't Read Costs reads %s.%s = %v", c.coll, f, item[f])
					}
					q := do(t, env, call{Method: "POST", Path: v1 + "/" + c.coll + "/query", Headers: h, Body: `{"filter":[{"op":"gt","field":"` + f + `","value":0}]}`})
					if q.Status != 403 {
						t.Errorf("Can't Read Costs filters on %s.%s: %d %.200s", c.coll, f, q.Status, q.Body)
					}
				}
				if item[c.visible] == nil {
					t.Errorf("%s.%s (a price, not a cost) is hidden", c.coll, c.visible)
				}
			}
		})
	}
}

// TestLOBWrites: a caller restricted to some lines of business cannot create or move a ticket,
// or any row with organizationalLevelAssociationID, into a line it cannot see; into its own
// line, or none, it can. An unrestricted caller can use any line.
func TestLOBWrites(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env, fx := newFixture(t, b, "Full Access (system)", []string{"mine"})
			own, other := fx.lobs[0], fx.lobs[1]
			for _, c := range []*matrixCaller{
				directCaller(t, env, fx, "API User (system)", []int64{own}),
				impersonatingCaller(t, env, fx), // R, restricted to its own line
			} {
				name := c.name
				if c.impersonates {
					name += " impersonated"
				}
				ticket := func(lob int64) string {
					l := "null"
					if lob != 0 {
						l = strconv.FormatInt(lob, 10)
					}
					return `{"companyID":1,"title":"LOB","status":1,"priority":2,"organizationalLevelAssociationID":` + l + `}`
				}
				r := do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: ticket(other), Headers: c.headers})
				if r.Status != 403 || !strings.Contains(string(r.Body), "organizationalLevelAssociationID") {
					t.Errorf("%s: create in another line: %d %s", name, r.Status, r.Body)
				}
				r = do(t, env, call{Method: "POST", Path: v1 + "/Projects", Body: `{"companyID":1,"projectName":"LOB","organizationalLevelAssociationID":` + strconv.FormatInt(other, 10) + `}`, Headers: c.headers})
				if r.Status != 403 {
					t.Errorf("%s: create a project in another line: %d %s", name, r.Status, r.Body)
				}
				wantOK(t, name+": create in no line", do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: ticket(0), Headers: c.headers}))
				r = do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: ticket(own), Headers: c.headers})
				wantOK(t, name+": create in its own line", r)
				id, _ := r.json(t)["itemId"].(float64)
				r = do(t, env, call{Method: "PATCH", Path: v1 + "/Tickets", Body: `{"id":` + itoa(int(id)) + `,"organizationalLevelAssociationID":` + strconv.FormatInt(other, 10) + `}`, Headers: c.headers})
				if r.Status != 403 {
					t.Errorf("%s: move into another line: %d %s", name, r.Status, r.Body)
				}
				item, _ := do(t, env, call{Method: "GET", Path: v1 + "/Tickets/" + itoa(int(id))}).json(t)["item"].(map[string]any)
				if item == nil || item["organizationalLevelAssociationID"] != float64(own) {
					t.Errorf("%s: after a refused move the ticket reads %v", name, item)
				}
				wantOK(t, name+": a change that keeps the line", do(t, env, call{Method: "PATCH", Path: v1 + "/Tickets", Body: `{"id":` + itoa(int(id)) + `,"title":"Still mine"}`, Headers: c.headers}))
			}
			// The unrestricted API user may use any line.
			wantOK(t, "unrestricted: create in any line", do(t, env, call{Method: "POST", Path: v1 + "/Tickets",
				Body: `{"companyID":1,"title":"LOB","status":1,"priority":2,"organizationalLevelAssociationID":` + strconv.FormatInt(other, 10) + `}`}))
		})
	}
}
