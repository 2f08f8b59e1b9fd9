// Package fakeat is an in-memory stand-in for the Autotask REST API, with the behaviour clients
// have to cope with: zone discovery answered on one host pointing at another, auth headers and
// their errors, {"item":null} for unknown ids, 500-row pages chained by an absolute nextPageUrl
// that carries the paging state, the thread limit of 3 concurrent requests per collection,
// ThresholdInformation, and PascalCase keys on request (and, optionally, response). The autotask
// package's tests and examples run against it.
package fakeat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ThreadLimitMessage is what Autotask answers to the request over the thread limit.
const ThreadLimitMessage = "Thread Threshold Exceeded — The Autotask API thread threshold of 3 threads has been exceeded. Method: getThresholdAndUsageInfo"

// Options configure a Server. Zero values mean the defaults noted.
type Options struct {
	// Username defaults to a name unique to the server ("api+N@example.com"), so that the
	// client's process-wide zone cache cannot confuse two fakes whose hosts reuse a port.
	Username        string
	Secret          string // "secret"
	IntegrationCode string // "INTEGRATIONCODE"
	ZoneName        string // "Zone 5"
	// MaxThreads is the number of concurrent requests per collection served (3); the next one
	// gets ThreadLimitMessage with ThreadLimitStatus (429).
	MaxThreads        int
	ThreadLimitStatus int
	// Latency is how long each API request takes.
	Latency time.Duration
	// PascalCase makes every response use PascalCase keys, as some Autotask-compatible servers do.
	PascalCase bool
	// RequestThreshold is the hourly budget reported by ThresholdInformation (10000).
	RequestThreshold int
}

// Request is one request the API host received.
type Request struct {
	Method, Host, Path, RawQuery string
	Header                       http.Header
	Body                         []byte
}

type counter struct{ cur, max atomic.Int64 }

var instances atomic.Int64

// Server is a fake Autotask tenant on two hosts: the discovery host and the zone host.
type Server struct {
	opts Options
	zone *httptest.Server
	api  *httptest.Server

	mu        sync.Mutex
	data      map[string]map[int64]map[string]any // lower-case collection → id → record
	names     map[string]string                   // lower-case → as first seen
	nextID    int64
	fields    map[string][]map[string]any
	udfs      map[string][]map[string]any
	intercept func(http.ResponseWriter, *http.Request) bool
	log       []Request
	nextBase  string
	inflight  map[string]*counter

	zoneRequests atomic.Int64
	requests     atomic.Int64
}

// New starts a fake tenant. Close it when done.
func New(opts Options) *Server {
	if opts.Username == "" {
		opts.Username = fmt.Sprintf("api+%d@example.com", instances.Add(1))
	}
	if opts.Secret == "" {
		opts.Secret = "secret"
	}
	if opts.IntegrationCode == "" {
		opts.IntegrationCode = "INTEGRATIONCODE"
	}
	if opts.ZoneName == "" {
		opts.ZoneName = "Zone 5"
	}
	if opts.MaxThreads == 0 {
		opts.MaxThreads = 3
	}
	if opts.ThreadLimitStatus == 0 {
		opts.ThreadLimitStatus = http.StatusTooManyRequests
	}
	if opts.RequestThreshold == 0 {
		opts.RequestThreshold = 10000
	}
	s := &Server{
		opts: opts, data: map[string]map[int64]map[string]any{}, names: map[string]string{},
		fields: map[string][]map[string]any{}, udfs: map[string][]map[string]any{},
		inflight: map[string]*counter{}, nextID: 1,
	}
	s.api = httptest.NewServer(http.HandlerFunc(s.serveAPI))
	s.zone = httptest.NewServer(http.HandlerFunc(s.serveZoneHost))
	return s
}

// Close stops both hosts.
func (s *Server) Close() {
	s.zone.Close()
	s.api.Close()
}

// DiscoveryURL is the discovery host's REST base, for autotask.Config.DiscoveryURL. It answers
// only VersionInformation and zoneInformation.
func (s *Server) DiscoveryURL() string { return s.zone.URL + "/ATServicesRest/" }

// BaseURL is the zone host's REST base, the url zone discovery answers.
func (s *Server) BaseURL() string { return s.api.URL + "/ATServicesRest/" }

// ZoneHost is the host:port of the discovery host.
func (s *Server) ZoneHost() string { return strings.TrimPrefix(s.zone.URL, "http://") }

