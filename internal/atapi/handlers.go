package atapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/query"
)

func (s *Server) get(w http.ResponseWriter, r *http.Request, e *catalog.Entity, id int64, parent *psa.Parent) {
	row, err := s.PSA.Get(r.Context(), e, id, parent)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if row == nil {
		newEnvelope(16).key("item").null().send(w, http.StatusOK)
		return
	}
	udfs, err := s.PSA.UDFDefinitions(r.Context(), e)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	newEnvelope(2048).key("item").row(newRowEncoder(e, udfs, nil), row).send(w, http.StatusOK)
}

// queryParam reads a URL parameter whatever the casing of its name.
func queryParam(r *http.Request, name string) string {
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// readQuery takes the QueryModel from the body when there is one, else from ?search=.
func (s *Server) readQuery(r *http.Request) (*query.Request, []byte, error) {
	var raw []byte
	if r.Method == http.MethodPost {
		body, err := readBody(r, false) // queries are on top-level collections only
		if err != nil {
			return nil, nil, err
		}
		raw = body
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		raw = []byte(queryParam(r, "search"))
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return &query.Request{}, raw, nil // no filter: Compile answers Autotask's "Value cannot be null" error
	}
	req, err := query.Parse(raw)
	return req, raw, err
}

// paging is the cursor Autotask puts in nextPageUrl.
type paging struct {
	PageSize    int     `json:"pageSize"`
	PreviousIDs []int64 `json:"previousIds"`
	NextIDs     []int64 `json:"nextIds"`
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, e *catalog.Entity, parent *psa.Parent, o op) {
	var req *query.Request
	var raw []byte
	var err error
	if o == opList {
		req = &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "exist", Field: "id"}}}
	} else if req, raw, err = s.readQuery(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	size, err := req.PageSize()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var cursor paging
	if p := queryParam(r, "paging"); p != "" {
		if err := json.Unmarshal([]byte(p), &cursor); err != nil {
			s.writeError(w, r, apperr.Invalid("The paging parameter is not valid."))
			return
		}
		if cursor.PageSize >= 1 && cursor.PageSize <= 500 {
			size = cursor.PageSize
		}
	} else if o == opNext {
		s.writeError(w, r, apperr.Invalid("The paging parameter is required."))
		return
	}
	after := int64(-1)
	if len(cursor.NextIDs) > 0 {
		after = cursor.NextIDs[0]
	}
	var fields []*catalog.Field
	if o != opList && len(req.IncludeFields) > 0 {
		udfSet, err := s.PSA.UDFNames(r.Context(), e)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if fields, _, err = query.IncludeColumns(req, e, udfSet); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	rows, err := s.PSA.Query(r.Context(), e, req, parent, after, size+1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	more := len(rows) > size
	if more {
		rows = rows[:size]
	}
	udfs, err := s.PSA.UDFDefinitions(r.Context(), e)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b := newEnvelope(1024 + len(rows)*1024)
	b.key("items").rows(newRowEncoder(e, udfs, fields), rows)
	b.key("pageDetails").begin().key("count").int(int64(len(rows))).key("requestCount").int(int64(size))
	b.key("prevPageUrl")
	if len(cursor.NextIDs) > 0 && len(rows) > 0 {
		b.str(s.pageURL(r, e, parent, raw, prevPage(cursor, size)))
	} else {
		b.null()
	}
	b.key("nextPageUrl")
	if more {
		last := rows[len(rows)-1].ID(e)
		prev := append(append([]int64(nil), cursor.PreviousIDs...), after)
		if len(prev) > 50 { // the URL carries a bounded history for prevPageUrl
			prev = prev[len(prev)-50:]
		}
		b.str(s.pageURL(r, e, parent, raw, paging{PageSize: size, PreviousIDs: prev, NextIDs: []int64{last}}))
	} else {
		b.null()
	}
	b.end().send(w, http.StatusOK)
}

// prevPage is the cursor of the page before the one cursor c points at: c.PreviousIDs is the
// history of page starts.
func prevPage(c paging, size int) paging {
	if len(c.PreviousIDs) == 0 {
		return paging{PageSize: size, NextIDs: []int64{-1}}
	}
	n := len(c.PreviousIDs)
	return paging{PageSize: size, PreviousIDs: c.PreviousIDs[:n-1], NextIDs: []int64{c.PreviousIDs[n-1]}}
}

// pageURL is an absolute URL on our own public base that serves a page of the same query with
// GET, with POST and the original body, and with POST and no body.
func (s *Server) pageURL(r *http.Request, e *catalog.Entity, parent *psa.Parent, search []byte, p paging) string {
	if p.PreviousIDs == nil {
		p.PreviousIDs = []int64{}
	}
	pj, _ := json.Marshal(p)
	v := "paging=" + url.QueryEscape(string(pj))
	var path string
	if parent != nil {
		path = "/ATServicesRest/V1.0/" + parent.Entity.Name + "/" + strconv.FormatInt(parent.ID, 10) + "/" + parent.Child.Name
	} else {
		path = "/ATServicesRest/V1.0/" + e.Name + "/query/next"
		v += "&search=" + url.QueryEscape(string(compactJSON(search)))
	}
	return s.publicBase(r) + path + "?" + v
}

func compactJSON(b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return b
	}
	return out.Bytes()
}

func (s *Server) count(w http.ResponseWriter, r *http.Request, e *catalog.Entity) {
	req, _, err := s.readQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.PSA.Count(r.Context(), e, req, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	newEnvelope(32).key("queryCount").value(n).send(w, http.StatusOK)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, e *catalog.Entity, parent *psa.Parent) {
	in, err := s.decodeInput(r, e, parent != nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.PSA.Create(r.Context(), e, in, parent)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeItemID(w, id)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, e *catalog.Entity, parent *psa.Parent, replace bool, pathID int64) {
	in, err := s.decodeInput(r, e, parent != nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if pathID != 0 && !in.Has(e, "id") {
		in.Set[e.IDIndex()] = pathID
	}
	id, err := s.PSA.Update(r.Context(), e, in, parent, replace)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeItemID(w, id)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, e *catalog.Entity, id int64, parent *psa.Parent) {
	id, err := s.PSA.Delete(r.Context(), e, id, parent)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeItemID(w, id)
}
