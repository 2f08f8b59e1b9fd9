package atapi_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// Focused scenarios of the access model through the REST API, beside the R4 matrix.

func idsOf(t *testing.T, r reply) []int64 {
	t.Helper()
	var out []int64
	items, _ := r.json(t)["items"].([]any)
	for _, it := range items {
		out = append(out, int64(it.(map[string]any)["id"].(float64)))
	}
	return out
}

func itemID(t *testing.T, r reply) int64 {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	return int64(r.json(t)["itemId"].(float64))
}

func TestLinesOfBusinessInTheAPI(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			svc, ctx := env.PSA, env.Ctx()
			post := func(path, body string, h map[string]string) reply {
				return do(t, env, call{Method: "POST", Path: v1 + path, Body: body, Headers: h})
			}
			// Off by default: the structure is read-only and nothing carries an association.
			if r := post("/OrganizationalLevel1s", `{"name":"East"}`, nil); r.Status != 500 || !strings.Contains(string(r.Body), "not enabled") {
				t.Errorf("level 1 while off: %d %s", r.Status, r.Body)
			}
			if r := post("/Tickets", `{"companyID":1,"title":"x","status":1,"priority":2,"organizationalLevelAssociationID":1}`, nil); r.Status != 500 || !strings.Contains(string(r.Body), "not enabled") {
				t.Errorf("an association while off: %d %s", r.Status, r.Body)
			}
			if _, err := svc.SetOrgStructure(ctx, true); err != nil {
				t.Fatal(err)
			}
			east := itemID(t, post("/OrganizationalLevel1s", `{"name":"East","isActive":true}`, nil))
			managed := itemID(t, post("/OrganizationalLevel2s", `{"name":"Managed","isActive":true}`, nil))
			projects := itemID(t, post("/OrganizationalLevel2s", `{"name":"Projects","isActive":true}`, nil))
			a1 := itemID(t, post("/OrganizationalLevelAssociations", fmt.Sprintf(`{"organizationalLevel1ID":%d,"organizationalLevel2ID":%d,"isActive":true}`, east, managed), nil))
			a2 := itemID(t, post("/OrganizationalLevelAssociations", fmt.Sprintf(`{"organizationalLevel1ID":%d,"organizationalLevel2ID":%d,"isActive":true}`, east, projects), nil))
			tech, err := svc.CreateResource(ctx, admin.NewResource{FirstName: "Lou", LastName: "B", Email: "lou@msp.example", Username: "lou" + testsupport.RandomHex(3),
				SecurityLevel: "Full Access", LocationID: 1, LOBs: []int64{a1}, Departments: []admin.DepartmentRole{{DepartmentID: 1, RoleID: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			ticket := func(lob int64, assigned bool) int64 {
				body := `{"companyID":1,"title":"t","status":1,"priority":2`
				if lob != 0 {
					body += fmt.Sprintf(`,"organizationalLevelAssociationID":%d`, lob)
				}
				if assigned {
					body += fmt.Sprintf(`,"assignedResourceID":%d,"assignedResourceRoleID":1`, tech.ID)
				}
				return itemID(t, post("/Tickets", body+"}", nil))
			}
			none, inA1, inA2, mineInA2 := ticket(0, false), ticket(a1, false), ticket(a2, false), ticket(a2, true)
			note := itemID(t, post(fmt.Sprintf("/Tickets/%d/Notes", inA2), `{"title":"n","description":"d","noteType":3,"publish":1}`, nil))

			as := map[string]string{"ImpersonationResourceId": strconv.FormatInt(tech.ID, 10)}
			filter := fmt.Sprintf(`{"filter":[{"op":"in","field":"id","value":[%d,%d,%d,%d]}]}`, none, inA1, inA2, mineInA2)
			if got := fmt.Sprint(idsOf(t, post("/Tickets/query", filter, as))); got != fmt.Sprint([]int64{none, inA1, mineInA2}) {
				t.Errorf("the resource in %d sees tickets %s; want the one without a LOB, the one in its LOB and its own", a1, got)
			}
			if got := fmt.Sprint(idsOf(t, post("/Tickets/query", filter, nil))); got != fmt.Sprint([]int64{none, inA1, inA2, mineInA2}) {
				t.Errorf("the API user without LOBs sees %s", got)
			}
			if r := do(t, env, call{Method: "GET", Path: fmt.Sprintf("%s/TicketNotes/%d", v1, note), Headers: as}); strings.TrimSpace(string(r.Body)) != `{"item":null}` {
				t.Errorf("a note of a ticket in another LOB: %s", r.Body)
			}
			// One may not create an item in a line of business one cannot see (issue 7, item 6;
			// more in TestLOBWrites).
			if r := post("/Tickets", fmt.Sprintf(`{"companyID":1,"title":"x","status":1,"priority":2,"organizationalLevelAssociationID":%d}`, a2), as); r.Status != 403 {
				t.Errorf("a ticket created in another LOB: %d %s", r.Status, r.Body)
			}
			info := do(t, env, call{Method: "GET", Path: v1 + "/Tickets/entityInformation", Headers: as}).json(t)["info"].(map[string]any)
			if info["userAccessForQuery"] != "Restricted" || info["userAccessForCreate"] != "All" {
				t.Errorf("entityInformation for a LOB-restricted resource: %v", info)
			}
			// Turning the structure off needs every resource out of every LOB first.
			if _, err := svc.SetOrgStructure(ctx, false); err == nil || !strings.Contains(err.Error(), "Remove every resource") {
				t.Errorf("turning off with resources in LOBs: %v", err)
			}
			if _, err := svc.SetResourceLOBs(ctx, tech.Username, nil); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(idsOf(t, post("/Tickets/query", filter, as))); got != fmt.Sprint([]int64{none, inA1, inA2, mineInA2}) {
				t.Errorf("after the LOBs were taken away the resource sees %s", got)
			}
			if _, err := svc.SetOrgStructure(ctx, false); err != nil {
				t.Errorf("turning off: %v", err)
			}
		})
	}
}

func TestImpersonation(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			svc, ctx := env.PSA, env.Ctx()
			tech, err := svc.CreateResource(ctx, admin.NewResource{FirstName: "Ima", LastName: "Tech", Email: "ima@msp.example", Username: "ima" + testsupport.RandomHex(3),
				SecurityLevel: "Team Member", LocationID: 1})
			if err != nil {
				t.Fatal(err)
			}
			as := func(id int64) map[string]string {
				return map[string]string{"ImpersonationResourceId": strconv.FormatInt(id, 10)}
			}
			ticket := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":1,"title":"by Ima","status":1,"priority":2}`, Headers: as(tech.ID)}))
			e := svc.Catalog.MustEntity("Tickets")
			row, _ := svc.Get(ctx, e, ticket, nil)
			if row.Values[e.Index("creatorResourceID")] != tech.ID || row.Values[e.Index("impersonatorCreatorResourceID")] != env.Creds.ResourceID {
				t.Errorf("creator %v, impersonator %v", row.Values[e.Index("creatorResourceID")], row.Values[e.Index("impersonatorCreatorResourceID")])
			}
			// The rights are both parties': the API user may edit resources, Team Member may not.
			body := fmt.Sprintf(`{"id":%d,"title":"Lead"}`, tech.ID)
			wantDenied(t, "impersonated resource update", do(t, env, call{Method: "PATCH", Path: v1 + "/Resources", Body: body, Headers: as(tech.ID)}), "update")
			wantOK(t, "direct resource update", do(t, env, call{Method: "PATCH", Path: v1 + "/Resources", Body: body}))

			refused := func(what string, h map[string]string, status int, text string) {
				t.Helper()
				r := do(t, env, call{Method: "GET", Path: v1 + "/Tickets/1", Headers: h})
				if r.Status != status || !strings.Contains(string(r.Body), text) {
					t.Errorf("%s: %d %s; want %d %q", what, r.Status, r.Body, status, text)
				}
			}
			api, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{})
			if err != nil {
				t.Fatal(err)
			}
			refused("impersonating an API-only user", as(api.ResourceID), 403, "impersonate")
			refused("impersonating no resource", as(424242), 500, "not the id of a resource")
			refused("impersonating garbage", map[string]string{"ImpersonationResourceId": "abc"}, 500, "ImpersonationResourceId")
			// A level that does not allow being impersonated, and an API level that may not impersonate.
			if _, err := svc.CopySecurityLevel(ctx, "Team Member", "Private Techs", false); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ChangeSecurityLevel(ctx, "Private Techs", admin.LevelChange{Flags: map[string]bool{"allowImpersonation": false}}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.EditResource(ctx, tech.Username, admin.ResourceChange{SecurityLevel: "Private Techs"}); err != nil {
				t.Fatal(err)
			}
			refused("impersonating a level that does not allow it", as(tech.ID), 403, "impersonate")
			if _, err := svc.EditResource(ctx, tech.Username, admin.ResourceChange{SecurityLevel: "Team Member"}); err != nil {
				t.Fatal(err)
			}
			if r := do(t, env, call{Method: "GET", Path: v1 + "/Tickets/1", Headers: as(tech.ID)}); r.Status != 200 {
				t.Errorf("impersonating again after the level change: %d %s", r.Status, r.Body)
			}
			if _, err := svc.CopySecurityLevel(ctx, "API User (system)", "No Impersonation", false); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ChangeSecurityLevel(ctx, "No Impersonation", admin.LevelChange{Flags: map[string]bool{"canImpersonate": false}}); err != nil {
				t.Fatal(err)
			}
			plain, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{SecurityLevel: "No Impersonation"})
			if err != nil {
				t.Fatal(err)
			}
			refused("an API level without impersonation", with(headersOf(plain), "ImpersonationResourceId", strconv.FormatInt(tech.ID, 10)), 403, "impersonate")
			if _, err := svc.DeactivateResource(ctx, tech.Username); err != nil {
				t.Fatal(err)
			}
			refused("impersonating an inactive resource", as(tech.ID), 500, "inactive")
		})
	}
}

