package web

import "github.com/switchboard-psa/switchboard/internal/catalog"

// The collections and fields the console's and portal's pages name in code, resolved when the
// package starts: a wrong name stops the program there, and every test of the package, not a
// page. (The database's catalog is catalog.Default, as in internal/auth and internal/sync.)
var (
	ticketsE   = catalog.Default.MustEntity("Tickets")
	notesE     = catalog.Default.MustEntity("TicketNotes")
	companiesE = catalog.Default.MustEntity("Companies")
	contactsE  = catalog.Default.MustEntity("Contacts")
	cisE       = catalog.Default.MustEntity("ConfigurationItems")
	udfDefsE   = catalog.Default.MustEntity("UserDefinedFieldDefinitions")

	ticketNotes = mustChild(ticketsE, "Notes") // Tickets/{id}/Notes
)

var ticketF = struct {
	id, number, title, description, status, priority, queueID, source, ticketType   int
	companyID, contactID, assignedResourceID, assignedRoleID, lastActivity, created int
}{
	id: ticketsE.MustIndex("id"), number: ticketsE.MustIndex("ticketNumber"), title: ticketsE.MustIndex("title"),
	description: ticketsE.MustIndex("description"), status: ticketsE.MustIndex("status"), priority: ticketsE.MustIndex("priority"),
	queueID: ticketsE.MustIndex("queueID"), source: ticketsE.MustIndex("source"), ticketType: ticketsE.MustIndex("ticketType"),
	companyID: ticketsE.MustIndex("companyID"), contactID: ticketsE.MustIndex("contactID"),
	assignedResourceID: ticketsE.MustIndex("assignedResourceID"), assignedRoleID: ticketsE.MustIndex("assignedResourceRoleID"),
	lastActivity: ticketsE.MustIndex("lastActivityDate"), created: ticketsE.MustIndex("createDate"),
}

var noteF = struct {
	title, description, noteType, publish, createdAt, byContact, byResource int
}{
	title: notesE.MustIndex("title"), description: notesE.MustIndex("description"), noteType: notesE.MustIndex("noteType"),
	publish: notesE.MustIndex("publish"), createdAt: notesE.MustIndex("createDateTime"),
	byContact: notesE.MustIndex("createdByContactID"), byResource: notesE.MustIndex("creatorResourceID"),
}

var companyF = struct {
	name, phone, web, city, isActive int
}{
	name: companiesE.MustIndex("companyName"), phone: companiesE.MustIndex("phone"), web: companiesE.MustIndex("webAddress"),
	city: companiesE.MustIndex("city"), isActive: companiesE.MustIndex("isActive"),
}

var contactF = struct {
	firstName, lastName, email, phone, title, mobile, companyID, isActive int
}{
	firstName: contactsE.MustIndex("firstName"), lastName: contactsE.MustIndex("lastName"), email: contactsE.MustIndex("emailAddress"),
	phone: contactsE.MustIndex("phone"), title: contactsE.MustIndex("title"), mobile: contactsE.MustIndex("mobilePhone"),
	companyID: contactsE.MustIndex("companyID"), isActive: contactsE.MustIndex("isActive"),
}

var ciF = struct {
	ciType, referenceTitle, serialNumber int
}{
	ciType: cisE.MustIndex("configurationItemType"), referenceTitle: cisE.MustIndex("referenceTitle"), serialNumber: cisE.MustIndex("serialNumber"),
}

var udfDefF = struct {
	udfType, dataType, name, description, defaultValue, isRequired, isActive int
}{
	udfType: udfDefsE.MustIndex("udfType"), dataType: udfDefsE.MustIndex("dataType"), name: udfDefsE.MustIndex("name"),
	description: udfDefsE.MustIndex("description"), defaultValue: udfDefsE.MustIndex("defaultValue"),
	isRequired: udfDefsE.MustIndex("isRequired"), isActive: udfDefsE.MustIndex("isActive"),
}

// mustChild is e's child collection name, or a panic naming it.
func mustChild(e *catalog.Entity, name string) *catalog.Child {
	c, ok := e.Child(name)
	if !ok {
		panic("web: entity " + e.Name + " has no child collection " + name)
	}
	return c
}
