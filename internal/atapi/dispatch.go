package atapi

import (
	"net/http"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
)

// op is one operation of the contract, resolved from a route and a method.
type op int

const (
	opNone op = iota
	opGet
	opQuery
	opNext
	opCount
	opCreate
	opUpdate
	opReplace
	opDelete
	opList
	opInfo
	opFields
	opUDFs
)

// verbOf is the catalog verb an operation needs.
var verbOf = map[op]catalog.Verb{opGet: catalog.Get, opQuery: catalog.Query, opNext: catalog.Query, opCount: catalog.Count,
	opCreate: catalog.Create, opUpdate: catalog.Update, opReplace: catalog.Replace, opDelete: catalog.Delete, opList: catalog.List}

// resolve maps a route and method to an operation; found is false for a path the contract does
// not have (404), and op is opNone for a known path with the wrong method (405).
func resolve(rt route, method string) (o op, found bool) {
	byMethod := func(m map[string]op) (op, bool) { return m[method], true }
	rest := rt.rest
	if len(rest) > 0 && rest[0] == "entityinformation" {
		if rt.hasChild || (rt.hasID && rt.child == nil) {
			return opNone, false
		}
		switch {
		case len(rest) == 1:
			return byMethod(map[string]op{http.MethodGet: opInfo})
		case len(rest) == 2 && rest[1] == "fields":
			return byMethod(map[string]op{http.MethodGet: opFields})
		case len(rest) == 2 && rest[1] == "userdefinedfields":
			return byMethod(map[string]op{http.MethodGet: opUDFs})
		}
		return opNone, false
	}
	if rt.child != nil {
		switch {
		case len(rest) > 0:
			return opNone, false
		case rt.hasChild:
			return byMethod(map[string]op{http.MethodGet: opGet, http.MethodDelete: opDelete, http.MethodPatch: opUpdate, http.MethodPut: opReplace})
		default:
			return byMethod(map[string]op{http.MethodGet: opList, http.MethodPost: opCreate, http.MethodPatch: opUpdate, http.MethodPut: opReplace})
		}
	}
	switch {
	case rt.hasID && len(rest) == 0:
		// PATCH and PUT on /{E}/{id} are not Autotask's, but one of its zones has been seen to
		// need them, and clients fall back to them.
		return byMethod(map[string]op{http.MethodGet: opGet, http.MethodDelete: opDelete, http.MethodPatch: opUpdate, http.MethodPut: opReplace})
	case rt.hasID:
		return opNone, false
	case len(rest) == 0:
		return byMethod(map[string]op{http.MethodPost: opCreate, http.MethodPatch: opUpdate, http.MethodPut: opReplace})
	case len(rest) == 1 && rest[0] == "query":
		return byMethod(map[string]op{http.MethodGet: opQuery, http.MethodPost: opQuery})
	case len(rest) == 2 && rest[0] == "query" && rest[1] == "count":
		return byMethod(map[string]op{http.MethodGet: opCount, http.MethodPost: opCount})
	case len(rest) == 2 && rest[0] == "query" && rest[1] == "next":
		return byMethod(map[string]op{http.MethodGet: opNext, http.MethodPost: opNext})
	}
	return opNone, false
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, rt route) {
	o, found := resolve(rt, r.Method)
	if !found {
		writeNotFound(w, r)
		return
	}
	e := rt.entity
	verbs := e.Verbs
	var parent *psa.Parent
	if rt.child != nil {
		verbs = rt.child.Verbs
		parent = &psa.Parent{Entity: rt.entity, ID: rt.id, Child: rt.child}
		e = s.PSA.Catalog.MustEntity(rt.child.Entity)
	}
	if o == opNone {
		writeMethodNotAllowed(w, r)
		return
	}
	if need, ok := verbOf[o]; ok && !verbs.Has(need) {
		writeMethodNotAllowed(w, r)
		return
	}
	if o == opUDFs && rt.child == nil && !e.HasUDFs {
		writeMethodNotAllowed(w, r)
		return
	}
	switch o {
	case opGet:
		id := rt.id
		if rt.child != nil {
			id = rt.childID
		}
		s.get(w, r, e, id, parent)
	case opQuery, opNext, opList:
		s.query(w, r, e, parent, o)
	case opCount:
		s.count(w, r, e)
	case opCreate:
		s.create(w, r, e, parent)
	case opUpdate, opReplace:
		pathID := int64(0)
		if rt.child != nil && rt.hasChild {
			pathID = rt.childID
		} else if rt.child == nil && rt.hasID {
			pathID = rt.id
		}
		s.update(w, r, e, parent, o == opReplace, pathID)
	case opDelete:
		id := rt.id
		if rt.child != nil {
			id = rt.childID
		}
		s.delete(w, r, e, id, parent)
	case opInfo:
		s.entityInformation(w, r, e, verbs)
	case opFields:
		s.fields(w, r, e)
	case opUDFs:
		s.userDefinedFields(w, r, e)
	}
}
