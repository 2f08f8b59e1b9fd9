package query

import (
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// IncludeColumns resolves IncludeFields to fields of e, case-insensitively, in the entity's field
// order and always with id, which Autotask returns whatever was asked. A name that is no field
// but one of the tenant's UDFs (udfs, as for Compile) is returned in udfNames, spelled as the
// client spelled it and once only. Any other name is Autotask's "Unable to find" error.
// Blank names are ignored. Without IncludeFields it returns nothing: the caller returns every
// field.
func IncludeColumns(req *Request, e *catalog.Entity, udfs map[string]bool) (fields []*catalog.Field, udfNames []string, err error) {
	if req == nil || len(req.IncludeFields) == 0 {
		return nil, nil, nil
	}
	want := make([]bool, len(e.Fields))
	if i := e.IDIndex(); i >= 0 {
		want[i] = true
	}
	seenUDF := map[string]bool{}
	for _, name := range req.IncludeFields {
		if strings.TrimSpace(name) == "" {
			continue
		}
		if i := e.Index(name); i >= 0 {
			want[i] = true
			continue
		}
		if !lookupUDF(udfs, name) {
			return nil, nil, errUnknownField(name, e)
		}
		if key := strings.ToLower(name); !seenUDF[key] {
			seenUDF[key] = true
			udfNames = append(udfNames, name)
		}
	}
	for i := range e.Fields {
		if want[i] {
			fields = append(fields, &e.Fields[i])
		}
	}
	return fields, udfNames, nil
}
