package webhook

import (
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// TestRowFieldsCheckedAtStart: the fields this package reads by name are checked against the
// catalog at start (init); a webhook collection without one of them is reported by name.
func TestRowFieldsCheckedAtStart(t *testing.T) {
	if err := checkRowFields(catalog.Default); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"TicketWebhooks", "secretKey"}, {"ContactWebhookFields", "isDisplayAlwaysField"}, {"WebhookEventErrorLogs", "payload"}} {
		var list []*catalog.Entity
		for _, e := range catalog.Default.Entities() {
			cp := *e
			cp.Fields = append([]catalog.Field(nil), e.Fields...)
			for i := range cp.Fields {
				if e.Name == c[0] && cp.Fields[i].Name == c[1] {
					cp.Fields[i].Name = "renamed"
				}
			}
			list = append(list, &cp)
		}
		err := checkRowFields(catalog.New(list))
		if err == nil || !strings.Contains(err.Error(), c[0]) || !strings.Contains(err.Error(), c[1]) {
			t.Errorf("without %s.%s: %v", c[0], c[1], err)
		}
	}
}
