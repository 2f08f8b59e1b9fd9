package admin

import "github.com/switchboard-psa/switchboard/internal/catalog"

// fields are the collections and fields the administration names in code (the portal, the
// organizational structure, resources and API users), resolved by New from the catalog: a
// wrong name stops New with a panic that names it, never a request.
type fields struct {
	contacts, companies, tickets, notes, resources *catalog.Entity
	orgLevels                                      [3]*catalog.Entity // [1] divisions, [2] lines of business
	orgAssociations, orgResources                  *catalog.Entity
	// A resource's associations, and the collections its settings point at.
	roleDepartments, serviceDeskRoles, roleQueues *catalog.Entity
	locations, departments, roles                 *catalog.Entity
	ticketNotes, companyContacts                  *catalog.Child // Tickets/{id}/Notes, Companies/{id}/Contacts

	contact struct {
		isActive, companyID, firstName, lastName, email int
	}
	companyName int
	ticket      struct {
		companyID, number, title, status, priority          int
		contactID, description, queueID, source, ticketType int
		lastActivity, created                               int
		id, assignedResourceID, assignedResourceRoleID      int
	}
	note struct {
		title, description, noteType, publish int
	}
	resource struct {
		id, firstName, lastName, email, userName, title int
		isActive, locationID, internalCost, licenseType int
	}
	roleDepartment struct {
		departmentID, roleID, isDefault, isLead, isActive, resourceID int
	}
	roleQueueID int
	// orgUnit are the fields of both organizational levels, at the same index in each (checked).
	orgUnit struct {
		name, isActive int
	}
	orgAssociation struct {
		level1, level2, isActive int
	}
	orgResource struct {
		resourceID, associationID int
	}
}

func resolveFields(c *catalog.Catalog) fields {
	var f fields
	f.contacts, f.companies, f.tickets, f.notes = c.MustEntity("Contacts"), c.MustEntity("Companies"), c.MustEntity("Tickets"), c.MustEntity("TicketNotes")
	f.resources = c.MustEntity("Resources")
	f.orgLevels = [3]*catalog.Entity{nil, c.MustEntity("OrganizationalLevel1s"), c.MustEntity("OrganizationalLevel2s")}
	f.orgAssociations, f.orgResources = c.MustEntity("OrganizationalLevelAssociations"), c.MustEntity("OrganizationalResources")
	f.roleDepartments, f.serviceDeskRoles, f.roleQueues = c.MustEntity("ResourceRoleDepartments"), c.MustEntity("ResourceServiceDeskRoles"), c.MustEntity("ResourceRoleQueues")
	f.locations, f.departments, f.roles = c.MustEntity("InternalLocations"), c.MustEntity("Departments"), c.MustEntity("Roles")

	f.ticketNotes, f.companyContacts = mustChild(f.tickets, "Notes"), mustChild(f.companies, "Contacts")

	ct := f.contacts.MustIndex
	f.contact.isActive, f.contact.companyID, f.contact.firstName, f.contact.lastName, f.contact.email =
		ct("isActive"), ct("companyID"), ct("firstName"), ct("lastName"), ct("emailAddress")
	f.companyName = f.companies.MustIndex("companyName")
	tk := f.tickets.MustIndex
	f.ticket.companyID, f.ticket.number, f.ticket.title, f.ticket.status, f.ticket.priority =
		tk("companyID"), tk("ticketNumber"), tk("title"), tk("status"), tk("priority")
	f.ticket.contactID, f.ticket.description, f.ticket.queueID, f.ticket.source, f.ticket.ticketType =
		tk("contactID"), tk("description"), tk("queueID"), tk("source"), tk("ticketType")
	f.ticket.lastActivity, f.ticket.created = tk("lastActivityDate"), tk("createDate")
	f.ticket.id, f.ticket.assignedResourceID, f.ticket.assignedResourceRoleID = tk("id"), tk("assignedResourceID"), tk("assignedResourceRoleID")
	nt := f.notes.MustIndex
	f.note.title, f.note.description, f.note.noteType, f.note.publish = nt("title"), nt("description"), nt("noteType"), nt("publish")
	rs := f.resources.MustIndex
	f.resource.id, f.resource.firstName, f.resource.lastName, f.resource.email, f.resource.userName, f.resource.title =
		rs("id"), rs("firstName"), rs("lastName"), rs("email"), rs("userName"), rs("title")
	f.resource.isActive, f.resource.locationID, f.resource.internalCost, f.resource.licenseType =
		rs("isActive"), rs("locationID"), rs("internalCost"), rs("licenseType")
	rd := f.roleDepartments.MustIndex
	f.roleDepartment.departmentID, f.roleDepartment.roleID, f.roleDepartment.isDefault, f.roleDepartment.isLead =
		rd("departmentID"), rd("roleID"), rd("isDefault"), rd("isDepartmentLead")
	f.roleDepartment.isActive, f.roleDepartment.resourceID = rd("isActive"), rd("resourceID")
	f.roleQueueID = f.roleQueues.MustIndex("queueID")
	l1, l2 := f.orgLevels[1].MustIndex, f.orgLevels[2].MustIndex
	f.orgUnit.name, f.orgUnit.isActive = l1("name"), l1("isActive")
	if l2("name") != f.orgUnit.name || l2("isActive") != f.orgUnit.isActive {
		panic("admin: OrganizationalLevel1s and OrganizationalLevel2s have their name and isActive at different places")
	}
	as := f.orgAssociations.MustIndex
	f.orgAssociation.level1, f.orgAssociation.level2, f.orgAssociation.isActive = as("organizationalLevel1ID"), as("organizationalLevel2ID"), as("isActive")
	f.orgResource.resourceID, f.orgResource.associationID = f.orgResources.MustIndex("resourceID"), f.orgResources.MustIndex("organizationalLevelAssociationID")
	return f
}

// mustChild is e's child collection name, or a panic naming it.
func mustChild(e *catalog.Entity, name string) *catalog.Child {
	c, ok := e.Child(name)
	if !ok {
		panic("admin: entity " + e.Name + " has no child collection " + name)
	}
	return c
}
