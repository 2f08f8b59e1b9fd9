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

// entity resolves a collection the services name in code, once, like fieldIndex.
func entity(c *catalog.Catalog, name string) *catalog.Entity {
	e, ok := c.Entity(name)
	if !ok {
		panic(fmt.Sprintf("psa: the catalog has no entity %q", name))
	}
	return e
}

// coreFields are the other collections and fields the services name in code (the portal, the
// organizational structure, UDF definitions, new companies' primary locations), resolved by New
// like ticketFields: a wrong name stops New, never a request.
type coreFields struct {
	contacts, companies, tickets, notes, resources, udfDefs, companyLocations *catalog.Entity
	orgLevels                                                                 [3]*catalog.Entity // [1] divisions, [2] lines of business
	orgAssociations, orgResources                                             *catalog.Entity

	contact struct {
		isActive, companyID, firstName, lastName, email int
	}
	companyName int
	ticket      struct {
		companyID, number, title, status, priority          int
		contactID, description, queueID, source, ticketType int
	}
	note struct {
		title, description, noteType, publish int
	}
	resource struct {
		firstName, lastName int
	}
	udf struct {
		name, description, dataType, isRequired, isActive, sortOrder, defaultValue, udfType int
	}
	// orgUnit are the fields of both organizational levels, at the same index in each (checked).
	orgUnit struct {
		name, isActive int
	}
	orgAssociation struct {
		level1, level2, isActive int
	}
	orgResourceID int
}

func resolveCoreFields(c *catalog.Catalog) coreFields {
	var f coreFields
	f.contacts, f.companies, f.tickets, f.notes = entity(c, "Contacts"), entity(c, "Companies"), entity(c, "Tickets"), entity(c, "TicketNotes")
	f.resources, f.udfDefs, f.companyLocations = entity(c, "Resources"), entity(c, "UserDefinedFieldDefinitions"), entity(c, "CompanyLocations")
	f.orgLevels = [3]*catalog.Entity{nil, entity(c, "OrganizationalLevel1s"), entity(c, "OrganizationalLevel2s")}
	f.orgAssociations, f.orgResources = entity(c, "OrganizationalLevelAssociations"), entity(c, "OrganizationalResources")

	in := func(entity string) func(string) int {
		return func(field string) int { return fieldIndex(c, entity, field) }
	}
	ct := in("Contacts")
	f.contact.isActive, f.contact.companyID, f.contact.firstName, f.contact.lastName, f.contact.email =
		ct("isActive"), ct("companyID"), ct("firstName"), ct("lastName"), ct("emailAddress")
	f.companyName = fieldIndex(c, "Companies", "companyName")
	tk := in("Tickets")
	f.ticket.companyID, f.ticket.number, f.ticket.title, f.ticket.status, f.ticket.priority =
		tk("companyID"), tk("ticketNumber"), tk("title"), tk("status"), tk("priority")
	f.ticket.contactID, f.ticket.description, f.ticket.queueID, f.ticket.source, f.ticket.ticketType =
		tk("contactID"), tk("description"), tk("queueID"), tk("source"), tk("ticketType")
	nt := in("TicketNotes")
	f.note.title, f.note.description, f.note.noteType, f.note.publish = nt("title"), nt("description"), nt("noteType"), nt("publish")
	rs := in("Resources")
	f.resource.firstName, f.resource.lastName = rs("firstName"), rs("lastName")
	ud := in("UserDefinedFieldDefinitions")
	f.udf.name, f.udf.description, f.udf.dataType, f.udf.isRequired = ud("name"), ud("description"), ud("dataType"), ud("isRequired")
	f.udf.isActive, f.udf.sortOrder, f.udf.defaultValue, f.udf.udfType = ud("isActive"), ud("sortOrder"), ud("defaultValue"), ud("udfType")
	l1, l2 := in("OrganizationalLevel1s"), in("OrganizationalLevel2s")
	f.orgUnit.name, f.orgUnit.isActive = l1("name"), l1("isActive")
	if l2("name") != f.orgUnit.name || l2("isActive") != f.orgUnit.isActive {
		panic("psa: OrganizationalLevel1s and OrganizationalLevel2s have their name and isActive at different places")
	}
	as := in("OrganizationalLevelAssociations")
	f.orgAssociation.level1, f.orgAssociation.level2, f.orgAssociation.isActive = as("organizationalLevel1ID"), as("organizationalLevel2ID"), as("isActive")
	f.orgResourceID = fieldIndex(c, "OrganizationalResources", "resourceID")
	return f
}
