package atapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
	"github.com/switchboard-psa/switchboard/internal/webhook"
)

// R4: the permission matrix. Every core collection × get, query, count, create, update, delete
// × each system level, a copy with No Permission, a copy with Mine scopes, a LOB-restricted
// resource and a LOB-restricted API user, through the REST API, on SQLite and PostgreSQL.
//
// Each caller gets a tenant of its own holding, for every core collection, a "mine" row (one
// that belongs to the resource R: assigned to R, owned by R, of a company R owns, a child of
// such a row) and an "other" row (belonging to nobody in particular), where the collection can
// have one. API-only levels call directly; every other level is reached the way the API reaches
// it, by an "API User (system)" impersonating R, whose level is the one under test, so the
// effective rights are that level's. What each cell must answer is worked out below from the
// level's grid and access-model.md, not from the code under test:
//   - reads are filtered silently: get of an invisible row → {"item":null}; query and count see
//     only visible rows;
//   - writes without permission → 403 "...adequate permissions to <create|update|delete>...";
//     an invisible row does not exist for an update or delete (Autotask's "No matching records");
//   - Mine / My Companies reach exactly the rows described above;
//   - a LOB-restricted caller sees the tickets (and their notes) of its LOB, none of another;
//   - cost fields read null unless every party may read costs;
//   - entityInformation's userAccessFor* say All, Restricted or None.

type rowKind int

const (
	mineRow rowKind = iota
	otherRow
)

func (k rowKind) String() string { return map[rowKind]string{mineRow: "mine", otherRow: "other"}[k] }

// relation says which scopes a "mine" row of a collection falls under.
type relation struct{ mine, companies bool }

// relations is the meaning of Mine and My Companies for the core collections (access-model.md:
// "Mine" is assigned or owned, "My companies" the companies owned or on the account team of).
var relations = map[string]relation{
	"Companies":          {mine: true, companies: true}, // owned by R
	"CompanyLocations":   {mine: true, companies: true}, // of a company R owns
	"Contacts":           {mine: true, companies: true},
	"ConfigurationItems": {mine: true, companies: true},
	"Tickets":            {mine: true, companies: true}, // assigned to R, of R's company
	"TicketNotes":        {mine: true, companies: true}, // of such a ticket
	"Resources":          {mine: true},                  // R itself
	// Webhooks (owned by R) and their children; other collections relate to no resource.
}

func relationOf(e *catalog.Entity) relation {
	if r, ok := relations[e.Name]; ok {
		return r
	}
	if e.Object == "Webhooks" && e.Name != "WebhookEventErrorLogs" {
		return relation{mine: true}
	}
	return relation{}
}

// lobCarrying are the core collections filtered by line of business.
var lobCarrying = map[string]bool{"Tickets": true, "TicketNotes": true}

type matrixCaller struct {
	name string
	// level is the grid that decides (the impersonated resource's, or the API user's own).
	level *access.Level
	// impersonates is true when an API User (system) acts as R: "mine" rows are then the caller's.
	impersonates bool
	lob          bool // restricted to the line of business of the "mine" ticket
	headers      map[string]string
	fx           *fixture
	env          *testsupport.Env
}

func (c *matrixCaller) qualifies(e *catalog.Entity, k rowKind, s access.Scope) bool {
	switch s {
	case access.All:
		return true
	case access.None:
		return false
	}
	if k != mineRow || !c.impersonates {
		return false
	}
	rel := relationOf(e)
	switch s {
	case access.Mine:
		return rel.mine
	case access.MyCompanies:
		return rel.companies
	}
	return rel.mine || rel.companies
}

func (c *matrixCaller) perm(e *catalog.Entity) access.Permission { return c.level.Permission(e) }

func (c *matrixCaller) visible(e *catalog.Entity, k rowKind) bool {
	if c.lob && lobCarrying[e.Name] && k == otherRow {
		return false
	}
	return c.qualifies(e, k, c.perm(e).View)
}

func (c *matrixCaller) readsCosts() bool { return c.level.Flags.CanViewInternalCost }

func (c *matrixCaller) webhooks() bool { return c.level.Flags.CanCreateWebhooks }

func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			for _, spec := range matrixCallers() {
				t.Run(spec.name, func(t *testing.T) {
					t.Parallel()
					c := spec.build(t, b)
					checkMatrix(t, c)
				})
			}
		})
	}
}