func TestCostsAreHidden(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			svc, ctx := env.PSA, env.Ctx()
			cost := 61.25
			tech, err := svc.CreateResource(ctx, admin.NewResource{FirstName: "C", LastName: "Ost", Email: "c@msp.example", Username: "cost" + testsupport.RandomHex(3),
				SecurityLevel: "Team Member", LocationID: 1, InternalCost: &cost})
			if err != nil {
				t.Fatal(err)
			}
			u, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{SecurityLevel: "API User (system) Can't Read Costs"})
			if err != nil {
				t.Fatal(err)
			}
			h := headersOf(u)
			path := fmt.Sprintf("%s/Resources/%d", v1, tech.ID)
			if item := do(t, env, call{Method: "GET", Path: path, Headers: h}).json(t)["item"].(map[string]any); item["internalCost"] != nil || item["firstName"] != "C" {
				t.Errorf("Can't Read Costs reads %v", item["internalCost"])
			}
			if item := do(t, env, call{Method: "GET", Path: path}).json(t)["item"].(map[string]any); item["internalCost"] != cost {
				t.Errorf("API User (system) reads %v", item["internalCost"])
			}
			q := do(t, env, call{Method: "POST", Path: v1 + "/Resources/query", Body: fmt.Sprintf(`{"filter":[{"op":"eq","field":"id","value":%d}],"IncludeFields":["internalCost"]}`, tech.ID), Headers: h})
			if !strings.Contains(string(q.Body), `"internalCost":null`) {
				t.Errorf("query with IncludeFields: %s", q.Body)
			}
			if r := do(t, env, call{Method: "POST", Path: v1 + "/Resources/query", Body: `{"filter":[{"op":"gt","field":"internalCost","value":60}]}`, Headers: h}); r.Status != 403 || !strings.Contains(string(r.Body), "internalCost") {
				t.Errorf("a filter on a cost field: %d %s", r.Status, r.Body)
			}
			if r := do(t, env, call{Method: "PATCH", Path: v1 + "/Resources", Body: fmt.Sprintf(`{"id":%d,"internalCost":1}`, tech.ID), Headers: h}); r.Status != 403 {
				t.Errorf("writing a cost: %d %s", r.Status, r.Body)
			}
			// What such a caller reads (null) can be written back: the stored cost stays.
			wantOK(t, "patch with a null cost", do(t, env, call{Method: "PATCH", Path: v1 + "/Resources", Body: fmt.Sprintf(`{"id":%d,"internalCost":null,"title":"Senior"}`, tech.ID), Headers: h}))
			wantOK(t, "put without the cost", do(t, env, call{Method: "PUT", Path: v1 + "/Resources", Body: fmt.Sprintf(`{"id":%d,"firstName":"C","lastName":"Ost","email":"c@msp.example","locationID":1,"isActive":true}`, tech.ID), Headers: h}))
			if r, _ := svc.Resource(ctx, tech.Username); r.InternalCost == nil || *r.InternalCost != cost {
				t.Errorf("the stored cost after writes by Can't Read Costs: %v", r.InternalCost)
			}
		})
	}
}

