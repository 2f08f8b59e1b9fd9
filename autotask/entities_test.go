package autotask_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
)

// A ticket as Autotask sends it: camelCase, nulls included, decimals with scale, UDFs listed.
const liveTicket = `{"id":7425,"apiVendorID":null,"assignedResourceID":29682885,"assignedResourceRoleID":29683461,
"billingCodeID":29682801,"changeApprovalBoard":null,"companyID":0,"companyLocationID":10,"completedDate":"2019-11-25T15:47:59.167Z",
"contactID":30682890,"createDate":"2019-11-20T10:00:00Z","description":"Printer\r\non fire","dueDateTime":"2019-11-22T17:00:00Z",
"estimatedHours":3.5000,"externalID":"","hoursToBeScheduled":0.0000,"isAssignedToComanaged":false,"issueType":1,
"lastActivityDate":"2019-11-25T15:47:59.2Z","monitorID":null,"priority":1,"queueID":8,"serviceLevelAgreementHasBeenMet":true,
"status":5,"subIssueType":102,"ticketCategory":1,"ticketNumber":"T20191120.0002","ticketType":1,"title":"Printer on fire",
"someFieldAddedLater":"ignored",
"userDefinedFields":[{"name":"CRM ID","value":"EB25"},{"name":"Discount","value":"0.0000"},{"name":"Acronym","value":null}]}`

func TestDecodeTicket(t *testing.T) {
	t.Parallel()
	var tk autotask.Ticket
	if err := json.Unmarshal([]byte(liveTicket), &tk); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"id", autotask.Value(tk.ID) == 7425},
		{"company 0 is kept", tk.CompanyID != nil && *tk.CompanyID == 0},
		{"null stays nil", tk.APIVendorID == nil && tk.MonitorID == nil},
		{"empty string kept", tk.ExternalID != nil && *tk.ExternalID == ""},
		{"decimal", autotask.Value(tk.EstimatedHours) == 3.5},
		{"time", tk.CompletedDate != nil && tk.CompletedDate.Equal(time.Date(2019, 11, 25, 15, 47, 59, 167e6, time.UTC))},
		{"bool", autotask.Value(tk.ServiceLevelAgreementHasBeenMet)},
		{"extra field", tk.IsAssignedToComanaged != nil && !*tk.IsAssignedToComanaged},
		{"string with CRLF", autotask.Value(tk.Description) == "Printer\r\non fire"},
		{"udfs", len(tk.UserDefinedFields) == 3},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: wrong in %+v", c.name, tk)
		}
	}
	if v, ok := tk.UDF("crm id"); !ok || v != "EB25" {
		t.Errorf("UDF(crm id) = %q, %v", v, ok)
	}
	if _, ok := tk.UDF("Acronym"); ok {
		t.Error("a null UDF reads as set")
	}
	if _, ok := tk.UDF("Missing"); ok {
		t.Error("a missing UDF reads as set")
	}
	tk.SetUDF("Acronym", autotask.Ptr("ACME"))
	tk.SetUDF("New One", autotask.Ptr("1"))
	tk.SetUDF("CRM ID", nil)
	if v, _ := tk.UDF("Acronym"); v != "ACME" || len(tk.UserDefinedFields) != 4 {
		t.Errorf("after SetUDF: %+v", tk.UserDefinedFields)
	}
	b, _ := json.Marshal(tk.UserDefinedFields)
	if string(b) != `[{"name":"CRM ID","value":null},{"name":"Discount","value":"0.0000"},{"name":"Acronym","value":"ACME"},{"name":"New One","value":"1"}]` {
		t.Errorf("UDFs = %s", b)
	}
	if tk.EntityName() != "Tickets" {
		t.Errorf("EntityName = %s", tk.EntityName())
	}
}

