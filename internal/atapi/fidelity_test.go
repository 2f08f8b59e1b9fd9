package atapi_test

import (
	"net/url"
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
