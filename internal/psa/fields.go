package psa

import (
	"fmt"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// fieldIndex resolves a field the services name in code to its index in the entity's rows,
// once, when the service is made (New): a name the catalog does not know stops the program at
// start-up, and every test of the package, rather than failing a request.
func fieldIndex(c *catalog.Catalog, entity, field string) int {
	e, ok := c.Entity(entity)
	if !ok {
		panic(fmt.Sprintf("psa: the catalog has no entity %q", entity))
	}
	i := e.Index(field)
	if i < 0 {
		panic(fmt.Sprintf("psa: entity %s has no field %q", entity, field))
	}
	return i
}

// ticketFields are the fields of Tickets the ticket rules read and write.
type ticketFields struct {
	creatorType, ticketNumber, status, completedDate, completedByResourceID int
	assignedResourceID, assignedResourceRoleID                              int
}

func resolveTicketFields(c *catalog.Catalog) ticketFields {
	f := func(name string) int { return fieldIndex(c, "Tickets", name) }
	return ticketFields{
		creatorType: f("creatorType"), ticketNumber: f("ticketNumber"), status: f("status"),
		completedDate: f("completedDate"), completedByResourceID: f("completedByResourceID"),
		assignedResourceID: f("assignedResourceID"), assignedResourceRoleID: f("assignedResourceRoleID"),
	}
}
