package atapi_test

import (
	"fmt"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// A resource's active flag drives its API user's credentials, whichever way the resource is
// changed: the administration's EditResource (CLI, console) and the REST API's PATCH both go
// through the generic update, so the Resources hook applies the rule for both. Deactivating
// refuses the API user's calls at once; reactivating lets them in again.
func TestResourceActiveDrivesAPIUserCredentials(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, false)
			svc, ctx := env.PSA, env.Ctx()
			user, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{FirstName: "Hook"})
			if err != nil {
				t.Fatal(err)
			}
			calls := func(want int, when string) {
				t.Helper()
				r := do(t, env, call{Method: "GET", Path: v1 + "/Companies/0", Headers: headersOf(user)})
				if r.Status != want {
					t.Errorf("%s: the API user's call answered %d, want %d: %s", when, r.Status, want, r.Body)
				}
				u, err := svc.DescribeAPIUser(ctx, user.Username)
				if err != nil {
					t.Fatal(err)
				}
				if u.Active != (want == 200) {
					t.Errorf("%s: the API user's credentials are active=%v", when, u.Active)
				}
			}
			calls(200, "a new API user")

			// Through EditResource, as `switchboard resource edit --active` and the console do.
			no, yes := false, true
			if _, err := svc.EditResource(ctx, user.Username, admin.ResourceChange{Active: &no}); err != nil {
				t.Fatal(err)
			}
			calls(401, "deactivated through EditResource")
			if _, err := svc.EditResource(ctx, user.Username, admin.ResourceChange{Active: &yes}); err != nil {
				t.Fatal(err)
			}
			calls(200, "reactivated through EditResource")

			// Through the REST API, as an integration would.
			patch := func(active bool) {
				t.Helper()
				body := fmt.Sprintf(`{"id":%d,"isActive":%v}`, user.ResourceID, active)
				if r := do(t, env, call{Method: "PATCH", Path: v1 + "/Resources", Body: body}); r.Status != 200 {
					t.Fatalf("PATCH isActive=%v: %d %s", active, r.Status, r.Body)
				}
			}
			patch(false)
			calls(401, "deactivated through PATCH /Resources")
			res, err := svc.Resource(ctx, user.Username)
			if err != nil || res.Active {
				t.Errorf("after PATCH isActive=false the resource reads active=%v (%v)", res != nil && res.Active, err)
			}
			patch(true)
			calls(200, "reactivated through PATCH /Resources")

			// A rule of the Resource entity moved to the hook: no negative internal cost, from
			// either side; nothing is saved.
			cost := -1.0
			if _, err := svc.EditResource(ctx, user.Username, admin.ResourceChange{InternalCost: &cost}); err == nil {
				t.Error("EditResource took a negative internal cost")
			}
			body := fmt.Sprintf(`{"id":%d,"internalCost":-1}`, user.ResourceID)
			if r := do(t, env, call{Method: "PATCH", Path: v1 + "/Resources", Body: body}); r.Status != 500 {
				t.Errorf("PATCH a negative internal cost: %d %s", r.Status, r.Body)
			}
			if res, err := svc.Resource(ctx, user.Username); err != nil || res.InternalCost != nil {
				t.Errorf("a refused negative cost was saved: %v (%v)", res.InternalCost, err)
			}
		})
	}
}
