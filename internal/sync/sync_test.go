package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/limits"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/server"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/sync"
	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

func TestMain(m *testing.M) { os.Exit(testsupport.Main(m)) }

// pair is two real Switchboards: remote stands in for an Autotask tenant, reached over HTTP
// through a connection; local is where the sync job writes.
type pair struct {
	remote, local *testsupport.Env
	svc           *sync.Service
	conn          string
	// throttle, when above 0, makes the proxy in front of the remote answer that many
	// requests, one in every three, with 429 and Retry-After: 1 or 503, in turn.
	throttle  atomic.Int64
	throttled atomic.Int64
	requests  atomic.Int64
}

func newPair(t *testing.T, b testsupport.Backend) *pair {
	t.Helper()
	return newPairOver(t, &pair{remote: testsupport.Start(t, b, true), local: testsupport.Start(t, b, false)})
}

// newPairOver puts the proxy and the connection between two running Switchboards.
func newPairOver(t *testing.T, p *pair) *pair {
	t.Helper()
	var n atomic.Int64
	proxyTarget, _ := url.Parse(p.remote.Server.URL)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if p.throttle.Load() > 0 && n.Add(1)%3 == 0 {
			p.throttle.Add(-1)
			w.Header().Set("Content-Type", "application/json")
			if p.throttled.Add(1)%2 == 0 {
				w.WriteHeader(http.StatusServiceUnavailable) // a remote in trouble for a while
				fmt.Fprint(w, `{"errors":["Service Unavailable"]}`)
				return
			}
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"errors":["Request rate limit exceeded"]}`)
			return
		}
		r.URL.Scheme, r.URL.Host = proxyTarget.Scheme, proxyTarget.Host
		r.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 32<<10)
		for {
			k, err := resp.Body.Read(buf)
			w.Write(buf[:k])
			if err != nil {
				break
			}
		}
	}))
	t.Cleanup(proxy.Close)
	sealer, err := connection.LoadKey(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	conns := &connection.Service{DB: p.local.PSA.DB, Sealer: sealer}
	p.conn = "remote " + testsupport.RandomHex(4)
	if _, err := conns.Add(context.Background(), connection.Input{Name: p.conn, Username: p.remote.Creds.Username, Secret: p.remote.Creds.Secret,
		IntegrationCode: p.remote.Creds.IntegrationCode, BaseURL: proxy.URL}, false); err != nil {
		t.Fatal(err)
	}
	p.svc = sync.New(p.local.PSA, conns, nil)
	return p
}

func (p *pair) add(t *testing.T, in sync.AddInput) string {
	t.Helper()
	in.Name = "job " + testsupport.RandomHex(4)
	in.Connection, in.Tenant = p.conn, p.local.Tenant.Name
	if _, err := p.svc.Add(context.Background(), in); err != nil {
		t.Fatalf("sync add: %v", err)
	}
	return in.Name
}

func (p *pair) run(t *testing.T, job string, full bool) sync.Status {
	t.Helper()
	st, err := p.svc.Run(context.Background(), job, sync.RunOptions{Full: full})
	if err != nil {
		t.Fatalf("sync run: %v", err)
	}
	if st.State != sync.StateOK {
		t.Fatalf("sync run: %s (%v)", st.Line(), st.Errors)
	}
	return st
}

// rows reads every row of an entity of an env's tenant.
func rows(t *testing.T, env *testsupport.Env, entity string) []*store.Row {
	t.Helper()
	e := env.PSA.Catalog.MustEntity(entity)
	var out []*store.Row
	after := int64(-1)
	for {
		list, err := env.PSA.Query(env.Ctx(), e, &query.Request{Filter: []*query.Node{{Op: "gte", Field: "id", Value: int64(0)}}, FilterPresent: true}, nil, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, list...)
		if len(list) < 500 {
			return out
		}
		after = list[len(list)-1].ID(e)
	}
}

func val(env *testsupport.Env, entity string, row *store.Row, field string) any {
	e := env.PSA.Catalog.MustEntity(entity)
	return row.Values[e.Index(field)]
}

// signature describes a row by what a user sees: its text fields, picklist labels, and the
// names of what it references — the same on both sides when the sync is right, whatever the ids.
func signature(t *testing.T, env *testsupport.Env, entity string, row *store.Row) string {
	t.Helper()
	e := env.PSA.Catalog.MustEntity(entity)
	var parts []string
	for _, name := range sigFields[entity] {
		f := e.Fields[e.Index(name)]
		v := row.Values[e.Index(name)]
		switch {
		case v == nil && entity == "ConfigurationItems" && name == "configurationItemType":
			parts = append(parts, name+"→name=Default") // how a CI with no type is shown
		case v == nil:
			parts = append(parts, name+"=")
		case f.Picklist:
			list, _ := env.PSA.Picklist(env.Ctx(), e, f.Name)
			label := fmt.Sprint(v)
			for _, x := range list {
				if x.Value == v.(int64) {
					label = x.Label
				}
			}
			parts = append(parts, name+"="+label)
		case f.Reference != "":
			target := env.PSA.Catalog.MustEntity(f.Reference)
			ref, err := env.PSA.DB.Get(env.Ctx(), target, v.(int64))
			if err != nil {
				t.Fatalf("%s.%s → %s %v: %v", entity, name, f.Reference, v, err)
			}
			parts = append(parts, name+"→"+signature(t, env, f.Reference, ref))
		default:
			parts = append(parts, fmt.Sprintf("%s=%v", name, v))
		}
	}
	return strings.Join(parts, " ")
}

var sigFields = map[string][]string{
	"Companies":              {"companyName", "phone", "city", "companyType", "classification", "webAddress"},
	"CompanyLocations":       {"name", "city", "companyID"},
	"Contacts":               {"firstName", "lastName", "emailAddress", "companyID"},
	"ConfigurationItems":     {"referenceTitle", "serialNumber", "configurationItemType", "companyID", "productID"},
	"ConfigurationItemTypes": {"name"},
	"Products":               {"name"},
	"Tickets":                {"title", "description", "status", "priority", "queueID", "companyID", "contactID"},
	"TicketNotes":            {"title", "description", "noteType", "ticketID"},
}

// signatures is the sorted multiset of signatures of an entity.
func signatures(t *testing.T, env *testsupport.Env, entity string, keep func(*store.Row) bool) map[string]int {
	out := map[string]int{}
	for _, r := range rows(t, env, entity) {
		if entity == "Companies" && r.Values[0] == int64(0) {
			continue // each tenant's own company
		}
		if keep == nil || keep(r) {
			out[signature(t, env, entity, r)]++
		}
	}
	return out
}

func sameMaps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mirrorMatches(t *testing.T, p *pair, entities ...string) {
	t.Helper()
	for _, entity := range entities {
		r, l := signatures(t, p.remote, entity, nil), signatures(t, p.local, entity, nil)
		if !sameMaps(r, l) {
			t.Errorf("%s differ:\nremote %v\nlocal  %v", entity, r, l)
		}
	}
}

var all = []string{"Companies", "CompanyLocations", "Contacts", "ConfigurationItems", "Tickets", "TicketNotes"}

func create(t *testing.T, env *testsupport.Env, entity string, parent *psa.Parent, values map[string]any) int64 {
	t.Helper()
	e := env.PSA.Catalog.MustEntity(entity)
	in := psa.NewInput()
	for k, v := range values {
		in.Set[e.Index(k)] = v
	}
	id, err := env.PSA.Create(env.Ctx(), e, in, parent)
	if err != nil {
		t.Fatalf("create %s: %v", entity, err)
	}
	return id
}

func update(t *testing.T, env *testsupport.Env, entity string, id int64, values map[string]any) {
	t.Helper()
	e := env.PSA.Catalog.MustEntity(entity)
	in := psa.NewInput()
	in.Set[e.Index("id")] = id
	for k, v := range values {
		in.Set[e.Index(k)] = v
	}
	if _, err := env.PSA.Update(env.Ctx(), e, in, nil, false); err != nil {
		t.Fatalf("update %s %d: %v", entity, id, err)
	}
}

func get(t *testing.T, env *testsupport.Env, entity string, id int64) *store.Row {
	t.Helper()
	row, err := env.PSA.DB.Get(env.Ctx(), env.PSA.Catalog.MustEntity(entity), id)
	if err != nil {
		t.Fatalf("get %s %d: %v", entity, id, err)
	}
	return row
}

// findBy returns the id of the one row of entity whose field has value.
func findBy(t *testing.T, env *testsupport.Env, entity, field string, value any) int64 {
	t.Helper()
	var found []int64
	for _, r := range rows(t, env, entity) {
		if val(env, entity, r, field) == value {
			found = append(found, r.ID(env.PSA.Catalog.MustEntity(entity)))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s with %s = %v: %d rows", entity, field, value, len(found))
	}
	return found[0]
}

func child(env *testsupport.Env, parent string, id int64, name string) *psa.Parent {
	pe := env.PSA.Catalog.MustEntity(parent)
	c, _ := pe.Child(name)
	return &psa.Parent{Entity: pe, ID: id, Child: c}
}

func each(t *testing.T, fn func(t *testing.T, b testsupport.Backend)) {
	for _, b := range testsupport.Backends() {
		t.Run(string(b), func(t *testing.T) {
			testsupport.Service(t, b) // skips PostgreSQL when it is not configured
			fn(t, b)
		})
	}
}

func TestMirrorFirstAndIncremental(t *testing.T) {
	each(t, func(t *testing.T, b testsupport.Backend) {
		p := newPair(t, b)
		// A CI with no type is kept and shown as "Default".
		acme := findBy(t, p.remote, "Companies", "companyName", "Acme Dental Group")
		product := rows(t, p.remote, "Products")[0].Values[0].(int64)
		create(t, p.remote, "ConfigurationItems", nil, map[string]any{"companyID": acme, "productID": product, "isActive": true, "referenceTitle": "untyped"})
		job := p.add(t, sync.AddInput{})
		if j, _ := p.svc.Get(context.Background(), job); j.Status.State != sync.StateNever || j.Status.Line() != "never run" {
			t.Errorf("a new job's status: %+v", j.Status)
		}
		st := p.run(t, job, false)
		if !st.Full || st.Counts["Companies"].Created != 3 || st.Counts["Contacts"].Created != 5 || st.Counts["Tickets"].Created != 6 || st.Counts["TicketNotes"].Created != 6 {
			t.Errorf("first run counts: %s %+v", st.Line(), st.Counts)
		}
		mirrorMatches(t, p, all...)
		ci := findBy(t, p.local, "ConfigurationItems", "referenceTitle", "untyped")
		typ := get(t, p.local, "ConfigurationItemTypes", val(p.local, "ConfigurationItems", get(t, p.local, "ConfigurationItems", ci), "configurationItemType").(int64))
		if name := val(p.local, "ConfigurationItemTypes", typ, "name"); name != "Default" {
			t.Errorf("an untyped CI's local type is %v, want Default", name)
		}
		firstRequests := st.Requests

		// Incremental: only what changed comes over.
		update(t, p.remote, "Companies", acme, map[string]any{"phone": "555-9999"})
		create(t, p.remote, "Contacts", child(p.remote, "Companies", acme, "Contacts"), map[string]any{"firstName": "Zed", "lastName": "Zimmer", "isActive": int64(1)})
		st = p.run(t, job, false)
		if st.Full || st.Counts["Companies"].Updated != 1 || st.Counts["Contacts"].Created != 1 || st.Counts["Companies"].Created != 0 {
			t.Errorf("incremental counts: %s %+v", st.Line(), st.Counts)
		}
		for e, c := range st.Counts {
			if c.Updated+c.Created > 1 && e != "CompanyLocations" {
				t.Errorf("incremental run wrote %d %s", c.Updated+c.Created, e)
			}
		}
		if st.Requests > firstRequests {
			t.Errorf("incremental run used %d requests, the first %d", st.Requests, firstRequests)
		}
		mirrorMatches(t, p, all...)
		runs, err := p.svc.Runs(context.Background(), job, 10)
		if err != nil || len(runs) != 2 || runs[0].Outcome != sync.StateOK {
			t.Errorf("run log: %+v %v", runs, err)
		}
		j, _ := p.svc.Get(context.Background(), job)
		if !strings.HasPrefix(j.Status.Line(), "OK: ") {
			t.Errorf("status line %q", j.Status.Line())
		}
	})
}

func TestFilters(t *testing.T) {
	each(t, func(t *testing.T, b testsupport.Backend) {
		p := newPair(t, b)
		prospect := create(t, p.remote, "Companies", nil, map[string]any{"companyName": "Prospect Co", "companyType": int64(3), "phone": "1", "ownerResourceID": int64(1), "isActive": true})
		create(t, p.remote, "Contacts", child(p.remote, "Companies", prospect, "Contacts"), map[string]any{"firstName": "Pat", "lastName": "Prospect", "isActive": int64(1)})
		acme := findBy(t, p.remote, "Companies", "companyName", "Acme Dental Group")
		product := rows(t, p.remote, "Products")[0].Values[0].(int64)
		create(t, p.remote, "ConfigurationItems", nil, map[string]any{"companyID": acme, "productID": product, "isActive": true, "referenceTitle": "untyped"})

		if _, err := p.svc.Add(context.Background(), sync.AddInput{Name: "bad " + testsupport.RandomHex(3), Connection: p.conn, Tenant: p.local.Tenant.Name,
			CompanyTypes: []string{"Nope"}}); err == nil || !strings.Contains(err.Error(), `"Customer" (1)`) {
			t.Errorf("an unknown company type: %v, want the remote's choices", err)
		}
		opts, err := p.svc.Options(context.Background(), p.conn)
		if err != nil || len(opts.CITypes) != 3 || opts.CITypes[0].Label != "Default" {
			t.Fatalf("options: %+v %v", opts, err)
		}
		job := p.add(t, sync.AddInput{CompanyTypes: []string{"Customer"}, CITypes: []string{"Server", "Default"}, Queues: []string{"Level I Support"}})
		st := p.run(t, job, false)
		if st.Counts["Companies"].Created != 3 || st.Counts["Contacts"].Created != 5 || st.Counts["ConfigurationItems"].Created != 4 {
			t.Errorf("filtered run: %+v", st.Counts)
		}
		for _, r := range rows(t, p.local, "Companies") {
			if val(p.local, "Companies", r, "companyName") == "Prospect Co" {
				t.Error("a Prospect company was synced despite the filter")
			}
		}
		mirrorMatches(t, p, "Tickets", "TicketNotes")
		// Changing the filters: the next run is a full pass; Server CIs leave (orphaned, kept).
		if _, err := p.svc.SetFilters(context.Background(), job, sync.AddInput{CompanyTypes: []string{"Customer", "Prospect"}, CITypes: []string{"Workstation"}}); err != nil {
			t.Fatal(err)
		}
		before := len(rows(t, p.local, "ConfigurationItems"))
		st = p.run(t, job, false)
		if !st.Full || st.Counts["Companies"].Created != 1 || st.Counts["Contacts"].Created != 1 || st.Counts["ConfigurationItems"].Orphaned != 4 || st.Counts["ConfigurationItems"].Created != 3 {
			t.Errorf("after the filter change: %+v", st.Counts)
		}
		if after := len(rows(t, p.local, "ConfigurationItems")); after != before+3 {
			t.Errorf("local CIs %d → %d: orphans must be kept", before, after)
		}
	})
}

func TestTwoWay(t *testing.T) {
	each(t, func(t *testing.T, b testsupport.Backend) {
		p := newPair(t, b)
		ctx := context.Background()
		// An API-only default account manager is refused with the reason.
		_, err := p.svc.Add(ctx, sync.AddInput{Name: "api " + testsupport.RandomHex(3), Connection: p.conn, Tenant: p.local.Tenant.Name, TwoWay: true,
			DefaultAccountManager: p.remote.Creds.Username})
		if err == nil || !strings.Contains(err.Error(), "API-only user") || !strings.Contains(err.Error(), "non-API resource") {
			t.Fatalf("an API-only default account manager: %v", err)
		}
		// Local data that exists before two-way is on is not pushed until edited.
		oldLocal := create(t, p.local, "Companies", nil, map[string]any{"companyName": "Local Before", "companyType": int64(1), "phone": "1", "ownerResourceID": int64(1), "isActive": true})
		job := p.add(t, sync.AddInput{TwoWay: true, DefaultAccountManager: "1"})
		p.run(t, job, false)

		acmeR := findBy(t, p.remote, "Companies", "companyName", "Acme Dental Group")
		acmeL := findBy(t, p.local, "Companies", "companyName", "Acme Dental Group")
		brightR := findBy(t, p.remote, "Companies", "companyName", "Brightside Logistics")
		brightL := findBy(t, p.local, "Companies", "companyName", "Brightside Logistics")
		aliceR := findBy(t, p.remote, "Contacts", "firstName", "Alice")
		aliceL := findBy(t, p.local, "Contacts", "firstName", "Alice")

		// Local → remote; remote → local; both sides of one record: the remote wins.
		update(t, p.local, "Companies", acmeL, map[string]any{"phone": "555-LOCAL", "city": "Ogdenville"})
		update(t, p.remote, "Contacts", aliceR, map[string]any{"title": "Office Manager"})
		update(t, p.remote, "Companies", brightR, map[string]any{"phone": "555-REMOTE"})
		update(t, p.local, "Companies", brightL, map[string]any{"phone": "555-MINE"})
		bobL := findBy(t, p.local, "Contacts", "firstName", "Bob")
		update(t, p.local, "Contacts", bobL, map[string]any{"title": "Dentist"})
		ciL := findBy(t, p.local, "ConfigurationItems", "referenceTitle", "acme-01")
		update(t, p.local, "ConfigurationItems", ciL, map[string]any{"referenceTitle": "acme-01-renamed"})
		locL := findBy(t, p.local, "CompanyLocations", "city", "Shelbyville")
		update(t, p.local, "CompanyLocations", locL, map[string]any{"address1": "1 Harbor Road"})
		newLocal := create(t, p.local, "Companies", nil, map[string]any{"companyName": "Made Locally", "companyType": int64(1), "phone": "2", "ownerResourceID": int64(1), "isActive": true})
		st := p.run(t, job, false)
		if st.Counts["Companies"].Conflicts != 1 || st.Counts["Companies"].Pushed != 2 {
			t.Errorf("two-way counts: %+v", st.Counts["Companies"])
		}
		if st.Counts["Contacts"].Pushed != 1 || st.Counts["ConfigurationItems"].Pushed != 1 || st.Counts["CompanyLocations"].Pushed != 1 {
			t.Errorf("pushed contacts, CIs, locations: %+v %+v %+v", st.Counts["Contacts"], st.Counts["ConfigurationItems"], st.Counts["CompanyLocations"])
		}
		if v := val(p.remote, "Contacts", get(t, p.remote, "Contacts", findBy(t, p.remote, "Contacts", "firstName", "Bob")), "title"); v != "Dentist" {
			t.Errorf("remote contact title after a local edit: %v", v)
		}
		findBy(t, p.remote, "ConfigurationItems", "referenceTitle", "acme-01-renamed")
		findBy(t, p.remote, "CompanyLocations", "address1", "1 Harbor Road")
		if v := val(p.remote, "Companies", get(t, p.remote, "Companies", acmeR), "phone"); v != "555-LOCAL" {
			t.Errorf("remote phone after a local edit: %v", v)
		}
		if v := val(p.local, "Contacts", get(t, p.local, "Contacts", aliceL), "title"); v != "Office Manager" {
			t.Errorf("local title after a remote edit: %v", v)
		}
		for _, env := range []*testsupport.Env{p.remote, p.local} {
			id := brightR
			if env == p.local {
				id = brightL
			}
			if v := val(env, "Companies", get(t, env, "Companies", id), "phone"); v != "555-REMOTE" {
				t.Errorf("conflict: phone %v, want the remote's", v)
			}
		}
		made := findBy(t, p.remote, "Companies", "companyName", "Made Locally")
		if owner := val(p.remote, "Companies", get(t, p.remote, "Companies", made), "ownerResourceID"); owner != int64(1) {
			t.Errorf("a pushed company's owner %v, want the default account manager", owner)
		}
		_ = newLocal
		for _, r := range rows(t, p.remote, "Companies") {
			if val(p.remote, "Companies", r, "companyName") == "Local Before" {
				t.Error("existing local data was pushed before being edited")
			}
		}
		mirrorMatches(t, p, "Contacts", "ConfigurationItems", "Tickets", "TicketNotes")
		// Local data that existed before the job stays local until edited: the company made
		// before and the primary location made with it.
		notOldLoc := func(r *store.Row) bool { return val(p.local, "CompanyLocations", r, "companyID") != oldLocal }
		if r, l := signatures(t, p.remote, "CompanyLocations", nil), signatures(t, p.local, "CompanyLocations", notOldLoc); !sameMaps(r, l) {
			t.Errorf("locations differ:\nremote %v\nlocal  %v", r, l)
		}
		notOld := func(r *store.Row) bool { return val(p.local, "Companies", r, "companyName") != "Local Before" }
		if r, l := signatures(t, p.remote, "Companies", nil), signatures(t, p.local, "Companies", notOld); !sameMaps(r, l) {
			t.Errorf("companies differ:\nremote %v\nlocal  %v", r, l)
		}
		// A further run changes nothing.
		st = p.run(t, job, false)
		for e, c := range st.Counts {
			if c.Created+c.Updated+c.Pushed+c.Conflicts != 0 {
				t.Errorf("a quiet run still wrote %s: %+v", e, c)
			}
		}
		_ = oldLocal

		// A remote deletion orphans the local record, which stays.
		zed := create(t, p.remote, "Contacts", child(p.remote, "Companies", acmeR, "Contacts"), map[string]any{"firstName": "Zed", "lastName": "Gone", "isActive": int64(1)})
		p.run(t, job, false)
		zedL := findBy(t, p.local, "Contacts", "lastName", "Gone")
		if _, err := p.remote.PSA.Delete(p.remote.Ctx(), p.remote.PSA.Catalog.MustEntity("Contacts"), zed, nil); err != nil {
			t.Fatal(err)
		}
		st = p.run(t, job, true)
		if st.Counts["Contacts"].Orphaned != 1 {
			t.Errorf("orphans after a remote deletion: %+v", st.Counts["Contacts"])
		}
		get(t, p.local, "Contacts", zedL)
		// Editing an orphan pushes nothing and fails nothing.
		update(t, p.local, "Contacts", zedL, map[string]any{"title": "still here"})
		p.run(t, job, false)
	})
}

func TestThrottled(t *testing.T) {
	each(t, func(t *testing.T, b testsupport.Backend) {
		p := newPair(t, b)
		job := p.add(t, sync.AddInput{})
		p.throttle.Store(4)
		start := time.Now()
		// "Sync now" from the console: it returns at once, and the job shows "Syncing...".
		if err := p.svc.RunAsync(context.Background(), job, sync.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		if j, _ := p.svc.Get(context.Background(), job); j.Status.State != sync.StateSyncing || !strings.HasPrefix(j.Status.Line(), "Syncing...") {
			t.Errorf("right after RunAsync: %s", j.Status.Line())
		}
		if err := p.svc.RunAsync(context.Background(), job, sync.RunOptions{}); !errors.Is(err, sync.ErrRunning) {
			t.Errorf("a second Sync now while running: %v", err)
		}
		var st sync.Status
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
			j, _ := p.svc.Get(context.Background(), job)
			if j.Status.State != sync.StateSyncing || time.Now().After(deadline) {
				st = j.Status
				break
			}
		}
		if st.State != sync.StateOK {
			t.Fatalf("throttled run: %s", st.Line())
		}
		if p.throttled.Load() != 4 {
			t.Fatalf("the remote answered 429 or 503 %d times, want 4", p.throttled.Load())
		}
		if took := time.Since(start); took < 2*time.Second {
			t.Errorf("two 429s with Retry-After: 1 and two 503s took only %s: the run did not wait", took)
		}
		if st.Counts["Tickets"].Created != 6 {
			t.Errorf("throttled run: %+v", st.Counts)
		}
		mirrorMatches(t, p, all...)
	})
}

// TestThresholdPacing: a remote whose hourly budget is mostly used is called more slowly, before
// it runs out (ThresholdInformation), not after a 429.
func TestThresholdPacing(t *testing.T) {
	each(t, func(t *testing.T, b testsupport.Backend) {
		// The remote's own limits, with their added latency made small: the test is about the
		// client pacing itself, not about waiting.
		lim := limits.DefaultConfig()
		lim.Latency50, lim.Latency75 = 5*time.Millisecond, 10*time.Millisecond
		p := newPairOver(t, &pair{remote: testsupport.StartWith(t, b, true, server.Options{Version: "test", Limits: &lim}), local: testsupport.Start(t, b, false)})
		job := p.add(t, sync.AddInput{})
		first := p.run(t, job, false)
		if first.RemoteRequestThreshold != 10000 || first.PacingMillis != 0 {
			t.Errorf("first run: budget %d, pacing %d ms", first.RemoteRequestThreshold, first.PacingMillis)
		}
		// The remote tenant's budget shrinks to four times what the first run used (through the
		// settings service, as an administrator changes it), and other callers spend it past
		// half: the next run starts paced and ends before the budget runs out.
		small := 4 * first.Requests
		if _, err := p.remote.PSA.ChangeSettings(p.remote.Ctx(), admin.SettingsChange{APIThreshold: &small}); err != nil {
			t.Fatal(err)
		}
		for used := int64(0); used < small*55/100; {
			req, _ := http.NewRequest(http.MethodGet, p.remote.URL("/ATServicesRest/V1.0/ThresholdInformation"), nil)
			req.Header.Set("UserName", p.remote.Creds.Username)
			req.Header.Set("Secret", p.remote.Creds.Secret)
			req.Header.Set("ApiIntegrationCode", p.remote.Creds.IntegrationCode)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var info struct {
				Count int64 `json:"currentTimeframeRequestCount"`
			}
			err = json.NewDecoder(res.Body).Decode(&info)
			res.Body.Close()
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("ThresholdInformation: %d, %v", res.StatusCode, err)
			}
			used = info.Count
		}
		start := time.Now()
		st := p.run(t, job, false)
		if st.RemoteRequestThreshold != int(small) || st.PacingMillis < 100 || st.State != sync.StateOK {
			t.Errorf("second run: %s, %d of %d used, pacing %d ms; want OK and a pause of at least 100 ms", st.State, st.RemoteRequestsUsed, st.RemoteRequestThreshold, st.PacingMillis)
		}
		// ThresholdInformation itself is not paced, and the first request goes at once.
		if took := time.Since(start); took < time.Duration(st.Requests-2)*100*time.Millisecond {
			t.Errorf("%d paced requests took only %s", st.Requests, took)
		}
	})
}

// TestSchedule: serve's scheduler runs a job whose time has come, and neither a paused job nor a
// job without a schedule.
func TestSchedule(t *testing.T) {
	p := newPair(t, testsupport.SQLite)
	ctx := context.Background()
	every, manual := 1, 0
	due := p.add(t, sync.AddInput{ScheduleMinutes: &every})
	paused := p.add(t, sync.AddInput{ScheduleMinutes: &every})
	never := p.add(t, sync.AddInput{ScheduleMinutes: &manual})
	if err := p.svc.SetPaused(ctx, paused, true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.svc.Run(ctx, paused, sync.RunOptions{}); !errors.Is(err, sync.ErrPaused) {
		t.Errorf("running a paused job: %v", err)
	}
	// Make the jobs look created two minutes ago.
	old := time.Now().Add(-2 * time.Minute).UTC().Format(time.RFC3339Nano)
	if _, err := p.local.PSA.DB.SQL().Exec(`UPDATE sync_jobs SET created_at = ? WHERE name IN (?, ?, ?)`, old, due, paused, never); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.svc.RunScheduler(sctx, time.Hour); close(done) }()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if runs, _ := p.svc.Runs(ctx, due, 5); len(runs) > 0 {
			break
		}
	}
	cancel()
	<-done
	for name, want := range map[string]int{due: 1, paused: 0, never: 0} {
		if runs, _ := p.svc.Runs(ctx, name, 5); len(runs) != want {
			t.Errorf("job %s ran %d times, want %d", name, len(runs), want)
		}
	}
	if j, _ := p.svc.Get(ctx, due); j.NextRun.Before(time.Now()) {
		t.Errorf("next run %s is not after the run", j.NextRun)
	}
}

// TestFailedRecordRetried: a record that failed locally is asked for again by the next run, even
// an incremental one, although nothing changed on the remote.
func TestFailedRecordRetried(t *testing.T) {
	p := newPair(t, testsupport.SQLite)
	ctx := context.Background()
	db := p.local.PSA.DB.SQL()
	// The remote companies last changed an hour ago; only company 0 is recent.
	col := p.remote.PSA.Catalog.MustEntity("Companies").Fields[p.remote.PSA.Catalog.MustEntity("Companies").Index("lastTrackedModifiedDateTime")].Column
	hourAgo := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.0000000Z")
	if _, err := db.Exec(`UPDATE companies SET `+col+` = ? WHERE tenant_id = ? AND id > 0`, hourAgo, p.remote.Tenant.ID); err != nil {
		t.Fatal(err)
	}
	// Locally, the classification "Gold" of every demo company is inactive: their creates fail.
	setGold := func(active int) {
		t.Helper()
		if _, err := db.Exec(`UPDATE picklist_values SET is_active = ? WHERE tenant_id = ? AND entity = 'Companies' AND field = 'classification' AND value = 2`,
			active, p.local.Tenant.ID); err != nil {
			t.Fatal(err)
		}
		// Adding a value drops the service's cache of the tenant's picklists.
		if _, err := p.local.PSA.AddPicklistValue(p.local.Ctx(), "Companies", "territoryID", "Zone "+testsupport.RandomHex(3), 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	setGold(0)
	job := p.add(t, sync.AddInput{})
	st, err := p.svc.Run(ctx, job, sync.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.State != sync.StateErrors || st.Counts["Companies"].Failed != 3 || len(st.Errors) != 3 ||
		!strings.Contains(st.Errors[0].String(), "not a valid picklist value for classification") || st.Errors[0].RemoteID == 0 {
		t.Fatalf("first run: %s %+v", st.Line(), st.Errors)
	}
	setGold(1)
	st = p.run(t, job, false)
	if st.Full || counts(st, "Companies").Created != 3 || counts(st, "Contacts").Created != 5 {
		t.Errorf("the incremental run after the fix: %s", st.Line())
	}
	mirrorMatches(t, p, all...)
}

func counts(st sync.Status, entity string) sync.Counts {
	if c := st.Counts[entity]; c != nil {
		return *c
	}
	return sync.Counts{}
}

// TestPicklistsByLabel: picklist values are matched by label, whatever their values on each
// side; a label the local tenant lacks is added to its picklist; pushes map back.
func TestPicklistsByLabel(t *testing.T) {
	p := newPair(t, testsupport.SQLite)
	localFr, err := p.local.PSA.AddPicklistValue(p.local.Ctx(), "Companies", "companyType", "Franchise", 30, nil)
	if err != nil {
		t.Fatal(err)
	}
	remoteFr, _ := p.remote.PSA.AddPicklistValue(p.remote.Ctx(), "Companies", "companyType", "Franchise", 40, nil)
	remoteRe, _ := p.remote.PSA.AddPicklistValue(p.remote.Ctx(), "Companies", "companyType", "Reseller", 41, nil)
	create(t, p.remote, "Companies", nil, map[string]any{"companyName": "Franchise Co", "companyType": remoteFr, "phone": "1", "ownerResourceID": int64(1), "isActive": true})
	create(t, p.remote, "Companies", nil, map[string]any{"companyName": "Reseller Co", "companyType": remoteRe, "phone": "2", "ownerResourceID": int64(1), "isActive": true})
	job := p.add(t, sync.AddInput{TwoWay: true, CompanyTypes: []string{"Franchise", "Reseller", "Customer"}})
	p.run(t, job, false)
	frL := findBy(t, p.local, "Companies", "companyName", "Franchise Co")
	if v := val(p.local, "Companies", get(t, p.local, "Companies", frL), "companyType"); v != localFr {
		t.Errorf("Franchise is %v locally, want the local value %d", v, localFr)
	}
	list, _ := p.local.PSA.Picklist(p.local.Ctx(), p.local.PSA.Catalog.MustEntity("Companies"), "companyType")
	found := false
	for _, v := range list {
		found = found || (v.Label == "Reseller" && v.IsActive)
	}
	if !found {
		t.Error("the remote's Reseller was not added to the local picklist")
	}
	mirrorMatches(t, p, "Companies")
	// A local change to the other label goes back with the remote's value.
	resL := findBy(t, p.local, "Companies", "companyName", "Reseller Co")
	update(t, p.local, "Companies", resL, map[string]any{"companyType": localFr})
	p.run(t, job, false)
	if v := val(p.remote, "Companies", get(t, p.remote, "Companies", findBy(t, p.remote, "Companies", "companyName", "Reseller Co")), "companyType"); v != remoteFr {
		t.Errorf("pushed company type %v, want the remote's Franchise %d", v, remoteFr)
	}
}

// TestListNamesTenants: the job list shows each job's tenant by name, jobs of one tenant alike
// (the name is read once a listing).
func TestListNamesTenants(t *testing.T) {
	p := newPair(t, testsupport.SQLite)
	a, b := p.add(t, sync.AddInput{}), p.add(t, sync.AddInput{})
	list, err := p.svc.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, j := range list {
		if j.Name == a || j.Name == b {
			seen++
			if j.Tenant != p.local.Tenant.Name || j.TenantID != p.local.Tenant.ID {
				t.Errorf("%s: tenant %q (%d), want %q", j.Name, j.Tenant, j.TenantID, p.local.Tenant.Name)
			}
		}
	}
	if seen != 2 {
		t.Errorf("listed %d of the 2 jobs", seen)
	}
	if j, err := p.svc.Get(context.Background(), a); err != nil || j.Tenant != p.local.Tenant.Name {
		t.Errorf("get: %+v %v", j, err)
	}
}
