package query

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// testCompanies is a Companies-like entity for semi-joins: tenant-scoped, with an owner.
func testCompanies() *catalog.Entity {
	e := &catalog.Entity{
		Name: "Companies", Singular: "Company", Table: "companies", Stored: true,
		Fields: []catalog.Field{
			{Name: "id", Column: "id", Type: catalog.Long, ReadOnly: true, Queryable: true},
			{Name: "ownerResourceID", Column: "owner_resource_id", Type: catalog.Integer, Queryable: true},
			{Name: "companyName", Column: "company_name", Type: catalog.String, Queryable: true},
		},
	}
	catalog.New([]*catalog.Entity{e})
	return e
}

func TestSemiJoinOnDatabases(t *testing.T) {
	t.Parallel()
	companies := testCompanies()
	// Companies 10 and 20 belong to tenant 1, owned by resources 7 and 8; company 30 is tenant
	// 2's, owned by 7, so a semi-join that forgot the tenant would let ticket 5 through.
	owned := func(owner int64) *Node {
		return &Node{Op: "in", Field: "companyID", Sub: &Sub{Entity: companies, Select: "id", Tenant: 1,
			Filter: []*Node{{Op: "eq", Field: "ownerResourceID", Value: owner}}}}
	}
	scenarios := []struct {
		name   string
		filter []*Node
		want   []int64
	}{
		{"owned by 7", []*Node{owned(7)}, []int64{1, 2}},
		{"owned by 8", []*Node{owned(8)}, []int64{3}},
		{"owned by nobody", []*Node{owned(99)}, nil},
		{"not owned by 7", []*Node{{Op: "notIn", Field: "companyID", Sub: owned(7).Sub}}, []int64{3, 5}},
		{"or with a column", []*Node{{Op: "or", Items: []*Node{owned(8), {Op: "eq", Field: "status", Value: 8}}}}, []int64{3, 4}},
		{"with a client filter before it", []*Node{{Op: "eq", Field: "status", Value: 5}, owned(7)}, []int64{2}},
		{"empty inner filter: every company of the tenant", []*Node{{Op: "in", Field: "companyID", Sub: &Sub{Entity: companies, Select: "id", Tenant: 1}}}, []int64{1, 2, 3}},
		{"inner filter that matches nothing", []*Node{{Op: "in", Field: "companyID", Sub: &Sub{Entity: companies, Select: "id", Tenant: 1,
			Filter: []*Node{{Op: "in", Field: "id", Value: []any{}}}}}}, nil},
		{"nested: companies named like a company owned by 8", []*Node{{Op: "in", Field: "companyID", Sub: &Sub{Entity: companies, Select: "id", Tenant: 1,
			Filter: []*Node{{Op: "in", Field: "id", Sub: &Sub{Entity: companies, Select: "id", Tenant: 1, Filter: []*Node{{Op: "eq", Field: "ownerResourceID", Value: int64(8)}}}}}}}}, []int64{3}},
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			d, conn := openTestTable(t, backend)
			ctx := context.Background()
			create := `CREATE TABLE companies (tenant_id BIGINT, id BIGINT, owner_resource_id BIGINT, company_name TEXT, PRIMARY KEY (tenant_id, id))`
			if d == Postgres {
				create = strings.Replace(create, "CREATE TABLE", "CREATE TEMPORARY TABLE", 1)
			}
			if _, err := conn.ExecContext(ctx, create); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, `INSERT INTO companies VALUES (1, 10, 7, 'a'), (1, 20, 8, 'b'), (2, 30, 7, 'c')`); err != nil {
				t.Fatal(err)
			}
			for _, sc := range scenarios {
				got, err := selectIDs(conn, d, &Request{FilterPresent: true, Filter: sc.filter})
				if err != nil {
					t.Errorf("%s: %v", sc.name, err)
					continue
				}
				if !reflect.DeepEqual(got, sc.want) {
					t.Errorf("%s: ids %v; want %v", sc.name, got, sc.want)
				}
			}
		})
	}
}

func TestParseNeverMakesSemiJoins(t *testing.T) {
	req, err := Parse([]byte(`{"filter":[{"op":"in","field":"companyID","value":[1],"sub":{"entity":"Companies"},"Sub":{}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Filter[0].Sub != nil {
		t.Fatal("a client's JSON produced a semi-join")
	}
}