type callerSpec struct {
	name  string
	build func(t *testing.T, b testsupport.Backend) *matrixCaller
}

func matrixCallers() []callerSpec {
	var out []callerSpec
	for _, l := range access.SystemLevels() {
		l := l
		if l.APIOnly {
			out = append(out, callerSpec{l.Name, func(t *testing.T, b testsupport.Backend) *matrixCaller {
				env, fx := newFixture(t, b, "Team Member (system)", nil)
				return directCaller(t, env, fx, l.Name, nil)
			}})
			continue
		}
		out = append(out, callerSpec{l.Name + " impersonated", func(t *testing.T, b testsupport.Backend) *matrixCaller {
			env, fx := newFixture(t, b, l.Name, nil)
			return impersonatingCaller(t, env, fx)
		}})
	}
	out = append(out,
		callerSpec{"copy with No Permission", func(t *testing.T, b testsupport.Backend) *matrixCaller {
			env, fx := newFixture(t, b, "Team Member (system)", nil)
			if _, err := env.PSA.CopySecurityLevel(env.Ctx(), "API User (system)", "Nothing API", true); err != nil {
				t.Fatal(err)
			}
			return directCaller(t, env, fx, "Nothing API", nil)
		}},
		callerSpec{"copy with Mine scopes impersonated", func(t *testing.T, b testsupport.Backend) *matrixCaller {
			env := testsupport.Start(t, b, true)
			ctx := env.Ctx()
			if _, err := env.PSA.CopySecurityLevel(ctx, "Team Member (system)", "Only Mine", false); err != nil {
				t.Fatal(err)
			}
			for _, object := range coreObjects() {
				if _, err := env.PSA.ChangeSecurityLevel(ctx, "Only Mine", admin.LevelChange{Object: object, View: "mine", Add: "yes", Edit: "mine", Delete: "mine"}); err != nil {
					t.Fatalf("%s: %v", object, err)
				}
			}
			fx := buildFixture(t, env, "Only Mine", nil)
			return impersonatingCaller(t, env, fx)
		}},
		callerSpec{"copy with My Companies scopes impersonated", func(t *testing.T, b testsupport.Backend) *matrixCaller {
			env := testsupport.Start(t, b, true)
			ctx := env.Ctx()
			if _, err := env.PSA.CopySecurityLevel(ctx, "Manager (system)", "My Accounts", false); err != nil {
				t.Fatal(err)
			}
			for _, object := range coreObjects() {
				if _, err := env.PSA.ChangeSecurityLevel(ctx, "My Accounts", admin.LevelChange{Object: object, View: "mine-companies", Add: "no", Edit: "my-companies", Delete: "my-companies"}); err != nil {
					t.Fatalf("%s: %v", object, err)
				}
			}
			fx := buildFixture(t, env, "My Accounts", nil)
			return impersonatingCaller(t, env, fx)
		}},
		callerSpec{"LOB-restricted resource impersonated", func(t *testing.T, b testsupport.Backend) *matrixCaller {
			env, fx := newFixture(t, b, "Full Access (system)", []string{"mine"})
			c := impersonatingCaller(t, env, fx)
			c.lob = true
			return c
		}},
		callerSpec{"LOB-restricted API user", func(t *testing.T, b testsupport.Backend) *matrixCaller {
			env, fx := newFixture(t, b, "Team Member (system)", nil)
			c := directCaller(t, env, fx, "API User (system)", []int64{fx.lobs[0]})
			c.lob = true
			return c
		}},
	)
	return out
}

// coreObjects are the permission objects of the core collections.
func coreObjects() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range catalog.Default.Entities() {
		if e.Core && !seen[e.Object] {
			seen[e.Object] = true
			out = append(out, e.Object)
		}
	}
	sort.Strings(out)
	return out
}

func newFixture(t *testing.T, b testsupport.Backend, levelOfR string, lobsOfR []string) (*testsupport.Env, *fixture) {
	env := testsupport.Start(t, b, true)
	return env, buildFixture(t, env, levelOfR, lobsOfR)
}