func TestAPIOnlyUsersOwnNothing(t *testing.T) {
	t.Parallel()
	env := testsupport.Start(t, testsupport.SQLite, true)
	api := env.Creds.ResourceID
	for _, c := range []struct{ path, body, want string }{
		{"/Tickets", fmt.Sprintf(`{"companyID":1,"title":"x","status":1,"priority":2,"assignedResourceID":%d,"assignedResourceRoleID":1}`, api), "assigned resource of a ticket"},
		{"/Companies", fmt.Sprintf(`{"companyName":"x","companyType":1,"phone":"1","ownerResourceID":%d}`, api), "cannot own a company"},
		{"/Opportunities", fmt.Sprintf(`{"title":"x","ownerResourceID":%d}`, api), "cannot own an opportunity"},
	} {
		if r := do(t, env, call{Method: "POST", Path: v1 + c.path, Body: c.body}); r.Status != 500 || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("POST %s: %d %s", c.path, r.Status, r.Body)
		}
	}
	project := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Projects", Body: `{"projectName":"Rollout","companyID":1}`}))
	if r := do(t, env, call{Method: "POST", Path: fmt.Sprintf("%s/Projects/%d/Tasks", v1, project), Body: fmt.Sprintf(`{"title":"t","assignedResourceID":%d,"assignedResourceRoleID":1}`, api)}); r.Status != 500 || !strings.Contains(string(r.Body), "assigned resource of a task") {
		t.Errorf("a task assigned to an API user: %d %s", r.Status, r.Body)
	}
	ticket := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":1,"title":"x","status":1,"priority":2}`}))
	if r := do(t, env, call{Method: "POST", Path: fmt.Sprintf("%s/Tickets/%d/SecondaryResources", v1, ticket), Body: fmt.Sprintf(`{"resourceID":%d,"roleID":1}`, api)}); r.Status != 500 || !strings.Contains(string(r.Body), "secondary resource of a ticket") {
		t.Errorf("an API user as secondary resource: %d %s", r.Status, r.Body)
	}
	// They may be creators, and they cannot sign in to the console.
	row, _ := env.PSA.Get(env.Ctx(), env.PSA.Catalog.MustEntity("Tickets"), ticket, nil)
	if row.Values[env.PSA.Catalog.MustEntity("Tickets").Index("creatorResourceID")] != api {
		t.Error("the API user is not the ticket's creator")
	}
	r, err := env.PSA.Resource(env.Ctx(), strconv.FormatInt(api, 10))
	if err != nil || !r.APIOnly || r.ConsoleLogin {
		t.Errorf("the API user's resource: %+v %v", r, err)
	}
}

