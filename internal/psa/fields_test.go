package psa

import (
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/catalog/catalogtest"
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

// TestCoreFieldsResolveAtStart: every collection and field the engine names (UDF definitions,
// primary locations) is resolved when the service is made; one the catalog lacks stops it,
// naming the field.
func TestCoreFieldsResolveAtStart(t *testing.T) {
	f := resolveCoreFields(catalog.Default)
	if got := f.udfDefs.Fields[f.udf.udfType].Name; got != "udfType" {
		t.Errorf("UDF type resolved to %q", got)
	}
	for _, c := range [][2]string{{"Companies", "companyName"}, {"UserDefinedFieldDefinitions", "udfType"}} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if msg == "" || !strings.Contains(msg, c[1]) {
					t.Errorf("a catalog without %s.%s: panic %q, want one naming the field", c[0], c[1], msg)
				}
			}()
			resolveCoreFields(catalogtest.Misspelt(c[0], c[1]))
		}()
	}
}
