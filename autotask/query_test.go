package autotask_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
)

func TestQueryJSON(t *testing.T) {
	t.Parallel()
	when := time.Date(2024, 3, 1, 8, 30, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		q    *autotask.Query
		want string
	}{
		{"no conditions means all", autotask.NewQuery(), `{"filter":[{"op":"gte","field":"id","value":0}]}`},
		{"eq", autotask.NewQuery(autotask.Eq("status", 1)), `{"filter":[{"op":"eq","field":"status","value":1}]}`},
		{"noteq", autotask.NewQuery(autotask.NotEq("status", 5)), `{"filter":[{"op":"noteq","field":"status","value":5}]}`},
		{"gt", autotask.NewQuery(autotask.Gt("id", 0)), `{"filter":[{"op":"gt","field":"id","value":0}]}`},
		{"gte", autotask.NewQuery(autotask.Gte("estimatedHours", 1.5)), `{"filter":[{"op":"gte","field":"estimatedHours","value":1.5}]}`},
		{"lt", autotask.NewQuery(autotask.Lt("priority", 3)), `{"filter":[{"op":"lt","field":"priority","value":3}]}`},
		{"lte time in UTC", autotask.NewQuery(autotask.Lte("lastActivityDate", when)), `{"filter":[{"op":"lte","field":"lastActivityDate","value":"2024-03-01T07:30:00Z"}]}`},
		{"beginsWith", autotask.NewQuery(autotask.BeginsWith("companyName", "Ac")), `{"filter":[{"op":"beginsWith","field":"companyName","value":"Ac"}]}`},
		{"endsWith", autotask.NewQuery(autotask.EndsWith("emailAddress", "@example.com")), `{"filter":[{"op":"endsWith","field":"emailAddress","value":"@example.com"}]}`},
		{"contains", autotask.NewQuery(autotask.Contains("title", "printer")), `{"filter":[{"op":"contains","field":"title","value":"printer"}]}`},
		{"exist", autotask.NewQuery(autotask.Exist("contactID")), `{"filter":[{"op":"exist","field":"contactID"}]}`},
		{"notExist", autotask.NewQuery(autotask.NotExist("completedDate")), `{"filter":[{"op":"notExist","field":"completedDate"}]}`},
		{"in", autotask.NewQuery(autotask.In("queueID", 5, 8, 29682833)), `{"filter":[{"op":"in","field":"queueID","value":[5,8,29682833]}]}`},
		{"in from a slice", autotask.NewQuery(autotask.In("id", []int64{1, 2}...)), `{"filter":[{"op":"in","field":"id","value":[1,2]}]}`},
		{"notIn", autotask.NewQuery(autotask.NotIn("ticketNumber", "T20240101.0001")), `{"filter":[{"op":"notIn","field":"ticketNumber","value":["T20240101.0001"]}]}`},
		{"boolean", autotask.NewQuery(autotask.Eq("isActive", true)), `{"filter":[{"op":"eq","field":"isActive","value":true}]}`},
		{"UDF", autotask.NewQuery(autotask.Gt("Number of Employees", 0).UDF()), `{"filter":[{"op":"gt","field":"Number of Employees","value":0,"udf":true}]}`},
		{"nested groups",
			autotask.NewQuery(
				autotask.Eq("companyID", 0),
				autotask.Or(
					autotask.Eq("status", 1),
					autotask.And(autotask.Eq("status", 8), autotask.Or(autotask.Eq("priority", 1), autotask.Eq("priority", 4))),
				),
			),
			`{"filter":[{"op":"eq","field":"companyID","value":0},{"op":"or","items":[{"op":"eq","field":"status","value":1},{"op":"and","items":[{"op":"eq","field":"status","value":8},{"op":"or","items":[{"op":"eq","field":"priority","value":1},{"op":"eq","field":"priority","value":4}]}]}]}]}`},
		{"include adds id", autotask.NewQuery().Include("companyName", "city"), `{"filter":[{"op":"gte","field":"id","value":0}],"IncludeFields":["id","companyName","city"]}`},
		{"include keeps id", autotask.NewQuery().Include("Id", "city"), `{"filter":[{"op":"gte","field":"id","value":0}],"IncludeFields":["Id","city"]}`},
		{"max records", autotask.NewQuery(autotask.Exist("id")).Limit(50), `{"filter":[{"op":"exist","field":"id"}],"MaxRecords":50}`},
		{"where appends", autotask.NewQuery(autotask.Eq("a", 1)).Where(autotask.Eq("b", "x")), `{"filter":[{"op":"eq","field":"a","value":1},{"op":"eq","field":"b","value":"x"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.q.Validate(); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestQueryValidate(t *testing.T) {
	t.Parallel()
	many := make([]autotask.Condition, 501)
	for i := range many {
		many[i] = autotask.Eq("id", i)
	}
	tests := []struct {
		name string
		q    *autotask.Query
		want string // "" = valid
	}{
		{"nil", nil, ""},
		{"ok", autotask.NewQuery(autotask.Eq("id", 1)).Limit(500), ""},
		{"unknown operator", autotask.NewQuery(autotask.Condition{Op: "ne", Field: "status", Value: 5}), `unknown operator "ne"`},
		{"no field", autotask.NewQuery(autotask.Eq("", 1)), "needs a field"},
		{"exist with value", autotask.NewQuery(autotask.Condition{Op: autotask.OpExist, Field: "x", Value: 1}), "takes no value"},
		{"empty in", autotask.NewQuery(autotask.In[int]("id")), "non-empty list"},
		{"in with scalar", autotask.NewQuery(autotask.Condition{Op: autotask.OpIn, Field: "id", Value: 3}), "non-empty list"},
		{"empty group", autotask.NewQuery(autotask.Or()), "empty or group"},
		{"nested error path", autotask.NewQuery(autotask.And(autotask.Eq("a", 1), autotask.Or(autotask.Eq("", 2)))), "filter[0].items[1].items[0]"},
		{"items on a comparison", autotask.NewQuery(autotask.Condition{Op: autotask.OpEq, Field: "a", Value: 1, Items: []autotask.Condition{autotask.Eq("b", 1)}}), "only and/or"},
		{"two UDFs", autotask.NewQuery(autotask.Eq("A", 1).UDF(), autotask.Or(autotask.Eq("B", 1).UDF())), "2 UDF conditions"},
		{"too many conditions", autotask.NewQuery(autotask.Or(many[:250]...), autotask.Or(many[250:]...)), "503 conditions"},
		{"page too big", autotask.NewQuery().Limit(501), "MaxRecords 501"},
		{"negative page", autotask.NewQuery().Limit(-1), "MaxRecords -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.q.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, autotask.ErrInvalidQuery) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalidQuery with %q", err, tt.want)
			}
		})
	}
}
