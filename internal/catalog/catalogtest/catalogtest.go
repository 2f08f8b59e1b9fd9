// Package catalogtest helps tests of the code that resolves catalog names at start-up.
package catalogtest

import "github.com/switchboard-psa/switchboard/internal/catalog"

// Misspelt is catalog.Default with one field of one entity renamed, as a typo in the code would
// look to the catalog: resolving the field's real name must then fail.
func Misspelt(entity, field string) *catalog.Catalog {
	var list []*catalog.Entity
	for _, e := range catalog.Default.Entities() {
		c := *e
		c.Fields = append([]catalog.Field(nil), e.Fields...)
		if e.Name == entity {
			for i := range c.Fields {
				if c.Fields[i].Name == field {
					c.Fields[i].Name = field + "X"
				}
			}
		}
		list = append(list, &c)
	}
	return catalog.New(list)
}