// directCaller is an API user of a level calling as itself.
func directCaller(t *testing.T, env *testsupport.Env, fx *fixture, level string, lobs []int64) *matrixCaller {
	t.Helper()
	creds, err := env.PSA.CreateAPIUser(env.Ctx(), admin.NewAPIUser{SecurityLevel: level, LOBs: lobs})
	if err != nil {
		t.Fatal(err)
	}
	l, err := env.PSA.SecurityLevel(env.Ctx(), level)
	if err != nil {
		t.Fatal(err)
	}
	return &matrixCaller{name: level, level: l, fx: fx, env: env,
		headers: map[string]string{"UserName": creds.Username, "Secret": creds.Secret, "ApiIntegrationCode": creds.IntegrationCode}}
}

// impersonatingCaller is the env's API User (system) acting as R.
func impersonatingCaller(t *testing.T, env *testsupport.Env, fx *fixture) *matrixCaller {
	t.Helper()
	r, err := env.PSA.Resource(env.Ctx(), strconv.FormatInt(fx.r, 10))
	if err != nil {
		t.Fatal(err)
	}
	l, err := env.PSA.SecurityLevel(env.Ctx(), r.SecurityLevel)
	if err != nil {
		t.Fatal(err)
	}
	api := access.SystemLevel(access.APIUserLevel)
	if !api.Flags.CanImpersonate || !l.Flags.AllowImpersonation {
		t.Fatalf("%s cannot be impersonated by %s", l.Name, api.Name)
	}
	return &matrixCaller{name: l.Name, level: l, impersonates: true, fx: fx, env: env,
		headers: map[string]string{"ImpersonationResourceId": strconv.FormatInt(fx.r, 10)}}
}

// fixture is what one caller's tenant holds.
type fixture struct {
	r       int64                // the resource "mine" refers to
	rows    map[string][2]int64  // collection → [mine, other] row ids; 0: none
	parents map[string][2]int64  // child collection → the parent ids of those rows
	via     map[string]childPath // child collection → its parent collection and path segment
	lobs    [2]int64             // the associations of the mine and the other ticket
	cost    float64              // R's internal cost
	udfs    map[string]int64     // entity → a UDF of it, for webhook UDF fields
}

type childPath struct {
	parent *catalog.Entity
	child  *catalog.Child
}

