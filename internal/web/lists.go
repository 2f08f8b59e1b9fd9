package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// The console's lists (tickets, companies, contacts, configuration items) page and sort in the
// database through psa.List: a page reads its rows and the count of all of them, and the
// names it shows (companies, resources, contacts) for the ids on that page only.

// listPageSize is the number of rows a console list shows on a page.
const listPageSize = 25

// listSort is a column a list can be sorted by: its key in the URL (?sort=), the field it sorts
// by, and whether the first click sorts it descending (dates: newest first).
type listSort struct {
	Key, Field string
	Desc       bool
}

// listNav is the paging and sorting of one page of a list, read from its URL, with the links
// of its column headers and its pager.
type listNav struct {
	path  string
	query url.Values

	Sort        string // key of the sort in force
	Desc        bool
	Page, Pages int
	Total       int64
	First, Last int64 // positions of the page's first and last rows, from 1
	PrevURL     string
	NextURL     string
	Links       []pageLink
	Heads       map[string]sortHead // by sort key
	// Keep are the sort parameters of the URL, for the list's filter form to send again.
	Keep [][2]string
}

// pageLink is one entry of a pager: a page number with its link, or a gap ("…").
type pageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool
}

// sortHead is a sortable column header: the link that sorts by it (or reverses the sort when
// it is the sort in force), and the sort in force as aria-sort and an arrow.
type sortHead struct {
	URL, Aria, Mark string
}

// newListNav reads ?sort=, ?dir= and ?page= of a list whose sorts are given, the first being
// the default; an unknown sort is the default.
func newListNav(r *http.Request, sorts []listSort) (*listNav, store.Order) {
	q := r.URL.Query()
	n := &listNav{path: r.URL.Path, query: q, Heads: map[string]sortHead{}}
	cur := sorts[0]
	for _, s := range sorts {
		if s.Key == q.Get("sort") {
			cur = s
		}
	}
	n.Sort, n.Desc = cur.Key, cur.Desc
	if q.Get("sort") == cur.Key {
		n.Keep = append(n.Keep, [2]string{"sort", cur.Key})
	}
	switch d := q.Get("dir"); d {
	case "asc", "desc":
		n.Desc = d == "desc"
		n.Keep = append(n.Keep, [2]string{"dir", d})
	}
	n.Page, _ = strconv.Atoi(q.Get("page"))
	if n.Page < 1 {
		n.Page = 1
	}
	for _, s := range sorts {
		h := sortHead{}
		desc := s.Desc
		if s.Key == n.Sort {
			desc = !n.Desc
			h.Aria, h.Mark = "ascending", " ▲"
			if n.Desc {
				h.Aria, h.Mark = "descending", " ▼"
			}
		}
		dir := "asc"
		if desc {
			dir = "desc"
		}
		h.URL = n.link(map[string]string{"sort": s.Key, "dir": dir, "page": ""})
		n.Heads[s.Key] = h
	}
	return n, store.Order{Field: cur.Field, Desc: n.Desc}
}

// link is the list's URL with these parameters changed ("" removes one).
func (n *listNav) link(set map[string]string) string {
	q := url.Values{}
	for k, v := range n.query {
		q[k] = v
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return n.path
	}
	return n.path + "?" + q.Encode()
}

func (n *listNav) pageURL(p int) string {
	if p == 1 {
		return n.link(map[string]string{"page": ""})
	}
	return n.link(map[string]string{"page": strconv.Itoa(p)})
}

// read reads the nav's page of e's rows matching req, sorted by o; a page past the last is
// the last page.
func (n *listNav) read(ctx context.Context, svc *psa.Service, e *catalog.Entity, req *query.Request, o store.Order) ([]*store.Row, error) {
	p, err := svc.List(ctx, e, req, o, (n.Page-1)*listPageSize, listPageSize)
	if err != nil {
		return nil, err
	}
	n.Total = p.Total
	n.Pages = int((p.Total + listPageSize - 1) / listPageSize)
	if n.Page > max(n.Pages, 1) {
		n.Page = max(n.Pages, 1)
		if p, err = svc.List(ctx, e, req, o, (n.Page-1)*listPageSize, listPageSize); err != nil {
			return nil, err
		}
	}
	if len(p.Rows) > 0 {
		n.First = int64(n.Page-1)*listPageSize + 1
		n.Last = n.First + int64(len(p.Rows)) - 1
	}
	if n.Page > 1 {
		n.PrevURL = n.pageURL(n.Page - 1)
	}
	if n.Page < n.Pages {
		n.NextURL = n.pageURL(n.Page + 1)
	}
	// The first and last pages and two either side of this one, gaps between (a gap of one
	// page is that page).
	if n.Pages > 1 {
		prev := 0
		for i := 1; i <= n.Pages; i++ {
			if i != 1 && i != n.Pages && (i < n.Page-3 || i > n.Page+3 || (i == n.Page-3 && i != 2) || (i == n.Page+3 && i != n.Pages-1)) {
				continue
			}
			if prev != 0 && i > prev+1 {
				n.Links = append(n.Links, pageLink{Gap: true})
			}
			n.Links = append(n.Links, pageLink{N: i, URL: n.pageURL(i), Current: i == n.Page})
			prev = i
		}
	}
	return p.Rows, nil
}

// rowNames reads the names of the rows with these ids (through psa, in the caller's scope): the
// labels of one page of a list, read for that page only.
func (h *Handler) rowNames(ctx context.Context, n rowName, ids ...int64) map[int64]string {
	rows, err := h.svc.ByIDs(ctx, n.e, ids)
	out := map[int64]string{}
	if err != nil {
		return out
	}
	for id, r := range rows {
		var parts []string
		for _, i := range n.fields {
			if v, ok := r.Values[i].(string); ok && v != "" {
				parts = append(parts, v)
			}
		}
		out[id] = strings.Join(parts, " ")
	}
	return out
}

// idsOf collects the values of the id field at index i of rows.
func idsOf(rows []*store.Row, i int) []int64 {
	out := make([]int64, 0, len(rows))
	for _, r := range rows {
		if v, ok := r.Values[i].(int64); ok {
			out = append(out, v)
		}
	}
	return out
}

// everyRow is the filter of a list without one.
func everyRow() []*query.Node { return []*query.Node{{Op: "exist", Field: "id"}} }

// searchFilter is the condition of a list's search box: each word (at most five) is contained
// in one of these text fields; nil when there is nothing to search for. A word is cut to 50
// characters, the length of the shortest field searched (longer could match nothing).
func searchFilter(text string, fields ...string) *query.Node {
	words := strings.Fields(text)
	if len(words) == 0 {
		return nil
	}
	all := &query.Node{Op: "and"}
	for _, w := range words[:min(len(words), 5)] {
		if r := []rune(w); len(r) > 50 {
			w = string(r[:50])
		}
		any := &query.Node{Op: "or"}
		for _, f := range fields {
			any.Items = append(any.Items, &query.Node{Op: "contains", Field: f, Value: w})
		}
		all.Items = append(all.Items, any)
	}
	return all
}

// thousands writes a count with thousands separators: 100,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
