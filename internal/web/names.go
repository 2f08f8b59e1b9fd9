package web

import (
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

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

	// udfEntities are the collections the User-Defined Fields page lists, in its order.
	udfEntities = []*catalog.Entity{companiesE, contactsE, ticketsE, cisE, catalog.Default.MustEntity("Opportunities"),
		catalog.Default.MustEntity("Projects"), catalog.Default.MustEntity("Tasks")}
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
	ciType, referenceTitle, serialNumber, companyID, productID, contactID, isActive, notes int
}{
	ciType: cisE.MustIndex("configurationItemType"), referenceTitle: cisE.MustIndex("referenceTitle"), serialNumber: cisE.MustIndex("serialNumber"),
	companyID: cisE.MustIndex("companyID"), productID: cisE.MustIndex("productID"), contactID: cisE.MustIndex("contactID"),
	isActive: cisE.MustIndex("isActive"), notes: cisE.MustIndex("notes"),
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

// The picklists the pages offer or label, checked when the package starts.
var (
	ticketStatus   = mustPicklist(ticketsE, "status")
	ticketPriority = mustPicklist(ticketsE, "priority")
	ticketQueue    = mustPicklist(ticketsE, "queueID")
	ticketSource   = mustPicklist(ticketsE, "source")
	companyType    = mustPicklist(companiesE, "companyType")
	companyClass   = mustPicklist(companiesE, "classification")
)

// How the pages name the rows of the collections they list or offer, checked when the package
// starts.
var (
	companyNames    = mustRowName(companiesE, "companyName")
	contactNames    = mustRowName(contactsE, "firstName", "lastName")
	resourceNames   = mustRowName(catalog.Default.MustEntity("Resources"), "firstName", "lastName")
	roleNames       = mustRowName(catalog.Default.MustEntity("Roles"), "name")
	departmentNames = mustRowName(catalog.Default.MustEntity("Departments"), "name")
	locationNames   = mustRowName(catalog.Default.MustEntity("InternalLocations"), "name")
	countryNames    = mustRowName(catalog.Default.MustEntity("Countries"), "displayName")
	ciTypeNames     = mustRowName(catalog.Default.MustEntity("ConfigurationItemTypes"), "name") // rows, not picklist values
	productNames    = mustRowName(catalog.Default.MustEntity("Products"), "name")
)

// picklistField is a picklist field of a collection.
type picklistField struct {
	e     *catalog.Entity
	field string
	index int
}

// mustPicklist is e's field with values in the tenant's picklists, or a panic naming a field e
// lacks. (ConfigurationItems.configurationItemType is not one: its values are rows of
// ConfigurationItemTypes, which the Picklists pages edit as a row list, rowList.)
func mustPicklist(e *catalog.Entity, field string) picklistField {
	return picklistField{e, field, e.MustIndex(field)}
}

// rowName is how a row of a collection is named: its text fields, joined by spaces.
type rowName struct {
	e      *catalog.Entity
	fields []int
}

// mustRowName resolves the fields that name a row of e, or panics naming the one e lacks.
func mustRowName(e *catalog.Entity, fields ...string) rowName {
	n := rowName{e: e}
	for _, f := range fields {
		n.fields = append(n.fields, e.MustIndex(f))
	}
	return n
}

// of is the name of a row of n's collection.
func (n rowName) of(row *store.Row) string {
	var parts []string
	for _, i := range n.fields {
		if v, ok := row.Values[i].(string); ok {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}

// rowList is a collection whose rows are the values of a list, named by a text field and
// switched on and off by isActive (ConfigurationItemTypes): the Picklists pages show and edit it
// like a picklist, through the collection's own create and update.
type rowList struct {
	e              *catalog.Entity
	name, isActive int
}

func mustRowList(e *catalog.Entity) *rowList {
	return &rowList{e: e, name: e.MustIndex("name"), isActive: e.MustIndex("isActive")}
}

// ciTypeList is Admin › Picklists' "Configuration item types".
var ciTypeList = mustRowList(catalog.Default.MustEntity("ConfigurationItemTypes"))
