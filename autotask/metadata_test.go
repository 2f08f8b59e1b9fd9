package autotask_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/autotask/internal/fakeat"
)

func TestMetadata(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	f.SetFields("Tickets", []map[string]any{
		{"name": "id", "dataType": "long", "length": 0, "isRequired": true, "isReadOnly": true, "isQueryable": true, "isReference": false, "referenceEntityType": "", "isPickList": false, "picklistValues": nil, "picklistParentValueField": "", "isSupportedWebhookField": false},
		{"name": "status", "dataType": "integer", "isRequired": true, "isQueryable": true, "isPickList": true, "picklistParentValueField": "",
			"picklistValues": []map[string]any{
				{"value": "1", "label": "New", "isDefaultValue": true, "sortOrder": 1, "parentValue": "", "isActive": true, "isSystem": true},
				{"value": "5", "label": "Complete", "isDefaultValue": false, "sortOrder": 2, "parentValue": nil, "isActive": true, "isSystem": true},
			}},
	})
	f.SetUDFs("Tickets", []map[string]any{{"name": "CRM ID", "label": "CRM ID", "type": "string", "length": 8000, "isPickList": false, "defaultValue": nil}})
	c := newClient(t, f, nil)
	ctx := context.Background()

	for range 3 {
		fields, err := c.Fields(ctx, "Tickets")
		if err != nil {
			t.Fatal(err)
		}
		if len(fields) != 2 || fields[1].Name != "status" || !fields[1].IsPickList || len(fields[1].PicklistValues) != 2 {
			t.Fatalf("fields = %+v", fields)
		}
		fields[0].Name = "mutated" // must not reach the cache
	}
	status, err := c.Field(ctx, "tickets", "STATUS")
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := status.PicklistLabel("5"); !ok || l != "Complete" {
		t.Fatalf("label of 5 = %q, %v", l, ok)
	}
	if v, ok := status.PicklistValueOf("new"); !ok || v != "1" {
		t.Fatalf("value of New = %q, %v", v, ok)
	}
	if fields, _ := c.Fields(ctx, "Tickets"); fields[0].Name != "id" {
		t.Fatal("a caller's change reached the cache")
	}

	udfs, err := c.UserDefinedFields(ctx, "Tickets")
	if err != nil || len(udfs) != 1 || udfs[0].Name != "CRM ID" || udfs[0].Length != 8000 {
		t.Fatalf("udfs = %+v, %v", udfs, err)
	}
	info, err := c.EntityInformation(ctx, "Tickets")
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "Tickets" || !info.CanQuery || info.UserAccessForCreate != autotask.AccessAll || info.UserAccessForUpdate != autotask.AccessRestricted || info.UserAccessForDelete != autotask.AccessNone {
		t.Fatalf("info = %+v", info)
	}

	if n := len(requestsTo(f, http.MethodGet, "/entityInformation/fields")); n != 1 {
		t.Fatalf("fields fetched %d times, want once (cached)", n)
	}
	if n := len(requestsTo(f, http.MethodGet, "/entityInformation/userDefinedFields")); n != 1 {
		t.Fatalf("UDFs fetched %d times, want once", n)
	}
	c.ResetMetadata()
	if _, err := c.Fields(ctx, "Tickets"); err != nil {
		t.Fatal(err)
	}
	if n := len(requestsTo(f, http.MethodGet, "/entityInformation/fields")); n != 2 {
		t.Fatalf("fields fetched %d times after ResetMetadata, want 2", n)
	}
}

func TestAccessLevelNumbers(t *testing.T) {
	t.Parallel()
	f := newFake(t, fakeat.Options{})
	f.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		_, _ = w.Write([]byte(`{"info":{"name":"Companies","canQuery":true,"userAccessForCreate":0,"userAccessForDelete":2,"userAccessForQuery":1,"userAccessForUpdate":"All"}}`))
		return true
	})
	c := newClient(t, f, nil)
	info, err := c.EntityInformation(context.Background(), "Companies")
	if err != nil {
		t.Fatal(err)
	}
	if info.UserAccessForCreate != autotask.AccessNone || info.UserAccessForDelete != autotask.AccessRestricted || info.UserAccessForQuery != autotask.AccessAll || info.UserAccessForUpdate != autotask.AccessAll {
		t.Fatalf("info = %+v", info)
	}
}