func TestTrackingIdentifiers(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			svc, ctx := env.PSA, env.Ctx()
			list, err := svc.TrackingIdentifiers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			vendors := map[string]string{}
			for _, v := range list {
				if v.Kind == "vendor" {
					vendors[v.Name] = v.Code
					if len(v.Code) != 27 || !v.Active {
						t.Errorf("seeded vendor %+v", v)
					}
				}
			}
			if len(vendors) < 5 {
				t.Fatalf("the vendor list has %d vendors", len(vendors))
			}
			u, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{Vendor: "IT Glue – Documentation Management"}) // the dash as the vendor's article types it
			if err != nil {
				t.Fatal(err)
			}
			h := headersOf(u)
			get := func(h map[string]string) reply {
				return do(t, env, call{Method: "GET", Path: v1 + "/Companies/0", Headers: h})
			}
			if u.IntegrationCode != vendors["IT Glue - Documentation Management"] || get(h).Status != 200 {
				t.Fatalf("the vendor-bound user: %+v", u)
			}
			invalid := `{"errors":["IntegrationCode is invalid."]}`
			for what, code := range map[string]string{"another vendor's code": vendors["Zapier"], "the tenant's other user's code": env.Creds.IntegrationCode, "no code": ""} {
				if r := get(with(h, "ApiIntegrationCode", code)); r.Status != 500 || strings.TrimSpace(string(r.Body)) != invalid {
					t.Errorf("%s: %d %s", what, r.Status, r.Body)
				}
			}
			added, err := svc.AddVendor(ctx, "Acme Sync", "")
			if err != nil || len(added.Code) != 27 {
				t.Fatalf("add vendor: %+v %v", added, err)
			}
			if _, err := svc.AddVendor(ctx, "acme sync", ""); err == nil {
				t.Error("the same vendor twice")
			}
			if _, err := svc.AddVendor(ctx, "Bad Code", "short"); err == nil {
				t.Error("a vendor with a malformed code")
			}
			// Disabling a vendor or a custom code refuses its calls at once; enabling restores them.
			if _, err := svc.SetTrackingIdentifierActive(ctx, "IT Glue - Documentation Management", false); err != nil {
				t.Fatal(err)
			}
			if r := get(h); r.Status != 500 || strings.TrimSpace(string(r.Body)) != invalid {
				t.Errorf("a disabled vendor: %d %s", r.Status, r.Body)
			}
			if _, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{Vendor: "IT Glue - Documentation Management"}); err == nil {
				t.Error("a new user was bound to a disabled vendor")
			}
			if _, err := svc.SetTrackingIdentifierActive(ctx, "IT Glue - Documentation Management", true); err != nil {
				t.Fatal(err)
			}
			if r := get(h); r.Status != 200 {
				t.Errorf("an enabled vendor: %d %s", r.Status, r.Body)
			}
			if _, err := svc.SetTrackingIdentifierActive(ctx, env.Creds.Username, false); err != nil {
				t.Fatal(err)
			}
			if r := get(nil); r.Status != 500 {
				t.Errorf("a disabled custom code: %d %s", r.Status, r.Body)
			}
			if _, err := svc.SetTrackingIdentifierActive(ctx, env.Creds.IntegrationCode, true); err != nil {
				t.Fatal(err)
			}
			if r := get(nil); r.Status != 200 {
				t.Errorf("a custom code enabled again: %d %s", r.Status, r.Body)
			}
			// Usage is counted per identifier, and stored.
			for i := 0; i < 3; i++ {
				get(h)
			}
			if err := env.Parts.FlushUsage(ctx); err != nil {
				t.Fatal(err)
			}
			usage, err := svc.Usage(ctx, time.Now().Unix()/3600-1)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int64{}
			for _, x := range usage {
				counts[x.Code] += x.Requests
			}
			if counts[u.IntegrationCode] < 4 || counts[env.Creds.IntegrationCode] < 1 {
				t.Errorf("usage by identifier: %v", counts)
			}
		})
	}
}