// APIHost is the host:port of the zone host.
func (s *Server) APIHost() string { return strings.TrimPrefix(s.api.URL, "http://") }

// Options returns the options in force (with defaults filled in).
func (s *Server) Options() Options { return s.opts }

// Handler serves the zone host's API; mount it elsewhere to build another host.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveAPI) }

// SetNextPageBase makes nextPageUrl point at another REST base (e.g. another host).
func (s *Server) SetNextPageBase(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextBase = base
}

// Intercept runs fn before every API request; when fn returns true it has answered.
func (s *Server) Intercept(fn func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.intercept = fn
}

// Seed stores items in a collection, giving ids to those without one, and returns the ids.
func (s *Server) Seed(collection string, items ...map[string]any) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		rec := normalize(it)
		ids = append(ids, s.store(collection, rec))
	}
	return ids
}

// SetFields sets the answer of {collection}/entityInformation/fields.
func (s *Server) SetFields(collection string, fields []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fields[strings.ToLower(collection)] = fields
}

// SetUDFs sets the answer of {collection}/entityInformation/userDefinedFields.
func (s *Server) SetUDFs(collection string, fields []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.udfs[strings.ToLower(collection)] = fields
}

// Record returns a copy of a stored item (nil if none).
func (s *Server) Record(collection string, id int64) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.data[strings.ToLower(collection)][id]
	if rec == nil {
		return nil
	}
	return clone(rec)
}

// MaxInFlight is the most concurrent requests one collection has seen.
func (s *Server) MaxInFlight(collection string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.inflight[strings.ToLower(collection)]; c != nil {
		return int(c.max.Load())
	}
	return 0
}

// Requests returns the requests both hosts received, in order of arrival.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ZoneRequests counts zone discovery requests (both hosts).
func (s *Server) ZoneRequests() int { return int(s.zoneRequests.Load()) }

// SetRequestCount sets the count ThresholdInformation reports; later requests add to it.
func (s *Server) SetRequestCount(n int) { s.requests.Store(int64(n)) }

func (s *Server) serveZoneHost(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.log = append(s.log, Request{Method: r.Method, Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone()})
	s.mu.Unlock()
	segs := segments(r.URL.Path)
	switch {
	case len(segs) == 2 && segs[0] == "atservicesrest" && segs[1] == "versioninformation":
		s.write(w, http.StatusOK, map[string]any{"apiVersions": []string{"V1.0"}})
	case len(segs) == 3 && segs[0] == "atservicesrest" && segs[1] == "v1.0" && segs[2] == "zoneinformation":
		s.serveZone(w, r)
	default:
		s.write(w, http.StatusNotFound, map[string]any{"Message": "No HTTP resource was found that matches the request URI."})
	}
}

