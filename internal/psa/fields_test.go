package psa

import (
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// TestFieldNamesResolveAtStart: a field name the hooks use that the catalog does not know
// stops the service from being made, with the name in the message.
func TestFieldNamesResolveAtStart(t *testing.T) {
	if i := fieldIndex(catalog.Default, "Tickets", "status"); catalog.Default.MustEntity("Tickets").Fields[i].Name != "status" {
		t.Errorf("status resolved to %d", i)
	}
	for _, c := range [][2]string{{"Tickets", "stauts"}, {"Tikcets", "status"}} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("fieldIndex(%s, %s) did not panic", c[0], c[1])
				}
			}()
			fieldIndex(catalog.Default, c[0], c[1])
		}()
	}
	if hooks := coreHooks(&Service{Catalog: catalog.Default}); hooks["Tickets"] == nil {
		t.Error("no ticket hooks")
	}
}

// TestBelongsToUnknownParentField: a child whose parent field the entity lacks belongs to no
// parent, and reading it does not index the row at -1.
func TestBelongsToUnknownParentField(t *testing.T) {
	e := catalog.Default.MustEntity("TicketNotes")
	row := store.NewRow(e)
	row.Values[e.Index("ticketID")] = int64(7)
	if !belongsTo(e, row, &Parent{ID: 7, Child: &catalog.Child{ParentField: "ticketID"}}) {
		t.Error("note of ticket 7 does not belong to it")
	}
	if belongsTo(e, row, &Parent{ID: 7, Child: &catalog.Child{ParentField: "noSuchField"}}) {
		t.Error("belongs through a field it does not have")
	}
}
