package admin_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// OrgStructure is the whole structure as it is stored: divisions and lines of business in id
// order, each association with its division, line and resources (in the order they were given
// it; an association without resources has an empty list, [] in JSON, never null), and a
// resource in several associations in each of them. On both stores.
func TestOrgStructureReadsEveryAssociationsResources(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			svc := testsupport.Service(t, b)
			tenant, err := svc.CreateTenant(context.Background(), "Org "+testsupport.RandomHex(4), "UTC")
			if err != nil {
				t.Fatal(err)
			}
			ctx := psa.WithActor(store.WithTenant(context.Background(), tenant.ID), psa.Actor{ResourceID: 1})
			if _, err := svc.SetOrgStructure(ctx, true); err != nil {
				t.Fatal(err)
			}
			unit := func(level int, name string) admin.OrgUnit {
				t.Helper()
				u, err := svc.AddOrgUnit(ctx, level, name)
				if err != nil {
					t.Fatal(err)
				}
				return *u
			}
			east, west := unit(1, "East"), unit(1, "West")
			managed, projects := unit(2, "Managed"), unit(2, "Projects")
			assoc := func(d, l string) int64 {
				t.Helper()
				a, err := svc.Associate(ctx, d, l)
				if err != nil {
					t.Fatal(err)
				}
				return a.ID
			}
			eastManaged, eastProjects, westManaged, westProjects := assoc("East", "Managed"), assoc("East", "Projects"), assoc("West", "Managed"), assoc("West", "Projects")
			resource := func(name string) int64 {
				t.Helper()
				r, err := svc.CreateResource(ctx, admin.NewResource{FirstName: name, LastName: "Org", Email: name + "@msp.example", Username: name + testsupport.RandomHex(3),
					SecurityLevel: "Full Access", LocationID: 1})
				if err != nil {
					t.Fatal(err)
				}
				return r.ID
			}
			ann, ben, cal := resource("ann"), resource("ben"), resource("cal")
			lobs := func(id int64, associations ...int64) {
				t.Helper()
				if _, err := svc.SetResourceLOBs(ctx, strconv.FormatInt(id, 10), associations); err != nil {
					t.Fatal(err)
				}
			}
			// Cal is given East/Managed before Ann: that association lists Cal first.
			lobs(cal, eastManaged, westManaged)
			lobs(ann, eastManaged, eastProjects)
			lobs(ben, westManaged)

			got, err := svc.OrgStructure(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := &admin.OrgStructure{Enabled: true, Level1Label: got.Level1Label, Level2Label: got.Level2Label,
				Divisions: []admin.OrgUnit{east, west}, Lines: []admin.OrgUnit{managed, projects},
				Associations: []admin.Association{
					{ID: eastManaged, Division: east, Line: managed, Active: true, Resources: []int64{cal, ann}},
					{ID: eastProjects, Division: east, Line: projects, Active: true, Resources: []int64{ann}},
					{ID: westManaged, Division: west, Line: managed, Active: true, Resources: []int64{cal, ben}},
					{ID: westProjects, Division: west, Line: projects, Active: true, Resources: []int64{}},
				}}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if string(gj) != string(wj) {
				t.Fatalf("organizational structure:\n got %s\nwant %s", gj, wj)
			}
			// Taking Cal out of everything leaves Ann and Ben where they were.
			lobs(cal)
			got, err = svc.OrgStructure(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want.Associations[0].Resources, want.Associations[2].Resources = []int64{ann}, []int64{ben}
			gj, _ = json.Marshal(got)
			wj, _ = json.Marshal(want)
			if string(gj) != string(wj) {
				t.Fatalf("after removing a resource:\n got %s\nwant %s", gj, wj)
			}
		})
	}
}