func (s *Server) serveZone(w http.ResponseWriter, r *http.Request) {
	s.zoneRequests.Add(1)
	var user string
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, "user") && len(v) > 0 {
			user = v[0]
		}
	}
	if user == "" || !strings.EqualFold(user, s.opts.Username) {
		s.errors(w, http.StatusInternalServerError, "Zone information could not be determined")
		return
	}
	s.write(w, http.StatusOK, map[string]any{
		"zoneName": s.opts.ZoneName, "url": s.BaseURL(), "webUrl": s.api.URL + "/", "ci": 5,
	})
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.log = append(s.log, Request{Method: r.Method, Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	intercept := s.intercept
	s.mu.Unlock()

	segs := segments(r.URL.Path)
	if len(segs) >= 2 && segs[0] == "atservicesrest" && segs[1] == "versioninformation" {
		s.write(w, http.StatusOK, map[string]any{"apiVersions": []string{"V1.0"}})
		return
	}
	if len(segs) < 3 || segs[0] != "atservicesrest" || segs[1] != "v1.0" {
		s.write(w, http.StatusNotFound, map[string]any{"Message": "No HTTP resource was found that matches the request URI."})
		return
	}
	segs = segs[2:]
	if segs[0] == "zoneinformation" {
		s.serveZone(w, r)
		return
	}

	c := s.counter(segs[0])
	n := c.cur.Add(1)
	defer c.cur.Add(-1)
	for m := c.max.Load(); n > m && !c.max.CompareAndSwap(m, n); m = c.max.Load() {
	}
	if intercept != nil && intercept(w, r) {
		return
	}
	if n > int64(s.opts.MaxThreads) {
		s.errors(w, s.opts.ThreadLimitStatus, ThreadLimitMessage)
		return
	}
	if s.opts.Latency > 0 {
		time.Sleep(s.opts.Latency)
	}
	switch {
	case !strings.EqualFold(r.Header.Get("UserName"), s.opts.Username) || r.Header.Get("Secret") != s.opts.Secret:
		s.errors(w, http.StatusUnauthorized, "Authorization has been denied for this request.")
		return
	case r.Header.Get("ApiIntegrationCode") != s.opts.IntegrationCode:
		s.errors(w, http.StatusInternalServerError, "IntegrationCode is invalid.")
		return
	}
	s.requests.Add(1)
	s.route(w, r, segs, body)
}

func (s *Server) counter(key string) *counter {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.inflight[key]
	if c == nil {
		c = &counter{}
		s.inflight[key] = c
	}
	return c
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, segs []string, body []byte) {
	get, post := r.Method == http.MethodGet, r.Method == http.MethodPost
	name := s.name(r, segs[0])
	switch {
	case len(segs) == 1 && segs[0] == "thresholdinformation" && get:
		s.write(w, http.StatusOK, map[string]any{
			"externalRequestThreshold": s.opts.RequestThreshold, "requestThresholdTimeframe": 60,
			"currentTimeframeRequestCount": s.requests.Load(),
		})
	case len(segs) == 1 && post:
		s.create(w, name, "", 0, body)
	case len(segs) == 1 && (r.Method == http.MethodPatch || r.Method == http.MethodPut):
		s.update(w, name, "", 0, body, r.Method == http.MethodPut)
	case len(segs) == 2 && segs[1] == "query" && (get || post):
		s.query(w, name, "", 0, searchOrBody(r, body), nil)
	case len(segs) == 3 && segs[1] == "query" && segs[2] == "count" && (get || post):
		s.count(w, name, searchOrBody(r, body))
	case len(segs) == 3 && segs[1] == "query" && segs[2] == "next" && (get || post):
		var pg struct {
			NextIDs []int64 `json:"nextIds"`
		}
		if err := json.Unmarshal([]byte(r.URL.Query().Get("paging")), &pg); err != nil || len(pg.NextIDs) == 0 {
			s.errors(w, http.StatusInternalServerError, "The paging parameter is not valid.")
			return
		}
		s.query(w, name, "", 0, searchOrBody(r, body), &pg.NextIDs[0])
	case len(segs) == 2 && segs[1] == "entityinformation" && get:
		s.write(w, http.StatusOK, map[string]any{"info": map[string]any{
			"name": name, "canCreate": true, "canDelete": true, "canQuery": true, "canUpdate": true,
			"userAccessForCreate": "All", "userAccessForDelete": "None", "userAccessForQuery": "All",
			"userAccessForUpdate": "Restricted", "hasUserDefinedFields": true, "supportsWebhookCallouts": false,
		}})
	case len(segs) == 3 && segs[1] == "entityinformation" && segs[2] == "fields" && get:
		s.mu.Lock()
		f := s.fields[strings.ToLower(name)]
		s.mu.Unlock()
		s.write(w, http.StatusOK, map[string]any{"fields": orEmpty(f)})
	case len(segs) == 3 && segs[1] == "entityinformation" && segs[2] == "userdefinedfields" && get:
		s.mu.Lock()
		f := s.udfs[strings.ToLower(name)]
		s.mu.Unlock()
		s.write(w, http.StatusOK, map[string]any{"fields": orEmpty(f)})
	case len(segs) == 2 && isID(segs[1]) && get:
		id, _ := strconv.ParseInt(segs[1], 10, 64)
		s.write(w, http.StatusOK, map[string]any{"item": s.Record(name, id)})
	case len(segs) == 2 && isID(segs[1]) && r.Method == http.MethodDelete:
		id, _ := strconv.ParseInt(segs[1], 10, 64)
		s.delete(w, name, id)
	case len(segs) >= 3 && isID(segs[1]):
		pid, _ := strconv.ParseInt(segs[1], 10, 64)
		child, field := s.child(name, s.name(r, segs[2]))
		switch {
		case len(segs) == 3 && get:
			// The parent goes into the query, so that nextPageUrl carries it.
			s.query(w, child, "", 0, []byte(fmt.Sprintf(`{"filter":[{"op":"eq","field":%q,"value":%d}]}`, field, pid)), nil)
		case len(segs) == 3 && post:
			s.create(w, child, field, pid, body)
		case len(segs) == 3 && (r.Method == http.MethodPatch || r.Method == http.MethodPut):
			s.update(w, child, field, pid, body, r.Method == http.MethodPut)
		case len(segs) == 4 && isID(segs[3]) && get:
			id, _ := strconv.ParseInt(segs[3], 10, 64)
			rec := s.Record(child, id)
			if rec != nil && num(rec[field]) != float64(pid) {
				rec = nil
			}
			s.write(w, http.StatusOK, map[string]any{"item": rec})
		case len(segs) == 4 && isID(segs[3]) && r.Method == http.MethodDelete:
			id, _ := strconv.ParseInt(segs[3], 10, 64)
			s.delete(w, child, id)
		default:
			s.methodNotAllowed(w, r)
		}
	default:
		s.methodNotAllowed(w, r)
	}
}

// child maps a child collection to where its items live and the field holding the parent id.
func (s *Server) child(parent, child string) (collection, field string) {
	switch strings.ToLower(parent + "/" + child) {
	case "tickets/notes":
		return "TicketNotes", "ticketID"
	case "companies/contacts":
		return "Contacts", "companyID"
	case "companies/locations":
		return "CompanyLocations", "companyID"
	}
	return parent + child, "parentID"
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	s.write(w, http.StatusMethodNotAllowed, map[string]any{"Message": fmt.Sprintf("The requested resource does not support http method '%s'.", r.Method)})
}

// name returns the collection's name as first seen (the case of the path otherwise).
func (s *Server) name(r *http.Request, lower string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.names[lower]; ok {
		return n
	}
	for _, seg := range strings.Split(r.URL.Path, "/") {
		if strings.ToLower(seg) == lower {
			return seg
		}
	}
	return lower
}

// store saves rec (s.mu held) and returns its id.
func (s *Server) store(collection string, rec map[string]any) int64 {
	key := strings.ToLower(collection)
	if _, ok := s.names[key]; !ok {
		s.names[key] = collection
	}
	if s.data[key] == nil {
		s.data[key] = map[int64]map[string]any{}
	}
	var id int64
	if v, ok := rec["id"]; ok && v != nil {
		id = int64(num(v))
	} else {
		id = s.nextID
	}
	if id >= s.nextID {
		s.nextID = id + 1
	}
	rec["id"] = float64(id)
	s.data[key][id] = rec
	return id
}

func (s *Server) create(w http.ResponseWriter, collection, parentField string, parentID int64, body []byte) {
	rec, ok := decodeObject(body)
	if !ok {
		s.errors(w, http.StatusInternalServerError, "The request body is not a valid entity.")
		return
	}
	delete(rec, "id")
	if parentField != "" {
		rec[parentField] = float64(parentID)
	}
	s.mu.Lock()
	id := s.store(collection, rec)
	s.mu.Unlock()
	s.write(w, http.StatusOK, map[string]any{"itemId": id})
}

func (s *Server) update(w http.ResponseWriter, collection, parentField string, parentID int64, body []byte, replace bool) {
	rec, ok := decodeObject(body)
	if !ok || rec["id"] == nil {
		s.errors(w, http.StatusInternalServerError, "id is required.")
		return
	}
	id := int64(num(rec["id"]))
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.data[strings.ToLower(collection)][id]
	if old == nil || (parentField != "" && num(old[parentField]) != float64(parentID)) {
		s.errorsLocked(w, http.StatusInternalServerError, "No matching records found. The logged in Resource may not have the required permissions to update the data.")
		return
	}
	if replace {
		keep := old
		old = map[string]any{"id": keep["id"]}
		if parentField != "" {
			old[parentField] = keep[parentField]
		}
		s.data[strings.ToLower(collection)][id] = old
	}
	for k, v := range rec {
		old[k] = v
	}
	s.writeLocked(w, http.StatusOK, map[string]any{"itemId": id})
}

func (s *Server) delete(w http.ResponseWriter, collection string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.data[strings.ToLower(collection)]
	if m[id] == nil {
		s.errorsLocked(w, http.StatusInternalServerError, "No matching records found. The logged in Resource may not have the required permissions to delete the data.")
		return
	}
	delete(m, id)
	s.writeLocked(w, http.StatusOK, map[string]any{"itemId": id})
}

// searchOrBody takes the query from the body, else from the search parameter (which Autotask
// echoes with single quotes).
func searchOrBody(r *http.Request, body []byte) []byte {
	if len(bytes.TrimSpace(body)) > 0 {
		return body
	}
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, "search") && len(v) > 0 {
			return []byte(strings.ReplaceAll(v[0], "'", `"`))
		}
	}
	return nil
}

