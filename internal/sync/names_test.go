package sync

import (
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/catalog/catalogtest"
)

// TestCheckNames: every collection and field the sync names in its tables is in the catalog,
// and one that is not stops the program at start, naming it.
func TestCheckNames(t *testing.T) {
	if !checkNames(catalog.Default) {
		t.Fatal("checkNames")
	}
	for _, c := range [][2]string{{"Contacts", "lastModifiedDate"}, {"TicketNotes", "ticketID"}, {"ConfigurationItems", "lastModifiedTime"}} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if msg == "" || !strings.Contains(msg, c[1]) {
					t.Errorf("a catalog without %s.%s: panic %q, want one naming the field", c[0], c[1], msg)
				}
			}()
			checkNames(catalogtest.Misspelt(c[0], c[1]))
		}()
	}
}
