package admin

import (
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/catalog/catalogtest"
)

// TestFieldsResolveAtStart: every collection and field the administration names (portal,
// organizational structure, resources, API users, demo data) is resolved when the service is made; one the catalog
// lacks stops it, naming the field.
func TestFieldsResolveAtStart(t *testing.T) {
	f := resolveFields(catalog.Default)
	if got := f.contacts.Fields[f.contact.email].Name; got != "emailAddress" {
		t.Errorf("contact email resolved to %q", got)
	}
	if got := f.orgLevels[2].Fields[f.orgUnit.name].Name; got != "name" || f.orgLevels[2].Name != "OrganizationalLevel2s" {
		t.Errorf("line of business name resolved to %s.%s", f.orgLevels[2].Name, got)
	}
	for _, c := range []struct {
		e    *catalog.Entity
		i    int
		want string
	}{
		{f.resources, f.resource.userName, "Resources.userName"},
		{f.resources, f.resource.licenseType, "Resources.licenseType"},
		{f.roleDepartments, f.roleDepartment.isLead, "ResourceRoleDepartments.isDepartmentLead"},
		{f.orgResources, f.orgResource.associationID, "OrganizationalResources.organizationalLevelAssociationID"},
		{f.tickets, f.ticket.lastActivity, "Tickets.lastActivityDate"},
	} {
		if got := c.e.Name + "." + c.e.Fields[c.i].Name; got != c.want {
			t.Errorf("resolved %s, want %s", got, c.want)
		}
	}
	if f.ticketNotes.Entity != "TicketNotes" || f.companyContacts.Entity != "Contacts" {
		t.Errorf("child collections resolved to %s and %s", f.ticketNotes.Entity, f.companyContacts.Entity)
	}
	for _, c := range [][2]string{{"Contacts", "emailAddress"}, {"OrganizationalLevel2s", "isActive"}, {"Tickets", "ticketType"}, {"TicketNotes", "publish"},
		{"Resources", "internalCost"}, {"ResourceRoleDepartments", "isDepartmentLead"}, {"ResourceRoleQueues", "queueID"}, {"Tickets", "createDate"}} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if msg == "" || !strings.Contains(msg, c[1]) {
					t.Errorf("a catalog without %s.%s: panic %q, want one naming the field", c[0], c[1], msg)
				}
			}()
			resolveFields(catalogtest.Misspelt(c[0], c[1]))
		}()
	}
}