func TestWebhookMaximum(t *testing.T) {
	t.Parallel()
	env := testsupport.Start(t, testsupport.SQLite, true)
	svc, ctx := env.PSA, env.Ctx()
	if _, err := svc.CopySecurityLevel(ctx, "API User (system)", "One Hook", false); err != nil {
		t.Fatal(err)
	}
	one := 1
	if _, err := svc.ChangeSecurityLevel(ctx, "One Hook", admin.LevelChange{MaxWebhooks: &one}); err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{SecurityLevel: "One Hook"})
	if err != nil {
		t.Fatal(err)
	}
	hook := `{"name":"h","webhookUrl":"https://r.example/h","deactivationUrl":"https://r.example/d","isActive":true,"secretKey":"k","isSubscribedToCreateEvents":true,"isSubscribedToUpdateEvents":false,"isSubscribedToDeleteEvents":false}`
	wantOK(t, "the first webhook", do(t, env, call{Method: "POST", Path: v1 + "/TicketWebhooks", Body: hook, Headers: headersOf(u)}))
	if r := do(t, env, call{Method: "POST", Path: v1 + "/CompanyWebhooks", Body: hook, Headers: headersOf(u)}); r.Status != 500 || !strings.Contains(string(r.Body), "at most 1 webhooks") {
		t.Errorf("a second webhook: %d %s", r.Status, r.Body)
	}
	zero := 0
	if _, err := svc.ChangeSecurityLevel(ctx, "One Hook", admin.LevelChange{MaxWebhooks: &zero}); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, "webhooks turned off", do(t, env, call{Method: "POST", Path: v1 + "/CompanyWebhooks", Body: hook, Headers: headersOf(u)}), "create")
}
