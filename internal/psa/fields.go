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
}

func resolveTicketFields(c *catalog.Catalog) ticketFields {
	f := func(name string) int { return fieldIndex(c, "Tickets", name) }
	return ticketFields{
		creatorType: f("creatorType"), ticketNumber: f("ticketNumber"), status: f("status"),
		completedDate: f("completedDate"), completedByResourceID: f("completedByResourceID"),
	}
}

// assignmentFields are an entity's resource/role pair (assignedResourceID and
// assignedResourceRoleID on Tickets and Tasks; resourceID and roleID on their secondary
// resources), the pair's wire names for the messages, and the department/role associations
// (ResourceRoleDepartments) the pair must be one of.
type assignmentFields struct {
	resource, role                           int
	resourceName, roleName                   string
	roleDepartments                          *catalog.Entity
	roleDepartmentRole, roleDepartmentActive int
}

func resolveAssignmentFields(c *catalog.Catalog, entityName, resourceField, roleField string) assignmentFields {
	return assignmentFields{
		resource: fieldIndex(c, entityName, resourceField), role: fieldIndex(c, entityName, roleField),
		resourceName: resourceField, roleName: roleField,
		roleDepartments:      entity(c, "ResourceRoleDepartments"),
		roleDepartmentRole:   fieldIndex(c, "ResourceRoleDepartments", "roleID"),
		roleDepartmentActive: fieldIndex(c, "ResourceRoleDepartments", "isActive"),
	}
}

// secondaryFields are what a secondary resource's rule reads: its resource and parent id
// (ticketID or taskID), and the parent's collection and primary resource (assignedResourceID).
type secondaryFields struct {
	resource, parentID, parentPrimary int
	parentIDName                      string
	parent                            *catalog.Entity
}

// resolveSecondaryFields resolves them for TicketSecondaryResources (parent "ticket") or
// TaskSecondaryResources ("task").
func resolveSecondaryFields(c *catalog.Catalog, entityName, parent string) secondaryFields {
	parentEntity := map[string]string{"ticket": "Tickets", "task": "Tasks"}[parent]
	idName := parent + "ID"
	return secondaryFields{
		resource: fieldIndex(c, entityName, "resourceID"), parentID: fieldIndex(c, entityName, idName), parentIDName: idName,
		parent: entity(c, parentEntity), parentPrimary: fieldIndex(c, parentEntity, "assignedResourceID"),
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

// coreFields are the other collections and fields the engine names in code (UDF definitions,
// new companies' primary locations), resolved by New like ticketFields: a wrong name stops New,
// never a request. The administration resolves its own names the same way (admin/fields.go).
type coreFields struct {
	udfDefs, companyLocations *catalog.Entity

	companyName int
	udf         struct {
		name, description, dataType, isRequired, isActive, sortOrder, defaultValue, udfType int
	}
}

func resolveCoreFields(c *catalog.Catalog) coreFields {
	var f coreFields
	f.udfDefs, f.companyLocations = entity(c, "UserDefinedFieldDefinitions"), entity(c, "CompanyLocations")
	f.companyName = fieldIndex(c, "Companies", "companyName")
	ud := func(field string) int { return fieldIndex(c, "UserDefinedFieldDefinitions", field) }
	f.udf.name, f.udf.description, f.udf.dataType, f.udf.isRequired = ud("name"), ud("description"), ud("dataType"), ud("isRequired")
	f.udf.isActive, f.udf.sortOrder, f.udf.defaultValue, f.udf.udfType = ud("isActive"), ud("sortOrder"), ud("defaultValue"), ud("udfType")
	return f
}