type query struct {
	filter  []any
	include []string
	max     int
}

func (s *Server) parseQuery(w http.ResponseWriter, raw []byte) (query, bool) {
	m, ok := decodeObject(raw)
	f, has := lookup(m, "filter")
	if !ok || !has || f == nil {
		s.errors(w, http.StatusInternalServerError, "Value cannot be null.\r\nParameter name: filters")
		return query{}, false
	}
	q := query{max: 500}
	q.filter, _ = f.([]any)
	if inc, ok := lookup(m, "includeFields"); ok {
		for _, v := range asSlice(inc) {
			q.include = append(q.include, fmt.Sprint(v))
		}
	}
	if mr, ok := lookup(m, "maxRecords"); ok && mr != nil {
		q.max = int(num(mr))
		if q.max < 1 || q.max > 500 {
			s.errors(w, http.StatusInternalServerError, "maxCountOfRecordsToReturn must be between 1 and 500")
			return query{}, false
		}
	}
	return q, true
}

func (s *Server) matching(collection, parentField string, parentID int64, q query) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, rec := range s.data[strings.ToLower(collection)] {
		if parentField != "" && num(rec[parentField]) != float64(parentID) {
			continue
		}
		if matchAll(rec, q.filter) {
			out = append(out, clone(rec))
		}
	}
	sort.Slice(out, func(i, j int) bool { return num(out[i]["id"]) < num(out[j]["id"]) })
	return out
}

