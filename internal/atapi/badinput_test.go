package atapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// TestBadInput sends every kind of bad input (R5 of docs/targets.md): each must get a clean
// {"errors":[...]} answer, write nothing, and leave the server serving.
func TestBadInput(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`{"op":"and","items":[`, 1000) + `{"op":"eq","field":"id","value":1}` + strings.Repeat(`]}`, 1000)
	var many strings.Builder
	many.WriteString(`{"filter":[{"op":"or","items":[`)
	for i := 0; i < 10000; i++ {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`{"op":"eq","field":"id","value":1}`)
	}
	many.WriteString(`]}]}`)
	huge := `{"companyID":1,"title":"big","status":1,"priority":2,"description":"` + strings.Repeat("x", 11<<20) + `"}`
	cases := []struct {
		name   string
		call   call
		status int
	}{
		{"malformed JSON create", call{Method: "POST", Path: v1 + "/Tickets", Body: `{"title":`}, 500},
		{"JSON array instead of object", call{Method: "POST", Path: v1 + "/Tickets", Body: `[1,2,3]`}, 500},
		{"malformed JSON query", call{Method: "POST", Path: v1 + "/Tickets/query", Body: `{"filter":[{"op":"eq",}]}`}, 500},
		{"wrong type", call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":1,"title":"x","status":"open","priority":2}`}, 500},
		{"integer overflow", call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":99999999999,"title":"x","status":1,"priority":2}`}, 500},
		{"bad date", call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":1,"title":"x","status":1,"priority":2,"dueDateTime":"yesterday"}`}, 500},
		{"too long", call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":1,"status":1,"priority":2,"title":"` + strings.Repeat("t", 256) + `"}`}, 500},
		{"body over 10 MB", call{Method: "POST", Path: v1 + "/Tickets", Body: huge}, 413},
		{"gzip body over 10 MB", call{Method: "POST", Path: v1 + "/Tickets", Body: huge, Gzip: true}, 413},
		{"broken gzip", call{Method: "POST", Path: v1 + "/Tickets", Body: "\x1f\x8b\x08\x00garbage", Headers: map[string]string{"Content-Encoding": "gzip"}}, 400},
		{"gzip truncated", call{Method: "POST", Path: v1 + "/Tickets", Body: "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\xaa", Headers: map[string]string{"Content-Encoding": "gzip"}}, 400},
		{"plain JSON labelled gzip on a child collection", call{Method: "POST", Path: v1 + "/Tickets/1/Notes", Body: `{"title":"x","description":"y","noteType":3,"publish":1}`, Headers: map[string]string{"Content-Encoding": "gzip"}}, 500},
		{"nested 1,000 deep", call{Method: "POST", Path: v1 + "/Tickets/query", Body: `{"filter":[` + deep + `]}`}, 500},
		{"10,000 conditions", call{Method: "POST", Path: v1 + "/Tickets/query", Body: many.String()}, 500},
		{"SQL in a field name", call{Method: "POST", Path: v1 + "/Tickets/query", Body: `{"filter":[{"op":"eq","field":"id; DROP TABLE tickets; --","value":1}]}`}, 500},
		{"SQL in an IncludeFields name", call{Method: "POST", Path: v1 + "/Tickets/query", Body: `{"filter":[{"op":"exist","field":"id"}],"IncludeFields":["title\" FROM tickets; --"]}`}, 500},
		{"invalid UTF-8", call{Method: "POST", Path: v1 + "/Tickets", Body: "{\"companyID\":1,\"title\":\"\xff\xfe\",\"status\":1,\"priority\":2}"}, 400},
		{"huge MaxRecords", call{Method: "POST", Path: v1 + "/Tickets/query", Body: `{"filter":[{"op":"exist","field":"id"}],"MaxRecords":1e30}`}, 500},
		{"negative MaxRecords", call{Method: "POST", Path: v1 + "/Tickets/query", Body: `{"filter":[{"op":"exist","field":"id"}],"MaxRecords":-5}`}, 500},
		{"bad paging cursor", call{Method: "GET", Path: v1 + "/Tickets/query/next?paging=%7Bnot-json&search=" + esc(`{"filter":[{"op":"exist","field":"id"}]}`)}, 500},
		{"bad impersonation header", call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":1,"title":"x","status":1,"priority":2}`, Headers: map[string]string{"ImpersonationResourceId": "abc"}}, 500},
		{"udf not an array", call{Method: "POST", Path: v1 + "/Tickets", Body: `{"companyID":1,"title":"x","status":1,"priority":2,"userDefinedFields":"x"}`}, 500},
	}
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			countTickets := func() float64 {
				r := do(t, env, call{Method: "POST", Path: v1 + "/Tickets/query/count", Body: `{"filter":[{"op":"exist","field":"id"}]}`})
				return r.json(t)["queryCount"].(float64)
			}
			before := countTickets()
			for _, c := range cases {
				r := do(t, env, c.call)
				if r.Status != c.status {
					t.Errorf("%s: status %d, want %d: %.300s", c.name, r.Status, c.status, r.Body)
				}
				var e struct {
					Errors []string `json:"errors"`
				}
				if err := json.Unmarshal(r.Body, &e); err != nil || len(e.Errors) == 0 || e.Errors[0] == "" {
					t.Errorf("%s: not an {\"errors\":[...]} answer: %.300s", c.name, r.Body)
				}
				if strings.Contains(string(r.Body), "SQL") || strings.Contains(string(r.Body), "sqlite") || strings.Contains(string(r.Body), "SQLSTATE") {
					t.Errorf("%s: the answer shows database internals: %.300s", c.name, r.Body)
				}
			}
			if after := countTickets(); after != before {
				t.Errorf("bad input wrote tickets: %v before, %v after", before, after)
			}
			if r := do(t, env, call{Method: "GET", Path: v1 + "/Tickets/1"}); r.Status != 200 || !strings.Contains(string(r.Body), `"id":1`) {
				t.Errorf("server no longer serves after bad input: %d %.200s", r.Status, r.Body)
			}
		})
	}
}
