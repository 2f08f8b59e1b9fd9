package atapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// A ticket's assigned resource must have the assigned role in one of its department/role
// associations, on create and whenever the assignment changes; a ticket saved before keeps
// working when the assignment is left as it is.
func TestTicketAssignmentNeedsTheResourcesRole(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			svc, ctx := env.PSA, env.Ctx()
			// Ann is a Technician (role 1) of the Service Desk, not an Administrator (role 2).
			ann, err := svc.CreateResource(ctx, admin.NewResource{FirstName: "Ann", LastName: "Tech", Email: "ann@msp.example", Username: "ann" + testsupport.RandomHex(3),
				SecurityLevel: "Team Member (system)", LocationID: 1, Departments: []admin.DepartmentRole{{DepartmentID: 1, RoleID: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			refused := fmt.Sprintf("The resource (assignedResourceID %d) does not have the role (assignedResourceRoleID 2): assign the resource in one of the roles of its department/role associations.", ann.ID)
			post := func(path, body string) reply { return do(t, env, call{Method: "POST", Path: v1 + path, Body: body}) }
			patch := func(body string) reply { return do(t, env, call{Method: "PATCH", Path: v1 + "/Tickets", Body: body}) }
			errorsOf := func(r reply) []any { e, _ := r.json(t)["errors"].([]any); return e }
			assignment := func(id int64) string {
				tk, _ := do(t, env, call{Method: "GET", Path: fmt.Sprintf("%s/Tickets/%d", v1, id)}).json(t)["item"].(map[string]any)
				return fmt.Sprintf("%v:%v %v", tk["assignedResourceID"], tk["assignedResourceRoleID"], tk["title"])
			}
			count := func(title string) int {
				return len(idsOf(t, post("/Tickets/query", `{"filter":[{"op":"eq","field":"title","value":"`+title+`"}]}`)))
			}

			// Create: a role Ann does not have is refused with the message, and nothing is saved.
			r := post("/Tickets", fmt.Sprintf(`{"companyID":1,"title":"Wrong role","status":1,"priority":2,"assignedResourceID":%d,"assignedResourceRoleID":2}`, ann.ID))
			if e := errorsOf(r); r.Status != 500 || len(e) != 1 || e[0] != refused {
				t.Errorf("create with a role the resource does not have: %d %s", r.Status, r.Body)
			}
			if n := count("Wrong role"); n != 0 {
				t.Errorf("the refused ticket was saved %d time(s)", n)
			}
			// A role that does not exist at all is refused too.
			if r := post("/Tickets", fmt.Sprintf(`{"companyID":1,"title":"Wrong role","status":1,"priority":2,"assignedResourceID":%d,"assignedResourceRoleID":99}`, ann.ID)); r.Status != 500 || !strings.Contains(string(r.Body), "does not have the role (assignedResourceRoleID 99)") {
				t.Errorf("create with a role that does not exist: %d %s", r.Status, r.Body)
			}
			// Her own role is saved.
			id := itemID(t, post("/Tickets", fmt.Sprintf(`{"companyID":1,"title":"Right role","status":1,"priority":2,"assignedResourceID":%d,"assignedResourceRoleID":1}`, ann.ID)))
			if got, want := assignment(id), fmt.Sprintf("%d:1 Right role", ann.ID); got != want {
				t.Fatalf("saved assignment %s, want %s", got, want)
			}

			// Update: changing only the role to one she does not have is refused; the ticket keeps its assignment.
			if r := patch(fmt.Sprintf(`{"id":%d,"assignedResourceRoleID":2}`, id)); r.Status != 500 || !strings.Contains(string(r.Body), refused) {
				t.Errorf("update to a role the resource does not have: %d %s", r.Status, r.Body)
			}
			if got, want := assignment(id), fmt.Sprintf("%d:1 Right role", ann.ID); got != want {
				t.Errorf("after the refused update: %s, want %s", got, want)
			}

			// Ann loses her association: the ticket still saves when its assignment is left as is
			// (sent unchanged, or not sent), but she cannot be assigned anew.
			none := []admin.DepartmentRole{}
			if _, err := svc.EditResource(ctx, fmt.Sprint(ann.ID), admin.ResourceChange{Departments: &none}); err != nil {
				t.Fatal(err)
			}
			itemID(t, patch(fmt.Sprintf(`{"id":%d,"title":"Renamed"}`, id)))
			itemID(t, patch(fmt.Sprintf(`{"id":%d,"title":"Renamed again","assignedResourceID":%d,"assignedResourceRoleID":1}`, id, ann.ID)))
			if got, want := assignment(id), fmt.Sprintf("%d:1 Renamed again", ann.ID); got != want {
				t.Errorf("an existing assignment after the association went: %s, want %s", got, want)
			}
			if r := post("/Tickets", fmt.Sprintf(`{"companyID":1,"title":"No role left","status":1,"priority":2,"assignedResourceID":%d,"assignedResourceRoleID":1}`, ann.ID)); r.Status != 500 || !strings.Contains(string(r.Body), "does not have the role") {
				t.Errorf("create for a resource without associations: %d %s", r.Status, r.Body)
			}

			// Reassigning to the demo's administrator in their Technician role is saved; unassigning too.
			itemID(t, patch(fmt.Sprintf(`{"id":%d,"assignedResourceID":1,"assignedResourceRoleID":1}`, id)))
			if got := assignment(id); got != "1:1 Renamed again" {
				t.Errorf("reassigned: %s", got)
			}
			itemID(t, patch(fmt.Sprintf(`{"id":%d,"assignedResourceID":null,"assignedResourceRoleID":null}`, id)))
			if got := assignment(id); got != "<nil>:<nil> Renamed again" {
				t.Errorf("unassigned: %s", got)
			}
		})
	}
}

// A task's assignment follows the ticket's rule (one mechanism in psa): the resource and the
// role come together, the role is one the resource holds in an active department/role
// association, checked on create and whenever the assignment changes. Tasks are written
// through their project (POST/PATCH/PUT /Projects/{id}/Tasks).
func TestTaskAssignmentNeedsTheResourcesRole(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			svc, ctx := env.PSA, env.Ctx()
			// Ann is a Technician (role 1) of the Service Desk, not an Administrator (role 2).
			ann, err := svc.CreateResource(ctx, admin.NewResource{FirstName: "Ann", LastName: "Tech", Email: "ann@msp.example", Username: "ann" + testsupport.RandomHex(3),
				SecurityLevel: "Team Member (system)", LocationID: 1, Departments: []admin.DepartmentRole{{DepartmentID: 1, RoleID: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			project := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Projects", Body: `{"projectName":"Rollout","companyID":1}`}))
			tasks := fmt.Sprintf("%s/Projects/%d/Tasks", v1, project)
			refused := fmt.Sprintf("The resource (assignedResourceID %d) does not have the role (assignedResourceRoleID 2): assign the resource in one of the roles of its department/role associations.", ann.ID)
			const half = "When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID."
			create := func(body string) reply { return do(t, env, call{Method: "POST", Path: tasks, Body: body}) }
			patch := func(body string) reply { return do(t, env, call{Method: "PATCH", Path: tasks, Body: body}) }
			refusedWith := func(what string, r reply, want string) {
				t.Helper()
				if e, _ := r.json(t)["errors"].([]any); r.Status != 500 || len(e) != 1 || e[0] != want {
					t.Errorf("%s: %d %s, want 500 %q", what, r.Status, r.Body, want)
				}
			}
			assignment := func(id int64) string {
				tk, _ := do(t, env, call{Method: "GET", Path: fmt.Sprintf("%s/Tasks/%d", v1, id)}).json(t)["item"].(map[string]any)
				return fmt.Sprintf("%v:%v %v", tk["assignedResourceID"], tk["assignedResourceRoleID"], tk["title"])
			}
			count := func(title string) int {
				return len(idsOf(t, do(t, env, call{Method: "POST", Path: v1 + "/Tasks/query", Body: `{"filter":[{"op":"eq","field":"title","value":"` + title + `"}]}`})))
			}

			// The role is a Role (as on a ticket), not a ResourceRoles association row.
			for _, f := range do(t, env, call{Method: "GET", Path: v1 + "/Tasks/entityInformation/fields"}).json(t)["fields"].([]any) {
				if f := f.(map[string]any); f["name"] == "assignedResourceRoleID" && (f["isReference"] != true || f["referenceEntityType"] != "Role") {
					t.Errorf("Tasks.assignedResourceRoleID in entityInformation/fields: %v", f)
				}
			}

			// Create: a role Ann does not have, a role that does not exist, a resource without a
			// role and a role without a resource are refused, and nothing is saved.
			refusedWith("create with a role the resource does not have", create(fmt.Sprintf(`{"title":"Refused","assignedResourceID":%d,"assignedResourceRoleID":2}`, ann.ID)), refused)
			refusedWith("create with a role that does not exist", create(fmt.Sprintf(`{"title":"Refused","assignedResourceID":%d,"assignedResourceRoleID":99}`, ann.ID)),
				fmt.Sprintf("The resource (assignedResourceID %d) does not have the role (assignedResourceRoleID 99): assign the resource in one of the roles of its department/role associations.", ann.ID))
			refusedWith("create with a resource and no role", create(fmt.Sprintf(`{"title":"Refused","assignedResourceID":%d}`, ann.ID)), half)
			refusedWith("create with a role and no resource", create(`{"title":"Refused","assignedResourceRoleID":1}`), half)
			if n := count("Refused"); n != 0 {
				t.Errorf("refused tasks were saved: %d", n)
			}
			// Her own role is saved, and so is a task with no assignment at all.
			id := itemID(t, create(fmt.Sprintf(`{"title":"Right role","assignedResourceID":%d,"assignedResourceRoleID":1}`, ann.ID)))
			if got, want := assignment(id), fmt.Sprintf("%d:1 Right role", ann.ID); got != want {
				t.Fatalf("saved assignment %s, want %s", got, want)
			}
			unassigned := itemID(t, create(`{"title":"Nobody yet"}`))

			// Update: only the role, to one she does not have, is refused; dropping half the pair
			// is refused; the task keeps its assignment.
			refusedWith("update to a role the resource does not have", patch(fmt.Sprintf(`{"id":%d,"assignedResourceRoleID":2}`, id)), refused)
			refusedWith("update clearing the role", patch(fmt.Sprintf(`{"id":%d,"assignedResourceRoleID":null}`, id)), half)
			refusedWith("update clearing the resource", patch(fmt.Sprintf(`{"id":%d,"assignedResourceID":null}`, id)), half)
			if got, want := assignment(id), fmt.Sprintf("%d:1 Right role", ann.ID); got != want {
				t.Errorf("after the refused updates: %s, want %s", got, want)
			}
			// Assigning the unassigned task: a resource alone, a role alone, and a wrong pair are
			// refused; her own role is saved.
			refusedWith("update giving a resource and no role", patch(fmt.Sprintf(`{"id":%d,"assignedResourceID":%d}`, unassigned, ann.ID)), half)
			refusedWith("update giving a role and no resource", patch(fmt.Sprintf(`{"id":%d,"assignedResourceRoleID":1}`, unassigned)), half)
			refusedWith("update giving a wrong pair", patch(fmt.Sprintf(`{"id":%d,"assignedResourceID":%d,"assignedResourceRoleID":2}`, unassigned, ann.ID)), refused)
			if got := assignment(unassigned); got != "<nil>:<nil> Nobody yet" {
				t.Errorf("after the refused assignments: %s", got)
			}
			itemID(t, patch(fmt.Sprintf(`{"id":%d,"assignedResourceID":%d,"assignedResourceRoleID":1}`, unassigned, ann.ID)))
			if got, want := assignment(unassigned), fmt.Sprintf("%d:1 Nobody yet", ann.ID); got != want {
				t.Errorf("assigned by update: %s, want %s", got, want)
			}

			// Ann loses her association: the task still saves when its assignment is left as it
			// is (not sent, sent unchanged, or replaced whole with the same pair), but she cannot
			// be assigned anew.
			none := []admin.DepartmentRole{}
			if _, err := svc.EditResource(ctx, fmt.Sprint(ann.ID), admin.ResourceChange{Departments: &none}); err != nil {
				t.Fatal(err)
			}
			itemID(t, patch(fmt.Sprintf(`{"id":%d,"title":"Renamed"}`, id)))
			itemID(t, patch(fmt.Sprintf(`{"id":%d,"title":"Renamed again","assignedResourceID":%d,"assignedResourceRoleID":1}`, id, ann.ID)))
			itemID(t, do(t, env, call{Method: "PUT", Path: tasks, Body: fmt.Sprintf(`{"id":%d,"title":"Replaced","assignedResourceID":%d,"assignedResourceRoleID":1}`, id, ann.ID)}))
			if got, want := assignment(id), fmt.Sprintf("%d:1 Replaced", ann.ID); got != want {
				t.Errorf("an existing assignment after the association went: %s, want %s", got, want)
			}
			refusedWith("create for a resource without associations", create(fmt.Sprintf(`{"title":"Refused","assignedResourceID":%d,"assignedResourceRoleID":1}`, ann.ID)),
				fmt.Sprintf("The resource (assignedResourceID %d) does not have the role (assignedResourceRoleID 1): assign the resource in one of the roles of its department/role associations.", ann.ID))

			// Reassigning to the demo's administrator in their Technician role is saved; unassigning too.
			itemID(t, patch(fmt.Sprintf(`{"id":%d,"assignedResourceID":1,"assignedResourceRoleID":1}`, id)))
			if got := assignment(id); got != "1:1 Replaced" {
				t.Errorf("reassigned: %s", got)
			}
			itemID(t, patch(fmt.Sprintf(`{"id":%d,"assignedResourceID":null,"assignedResourceRoleID":null}`, id)))
			if got := assignment(id); got != "<nil>:<nil> Replaced" {
				t.Errorf("unassigned: %s", got)
			}
		})
	}
}

// A ticket's or task's secondary resource is a resource and a role it holds, checked by the
// same rule as the ticket's or task's own assignment (one mechanism in psa): Autotask's
// TaskSecondaryResources reference says resourceID and roleID "must be an existing
// Resource/Role pair". Both ids are needed, the role is one the resource holds in an active
// department/role association, an API-only user is refused; on create, and on update when
// the pair changes (the REST API has no update for these rows; the services do).
func TestSecondaryResourceNeedsTheResourcesRole(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			svc, ctx := env.PSA, env.Ctx()
			// Ann is a Technician (role 1) of the Service Desk, not an Administrator (role 2).
			ann, err := svc.CreateResource(ctx, admin.NewResource{FirstName: "Ann", LastName: "Tech", Email: "ann@msp.example", Username: "ann" + testsupport.RandomHex(3),
				SecurityLevel: "Team Member (system)", LocationID: 1, Departments: []admin.DepartmentRole{{DepartmentID: 1, RoleID: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			ticket := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":1,"title":"Shared","status":1,"priority":2}`}))
			project := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Projects", Body: `{"projectName":"Rollout","companyID":1}`}))
			task := itemID(t, do(t, env, call{Method: "POST", Path: fmt.Sprintf("%s/Projects/%d/Tasks", v1, project), Body: `{"title":"Shared"}`}))
			noRole := func(res, role int64) string {
				return fmt.Sprintf("The resource (resourceID %d) does not have the role (roleID %d): assign the resource in one of the roles of its department/role associations.", res, role)
			}
			const half = "A secondary resource needs both a resourceID and a roleID."

			for _, p := range []struct {
				parent, entity, parentField string
				id                          int64
			}{
				{"ticket", "TicketSecondaryResources", "ticketID", ticket},
				{"task", "TaskSecondaryResources", "taskID", task},
			} {
				e := svc.Catalog.MustEntity(p.entity)
				children := fmt.Sprintf("%s/%ss/%d/SecondaryResources", v1, strings.ToUpper(p.parent[:1])+p.parent[1:], p.id)
				create := func(body string) reply { return do(t, env, call{Method: "POST", Path: children, Body: body}) }
				refusedWith := func(what string, r reply, want string) {
					t.Helper()
					if e, _ := r.json(t)["errors"].([]any); r.Status != 500 || len(e) != 1 || e[0] != want {
						t.Errorf("%s %s: %d %s, want 500 %q", p.parent, what, r.Status, r.Body, want)
					}
				}
				saved := func() []string {
					var out []string
					items, _ := do(t, env, call{Method: "GET", Path: children}).json(t)["items"].([]any)
					for _, it := range items {
						it := it.(map[string]any)
						out = append(out, fmt.Sprintf("%v:%v", it["resourceID"], it["roleID"]))
					}
					return out
				}

				// roleID is a Role, as Autotask's reference says, not a ResourceRoles association row.
				for _, f := range do(t, env, call{Method: "GET", Path: v1 + "/" + p.entity + "/entityInformation/fields"}).json(t)["fields"].([]any) {
					if f := f.(map[string]any); f["name"] == "roleID" && (f["isReference"] != true || f["referenceEntityType"] != "Role") {
						t.Errorf("%s.roleID in entityInformation/fields: %v", p.entity, f)
					}
				}

				// Refused, with the message, and nothing saved: a role Ann does not have, a role
				// that does not exist, half a pair, no pair, an API-only user.
				refusedWith("role the resource does not have", create(fmt.Sprintf(`{"resourceID":%d,"roleID":2}`, ann.ID)), noRole(ann.ID, 2))
				refusedWith("role that does not exist", create(fmt.Sprintf(`{"resourceID":%d,"roleID":99}`, ann.ID)), noRole(ann.ID, 99))
				refusedWith("resource without a role", create(fmt.Sprintf(`{"resourceID":%d}`, ann.ID)), half)
				refusedWith("role without a resource", create(`{"roleID":1}`), half)
				refusedWith("neither", create(`{}`), half)
				refusedWith("API-only user", create(fmt.Sprintf(`{"resourceID":%d,"roleID":1}`, env.Creds.ResourceID)), "An API-only user cannot be a secondary resource of a "+p.parent+".")
				if got := saved(); len(got) != 0 {
					t.Errorf("%s: refused secondary resources were saved: %v", p.parent, got)
				}

				// Her own role is saved.
				id := itemID(t, create(fmt.Sprintf(`{"resourceID":%d,"roleID":1}`, ann.ID)))
				if got, want := fmt.Sprint(saved()), fmt.Sprintf("[%d:1]", ann.ID); got != want {
					t.Fatalf("%s: saved %s, want %s", p.parent, got, want)
				}

				// Update (through the services: no REST verb updates these rows): a role she does
				// not have is refused and the row keeps its pair.
				update := func(res, role int64) error {
					in := psa.NewInput()
					in.Set[e.IDIndex()], in.Set[e.Index("resourceID")], in.Set[e.Index("roleID")] = id, res, role
					_, err := svc.Update(ctx, e, in, nil, false)
					return err
				}
				if err := update(ann.ID, 2); err == nil || err.Error() != noRole(ann.ID, 2) {
					t.Errorf("%s: update to a role the resource does not have: %v", p.parent, err)
				}
				if got, want := fmt.Sprint(saved()), fmt.Sprintf("[%d:1]", ann.ID); got != want {
					t.Errorf("%s: after the refused update: %s, want %s", p.parent, got, want)
				}
				if err := update(1, 1); err != nil { // the demo's administrator, a Technician too
					t.Errorf("%s: update to another resource in its role: %v", p.parent, err)
				}
				if err := update(ann.ID, 1); err != nil {
					t.Errorf("%s: update back: %v", p.parent, err)
				}
			}

			// Ann loses her association: her rows still save when their pair is left as it is,
			// but she cannot be made a secondary resource anew.
			none := []admin.DepartmentRole{}
			if _, err := svc.EditResource(ctx, fmt.Sprint(ann.ID), admin.ResourceChange{Departments: &none}); err != nil {
				t.Fatal(err)
			}
			e := svc.Catalog.MustEntity("TicketSecondaryResources")
			rows, err := svc.RowsWhere(ctx, e, "ticketID", ticket)
			if err != nil || len(rows) != 1 {
				t.Fatalf("the ticket's secondary resources: %v %v", rows, err)
			}
			in := psa.NewInput()
			in.Set[e.IDIndex()], in.Set[e.Index("resourceID")], in.Set[e.Index("roleID")] = rows[0].ID(e), ann.ID, int64(1)
			if _, err := svc.Update(ctx, e, in, nil, false); err != nil {
				t.Errorf("an unchanged pair after the association went: %v", err)
			}
			if r := do(t, env, call{Method: "POST", Path: fmt.Sprintf("%s/Tasks/%d/SecondaryResources", v1, task), Body: fmt.Sprintf(`{"resourceID":%d,"roleID":1}`, ann.ID)}); r.Status != 500 || !strings.Contains(string(r.Body), noRole(ann.ID, 1)) {
				t.Errorf("a new secondary resource without associations: %d %s", r.Status, r.Body)
			}
		})
	}
}

// A secondary resource cannot be its ticket's or task's primary resource (Autotask's
// TaskSecondaryResources reference: "The secondary resource cannot be the primary resource on
// the task"; its Tickets reference likewise), on create and on update when the resource
// changes. A ticket's primary resource cannot be made one who is already a secondary resource
// (the Tickets reference says so); Autotask states nothing of the kind for a task, whose
// primary resource is not checked against its secondary resources.
func TestSecondaryResourceIsNotThePrimary(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			svc, ctx := env.PSA, env.Ctx()
			// Ann is a Technician (role 1), as is the demo's administrator (resource 1).
			ann, err := svc.CreateResource(ctx, admin.NewResource{FirstName: "Ann", LastName: "Tech", Email: "ann@msp.example", Username: "ann" + testsupport.RandomHex(3),
				SecurityLevel: "Team Member (system)", LocationID: 1, Departments: []admin.DepartmentRole{{DepartmentID: 1, RoleID: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			ticket := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: fmt.Sprintf(`{"companyID":1,"title":"Shared","status":1,"priority":2,"assignedResourceID":%d,"assignedResourceRoleID":1}`, ann.ID)}))
			project := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Projects", Body: `{"projectName":"Rollout","companyID":1}`}))
			tasks := fmt.Sprintf("%s/Projects/%d/Tasks", v1, project)
			task := itemID(t, do(t, env, call{Method: "POST", Path: tasks, Body: fmt.Sprintf(`{"title":"Shared","assignedResourceID":%d,"assignedResourceRoleID":1}`, ann.ID)}))

			for _, p := range []struct {
				parent, entity, parents string
				id                      int64
			}{
				{"ticket", "TicketSecondaryResources", "Tickets", ticket},
				{"task", "TaskSecondaryResources", "Tasks", task},
			} {
				e := svc.Catalog.MustEntity(p.entity)
				children := fmt.Sprintf("%s/%s/%d/SecondaryResources", v1, p.parents, p.id)
				isPrimary := fmt.Sprintf("The resource (resourceID %d) is the %s's primary resource (assignedResourceID): a primary resource cannot also be a secondary resource.", ann.ID, p.parent)
				saved := func() string {
					var out []string
					items, _ := do(t, env, call{Method: "GET", Path: children}).json(t)["items"].([]any)
					for _, it := range items {
						it := it.(map[string]any)
						out = append(out, fmt.Sprintf("%v:%v", it["resourceID"], it["roleID"]))
					}
					return fmt.Sprint(out)
				}

				// Create: Ann, the primary resource, is refused and nothing is saved.
				r := do(t, env, call{Method: "POST", Path: children, Body: fmt.Sprintf(`{"resourceID":%d,"roleID":1}`, ann.ID)})
				if e, _ := r.json(t)["errors"].([]any); r.Status != 500 || len(e) != 1 || e[0] != isPrimary {
					t.Errorf("%s: the primary resource as a secondary resource: %d %s, want 500 %q", p.parent, r.Status, r.Body, isPrimary)
				}
				if got := saved(); got != "[]" {
					t.Errorf("%s: the refused secondary resource was saved: %s", p.parent, got)
				}
				// Another resource is saved.
				id := itemID(t, do(t, env, call{Method: "POST", Path: children, Body: `{"resourceID":1,"roleID":1}`}))
				if got := saved(); got != "[1:1]" {
					t.Fatalf("%s: saved %s, want [1:1]", p.parent, got)
				}

				// Update (through the services): changing the resource to Ann is refused and the
				// row keeps its resource; its role alone may change.
				update := func(res int64) error {
					in := psa.NewInput()
					in.Set[e.IDIndex()], in.Set[e.Index("resourceID")], in.Set[e.Index("roleID")] = id, res, int64(1)
					_, err := svc.Update(ctx, e, in, nil, false)
					return err
				}
				if err := update(ann.ID); err == nil || err.Error() != isPrimary {
					t.Errorf("%s: update to the primary resource: %v, want %q", p.parent, err, isPrimary)
				}
				if got := saved(); got != "[1:1]" {
					t.Errorf("%s: after the refused update: %s, want [1:1]", p.parent, got)
				}
				if err := update(1); err != nil {
					t.Errorf("%s: update leaving the resource as it is: %v", p.parent, err)
				}
			}

			// The other way round, on a ticket: the administrator, a secondary resource, cannot
			// become its primary resource; the ticket keeps Ann.
			assignment := func(path string) string {
				it, _ := do(t, env, call{Method: "GET", Path: path}).json(t)["item"].(map[string]any)
				return fmt.Sprintf("%v:%v", it["assignedResourceID"], it["assignedResourceRoleID"])
			}
			const isSecondary = "The resource (assignedResourceID 1) is already a secondary resource of the ticket: a primary resource cannot also be a secondary resource."
			r := do(t, env, call{Method: "PATCH", Path: v1 + "/Tickets", Body: fmt.Sprintf(`{"id":%d,"assignedResourceID":1,"assignedResourceRoleID":1}`, ticket)})
			if e, _ := r.json(t)["errors"].([]any); r.Status != 500 || len(e) != 1 || e[0] != isSecondary {
				t.Errorf("a ticket's secondary resource as its primary: %d %s, want 500 %q", r.Status, r.Body, isSecondary)
			}
			if got, want := assignment(fmt.Sprintf("%s/Tickets/%d", v1, ticket)), fmt.Sprintf("%d:1", ann.ID); got != want {
				t.Errorf("the ticket after the refused update: %s, want %s", got, want)
			}
			// Another ticket, without secondary resources, takes the administrator.
			other := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":1,"title":"Other","status":1,"priority":2}`}))
			itemID(t, do(t, env, call{Method: "PATCH", Path: v1 + "/Tickets", Body: fmt.Sprintf(`{"id":%d,"assignedResourceID":1,"assignedResourceRoleID":1}`, other)}))
			// A task's primary resource is not checked (Autotask states no such rule for tasks).
			itemID(t, do(t, env, call{Method: "PATCH", Path: tasks, Body: fmt.Sprintf(`{"id":%d,"assignedResourceID":1,"assignedResourceRoleID":1}`, task)}))
			if got := assignment(fmt.Sprintf("%s/Tasks/%d", v1, task)); got != "1:1" {
				t.Errorf("the task after its primary resource changed: %s, want 1:1", got)
			}
		})
	}
}

// A task has at most 50 secondary resources (Autotask's TaskSecondaryResources reference): the
// 50th is saved, the 51st refused and not saved. Autotask states no limit for tickets, but a
// ticket holds each resource once.
func TestTaskHasAtMost50SecondaryResources(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			project := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Projects", Body: `{"projectName":"Rollout","companyID":1}`}))
			task := itemID(t, do(t, env, call{Method: "POST", Path: fmt.Sprintf("%s/Projects/%d/Tasks", v1, project), Body: `{"title":"Crowded"}`}))
			ticket := itemID(t, do(t, env, call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":1,"title":"Crowded","status":1,"priority":2}`}))
			// The demo's administrator (resource 1, a Technician) each time: Autotask documents
			// no rule against the same resource twice on a task.
			add := func(parents string, id int64) reply {
				return do(t, env, call{Method: "POST", Path: fmt.Sprintf("%s/%s/%d/SecondaryResources", v1, parents, id), Body: `{"resourceID":1,"roleID":1}`})
			}
			count := func(parents string, id int64) int {
				items, _ := do(t, env, call{Method: "GET", Path: fmt.Sprintf("%s/%s/%d/SecondaryResources", v1, parents, id)}).json(t)["items"].([]any)
				return len(items)
			}
			for i := 1; i <= 50; i++ {
				if r := add("Tasks", task); r.Status != 200 {
					t.Fatalf("secondary resource %d of the task: %d %s", i, r.Status, r.Body)
				}
			}
			want := fmt.Sprintf("The task (taskID %d) already has 50 secondary resources, the most a task may have.", task)
			r := add("Tasks", task)
			if e, _ := r.json(t)["errors"].([]any); r.Status != 500 || len(e) != 1 || e[0] != want {
				t.Errorf("the 51st secondary resource of the task: %d %s, want 500 %q", r.Status, r.Body, want)
			}
			if n := count("Tasks", task); n != 50 {
				t.Errorf("the task has %d secondary resources, want 50", n)
			}
			// A ticket has no such limit, but holds each resource once (Autotask's Tickets
			// reference: "You also will not be able to add a secondary resource that is already
			// assigned as a secondary resource"): the administrator a second time is refused.
			if r := add("Tickets", ticket); r.Status != 200 {
				t.Fatalf("the administrator as the ticket's secondary resource: %d %s", r.Status, r.Body)
			}
			twice := fmt.Sprintf("The resource (resourceID 1) is already a secondary resource of the ticket (ticketID %d).", ticket)
			if r := add("Tickets", ticket); r.Status != 500 || !strings.Contains(string(r.Body), twice) {
				t.Errorf("the same resource twice on a ticket: %d %s, want 500 %q", r.Status, r.Body, twice)
			}
			for i := 2; i <= 51; i++ {
				res, err := env.PSA.CreateResource(env.Ctx(), admin.NewResource{FirstName: "Tech", LastName: fmt.Sprint(i), Email: fmt.Sprintf("tech%d@msp.example", i),
					Username: fmt.Sprintf("tech%d%s", i, testsupport.RandomHex(3)), SecurityLevel: "Team Member (system)", LocationID: 1,
					Departments: []admin.DepartmentRole{{DepartmentID: 1, RoleID: 1}}})
				if err != nil {
					t.Fatal(err)
				}
				r := do(t, env, call{Method: "POST", Path: fmt.Sprintf("%s/Tickets/%d/SecondaryResources", v1, ticket), Body: fmt.Sprintf(`{"resourceID":%d,"roleID":1}`, res.ID)})
				if r.Status != 200 {
					t.Fatalf("secondary resource %d of the ticket: %d %s", i, r.Status, r.Body)
				}
			}
			if n := count("Tickets", ticket); n != 51 {
				t.Errorf("the ticket has %d secondary resources, want 51", n)
			}
		})
	}
}
