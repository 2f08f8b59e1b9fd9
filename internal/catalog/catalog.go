// Package catalog describes every collection of the Autotask REST API that Switchboard serves:
// its verbs, child collections, fields and their rules. The data is generated (catalog_gen.go)
// from ../shared/autotask plus the overrides in gen/overrides.go; this file holds the types and
// the look-ups the rest of the server uses.
package catalog

//go:generate go run ./gen -src ../../../shared/autotask -out catalog_gen.go -doc ../../docs/compatibility.md

import (
	"fmt"
	"sort"
	"strings"
)

// Type is a field's wire data type, as entityInformation/fields reports it.
type Type string

// The wire data types.
const (
	Integer  Type = "integer"
	Long     Type = "long"
	Short    Type = "short"
	Double   Type = "double"
	Decimal  Type = "decimal"
	String   Type = "string"
	DateTime Type = "datetime"
	Boolean  Type = "boolean"
	Base64   Type = "base64"
)

// IsInteger reports whether values of t are whole numbers.
func (t Type) IsInteger() bool { return t == Integer || t == Long || t == Short }

// IsNumber reports whether values of t are numbers of any kind.
func (t Type) IsNumber() bool { return t.IsInteger() || t == Double || t == Decimal }

// Verb is one operation a collection may answer.
type Verb uint8

// The verbs of a collection, as a bit set.
const (
	Get Verb = 1 << iota
	Query
	Count
	Create
	Update  // PATCH
	Replace // PUT
	Delete
	List // GET /{Parent}/{id}/{Child}
)

// Has reports whether v includes every verb of w.
func (v Verb) Has(w Verb) bool { return v&w == w }

// PicklistValue is one default value of a picklist, seeded into every new tenant.
type PicklistValue struct {
	Value     int
	Label     string
	IsDefault bool
	SortOrder int
	Parent    int // value of the parent picklist field, 0 for none
	IsSystem  bool
}

// Field is one field of a collection.
type Field struct {
	Name      string // camelCase wire name
	Column    string // SQL column
	Type      Type
	Length    int
	Required  bool
	ReadOnly  bool
	Queryable bool
	// Reference names the collection this field points to ("" for none).
	Reference string
	// Picklist marks a field whose values come from the tenant's picklist.
	Picklist bool
	// PicklistParent names the field whose value filters this picklist (subIssueType → issueType).
	PicklistParent string
	// Picklist values seeded into a new tenant.
	Defaults []PicklistValue
	// Cost marks internal cost data, hidden from levels that cannot read costs.
	Cost bool
	// Indexed asks the store for an index on (tenant_id, column).
	Indexed bool
	// OnCreate is the value a create stores when the field is not sent (or sent null):
	// Autotask's default, such as isActive true. nil for none.
	OnCreate any
}

// Child is a child collection reached as /{Parent}/{parentId}/{Name}.
type Child struct {
	Name        string // path segment, e.g. "Notes"
	Entity      string // the collection its rows belong to, e.g. "TicketNotes"
	ParentField string // the field of Entity that holds the parent id, e.g. "ticketID"
	Verbs       Verb
}

// Entity is one collection of the catalog.
type Entity struct {
	Name     string // collection name in URLs, e.g. "Tickets"
	Singular string // entity name in messages, e.g. "Ticket"
	Table    string // SQL table
	Fields   []Field
	Verbs    Verb
	// Stored is false for the few collections that are not tables (Version, Modules, ...).
	Stored bool
	// HasUDFs is true when the collection answers entityInformation/userDefinedFields.
	HasUDFs bool
	// Webhooks is true for the entities that support webhook callouts.
	Webhooks bool
	Children []Child
	// Special lists extra paths the collection answers, as "METHOD /path".
	Special []string
	// Section and Object name the security-level permission that guards the collection.
	Section string
	Object  string
	// Core is true for collections with their own rules (hooks) beyond the generic ones.
	Core bool

	byName map[string]int
	id     int // index of the id field; -1 when there is none
}

// Field finds a field by name, case-insensitively.
func (e *Entity) Field(name string) (*Field, bool) {
	i, ok := e.byName[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return &e.Fields[i], true
}

// Index returns the position of a field in Fields, or -1.
func (e *Entity) Index(name string) int {
	i, ok := e.byName[strings.ToLower(name)]
	if !ok {
		return -1
	}
	return i
}

// MustIndex is Index for a field the code itself names; it panics on a name the entity lacks.
// Resolve such names once, where a package or service starts (a package variable, or New),
// never on a request: a wrong name then stops the program at start, and every test of the
// package, instead of failing a call.
func (e *Entity) MustIndex(name string) int {
	i := e.Index(name)
	if i < 0 {
		panic(fmt.Sprintf("catalog: entity %s has no field %q", e.Name, name))
	}
	return i
}

// IDIndex is the index of the id field, resolved when the catalog is made, or -1 for the few
// collections that have none.
func (e *Entity) IDIndex() int { return e.id }

// MustIndex resolves entity.field in the Default catalog, for package variables: see
// Entity.MustIndex.
func MustIndex(entity, field string) int { return Default.MustEntity(entity).MustIndex(field) }

// Child finds a child collection by its path segment, case-insensitively.
func (e *Entity) Child(name string) (*Child, bool) {
	for i := range e.Children {
		if strings.EqualFold(e.Children[i].Name, name) {
			return &e.Children[i], true
		}
	}
	return nil, false
}

// Catalog is the set of all collections.
type Catalog struct {
	entities []*Entity
	byName   map[string]*Entity
}

// New builds a catalog over the given entities and indexes them.
func New(entities []*Entity) *Catalog {
	c := &Catalog{byName: make(map[string]*Entity, len(entities))}
	for _, e := range entities {
		e.byName = make(map[string]int, len(e.Fields))
		for i, f := range e.Fields {
			e.byName[strings.ToLower(f.Name)] = i
		}
		e.id = e.Index("id")
		c.entities = append(c.entities, e)
		c.byName[strings.ToLower(e.Name)] = e
	}
	sort.Slice(c.entities, func(i, j int) bool { return c.entities[i].Name < c.entities[j].Name })
	return c
}

// Entity finds a collection by name, case-insensitively.
func (c *Catalog) Entity(name string) (*Entity, bool) {
	e, ok := c.byName[strings.ToLower(name)]
	return e, ok
}

// MustEntity is Entity for names the code itself uses; it panics on a name the catalog lacks.
func (c *Catalog) MustEntity(name string) *Entity {
	e, ok := c.Entity(name)
	if !ok {
		panic("catalog: no entity " + name)
	}
	return e
}

// Entities lists every collection in name order.
func (c *Catalog) Entities() []*Entity { return c.entities }

// Default is the catalog generated from Autotask's API description.
var Default = New(generated())
