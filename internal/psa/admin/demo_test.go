package admin_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// The demo's people can be assigned: the administrator and the technicians hold department/role
// associations and queues, and every demo ticket with an assignment is assigned to a resource in
// one of that resource's roles. Two demo tenants in one database do not clash on usernames.
func TestDemoAssignments(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			svc := testsupport.Service(t, b)
			for range 2 {
				tenant, err := svc.CreateTenant(context.Background(), "Demo "+testsupport.RandomHex(4), "UTC")
				if err != nil {
					t.Fatal(err)
				}
				ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.SystemActor)
				if err := svc.SeedDemo(ctx); err != nil {
					t.Fatal(err)
				}
				if err := svc.SeedDemoTeam(ctx); err != nil {
					t.Fatal(err)
				}
				resources, err := svc.Resources(ctx)
				if err != nil {
					t.Fatal(err)
				}
				roles := map[int64]map[int64]bool{}
				names := map[string]string{}
				for _, r := range resources {
					roles[r.ID] = map[int64]bool{}
					for _, d := range r.Departments {
						roles[r.ID][d.RoleID] = true
					}
					names[r.FirstName+" "+r.LastName] = fmt.Sprint(len(r.Departments), " ", roles[r.ID][1], roles[r.ID][2], " ", len(r.Queues))
				}
				want := map[string]string{"Administrator Account": "2 true true 2", "Tom Baker": "1 true false 2", "Nina Patel": "1 true false 2"}
				for name, w := range want {
					if names[name] != w {
						t.Errorf("%s: %q (associations, Technician, Administrator, queues), want %q", name, names[name], w)
					}
				}
				e := svc.Catalog.MustEntity("Tickets")
				tickets, err := svc.RowsWhere(ctx, e, "status", int64(8))
				if err != nil || len(tickets) == 0 {
					t.Fatalf("demo tickets in progress: %d %v", len(tickets), err)
				}
				assigned := map[int64]int{}
				for _, tk := range tickets {
					res, _ := tk.Values[e.Index("assignedResourceID")].(int64)
					role, _ := tk.Values[e.Index("assignedResourceRoleID")].(int64)
					if !roles[res][role] {
						t.Errorf("demo ticket %d is assigned to resource %d as role %d, which the resource does not have", tk.ID(e), res, role)
					}
					assigned[res]++
				}
				if len(assigned) != 2 || assigned[1] != 0 {
					t.Errorf("the demo's tickets in progress should be shared by the two technicians: %v", assigned)
				}
			}
		})
	}
}

// Assignees lists exactly the pairs the Tickets hook accepts: active resources that are not
// API-only users, in the roles of their active department/role associations.
func TestAssignees(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			svc := testsupport.Service(t, b)
			tenant, err := svc.CreateTenant(context.Background(), "Assign "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.SystemActor)
			if err := svc.SeedDemo(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.CreateAPIUser(ctx, admin.NewAPIUser{FirstName: "Api", LastName: "Only"}); err != nil {
				t.Fatal(err)
			}
			if err := svc.SeedDemoTeam(ctx); err != nil {
				t.Fatal(err)
			}
			got := func() map[string][]int64 {
				list, err := svc.Assignees(ctx)
				if err != nil {
					t.Fatal(err)
				}
				out := map[string][]int64{}
				for _, a := range list {
					out[a.Name] = a.RoleIDs
				}
				return out
			}
			a := got()
			if fmt.Sprint(a["Administrator Account"]) != "[2 1]" || fmt.Sprint(a["Tom Baker"]) != "[1]" || fmt.Sprint(a["Nina Patel"]) != "[1]" {
				t.Errorf("assignees %v", a)
			}
			if _, ok := a["Api Only"]; ok {
				t.Error("an API-only user is offered")
			}
			// Tom's association switched off, Nina deactivated: neither is offered a role.
			rd := svc.Catalog.MustEntity("ResourceRoleDepartments")
			for _, r := range mustResources(t, svc, ctx) {
				switch r.FirstName {
				case "Tom":
					rows, err := svc.RowsWhere(ctx, rd, "resourceID", r.ID)
					if err != nil || len(rows) != 1 {
						t.Fatalf("Tom's associations: %d %v", len(rows), err)
					}
					in := psa.NewInput()
					in.Set[rd.IDIndex()], in.Set[rd.MustIndex("isActive")] = rows[0].ID(rd), false
					if _, err := svc.Update(ctx, rd, in, nil, false); err != nil {
						t.Fatal(err)
					}
				case "Nina":
					active := false
					if _, err := svc.EditResource(ctx, fmt.Sprint(r.ID), admin.ResourceChange{Active: &active}); err != nil {
						t.Fatal(err)
					}
				}
			}
			a = got()
			if len(a["Tom Baker"]) != 0 {
				t.Errorf("Tom is offered %v through an inactive association", a["Tom Baker"])
			}
			if _, ok := a["Nina Patel"]; ok {
				t.Error("an inactive resource is offered")
			}
		})
	}
}

func mustResources(t *testing.T, svc *admin.Service, ctx context.Context) []*admin.Resource {
	t.Helper()
	list, err := svc.Resources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return list
}
