package atapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

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
