package atapi_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// Every envelope is written by one helper; the envelopes that were once a marshalled map keep
// the bytes encoding/json wrote: keys sorted, HTML characters escaped, no space. Each answer
// here must be exactly its decoded value marshalled again.
func TestEnvelopeBytes(t *testing.T) {
	t.Parallel()
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			env := testsupport.Start(t, b, true)
			calls := []struct {
				name   string
				c      call
				status int
			}{
				{"versions", call{Method: "GET", URL: env.URL("/ATServicesRest/VersionInformation"), NoAuth: true}, 200},
				{"version", call{Method: "GET", Path: v1 + "/Version"}, 200},
				{"threshold", call{Method: "GET", Path: v1 + "/ThresholdInformation"}, 200},
				{"zone", call{Method: "GET", Path: v1 + "/zoneInformation?user=" + url.QueryEscape(env.Creds.Username), NoAuth: true}, 200},
				{"zone unknown", call{Method: "GET", Path: v1 + "/zoneInformation?user=nobody", NoAuth: true}, 500},
				{"not found", call{Method: "GET", Path: v1 + "/No%3CSuch%3E&Things/1"}, 404},
				{"method", call{Method: "DELETE", Path: v1 + "/Tickets/1"}, 405},
				{"unauthenticated", call{Method: "GET", Path: v1 + "/Tickets/1", NoAuth: true}, 401},
				{"invalid", call{Method: "GET", Path: v1 + "/Tickets/query?search=" + url.QueryEscape(`{"filter":[{"op":"eq","field":"<nope>","value":1}]}`)}, 500},
				{"count", call{Method: "POST", Path: v1 + "/Tickets/query/count", Body: `{"filter":[{"op":"gte","field":"id","value":0}]}`}, 200},
				{"no item", call{Method: "GET", Path: v1 + "/Tickets/999999"}, 200},
				{"modules", call{Method: "GET", Path: v1 + "/Modules"}, 200},
				{"item id", call{Method: "PATCH", Path: v1 + "/Tickets", Body: `{"id":1,"title":"Printer <jammed> & smoking"}`}, 200},
			}
			for _, c := range calls {
				got := do(t, env, c.c)
				if got.Status != c.status {
					t.Errorf("%s: status %d, want %d: %s", c.name, got.Status, c.status, got.Body)
				}
				dec := json.NewDecoder(bytes.NewReader(got.Body))
				dec.UseNumber()
				var v map[string]any
				if err := dec.Decode(&v); err != nil {
					t.Errorf("%s: not a JSON object: %v: %s", c.name, err, got.Body)
					continue
				}
				want, _ := json.Marshal(v)
				if !bytes.Equal(got.Body, want) {
					t.Errorf("%s:\n got %s\nwant %s", c.name, got.Body, want)
				}
			}
		})
	}
}
