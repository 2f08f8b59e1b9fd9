package query

import (
	"errors"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// testTickets is a small Tickets-like entity with one field of every type the compiler treats
// differently; the generated catalog is not needed.
func testTickets() *catalog.Entity {
	e := &catalog.Entity{
		Name: "Tickets", Singular: "Ticket", Table: "tickets", Stored: true, HasUDFs: true,
		Fields: []catalog.Field{
			{Name: "id", Column: "id", Type: catalog.Long, ReadOnly: true, Queryable: true},
			{Name: "companyID", Column: "company_id", Type: catalog.Integer, Queryable: true, Reference: "Companies"},
			{Name: "title", Column: "title", Type: catalog.String, Length: 255, Queryable: true},
			{Name: "status", Column: "status", Type: catalog.Integer, Queryable: true, Picklist: true},
			{Name: "createDate", Column: "create_date", Type: catalog.DateTime, ReadOnly: true, Queryable: true},
			{Name: "dueDateTime", Column: "due_date_time", Type: catalog.DateTime, Queryable: true},
			{Name: "isActive", Column: "is_active", Type: catalog.Boolean, Queryable: true},
			{Name: "estimatedHours", Column: "estimated_hours", Type: catalog.Double, Queryable: true},
			{Name: "secretNotes", Column: "secret_notes", Type: catalog.String, Queryable: false},
		},
	}
	catalog.New([]*catalog.Entity{e})
	return e
}

// testUDFs is the tenant's UDF set as psa builds it: names lower-cased.
var testUDFs = map[string]bool{"customer code": true, "employees": true}

// wantAppErr fails unless err is an apperr with status 500 and exactly the message want.
func wantAppErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %q", want)
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is no *apperr.Error", err, err)
	}
	if ae.Status != 500 || len(ae.Messages) != 1 || ae.Messages[0] != want {
		t.Fatalf("error = %d %q; want 500 %q", ae.Status, ae.Messages, want)
	}
}
