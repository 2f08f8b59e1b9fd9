package psa

import (
	"context"
	"strconv"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// UDFDefinition is one user-defined field of a tenant, read from UserDefinedFieldDefinitions.
type UDFDefinition struct {
	ID          int64
	Name        string
	Description string
	DataType    int64 // 1 String, 2 Number, 3 Date, 4 List, 5 Decimal
	IsRequired  bool
	IsActive    bool
	SortOrder   int64
	Default     *string
}

// udfEntities maps UserDefinedFieldDefinitions.udfType to the collection the UDF belongs to.
var udfEntities = map[int64]string{1: "Companies", 2: "ConfigurationItems", 3: "Opportunities", 4: "Contacts", 5: "SalesOrders", 6: "Tickets", 7: "Projects", 8: "Tasks", 9: "Products"}

type udfDefs struct {
	byEntity map[string][]UDFDefinition
}

func (s *Service) udfDefinitions(ctx context.Context) (*udfDefs, error) {
	tenant, err := store.TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	d := s.udfs[tenant]
	s.mu.Unlock()
	if d != nil {
		return d, nil
	}
	e, f := s.f.udfDefs, s.f.udf
	d = &udfDefs{byEntity: map[string][]UDFDefinition{}}
	err = s.EachRow(ctx, e, func(r *store.Row) error {
		def := UDFDefinition{ID: r.ID(e)}
		def.Name, _ = r.Values[f.name].(string)
		def.Description, _ = r.Values[f.description].(string)
		def.DataType, _ = r.Values[f.dataType].(int64)
		def.IsRequired, _ = r.Values[f.isRequired].(bool)
		def.IsActive, _ = r.Values[f.isActive].(bool)
		def.SortOrder, _ = r.Values[f.sortOrder].(int64)
		if dv, ok := r.Values[f.defaultValue].(string); ok {
			def.Default = &dv
		}
		typ, _ := r.Values[f.udfType].(int64)
		if name := udfEntities[typ]; name != "" && def.IsActive {
			d.byEntity[name] = append(d.byEntity[name], def)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.udfs[tenant] = d
	s.mu.Unlock()
	return d, nil
}

// applyUDFs checks the UDF values of a write against the tenant's definitions and puts them on
// the row. UDFs not sent keep their values, on PATCH and on PUT alike: a PUT that omits
// userDefinedFields leaves them as they were.
func (s *Service) applyUDFs(ctx context.Context, e *catalog.Entity, row *store.Row, in *Input) error {
	if !in.UDFPresent || len(in.UDF) == 0 {
		return nil
	}
	defs, err := s.UDFDefinitions(ctx, e)
	if err != nil {
		return err
	}
	byName := map[string]UDFDefinition{}
	for _, d := range defs {
		byName[lower(d.Name)] = d
	}
	out := map[string]*string{}
	for k, v := range row.UDF {
		out[k] = v
	}
	for name, v := range in.UDF {
		d, ok := byName[lower(name)]
		if !ok {
			return apperr.Invalid("Unable to find %s in the %s Entity", name, e.Singular)
		}
		if v != nil && (d.DataType == 2 || d.DataType == 5) {
			if _, err := strconv.ParseFloat(*v, 64); err != nil {
				return apperr.Invalid("The value %q is not a number, as user defined field %s requires.", *v, d.Name)
			}
		}
		out[d.Name] = v
	}
	row.UDF = out
	return nil
}

// udfDefinitionHooks refuse a second active user-defined field of one collection with the same
// name (letter case aside): UDF values are read and written by name.
func udfDefinitionHooks(s *Service) *Hooks {
	c := s.Catalog
	name, typ, active := fieldIndex(c, "UserDefinedFieldDefinitions", "name"), fieldIndex(c, "UserDefinedFieldDefinitions", "udfType"), fieldIndex(c, "UserDefinedFieldDefinitions", "isActive")
	check := func(ctx context.Context, e *catalog.Entity, row *store.Row) error {
		n, _ := row.Values[name].(string)
		t, _ := row.Values[typ].(int64)
		if on, _ := row.Values[active].(bool); !on || n == "" {
			return nil
		}
		defs, err := s.udfDefinitions(ctx)
		if err != nil {
			return err
		}
		for _, d := range defs.byEntity[udfEntities[t]] {
			if d.ID != row.ID(e) && strings.EqualFold(strings.TrimSpace(d.Name), strings.TrimSpace(n)) {
				return apperr.Invalid("%s already has a user-defined field named %q.", udfEntities[t], d.Name)
			}
		}
		return nil
	}
	return &Hooks{
		BeforeCreate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, row *store.Row) error {
			return check(ctx, e, row)
		},
		BeforeUpdate: func(ctx context.Context, tx *store.Tx, e *catalog.Entity, old, row *store.Row) error {
			return check(ctx, e, row)
		},
	}
}
