package psa

import (
	"context"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// listOrders are the fields a console list may be sorted by, per collection: a few columns a
// person sorts by, most of them indexed, so that no page sorts a large table on an arbitrary
// column. id is always allowed.
var listOrders = map[string][]string{
	"Tickets":            {"lastActivityDate", "createDate", "ticketNumber", "priority", "status"},
	"Companies":          {"companyName"},
	"Contacts":           {"lastName", "firstName"},
	"ConfigurationItems": {"referenceTitle"},
}

// MaxListPage is the most rows one page of List holds.
const MaxListPage = query.MaxPageSize

// ListPage is one page of a sorted list and the number of rows of the whole list.
type ListPage struct {
	Rows  []*store.Row
	Total int64
}

// CanOrder reports whether List sorts e by field.
func CanOrder(e *catalog.Entity, field string) bool {
	if field == "id" {
		return true
	}
	for _, f := range listOrders[e.Name] {
		if f == field {
			return e.Index(f) >= 0
		}
	}
	return false
}

// List is the read behind the console's lists: the rows matching req in the caller's scope,
// exactly as Query reads them (rights, lines of business, costs hidden), sorted by one of the
// fields CanOrder allows with the id breaking ties, offset rows skipped and at most limit
// (1–MaxListPage) returned, with the count of every matching row. An offset past the end is
// an empty page with the true total.
func (s *Service) List(ctx context.Context, e *catalog.Entity, req *query.Request, order store.Order, offset, limit int) (*ListPage, error) {
	if !CanOrder(e, order.Field) {
		return nil, apperr.Invalid("A list of %s cannot be sorted by %s.", e.Name, order.Field)
	}
	if limit < 1 || limit > MaxListPage || offset < 0 {
		return nil, apperr.Invalid("A page holds 1 to 500 rows from a position of 0 or more.")
	}
	if f, _ := e.Field(order.Field); f.Cost && !rightsFrom(ctx).CanReadCosts() {
		return nil, errCostField(f)
	}
	where, err := s.compile(ctx, e, req, nil)
	if err != nil {
		return nil, err
	}
	total, err := s.DB.Count(ctx, e, where)
	if err != nil {
		return nil, err
	}
	p := &ListPage{Total: total}
	if int64(offset) >= total {
		return p, nil
	}
	p.Rows, err = s.DB.OrderedPage(ctx, e, where, order, offset, limit)
	if err != nil {
		return nil, err
	}
	hideCosts(ctx, e, p.Rows...)
	return p, nil
}

// ByIDs reads the rows of e with these ids that the caller may see (as Query does), for the
// labels of one page of a list: the names of its companies, resources or contacts. Repeats are
// dropped; the answer is keyed by id.
func (s *Service) ByIDs(ctx context.Context, e *catalog.Entity, ids []int64) (map[int64]*store.Row, error) {
	seen := map[int64]bool{}
	var list []any
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			list = append(list, id)
		}
	}
	out := make(map[int64]*store.Row, len(list))
	for len(list) > 0 {
		n := min(len(list), MaxListPage)
		req := &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "in", Field: "id", Value: list[:n]}}}
		rows, err := s.Query(ctx, e, req, nil, -1, n)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.ID(e)] = r
		}
		list = list[n:]
	}
	return out, nil
}
