package access

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// show writes conditions compactly: field=value, field in Entity.select[conditions], or(...).
func show(nodes []*query.Node) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		switch {
		case n.Op == "or":
			parts[i] = "or(" + show(n.Items) + ")"
		case n.Sub != nil:
			parts[i] = fmt.Sprintf("%s in %s.%s[%s]", n.Field, n.Sub.Entity.Name, n.Sub.Select, show(n.Sub.Filter))
		case n.Op == "eq":
			parts[i] = fmt.Sprintf("%s=%v", n.Field, n.Value)
		case n.Op == "notexist":
			parts[i] = n.Field + " none"
		default:
			parts[i] = fmt.Sprintf("%s %s %v", n.Field, n.Op, n.Value)
		}
	}
	return strings.Join(parts, ", ")
}

func levelWith(t *testing.T, base int64, object string, p Permission) *Level {
	t.Helper()
	l, err := SystemLevel(base).Copy(catalog.Default, "test", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Sections(catalog.Default) {
		for _, o := range s.Objects {
			if object == "*" || o == object {
				l.objects[o] = p
			}
		}
	}
	return l
}

func TestScopeFilters(t *testing.T) {
	cat := catalog.Default
	mine := &Rights{TenantID: 3, Parties: []Party{{ResourceID: 7, Level: levelWith(t, TeamMemberLevel, "*", Permission{View: Mine, Edit: Mine, Delete: Mine})}}}
	companies := &Rights{TenantID: 3, Parties: []Party{{ResourceID: 7, Level: levelWith(t, TeamMemberLevel, "*", Permission{View: MyCompanies})}}}
	cases := []struct {
		rights *Rights
		entity string
		want   string // "never" for no row
	}{
		{mine, "Tickets", "or(assignedResourceID=7, id in TicketSecondaryResources.ticketID[resourceID=7])"},
		{mine, "TicketNotes", "ticketID in Tickets.id[or(assignedResourceID=7, id in TicketSecondaryResources.ticketID[resourceID=7])]"},
		{mine, "Companies", "or(ownerResourceID=7, id in CompanyTeams.companyID[resourceID=7])"},
		{mine, "CompanyLocations", "companyID in Companies.id[or(ownerResourceID=7, id in CompanyTeams.companyID[resourceID=7])]"},
		{mine, "Contacts", "or(companyID in Companies.id[ownerResourceID=7], companyID in CompanyTeams.companyID[resourceID=7])"},
		{mine, "Resources", "id=7"},
		{mine, "Tasks", "or(assignedResourceID=7, id in TaskSecondaryResources.taskID[resourceID=7])"},
		{mine, "Projects", "or(projectLeadResourceID=7, id in Tasks.projectID[assignedResourceID=7])"},
		{mine, "CompanyWebhooks", "ownerResourceID=7"},
		{mine, "CompanyWebhookFields", "webhookID in CompanyWebhooks.id[ownerResourceID=7]"},
		{mine, "Roles", "never"},
		{mine, "WebhookEventErrorLogs", "never"},
		{companies, "Tickets", "or(companyID in Companies.id[ownerResourceID=7], companyID in CompanyTeams.companyID[resourceID=7])"},
		{companies, "Companies", "or(ownerResourceID=7, id in CompanyTeams.companyID[resourceID=7])"},
		{companies, "Resources", "never"},
	}
	for _, c := range cases {
		conds, never := c.rights.Filter(cat, cat.MustEntity(c.entity), View)
		got := show(conds)
		if never {
			got = "never"
		}
		if got != c.want {
			t.Errorf("%s: %s\nwant %s", c.entity, got, c.want)
		}
		for _, n := range conds {
			if n.Sub != nil && n.Sub.Tenant != 3 {
				t.Errorf("%s: a semi-join of another tenant", c.entity)
			}
		}
	}
	if conds, never := (&Rights{TenantID: 3, Parties: []Party{{ResourceID: 7, Level: SystemLevel(APIUserLevel)}}}).Filter(cat, cat.MustEntity("Tickets"), View); conds != nil || never {
		t.Errorf("API User (system) is filtered: %s %v", show(conds), never)
	}
	if conds, never := (*Rights)(nil).Filter(cat, cat.MustEntity("Tickets"), Delete); conds != nil || never {
		t.Error("the system is filtered")
	}
}

func TestLinesOfBusiness(t *testing.T) {
	cat := catalog.Default
	r := &Rights{TenantID: 3, Parties: []Party{{ResourceID: 7, Level: SystemLevel(APIUserLevel), LOBs: []int64{4, 5}}}}
	for entity, want := range map[string]string{
		"Tickets":     "or(organizationalLevelAssociationID none, organizationalLevelAssociationID in [4 5], assignedResourceID=7, id in TicketSecondaryResources.ticketID[resourceID=7])",
		"TicketNotes": "ticketID in Tickets.id[or(organizationalLevelAssociationID none, organizationalLevelAssociationID in [4 5], assignedResourceID=7, id in TicketSecondaryResources.ticketID[resourceID=7])]",
		"Contracts":   "or(organizationalLevelAssociationID none, organizationalLevelAssociationID in [4 5])",
		"Companies":   "",
		"Resources":   "",
	} {
		conds, never := r.Filter(cat, cat.MustEntity(entity), View)
		if got := show(conds); got != want || never {
			t.Errorf("%s: %s (never %v)\nwant %s", entity, got, never, want)
		}
	}
	tickets := cat.MustEntity("Tickets")
	if r.Access(tickets, View) != "Restricted" || r.Access(cat.MustEntity("Companies"), View) != "All" {
		t.Errorf("LOB access: tickets %s, companies %s", r.Access(tickets, View), r.Access(cat.MustEntity("Companies"), View))
	}
}

func TestRightsOfTwoParties(t *testing.T) {
	cat := catalog.Default
	tickets, resources := cat.MustEntity("Tickets"), cat.MustEntity("Resources")
	api := &Rights{TenantID: 1, Parties: []Party{{ResourceID: 2, Level: SystemLevel(APIUserLevel)}}}
	noCosts := &Rights{TenantID: 1, Parties: []Party{{ResourceID: 2, Level: SystemLevel(APIUserNoCostsLevel)}}}
	tech := Party{ResourceID: 9, Level: SystemLevel(TeamMemberLevel)}

	if !api.CanReadCosts() || noCosts.CanReadCosts() || !(*Rights)(nil).CanReadCosts() {
		t.Error("CanReadCosts")
	}
	if can, max := api.Webhooks(); !can || max != DefaultMaxWebhooks {
		t.Errorf("API User webhooks: %v %d", can, max)
	}
	both, err := api.Impersonating(tech, false)
	if err != nil {
		t.Fatal(err)
	}
	if both.Actor() != 9 || len(both.Parties) != 2 {
		t.Errorf("impersonation rights: %+v", both)
	}
	// The intersection: Team Member may not delete tickets beyond its own, nor touch resources.
	if both.Access(tickets, Delete) != "Restricted" || both.Access(resources, Edit) != "None" || both.Access(tickets, View) != "All" {
		t.Errorf("intersection: delete tickets %s, edit resources %s, view tickets %s", both.Access(tickets, Delete), both.Access(resources, Edit), both.Access(tickets, View))
	}
	if conds, _ := both.Filter(cat, tickets, Delete); show(conds) != "or(assignedResourceID=9, id in TicketSecondaryResources.ticketID[resourceID=9])" {
		t.Errorf("delete filter while impersonating: %s", show(conds))
	}
	if both.CanReadCosts() {
		t.Error("Team Member cannot read costs, so the impersonation cannot either")
	}
	if _, err := api.Impersonating(Party{ResourceID: 3, Level: SystemLevel(APIUserLevel)}, true); err != ErrImpersonationNotAllowed {
		t.Errorf("impersonating an API-only user: %v", err)
	}
	closed := levelWith(t, TeamMemberLevel, "", Permission{})
	closed.Flags.AllowImpersonation = false
	if _, err := api.Impersonating(Party{ResourceID: 4, Level: closed}, false); err != ErrImpersonationNotAllowed {
		t.Errorf("impersonating a level that does not allow it: %v", err)
	}
	cannot := levelWith(t, APIUserLevel, "", Permission{})
	cannot.Flags.CanImpersonate = false
	if _, err := (&Rights{Parties: []Party{{ResourceID: 2, Level: cannot}}}).Impersonating(tech, false); err != ErrImpersonationNotAllowed {
		t.Errorf("an API level without impersonation impersonated: %v", err)
	}
	if _, err := both.Impersonating(tech, false); err != ErrImpersonationNotAllowed {
		t.Errorf("impersonation twice over: %v", err)
	}
	none := &Rights{Parties: []Party{{ResourceID: 2, Level: levelWith(t, APIUserLevel, "*", NoPermission)}}}
	if none.Allowed(tickets, View) || none.Access(tickets, Add) != "None" {
		t.Error("No Permission allows")
	}
	if _, never := none.Filter(cat, tickets, View); !never {
		t.Error("No Permission reads rows")
	}
}