// TestDecodeLenient: what other servers and other API versions send still decodes.
func TestDecodeLenient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		json  string
		check func(*testing.T, autotask.ConfigurationItem)
	}{
		{"GUID id fields as strings", `{"id":1,"rmmDeviceAuditArchitectureID":"a3f1c2de-0000-4000-8000-000000000001","rmmDeviceAuditDeviceTypeID":4}`,
			func(t *testing.T, ci autotask.ConfigurationItem) {
				if autotask.Value(ci.RmmDeviceAuditArchitectureID) != "a3f1c2de-0000-4000-8000-000000000001" || autotask.Value(ci.RmmDeviceAuditDeviceTypeID) != 4 {
					t.Errorf("%+v", ci)
				}
			}},
		{"the same fields as numbers", `{"id":1,"rmmDeviceAuditArchitectureID":12,"dattoOSVersionID":3}`,
			func(t *testing.T, ci autotask.ConfigurationItem) {
				if autotask.Value(ci.RmmDeviceAuditArchitectureID) != "12" || autotask.Value(ci.DattoOSVersionID) != "3" {
					t.Errorf("%+v", ci)
				}
			}},
		{"numbers as strings, booleans as 1/0, PascalCase keys", `{"Id":"42","CompanyID":"7","IsActive":1,"MonthlyCost":"12.50","NumberOfUsers":3,"InstallDate":"2024-05-01T00:00:00"}`,
			func(t *testing.T, ci autotask.ConfigurationItem) {
				if autotask.Value(ci.ID) != 42 || autotask.Value(ci.CompanyID) != 7 || !autotask.Value(ci.IsActive) ||
					autotask.Value(ci.MonthlyCost) != 12.5 || autotask.Value(ci.NumberOfUsers) != 3 || ci.InstallDate == nil {
					t.Errorf("%+v", ci)
				}
			}},
		{"integral float for an integer", `{"id":5.0,"productID":9.0}`,
			func(t *testing.T, ci autotask.ConfigurationItem) {
				if autotask.Value(ci.ID) != 5 || autotask.Value(ci.ProductID) != 9 {
					t.Errorf("%+v", ci)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ci autotask.ConfigurationItem
			if err := json.Unmarshal([]byte(tt.json), &ci); err != nil {
				t.Fatal(err)
			}
			tt.check(t, ci)
		})
	}
	for _, bad := range []string{`{"id":"abc"}`, `{"isActive":"maybe"}`, `{"productID":1.5}`, `{"installDate":"soon"}`} {
		var ci autotask.ConfigurationItem
		if err := json.Unmarshal([]byte(bad), &ci); err == nil {
			t.Errorf("%s accepted: %+v", bad, ci)
		}
	}
	// Contact.isActive is an integer (1/0) on the wire; a boolean decodes too.
	var ct autotask.Contact
	if err := json.Unmarshal([]byte(`{"id":3,"isActive":true,"firstName":"Ann"}`), &ct); err != nil || autotask.Value(ct.IsActive) != 1 {
		t.Errorf("contact = %+v, %v", ct, err)
	}
}

func TestEntityStructsCoverCatalog(t *testing.T) {
	t.Parallel()
	// Spot checks that the generator kept every catalogued field and the wire names.
	tests := []struct {
		entity any
		fields []string
	}{
		{autotask.Ticket{}, []string{"id", "ticketNumber", "problemTicketId", "serviceLevelAgreementPausedNextEventHours", "userDefinedFields"}},
		{autotask.Company{}, []string{"companyName", "billToCompanyLocationID", "webAddress"}},
		{autotask.Contact{}, []string{"emailAddress3", "facebookUrl", "solicitationOptOutTime"}},
		{autotask.CompanyLocation{}, []string{"isPrimary", "roundtripDistance"}},
		{autotask.Resource{}, []string{"userName", "travelAvailabilityPct", "payrollIdentifier"}},
		{autotask.TicketNote{}, []string{"noteType", "publish", "impersonatorUpdaterResourceID"}},
		{autotask.ConfigurationItem{}, []string{"sslSignatureAlgorithm", "rmmDeviceUID", "warrantyExpirationDate"}},
	}
	for _, tt := range tests {
		// Fill every pointer field through JSON and look for the names in the output.
		var all map[string]any
		raw, _ := json.Marshal(tt.entity)
		_ = json.Unmarshal(raw, &all)
		if len(all) != 0 {
			t.Errorf("%T: zero value encodes fields %v (nil pointers must be left out)", tt.entity, all)
		}
		src := "{" + strings.Join(quoteAll(tt.fields), ",") + "}"
		ptr := newOf(tt.entity)
		if err := json.Unmarshal([]byte(src), ptr); err != nil {
			t.Errorf("%T: %v", tt.entity, err)
			continue
		}
		out, _ := json.Marshal(ptr)
		for _, f := range tt.fields {
			if !strings.Contains(string(out), `"`+f+`":`) {
				t.Errorf("%T has no field %s: %s", tt.entity, f, out)
			}
		}
	}
}

func quoteAll(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		v := `"1"`
		switch {
		case f == "userDefinedFields":
			v = `[{"name":"x","value":"1"}]`
		case strings.HasSuffix(f, "Time") || strings.HasSuffix(f, "Date"):
			v = `"2024-01-01T00:00:00Z"`
		case strings.HasPrefix(f, "is"):
			v = `true`
		}
		out[i] = `"` + f + `":` + v
	}
	return out
}

func newOf(v any) any {
	switch v.(type) {
	case autotask.Ticket:
		return new(autotask.Ticket)
	case autotask.Company:
		return new(autotask.Company)
	case autotask.Contact:
		return new(autotask.Contact)
	case autotask.CompanyLocation:
		return new(autotask.CompanyLocation)
	case autotask.Resource:
		return new(autotask.Resource)
	case autotask.TicketNote:
		return new(autotask.TicketNote)
	case autotask.ConfigurationItem:
		return new(autotask.ConfigurationItem)
	}
	panic("unknown entity")
}
