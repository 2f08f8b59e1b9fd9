package query

import (
	"reflect"
	"testing"
)

func TestIncludeColumns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fields []string
		want   []string // field names
		udfs   []string
	}{
		{"none asked: no projection", nil, nil, nil},
		{"id is always there, entity order", []string{"Title", "companyid"}, []string{"id", "companyID", "title"}, nil},
		{"id asked in any case, once", []string{"ID", "id", "title", "TITLE"}, []string{"id", "title"}, nil},
		{"UDFs as spelled, once", []string{"Customer Code", "title", "CUSTOMER CODE", "employees"}, []string{"id", "title"}, []string{"Customer Code", "employees"}},
		{"blank names ignored", []string{"", "  ", "status"}, []string{"id", "status"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fields, udfs, err := IncludeColumns(&Request{IncludeFields: tt.fields}, testTickets(), testUDFs)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range fields {
				names = append(names, f.Name)
			}
			if !reflect.DeepEqual(names, tt.want) || !reflect.DeepEqual(udfs, tt.udfs) {
				t.Errorf("IncludeColumns(%q) = %q, %q; want %q, %q", tt.fields, names, udfs, tt.want, tt.udfs)
			}
		})
	}
}

func TestIncludeColumnsErrors(t *testing.T) {
	t.Parallel()
	_, _, err := IncludeColumns(&Request{IncludeFields: []string{"id", "projectID"}}, testTickets(), testUDFs)
	wantAppErr(t, err, "Unable to find projectID in the Ticket Entity")
	_, _, err = IncludeColumns(&Request{IncludeFields: []string{"Customer Code"}}, testTickets(), nil)
	wantAppErr(t, err, "Unable to find Customer Code in the Ticket Entity")
	_, _, err = IncludeColumns(&Request{IncludeFields: []string{"Acronym"}}, testTickets(), map[string]bool{"acronym": false})
	wantAppErr(t, err, "Unable to find Acronym in the Ticket Entity")
}