func buildFixture(t *testing.T, env *testsupport.Env, levelOfR string, lobsOfR []string) *fixture {
	t.Helper()
	svc, ctx, cat := env.PSA, env.Ctx(), env.PSA.Catalog
	fx := &fixture{rows: map[string][2]int64{}, parents: map[string][2]int64{}, via: map[string]childPath{}, cost: 55.5}
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	must(svc.SetOrgStructure(ctx, true))
	must(svc.AddOrgUnit(ctx, 1, "East"))
	must(svc.AddOrgUnit(ctx, 2, "Managed Services"))
	must(svc.AddOrgUnit(ctx, 2, "Projects"))
	a1 := must(svc.Associate(ctx, "East", "Managed Services")).(*admin.Association)
	a2 := must(svc.Associate(ctx, "East", "Projects")).(*admin.Association)
	fx.lobs = [2]int64{a1.ID, a2.ID}
	var rLOBs []int64
	if len(lobsOfR) > 0 {
		rLOBs = []int64{a1.ID}
	}
	r := must(svc.CreateResource(ctx, admin.NewResource{FirstName: "Rita", LastName: "Tech", Email: "rita@msp.example", Username: "rita" + testsupport.RandomHex(4),
		Password: "Correct-Horse-1", SecurityLevel: levelOfR, LocationID: 1, InternalCost: &fx.cost,
		Departments: []admin.DepartmentRole{{DepartmentID: 1, RoleID: 1}}, Queues: []int64{8}, LOBs: rLOBs})).(*admin.Resource)
	fx.r = r.ID

	create := func(entity string, parent *psa.Parent, values map[string]any) int64 {
		t.Helper()
		e := cat.MustEntity(entity)
		in := psa.NewInput()
		for k, v := range values {
			i := e.Index(k)
			if i < 0 {
				t.Fatalf("%s has no field %s", entity, k)
			}
			in.Set[i] = v
		}
		id, err := svc.Create(ctx, e, in, parent)
		if err != nil {
			t.Fatalf("fixture %s: %v", entity, err)
		}
		return id
	}
	child := func(parent string, id int64, name string) *psa.Parent {
		pe := cat.MustEntity(parent)
		c, _ := pe.Child(name)
		fx.via[c.Entity] = childPath{parent: pe, child: c}
		return &psa.Parent{Entity: pe, ID: id, Child: c}
	}
	pair := func(entity string, mine, other int64) { fx.rows[entity] = [2]int64{mine, other} }

	mc := create("Companies", nil, map[string]any{"companyName": "Mine Co", "companyType": int64(1), "phone": "1", "ownerResourceID": r.ID})
	oc := create("Companies", nil, map[string]any{"companyName": "Other Co", "companyType": int64(1), "phone": "2", "ownerResourceID": int64(1)})
	pair("Companies", mc, oc)
	for _, c := range []struct {
		entity, child string
		values        map[string]any
	}{
		{"CompanyLocations", "Locations", map[string]any{"name": "Office"}},
		{"Contacts", "Contacts", map[string]any{"firstName": "Con", "lastName": "Tact", "isActive": int64(1)}},
	} {
		pair(c.entity, create(c.entity, child("Companies", mc, c.child), c.values), create(c.entity, child("Companies", oc, c.child), c.values))
		fx.parents[c.entity] = [2]int64{mc, oc}
	}
	ci := func(company int64) int64 {
		return create("ConfigurationItems", nil, map[string]any{"companyID": company, "productID": int64(1), "isActive": true, "hourlyCost": 12.5})
	}
	pair("ConfigurationItems", ci(mc), ci(oc))
	mt := create("Tickets", nil, map[string]any{"companyID": mc, "title": "Mine", "status": int64(1), "priority": int64(2),
		"assignedResourceID": r.ID, "assignedResourceRoleID": int64(1), "organizationalLevelAssociationID": a1.ID})
	ot := create("Tickets", nil, map[string]any{"companyID": oc, "title": "Other", "status": int64(1), "priority": int64(2),
		"organizationalLevelAssociationID": a2.ID})
	pair("Tickets", mt, ot)
	note := map[string]any{"title": "n", "description": "d", "noteType": int64(3), "publish": int64(1)}
	pair("TicketNotes", create("TicketNotes", child("Tickets", mt, "Notes"), note), create("TicketNotes", child("Tickets", ot, "Notes"), note))
	fx.parents["TicketNotes"] = [2]int64{mt, ot}
	pair("Resources", r.ID, 1)
	pair("ConfigurationItemTypes", 0, create("ConfigurationItemTypes", nil, map[string]any{"name": "Router", "isActive": true}))
	pair("Departments", 0, 1)
	pair("Roles", 0, 1)
	pair("UserDefinedFieldDefinitions", 0, 1)
	l1 := must(svc.OrgStructure(ctx)).(*admin.OrgStructure)
	pair("OrganizationalLevel1s", 0, l1.Divisions[0].ID)
	pair("OrganizationalLevel2s", 0, l1.Lines[0].ID)
	pair("OrganizationalLevelAssociations", 0, a1.ID)
	pair("WebhookEventErrorLogs", 0, create("WebhookEventErrorLogs", nil, map[string]any{"errorMessage": "receiver down"}))
	fx.udfs = map[string]int64{}
	for entity, udfType := range map[string]int64{"Companies": 1, "ConfigurationItems": 2, "Contacts": 4, "Tickets": 6} {
		fx.udfs[entity] = create("UserDefinedFieldDefinitions", nil, map[string]any{"name": "Hook " + entity, "udfType": udfType, "dataType": int64(1), "isActive": true})
	}
	for _, e := range cat.Entities() {
		if e.Object != "Webhooks" || e.Index("webhookUrl") < 0 {
			continue
		}
		hook := func(owner int64) int64 {
			return create(e.Name, nil, map[string]any{"name": "hook", "webhookUrl": "https://receiver.example/h", "deactivationUrl": "https://receiver.example/d",
				"isActive": true, "secretKey": "k", "isSubscribedToCreateEvents": true, "isSubscribedToUpdateEvents": true, "isSubscribedToDeleteEvents": false,
				"ownerResourceID": owner})
		}
		mw, ow := hook(r.ID), hook(1)
		pair(e.Name, mw, ow)
		for _, c := range e.Children {
			values := map[string]any{}
			if ce := cat.MustEntity(c.Entity); ce.Index("resourceID") >= 0 {
				values["resourceID"] = int64(1)
			}
			for k, v := range webhookFieldValues(cat.MustEntity(c.Entity), fx) {
				values[k] = v
			}
			pair(c.Entity, create(c.Entity, child(e.Name, mw, c.Name), values), create(c.Entity, child(e.Name, ow, c.Name), values))
			fx.parents[c.Entity] = [2]int64{mw, ow}
		}
	}
	for _, e := range cat.Entities() {
		if e.Core {
			if _, ok := fx.rows[e.Name]; !ok {
				t.Fatalf("the fixture has no rows of core collection %s", e.Name)
			}
		}
	}
	return fx
}

