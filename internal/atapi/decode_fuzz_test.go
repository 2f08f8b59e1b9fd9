package atapi

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// FuzzDecodeEntity feeds arbitrary bodies to the entity decoder (R2): it must never panic, must
// answer bad input with a client error, and every value it accepts must have its field's type.
func FuzzDecodeEntity(f *testing.F) {
	for _, seed := range []string{
		`{"companyID":1,"title":"x","status":1,"priority":2}`,
		`{"CompanyID":"2","Title":"y","dueDateTime":"2024-01-02T03:04:05.123Z","estimatedHours":"1.5"}`,
		`{"isVisibleToComanaged":"true","userDefinedFields":[{"name":"A","value":"1"},{"Name":"B","Value":null}]}`,
		`{"status":1e3,"priority":-2147483649,"title":null}`,
		`[1,2]`, `{"title":`, `null`, `{"userDefinedFields":"x"}`, "{\"title\":\"\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	e := catalog.Default.MustEntity("Tickets")
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := DecodeEntity(body, e)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Status >= 600 || len(ae.Messages) == 0 {
				t.Fatalf("error is not a client error: %v", err)
			}
			return
		}
		for i, v := range in.Set {
			if v == nil {
				continue
			}
			ft := e.Fields[i].Type
			ok := false
			switch v.(type) {
			case int64:
				ok = ft.IsInteger()
			case float64:
				ok = ft == catalog.Double || ft == catalog.Decimal
			case bool:
				ok = ft == catalog.Boolean
			case time.Time:
				ok = ft == catalog.DateTime
			case string:
				ok = ft == catalog.String || ft == catalog.Base64
			}
			if !ok {
				t.Fatalf("field %s of type %s decoded to %T %v", e.Fields[i].Name, ft, v, v)
			}
		}
	})
}