func (s *Server) count(w http.ResponseWriter, collection string, raw []byte) {
	q, ok := s.parseQuery(w, raw)
	if !ok {
		return
	}
	s.write(w, http.StatusOK, map[string]any{"queryCount": len(s.matching(collection, "", 0, q))})
}

func (s *Server) query(w http.ResponseWriter, collection, parentField string, parentID int64, raw []byte, after *int64) {
	q, ok := s.parseQuery(w, raw)
	if !ok {
		return
	}
	rows := s.matching(collection, parentField, parentID, q)
	if after != nil {
		i := sort.Search(len(rows), func(i int) bool { return num(rows[i]["id"]) > float64(*after) })
		rows = rows[i:]
	}
	var next any
	if len(rows) > q.max {
		rows = rows[:q.max]
		last := int64(num(rows[len(rows)-1]["id"]))
		s.mu.Lock()
		base := s.nextBase
		s.mu.Unlock()
		if base == "" {
			base = s.BaseURL()
		}
		paging, _ := json.Marshal(map[string]any{"pageSize": q.max, "previousIds": []int64{-1}, "nextIds": []int64{last}})
		next = base + "V1.0/" + collection + "/query/next?paging=" + url.QueryEscape(string(paging)) +
			"&search=" + url.QueryEscape(strings.ReplaceAll(string(compact(raw)), `"`, "'"))
	}
	items := make([]any, len(rows))
	for i, rec := range rows {
		items[i] = project(rec, q.include)
	}
	s.write(w, http.StatusOK, map[string]any{
		"items":       items,
		"pageDetails": map[string]any{"count": len(items), "requestCount": q.max, "prevPageUrl": nil, "nextPageUrl": next},
	})
}

func project(rec map[string]any, include []string) map[string]any {
	if len(include) == 0 {
		return rec
	}
	out := map[string]any{"id": rec["id"], "userDefinedFields": orEmptyAny(rec["userDefinedFields"])}
	for _, f := range include {
		if k, ok := findKey(rec, f); ok {
			out[k] = rec[k]
		}
	}
	return out
}

func (s *Server) errors(w http.ResponseWriter, status int, msgs ...string) {
	s.write(w, status, map[string]any{"errors": msgs})
}

func (s *Server) errorsLocked(w http.ResponseWriter, status int, msgs ...string) {
	s.writeLocked(w, status, map[string]any{"errors": msgs})
}

func (s *Server) write(w http.ResponseWriter, status int, v any) {
	s.writeLocked(w, status, v)
}

// writeLocked does not take s.mu, so it may be called with it held.
func (s *Server) writeLocked(w http.ResponseWriter, status int, v any) {
	if s.opts.PascalCase {
		v = pascal(v)
	}
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