// createBody is a valid new row of each core collection for a caller (parents are the mine rows).
func (c *matrixCaller) createBody(e *catalog.Entity) string {
	fx := c.fx
	switch {
	case e.Name == "Companies":
		return `{"companyName":"New Co","companyType":1,"phone":"3","ownerResourceID":1}`
	case e.Name == "CompanyLocations":
		return `{"name":"Branch"}`
	case e.Name == "Contacts":
		return `{"firstName":"New","lastName":"Contact","isActive":1}`
	case e.Name == "ConfigurationItems":
		return fmt.Sprintf(`{"companyID":%d,"productID":1,"isActive":true}`, fx.rows["Companies"][0])
	case e.Name == "Tickets":
		return fmt.Sprintf(`{"companyID":%d,"title":"New","status":1,"priority":2}`, fx.rows["Companies"][0])
	case e.Name == "TicketNotes":
		return `{"title":"t","description":"d","noteType":3,"publish":1}`
	case e.Name == "UserDefinedFieldDefinitions":
		return `{"name":"New UDF ` + testsupport.RandomHex(3) + `","udfType":1,"dataType":1}`
	case e.Name == "OrganizationalLevelAssociations":
		return fmt.Sprintf(`{"organizationalLevel1ID":%d,"organizationalLevel2ID":%d}`, fx.rows["OrganizationalLevel1s"][1], fx.rows["OrganizationalLevel2s"][1])
	case e.Index("webhookUrl") >= 0:
		return `{"name":"new","webhookUrl":"https://r.example/h","deactivationUrl":"https://r.example/d","isActive":true,"secretKey":"k",` +
			`"isSubscribedToCreateEvents":true,"isSubscribedToUpdateEvents":false,"isSubscribedToDeleteEvents":false}`
	case e.Index("resourceID") >= 0:
		return `{"resourceID":1}`
	case e.Index("webhookID") >= 0:
		b, _ := json.Marshal(webhookFieldValues(e, fx))
		return string(b)
	case e.Name == "Resources":
		return `{"firstName":"X","lastName":"Y","email":"x@y.example","locationID":1}`
	}
	return `{"name":"New ` + testsupport.RandomHex(3) + `"}`
}

// route is where a verb of a collection is served for a row of a kind: the top-level path when
// the collection has the verb there, else its parent's child path; ok is false when neither.
func (c *matrixCaller) route(e *catalog.Entity, v catalog.Verb, k rowKind) (path string, ok bool) {
	id := c.fx.rows[e.Name][k]
	if e.Verbs.Has(v) {
		switch v {
		case catalog.Get, catalog.Delete:
			return fmt.Sprintf("%s/%s/%d", v1, e.Name, id), true
		case catalog.Query:
			return v1 + "/" + e.Name + "/query", true
		case catalog.Count:
			return v1 + "/" + e.Name + "/query/count", true
		}
		return v1 + "/" + e.Name, true
	}
	via, isChild := c.fx.via[e.Name]
	if !isChild || !via.child.Verbs.Has(v) {
		return v1 + "/" + e.Name, false
	}
	base := fmt.Sprintf("%s/%s/%d/%s", v1, via.parent.Name, c.fx.parents[e.Name][k], via.child.Name)
	if v == catalog.Get || v == catalog.Delete {
		return fmt.Sprintf("%s/%d", base, id), true
	}
	return base, true
}

func (c *matrixCaller) call(t *testing.T, method, path, body string) reply {
	t.Helper()
	return do(t, c.env, call{Method: method, Path: path, Body: body, Headers: c.headers})
}

func wantDenied(t *testing.T, what string, r reply, verb string) {
	t.Helper()
	want := `{"errors":["The logged in Resource does not have the adequate permissions to ` + verb + ` this entity type."]}`
	if r.Status != http.StatusForbidden || strings.TrimSpace(string(r.Body)) != want {
		t.Errorf("%s: %d %s; want 403 %s", what, r.Status, r.Body, want)
	}
}

func wantNoMatch(t *testing.T, what string, r reply) {
	t.Helper()
	if r.Status != 500 || !strings.Contains(string(r.Body), "No matching records found") {
		t.Errorf("%s: %d %s; want 500 No matching records found", what, r.Status, r.Body)
	}
}

func wantOK(t *testing.T, what string, r reply) {
	t.Helper()
	if r.Status != 200 || !strings.Contains(string(r.Body), `"itemId"`) {
		t.Errorf("%s: %d %s; want 200 with an itemId", what, r.Status, r.Body)
	}
}

func checkMatrix(t *testing.T, c *matrixCaller) {
	cat := c.env.PSA.Catalog
	// Children before parents: deleting a webhook comes after its fields have had their turn.
	var list []*catalog.Entity
	for _, e := range cat.Entities() {
		if e.Core {
			list = append(list, e)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	for _, e := range list {
		p := c.perm(e)
		ids := c.fx.rows[e.Name]
		kinds := []rowKind{mineRow, otherRow}
		if ids[mineRow] == 0 {
			kinds = []rowKind{otherRow}
		}
		cell := func(verb string, k rowKind) string { return fmt.Sprintf("%s %s %s row %d", e.Name, verb, k, ids[k]) }

		// get
		for _, k := range kinds {
			path, _ := c.route(e, catalog.Get, k)
			r := c.call(t, "GET", path, "")
			var got struct {
				Item map[string]any `json:"item"`
			}
			if err := json.Unmarshal(r.Body, &got); err != nil || r.Status != 200 {
				t.Errorf("%s: %d %s", cell("get", k), r.Status, r.Body)
				continue
			}
			if seen := got.Item != nil; seen != c.visible(e, k) {
				t.Errorf("%s: seen %v, want %v (view %v, lob %v)", cell("get", k), seen, c.visible(e, k), p.View, c.lob)
			}
			if e.Name == "Resources" && got.Item != nil && k == mineRow {
				cost, _ := got.Item["internalCost"].(float64)
				if want := c.readsCosts(); (got.Item["internalCost"] != nil) != want || (want && cost != c.fx.cost) {
					t.Errorf("%s: internalCost %v; reads costs %v", cell("get", k), got.Item["internalCost"], want)
				}
			}
		}

		// query and count, over the fixture's rows of the collection
		var want []int64
		var idList []string
		for _, k := range kinds {
			idList = append(idList, strconv.FormatInt(ids[k], 10))
			if c.visible(e, k) {
				want = append(want, ids[k])
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
		filter := `{"filter":[{"op":"in","field":"id","value":[` + strings.Join(idList, ",") + `]}]}`
		if path, ok := c.route(e, catalog.Query, otherRow); ok {
			r := c.call(t, "POST", path, filter)
			var page struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			if err := json.Unmarshal(r.Body, &page); err != nil || r.Status != 200 {
				t.Errorf("%s query: %d %s", e.Name, r.Status, r.Body)
			} else {
				var got []int64
				for _, it := range page.Items {
					got = append(got, it.ID)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s query: ids %v; want %v (view %v)", e.Name, got, want, p.View)
				}
			}
		}
		if path, ok := c.route(e, catalog.Count, otherRow); ok {
			r := c.call(t, "POST", path, filter)
			if want := fmt.Sprintf(`{"queryCount":%d}`, len(want)); strings.TrimSpace(string(r.Body)) != want {
				t.Errorf("%s count: %d %s; want %s", e.Name, r.Status, r.Body, want)
			}
		}

		// entityInformation
		info := c.call(t, "GET", v1+"/"+e.Name+"/entityInformation", "").json(t)["info"].(map[string]any)
		accessWord := func(can bool, s access.Scope, lobbed bool) string {
			switch {
			case !can || s == access.None:
				return "None"
			case s == access.All && !lobbed:
				return "All"
			}
			return "Restricted"
		}
		lobbed := c.lob && lobCarrying[e.Name]
		for field, want := range map[string]string{
			"userAccessForQuery":  accessWord(e.Verbs.Has(catalog.Query), p.View, lobbed),
			"userAccessForCreate": accessWord(e.Verbs.Has(catalog.Create), p.Scope(access.Add), false),
			"userAccessForUpdate": accessWord(e.Verbs.Has(catalog.Update), p.Edit, lobbed),
			"userAccessForDelete": accessWord(e.Verbs.Has(catalog.Delete), p.Delete, lobbed),
		} {
			if info[field] != want {
				t.Errorf("%s entityInformation %s = %v; want %s (%v)", e.Name, field, info[field], want, p)
			}
		}

		// create, under the mine parent
		if path, ok := c.route(e, catalog.Create, mineRow); !ok {
			if r := c.call(t, "POST", path, c.createBody(e)); r.Status != http.StatusMethodNotAllowed {
				t.Errorf("%s create: %d %s; want 405", e.Name, r.Status, r.Body)
			}
		} else {
			r := c.call(t, "POST", path, c.createBody(e))
			via, isChild := c.fx.via[e.Name]
			parentSeen := !isChild || c.visible(via.parent, mineRow)
			switch {
			case !p.Add || (e.Index("webhookUrl") >= 0 && !c.webhooks()):
				wantDenied(t, e.Name+" create", r, "create")
			case !parentSeen:
				if r.Status != 500 || !strings.Contains(string(r.Body), "does not reference an existing entity") {
					t.Errorf("%s create under an invisible parent: %d %s", e.Name, r.Status, r.Body)
				}
			default:
				wantOK(t, e.Name+" create", r)
				if e.Name == "Tickets" {
					c.checkImpersonationStamp(t, r)
				}
			}
		}

		// update and delete of each row, in that order
		for _, verb := range []struct {
			v      catalog.Verb
			method string
			scope  access.Scope
			word   string
		}{{catalog.Update, "PATCH", p.Edit, "update"}, {catalog.Delete, "DELETE", p.Delete, "delete"}} {
			for _, k := range kinds {
				path, ok := c.route(e, verb.v, k)
				body := ""
				if verb.v == catalog.Update {
					body = fmt.Sprintf(`{"id":%d}`, ids[k])
				}
				r := c.call(t, verb.method, path, body)
				what := cell(verb.word, k)
				switch {
				case !ok:
					if r.Status != http.StatusMethodNotAllowed {
						t.Errorf("%s: %d %s; want 405", what, r.Status, r.Body)
					}
				case verb.scope == access.None:
					wantDenied(t, what, r, verb.word)
				case !c.visible(e, k):
					wantNoMatch(t, what, r)
				case !c.qualifies(e, k, verb.scope):
					wantDenied(t, what, r, verb.word)
				default:
					wantOK(t, what, r)
				}
			}
		}
	}
}

// checkImpersonationStamp: a ticket created while impersonating names R as creator and the API
// user as impersonator.
func (c *matrixCaller) checkImpersonationStamp(t *testing.T, r reply) {
	t.Helper()
	id := int64(r.json(t)["itemId"].(float64))
	row, err := c.env.PSA.Get(c.env.Ctx(), c.env.PSA.Catalog.MustEntity("Tickets"), id, nil)
	if err != nil || row == nil {
		t.Fatalf("created ticket %d: %v", id, err)
	}
	e := c.env.PSA.Catalog.MustEntity("Tickets")
	creator, imp := row.Values[e.Index("creatorResourceID")], row.Values[e.Index("impersonatorCreatorResourceID")]
	if c.impersonates {
		if creator != c.fx.r || imp != c.env.Creds.ResourceID {
			t.Errorf("impersonated create: creator %v impersonator %v; want %d and %d", creator, imp, c.fx.r, c.env.Creds.ResourceID)
		}
	} else if imp != nil {
		t.Errorf("a direct create names an impersonator: %v", imp)
	}
}

// webhookFieldValues names a valid field (fieldID) or UDF (udfFieldID) of the entity a webhook
// field collection is about.
func webhookFieldValues(e *catalog.Entity, fx *fixture) map[string]any {
	target, ok := webhook.Target(catalog.Default, e.Name)
	switch {
	case !ok:
		return map[string]any{}
	case e.Index("fieldID") >= 0:
		return map[string]any{"fieldID": webhook.FieldID("id")}
	case e.Index("udfFieldID") >= 0:
		return map[string]any{"udfFieldID": fx.udfs[target.Name]}
	}
	return map[string]any{}
}
