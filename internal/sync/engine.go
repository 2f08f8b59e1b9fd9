package sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/internal/atapi"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

func addInt64(p *int64, n int64) { atomic.AddInt64(p, n) }

// spec is how one entity is synced.
type spec struct {
	name string
	// stamp is the remote field that tells what changed ("" when the entity has none: every
	// run reads it whole).
	stamp string
	// parent is the synced entity the record belongs to, through parentField; records whose
	// parent is not synced are outside the filters.
	parent, parentField string
	// child is the parent's child collection through which the entity is written, when it has
	// no top-level create/update.
	child  string
	twoWay bool
	label  func(item map[string]any) string
}

func field(name string) func(map[string]any) string {
	return func(m map[string]any) string { return str(m[name]) }
}

var specs = []spec{
	{name: "Companies", stamp: "lastTrackedModifiedDateTime", twoWay: true, label: field("companyName")},
	{name: "CompanyLocations", parent: "Companies", parentField: "companyID", child: "Locations", twoWay: true, label: field("name")},
	{name: "Contacts", stamp: "lastModifiedDate", parent: "Companies", parentField: "companyID", child: "Contacts", twoWay: true,
		label: func(m map[string]any) string {
			return strings.TrimSpace(str(m["firstName"]) + " " + str(m["lastName"]))
		}},
	{name: "ConfigurationItems", stamp: "lastModifiedTime", parent: "Companies", parentField: "companyID", twoWay: true,
		label: func(m map[string]any) string {
			if s := str(m["referenceTitle"]); s != "" {
				return s
			}
			return str(m["serialNumber"])
		}},
	{name: "Tickets", stamp: "lastTrackedModificationDateTime", parent: "Companies", parentField: "companyID", label: field("title")},
	{name: "TicketNotes", stamp: "lastActivityDate", parent: "Tickets", parentField: "ticketID", child: "Notes", label: field("title")},
}

// lookups are the reference entities copied when a synced record points at them, matched to
// local records by a key before one is created.
var lookups = map[string]bool{"Resources": true, "Products": true, "ConfigurationItemTypes": true}

// localStamp is the local field psa stamps on every write, per two-way entity ("" for none).
var localStamp = map[string]string{"Companies": "lastTrackedModifiedDateTime", "Contacts": "lastModifiedDate", "ConfigurationItems": "lastModifiedTime"}

// The names in specs, lookups and localStamp are checked against the catalog when the program
// starts (checkNames), so a misspelt one stops it instead of failing a run.
var _ = checkNames(catalog.Default)

// checkNames panics, naming it, on a collection or field of specs, lookups or localStamp that c
// lacks, or a child collection a spec writes through that its parent lacks.
func checkNames(c *catalog.Catalog) bool {
	for _, sp := range specs {
		e := c.MustEntity(sp.name)
		if sp.stamp != "" {
			e.MustIndex(sp.stamp)
		}
		if sp.parent != "" {
			pe := c.MustEntity(sp.parent)
			e.MustIndex(sp.parentField)
			if _, ok := pe.Child(sp.child); sp.child != "" && !ok {
				panic(fmt.Sprintf("sync: %s has no child collection %q", sp.parent, sp.child))
			}
		}
	}
	for name := range lookups {
		c.MustEntity(name)
	}
	for name, field := range localStamp {
		c.MustEntity(name).MustIndex(field)
	}
	return true
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

func num(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			f, ferr := x.Float64()
			return int64(f), ferr == nil
		}
		return n, true
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	case float64:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// runState is a run in progress, shared with Get/List while it lasts.
type runState struct {
	mu     gosync.Mutex
	status Status
	notify func(Status)
}

func (r *runState) snapshot() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Progress = slices.Clone(s.Progress)
	s.Errors = slices.Clone(s.Errors)
	s.Counts = map[string]*Counts{}
	for k, v := range r.status.Counts {
		c := *v
		s.Counts[k] = &c
	}
	return s
}

func (r *runState) update(fn func(s *Status)) {
	r.mu.Lock()
	fn(&r.status)
	r.mu.Unlock()
	if r.notify != nil {
		r.notify(r.snapshot())
	}
}

func (r *runState) counts(entity string) *Counts {
	c := r.status.Counts[entity]
	if c == nil {
		c = &Counts{}
		r.status.Counts[entity] = c
	}
	return c
}

func (r *runState) count(entity string, fn func(c *Counts)) {
	r.mu.Lock()
	fn(r.counts(entity))
	r.mu.Unlock()
}

func (r *runState) fail(entity string, e RecordError) {
	e.Entity = entity
	r.mu.Lock()
	r.counts(entity).Failed++
	if len(r.status.Errors) < 1000 {
		r.status.Errors = append(r.status.Errors, e)
	}
	r.mu.Unlock()
}

func (r *runState) progress(entity, phase string, done, total int) {
	r.update(func(s *Status) {
		for i := range s.Progress {
			if s.Progress[i].Entity == entity && s.Progress[i].Phase == phase {
				s.Progress[i].Done, s.Progress[i].Total = done, max(total, s.Progress[i].Total)
				return
			}
		}
		s.Progress = append(s.Progress, Progress{Entity: entity, Phase: phase, Done: done, Total: total})
	})
}

func (s *Service) isRunning(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[strings.ToLower(name)] != nil
}

// RunOptions change one run.
type RunOptions struct {
	// Full makes the run a full pass.
	Full bool
	// Progress, when set, is told the status as the run goes.
	Progress func(Status)
}

// Run runs a job now and waits for it: "Sync now". It returns the final status; the error is
// for a run that could not be started (no such job, a paused or running job). Records that
// failed are in Status.Errors, with State StateErrors; a run that could not go on (an
// unreachable remote) has State StateFailed and the reason in Failure.
func (s *Service) Run(ctx context.Context, name string, opt RunOptions) (Status, error) {
	r, err := s.begin(ctx, name, opt)
	if err != nil {
		return Status{}, err
	}
	return r.exec(ctx, opt)
}

// begin checks that a job may run and registers it as running.
func (s *Service) begin(ctx context.Context, name string, opt RunOptions) (*runner, error) {
	rec, err := s.record(ctx, name)
	if err != nil {
		return nil, err
	}
	if rec.Paused {
		return nil, fmt.Errorf("%w: %q is paused (resume it first)", ErrPaused, rec.Name)
	}
	var prev Status
	if json.Unmarshal([]byte(rec.Status), &prev) == nil && prev.alive() && !s.isRunning(rec.Name) {
		return nil, fmt.Errorf("%w: %q is running in another process", ErrRunning, rec.Name)
	}
	key := strings.ToLower(rec.Name)
	rs := &runState{notify: opt.Progress}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[key] != nil {
		return nil, fmt.Errorf("%w: %q is already running", ErrRunning, rec.Name)
	}
	s.running[key] = rs
	rs.status = Status{State: StateSyncing, StartedAt: time.Now().UTC()}
	return &runner{s: s, rec: rec, rs: rs, log: s.Logger.With(slog.String("sync_job", rec.Name))}, nil
}

// exec runs a registered job and unregisters it.
func (r *runner) exec(ctx context.Context, opt RunOptions) (Status, error) {
	defer func() {
		r.s.mu.Lock()
		delete(r.s.running, strings.ToLower(r.rec.Name))
		r.s.mu.Unlock()
	}()
	return r.run(ctx, opt)
}

type linkSet struct {
	byRemote map[int64]*store.SyncLink
	byLocal  map[int64]*store.SyncLink
}

func (l *linkSet) put(x *store.SyncLink) {
	l.byRemote[x.RemoteID] = x
	l.byLocal[x.LocalID] = x
}

type pickMap struct {
	toLocal  map[int64]int64
	toRemote map[int64]int64
}

// localParent is the local value of a remote parent picklist value ("" or unmapped: nil), for
// the fields a parent picklist filters; nil when the field has no parent (m is nil).
func (m *pickMap) localParent(remote string) *int64 {
	if m == nil || remote == "" {
		return nil
	}
	pv, err := strconv.ParseInt(remote, 10, 64)
	if err != nil {
		return nil
	}
	if lp, ok := m.toLocal[pv]; ok {
		return &lp
	}
	return nil
}

// matchPicklistLabel finds the local value with a remote value's label (case and surrounding
// spaces aside) under the same parent, when both have one.
func matchPicklistLabel(local []store.PicklistValue, label string, parent *int64) (int64, bool) {
	for _, x := range local {
		if strings.EqualFold(strings.TrimSpace(x.Label), strings.TrimSpace(label)) && (parent == nil || x.Parent == nil || *x.Parent == *parent) {
			return x.Value, true
		}
	}
	return 0, false
}

type deferredRef struct {
	entity, field, target string
	localID, remoteTarget int64
}

type runner struct {
	s    *Service
	rec  *store.SyncJob
	rs   *runState
	log  *slog.Logger
	set  Settings
	st   state
	full bool
	c    *autotask.Client
	lctx context.Context
	reqs int64

	links     map[string]*linkSet
	picks     map[string]map[string]*pickMap // entity → field
	fields    map[string][]*catalog.Field    // mapped fields per entity
	seen      map[string]map[int64]bool
	remote    map[string]map[int64]map[string]any // lookups read from the remote
	remoteErr map[string]error                    // why a lookup could not be read, asked once a run
	deferred  []deferredRef
	lastBeat  time.Time
	defType   int64             // the local CI type "Default", once found or made
	defErr    error             // why it could not be: the run does not try again
	copyLoc   int64             // where copied resources go (copiedResourceLocation)
	roleMap   *roleMap          // the remote's roles matched by name (assign.go)
	held      map[[2]int64]bool // local resource, role → the resource holds the role
}

// defaultCIType is the local configuration item type "Default", made when missing. A run asks
// once: when it cannot be found or made, every untyped configuration item of the run fails with
// the same reason, without another attempt.
func (r *runner) defaultCIType(ctx context.Context) (int64, error) {
	if r.defType != 0 || r.defErr != nil {
		return r.defType, r.defErr
	}
	id, err := r.matchLookup(ctx, "ConfigurationItemTypes", map[string]any{"name": DefaultCIType})
	if err != nil {
		r.log.Warn("finding or making the local configuration item type failed", slog.String("type", DefaultCIType), slog.String("error", err.Error()))
		r.defErr = fmt.Errorf("no local configuration item type %q for configuration items without one: %s", DefaultCIType, reason(err))
		return 0, r.defErr
	}
	r.defType = id
	return id, nil
}

func (r *runner) run(ctx context.Context, opt RunOptions) (Status, error) {
	_ = json.Unmarshal([]byte(r.rec.Settings), &r.set)
	_ = json.Unmarshal([]byte(r.rec.State), &r.st)
	start := time.Now().UTC()
	r.full = opt.Full || r.st.ForceFull || r.st.LastFull.IsZero() ||
		time.Since(r.st.LastFull) > time.Duration(max(r.set.FullPassHours, 1))*time.Hour
	r.rs.update(func(s *Status) {
		*s = Status{State: StateSyncing, StartedAt: start, Full: r.full, Counts: map[string]*Counts{}}
	})
	r.lctx = localCtx(ctx, r.rec.TenantID)
	r.st.Incomplete = true
	r.saveState(ctx)
	r.beat(ctx, true)
	var err error
	r.c, err = r.s.client(ctx, r.rec.Connection, r.rec.TenantID, &r.reqs)
	if err == nil {
		// The remote's budget first, so that a run starting near it is paced from its first
		// request; the client reads it again every 100 requests.
		if _, terr := r.c.ThresholdInformation(ctx); terr != nil {
			r.log.Warn("reading ThresholdInformation failed", slog.String("error", terr.Error()))
		}
		r.observePacing()
		err = r.sync(ctx, start)
	}
	fin := time.Now().UTC()
	r.rs.update(func(s *Status) {
		s.FinishedAt = fin
		s.Duration = fin.Sub(start).Seconds()
		s.Requests = atomic.LoadInt64(&r.reqs)
		switch {
		case err != nil:
			s.State, s.Failure = StateFailed, reason(err)
		case len(s.Errors) > 0:
			s.State = StateErrors
		default:
			s.State = StateOK
		}
	})
	final := r.rs.snapshot()
	// The outcome is kept even when the caller's context ended (Ctrl-C).
	bg := context.WithoutCancel(ctx)
	if err == nil {
		r.st.Incomplete = false
		if r.full {
			r.st.LastFull, r.st.ForceFull = start, false
		}
		r.saveState(bg)
	}
	b, _ := json.Marshal(final)
	if werr := r.s.PSA.DB.UpdateSyncJob(bg, r.rec.Name, "status", string(b)); werr != nil && err == nil {
		err = werr
	}
	outcome := final.State
	_ = r.s.PSA.DB.SaveSyncRun(bg, r.rec.Name, store.SyncRun{StartedAt: start, FinishedAt: fin, Outcome: outcome, Summary: string(b)})
	r.log.Info("sync run finished", slog.String("outcome", outcome), slog.Bool("full", r.full), slog.Int64("requests", final.Requests),
		slog.Float64("seconds", final.Duration), slog.Int("errors", len(final.Errors)))
	return final, nil // a failure is in the status
}

// failed is how many records of an entity have failed so far in this run.
func (r *runner) failed(entity string) int {
	r.rs.mu.Lock()
	defer r.rs.mu.Unlock()
	if c := r.rs.status.Counts[entity]; c != nil {
		return c.Failed
	}
	return 0
}

// observePacing keeps the remote's budget and the client's pacing in the status.
func (r *runner) observePacing() {
	if r.c == nil {
		return
	}
	t, delay, ok := r.c.Pacing()
	if !ok {
		return
	}
	r.rs.update(func(s *Status) {
		s.RemoteRequestsUsed, s.RemoteRequestThreshold = t.CurrentTimeframeRequestCount, t.ExternalRequestThreshold
		s.PacingMillis = max(s.PacingMillis, delay.Milliseconds())
	})
}

func (r *runner) saveState(ctx context.Context) {
	b, _ := json.Marshal(r.st)
	if err := r.s.PSA.DB.UpdateSyncJob(ctx, r.rec.Name, "state", string(b)); err != nil {
		r.log.Warn("saving sync state failed", slog.String("error", err.Error()))
	}
}

// beat writes the status to the database now and then, so that another process (the CLI
// asking for the status, the console) sees the progress.
func (r *runner) beat(ctx context.Context, force bool) {
	if !force && time.Since(r.lastBeat) < 2*time.Second {
		return
	}
	r.lastBeat = time.Now()
	snap := r.rs.snapshot()
	snap.Requests = atomic.LoadInt64(&r.reqs)
	snap.Heartbeat = time.Now().UTC()
	snap.Host, _ = os.Hostname()
	snap.PID = os.Getpid()
	b, _ := json.Marshal(snap)
	_ = r.s.PSA.DB.UpdateSyncJob(ctx, r.rec.Name, "status", string(b))
}

func (r *runner) sync(ctx context.Context, start time.Time) error {
	r.links = map[string]*linkSet{}
	r.seen = map[string]map[int64]bool{}
	r.remote = map[string]map[int64]map[string]any{}
	for _, sp := range specs {
		if err := r.loadLinks(ctx, sp.name); err != nil {
			return err
		}
		r.seen[sp.name] = map[int64]bool{}
	}
	for name := range lookups {
		if err := r.loadLinks(ctx, name); err != nil {
			return err
		}
	}
	if r.links["Companies"].byRemote[0] == nil {
		// Company 0 is the tenant's own company on both sides.
		r.links["Companies"].put(&store.SyncLink{Entity: "Companies", RemoteID: 0, LocalID: 0})
	}
	r.mappedFields()
	if err := r.loadPicklists(ctx); err != nil {
		return err
	}
	for _, sp := range specs {
		if err := r.pull(ctx, sp); err != nil {
			return err
		}
	}
	r.resolveDeferred(ctx)
	if r.full {
		if err := r.orphanUnseen(ctx); err != nil {
			return err
		}
	}
	if r.set.TwoWay {
		pushStart := time.Now().UTC()
		failedBefore := 0
		for _, sp := range specs {
			failedBefore += r.failed(sp.name)
		}
		failedAfter := 0
		for _, sp := range specs {
			if sp.twoWay {
				if err := r.push(ctx, sp); err != nil {
					return err
				}
			}
			failedAfter += r.failed(sp.name)
		}
		// A local edit that could not be pushed is looked at again next run.
		if failedAfter == failedBefore {
			r.st.LastPush = pushStart
		}
	}
	return nil
}

func (r *runner) loadLinks(ctx context.Context, entity string) error {
	list, err := r.s.PSA.DB.SyncLinks(ctx, r.rec.Name, entity)
	if err != nil {
		return err
	}
	ls := &linkSet{byRemote: make(map[int64]*store.SyncLink, len(list)), byLocal: make(map[int64]*store.SyncLink, len(list))}
	for i := range list {
		ls.put(&list[i])
	}
	r.links[entity] = ls
	return nil
}

// mappedFields decides, per entity, which local fields are synced: the writable ones, except
// references to collections the sync does not copy.
func (r *runner) mappedFields() {
	r.fields = map[string][]*catalog.Field{}
	synced := map[string]bool{}
	for _, sp := range specs {
		synced[sp.name] = true
	}
	for _, sp := range specs {
		e := r.s.PSA.Catalog.MustEntity(sp.name)
		for i := range e.Fields {
			f := &e.Fields[i]
			if f.ReadOnly || f.Name == "id" {
				continue
			}
			if f.Reference != "" && !synced[f.Reference] && !lookups[f.Reference] && !isAssignmentRole(sp.name, f.Name) {
				continue
			}
			r.fields[sp.name] = append(r.fields[sp.name], f)
		}
	}
}

// loadPicklists maps the remote's picklist values to the local tenant's by label (then by
// value), adding the labels the local tenant lacks.
func (r *runner) loadPicklists(ctx context.Context) error {
	r.picks = map[string]map[string]*pickMap{}
	for _, sp := range specs {
		var fields []*catalog.Field
		for _, f := range r.fields[sp.name] {
			if f.Picklist {
				fields = append(fields, f)
			}
		}
		if len(fields) == 0 {
			continue
		}
		// Parents before the fields they filter (issueType before subIssueType).
		sort.SliceStable(fields, func(i, j int) bool { return fields[i].PicklistParent == "" && fields[j].PicklistParent != "" })
		remote, err := r.c.Fields(ctx, sp.name)
		if err != nil {
			return fmt.Errorf("reading the picklists of %s from the remote: %w", sp.name, err)
		}
		byName := map[string]autotask.FieldInfo{}
		for _, f := range remote {
			byName[strings.ToLower(f.Name)] = f
		}
		e := r.s.PSA.Catalog.MustEntity(sp.name)
		r.picks[sp.name] = map[string]*pickMap{}
		for _, f := range fields {
			rf, ok := byName[strings.ToLower(f.Name)]
			if !ok || !rf.IsPickList {
				continue
			}
			pm := &pickMap{toLocal: map[int64]int64{}, toRemote: map[int64]int64{}}
			r.picks[sp.name][f.Name] = pm
			var parentMap *pickMap
			if f.PicklistParent != "" {
				parentMap = r.picks[sp.name][f.PicklistParent]
			}
			for _, rv := range rf.PicklistValues {
				v, err := strconv.ParseInt(rv.Value, 10, 64)
				if err != nil {
					continue
				}
				parent := parentMap.localParent(rv.ParentValue)
				local, err := r.s.PSA.Picklist(r.lctx, e, f.Name)
				if err != nil {
					return err
				}
				lv, found := matchPicklistLabel(local, rv.Label, parent)
				if !found {
					if lv, err = r.s.PSA.AddPicklistValue(r.lctx, e.Name, f.Name, rv.Label, v, parent); err != nil {
						return fmt.Errorf("adding %s.%s %q locally: %w", e.Name, f.Name, rv.Label, err)
					}
				}
				pm.toLocal[v] = lv
				if _, taken := pm.toRemote[lv]; !taken {
					pm.toRemote[lv] = v
				}
			}
		}
	}
	return nil
}

// remoteQuery is the query of one entity: the filters, and the changes since the last run.
func (r *runner) remoteQuery(sp spec) *autotask.Query {
	q := autotask.NewQuery()
	values := func(cs []Choice) []int64 {
		out := make([]int64, 0, len(cs))
		for _, c := range cs {
			out = append(out, c.Value)
		}
		return out
	}
	switch sp.name {
	case "Companies":
		if len(r.set.CompanyTypes) > 0 {
			q.Where(autotask.In("companyType", values(r.set.CompanyTypes)...))
		}
		if len(r.set.Classifications) > 0 {
			q.Where(autotask.In("classification", values(r.set.Classifications)...))
		}
	case "ConfigurationItems":
		if len(r.set.CITypes) > 0 {
			var ids []int64
			withDefault := false
			for _, c := range r.set.CITypes {
				if c.Value == 0 {
					withDefault = true
				} else {
					ids = append(ids, c.Value)
				}
			}
			switch {
			case withDefault && len(ids) > 0:
				q.Where(autotask.Or(autotask.In("configurationItemType", ids...), autotask.NotExist("configurationItemType")))
			case withDefault:
				q.Where(autotask.NotExist("configurationItemType"))
			default:
				q.Where(autotask.In("configurationItemType", ids...))
			}
		}
	case "Tickets":
		if len(r.set.Queues) > 0 {
			q.Where(autotask.In("queueID", values(r.set.Queues)...))
		}
	}
	if !r.full && sp.stamp != "" {
		if hw, ok := r.st.HighWater[sp.name]; ok && !hw.IsZero() {
			q.Where(autotask.Gt(sp.stamp, hw.Add(-Overlap)))
		}
	}
	return q
}

type page struct {
	items []json.RawMessage
	err   error
}

// pull copies what changed of one entity. Pages are read by id (the remote's nextPageUrl)
// one ahead of the local writes.
func (r *runner) pull(ctx context.Context, sp spec) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan page, 2)
	q := r.remoteQuery(sp)
	go func() {
		defer close(pages)
		p, err := r.c.Query(ctx, sp.name, q)
		for {
			if err != nil {
				pages <- page{err: err}
				return
			}
			select {
			case pages <- page{items: p.Items}:
			case <-ctx.Done():
				return
			}
			if p, err = r.c.NextPage(ctx, p); p == nil && err == nil {
				return
			}
		}
	}()
	total := 0
	if r.full && !r.st.LastFull.IsZero() {
		total = len(r.links[sp.name].byRemote) // what the previous runs found: an estimate
	}
	done := 0
	var high time.Time
	if hw, ok := r.st.HighWater[sp.name]; ok {
		high = hw
	}
	r.rs.progress(sp.name, "pull", 0, total)
	failedBefore := r.failed(sp.name)
	for pg := range pages {
		if pg.err != nil {
			return fmt.Errorf("reading %s from the remote: %w", sp.name, pg.err)
		}
		var batch []store.SyncLink
		for _, raw := range pg.items {
			item, err := decodeItem(raw)
			if err != nil {
				return fmt.Errorf("decoding a remote %s: %w", sp.name, err)
			}
			if sp.stamp != "" {
				if t, err := autotask.ParseTime(str(lookup(item, sp.stamp))); err == nil && t.After(high) {
					high = t
				}
			}
			if l := r.apply(ctx, sp, item); l != nil {
				batch = append(batch, *l)
			}
		}
		if err := r.s.PSA.DB.SaveSyncLinks(ctx, r.rec.Name, batch); err != nil {
			return err
		}
		done += len(pg.items)
		r.observePacing()
		r.rs.progress(sp.name, "pull", done, total)
		r.beat(ctx, false)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A record that failed is asked for again next run: the high-water mark stays where it was.
	if sp.stamp != "" && !high.IsZero() && r.failed(sp.name) == failedBefore {
		if r.st.HighWater == nil {
			r.st.HighWater = map[string]time.Time{}
		}
		r.st.HighWater[sp.name] = high
	}
	return nil
}

func decodeItem(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	err := dec.Decode(&m)
	return m, err
}

// lookup reads a key of a remote item, case-insensitively.
func lookup(item map[string]any, key string) any {
	if v, ok := item[key]; ok {
		return v
	}
	for k, v := range item {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// remoteHash is the hash of the mapped fields of a remote item.
func (r *runner) remoteHash(entity string, item map[string]any) string {
	h := sha256.New()
	for _, f := range r.fields[entity] {
		b, _ := json.Marshal(lookup(item, f.Name))
		fmt.Fprintf(h, "%s=%s;", f.Name, b)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// localHash is the hash of the mapped fields of a local row.
func (r *runner) localHash(entity string, row *store.Row) string {
	e := r.s.PSA.Catalog.MustEntity(entity)
	h := sha256.New()
	for _, f := range r.fields[entity] {
		v := row.Values[e.Index(f.Name)]
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(h, "%s=%T:%v;", f.Name, v, v)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// apply writes one remote item locally; it returns the link to save (nil when nothing
// changed or the item failed, which is counted).
func (r *runner) apply(ctx context.Context, sp spec, item map[string]any) *store.SyncLink {
	id, _ := num(lookup(item, "id"))
	ls := r.links[sp.name]
	link := ls.byRemote[id]
	label := sp.label(item)
	if sp.parent != "" {
		pid, _ := num(lookup(item, sp.parentField))
		pl := r.links[sp.parent].byRemote[pid]
		if pl == nil || pl.Orphaned {
			// Its parent is outside the filters: so is it.
			if link != nil && !link.Orphaned {
				link.Orphaned = true
				r.rs.count(sp.name, func(c *Counts) { c.Orphaned++ })
				return link
			}
			r.rs.count(sp.name, func(c *Counts) { c.Skipped++ })
			return nil
		}
	}
	r.seen[sp.name][id] = true
	if sp.name == "Companies" && id == 0 {
		return nil // each side keeps its own company 0; only the link between them is used
	}
	rh := r.remoteHash(sp.name, item)
	if link != nil && link.RemoteHash == rh && !link.Orphaned {
		r.rs.count(sp.name, func(c *Counts) { c.Unchanged++ })
		return nil
	}
	e := r.s.PSA.Catalog.MustEntity(sp.name)
	in, defs, unassigned, err := r.toLocal(ctx, sp, item)
	if err != nil {
		r.rs.fail(sp.name, RecordError{RemoteID: id, Name: label, Reason: reason(err)})
		return nil
	}
	var parent *psa.Parent
	if sp.child != "" {
		pe := r.s.PSA.Catalog.MustEntity(sp.parent)
		ch, _ := pe.Child(sp.child)
		pid, _ := num(lookup(item, sp.parentField))
		parent = &psa.Parent{Entity: pe, ID: r.links[sp.parent].byRemote[pid].LocalID, Child: ch}
	}
	var localID int64
	created := false
	if link != nil {
		row, gerr := r.s.PSA.DB.Get(r.lctx, e, link.LocalID)
		switch {
		case errors.Is(gerr, store.ErrNotFound):
			link = nil // deleted locally: copied again
		case gerr != nil:
			r.rs.fail(sp.name, RecordError{RemoteID: id, LocalID: link.LocalID, Name: label, Reason: reason(gerr)})
			return nil
		default:
			if sp.twoWay && r.set.TwoWay && r.localHash(sp.name, row) != link.LocalHash && !link.Orphaned {
				// Both sides changed since the last run: the remote wins.
				r.rs.count(sp.name, func(c *Counts) { c.Conflicts++ })
				r.log.Info("conflict: the remote wins", slog.String("entity", sp.name), slog.Int64("remote_id", id), slog.Int64("local_id", link.LocalID))
			}
			in.Set[e.IDIndex()] = link.LocalID
			if _, err := r.s.PSA.Update(r.lctx, e, in, parent, false); err != nil {
				r.rs.fail(sp.name, RecordError{RemoteID: id, LocalID: link.LocalID, Name: label, Reason: reason(err)})
				return nil
			}
			localID = link.LocalID
		}
	}
	// The local hash is that of what is written: every mapped field is in the input.
	row := store.NewRow(e)
	for i, v := range in.Set {
		row.Values[i] = v
	}
	nl := &store.SyncLink{Entity: sp.name, RemoteID: id, LocalID: localID, RemoteHash: rh, LocalHash: r.localHash(sp.name, row)}
	if unassigned != "" {
		// Never equal to a remote hash: the record is written again whenever the remote sends
		// it (every full pass), so that its assignment comes over once it can be kept.
		nl.RemoteHash = ""
	}
	if link == nil && sp.name == "CompanyLocations" {
		// A company made here got its primary location with it (as in Autotask): the remote
		// company's primary location becomes that one rather than a second primary.
		adopted, err := r.adoptPrimaryLocation(e, in, ls)
		if err != nil {
			r.rs.fail(sp.name, RecordError{RemoteID: id, Name: label, Reason: reason(err)})
			return nil
		}
		if adopted != 0 {
			nl.LocalID = adopted
			ls.put(nl)
			if cur, gerr := r.s.PSA.DB.Get(r.lctx, e, adopted); gerr == nil && r.localHash(sp.name, cur) == nl.LocalHash {
				// Already the same (a company pushed from here: the remote made its primary
				// location from the same values): only the link is new.
				r.rs.count(sp.name, func(c *Counts) { c.Unchanged++ })
				return nl
			}
			in.Set[e.IDIndex()] = adopted
			if _, err := r.s.PSA.Update(r.lctx, e, in, parent, false); err != nil {
				r.rs.fail(sp.name, RecordError{RemoteID: id, LocalID: adopted, Name: label, Reason: reason(err)})
				return nil
			}
			r.rs.count(sp.name, func(c *Counts) { c.Updated++ })
			return nl
		}
	}
	if link == nil {
		// The link commits with the local record, so a run killed at any point never copies
		// a record twice.
		localID, err = r.s.PSA.CreateThen(r.lctx, e, in, parent, func(tx *store.Tx, newID int64) error {
			nl.LocalID = newID
			return tx.SaveSyncLink(r.lctx, r.rec.Name, *nl)
		})
		if err != nil {
			r.rs.fail(sp.name, RecordError{RemoteID: id, Name: label, Reason: reason(err)})
			return nil
		}
		created = true
	}
	if unassigned != "" {
		r.rs.count(sp.name, func(c *Counts) { c.Unassigned++ })
		r.log.Info("synced without its assignment", slog.String("entity", sp.name), slog.String("ticket_number", str(lookup(item, "ticketNumber"))),
			slog.Int64("remote_id", id), slog.Int64("local_id", localID), slog.String("reason", unassigned))
	}
	for _, d := range defs {
		d.localID = localID
		r.deferred = append(r.deferred, d)
	}
	ls.put(nl)
	if created {
		r.rs.count(sp.name, func(c *Counts) { c.Created++ })
		return nil
	}
	r.rs.count(sp.name, func(c *Counts) { c.Updated++ })
	return nl
}

// toLocal translates a remote item into a local write: ids through the map, picklist values
// by label. References to records not synced yet are deferred.
//
// An assignment (resource and role) is kept only when it can be kept locally; otherwise both are
// cleared and unassigned says why (assign.go).
func (r *runner) toLocal(ctx context.Context, sp spec, item map[string]any) (in *psa.Input, defs []deferredRef, unassigned string, err error) {
	e := r.s.PSA.Catalog.MustEntity(sp.name)
	obj := map[string]any{}
	for _, f := range r.fields[sp.name] {
		v := lookup(item, f.Name)
		if v == nil {
			obj[f.Name] = nil
			continue
		}
		switch {
		case f.Picklist:
			n, ok := num(v)
			pm := r.picks[sp.name][f.Name]
			if !ok || pm == nil {
				obj[f.Name] = nil
				continue
			}
			lv, ok := pm.toLocal[n]
			if !ok {
				return nil, nil, "", fmt.Errorf("%s value %d is not in the remote's picklist", f.Name, n)
			}
			obj[f.Name] = lv
		case isAssignmentRole(sp.name, f.Name):
			obj[f.Name] = nil
			if n, ok := num(v); ok {
				if local, _ := r.localRole(ctx, n); local != 0 {
					obj[f.Name] = local
				}
			}
		case f.Reference != "":
			n, ok := num(v)
			if !ok {
				obj[f.Name] = nil
				continue
			}
			local, found, err := r.ref(ctx, f.Reference, n)
			if err != nil {
				return nil, nil, "", err
			}
			switch {
			case found:
				obj[f.Name] = local
			case f.Required && f.Reference == "Resources":
				obj[f.Name] = int64(1) // a remote API-only owner: the tenant's administrator
			case f.Required:
				return nil, nil, "", fmt.Errorf("%s %d is not synced", f.Name, n)
			default:
				obj[f.Name] = nil
				if !lookups[f.Reference] {
					defs = append(defs, deferredRef{entity: sp.name, field: f.Name, target: f.Reference, remoteTarget: n})
				}
			}
		default:
			obj[f.Name] = v
		}
	}
	if sp.name == "ConfigurationItems" && obj["configurationItemType"] == nil {
		// A CI with no type is kept, and shown as "Default".
		id, err := r.defaultCIType(ctx)
		if err != nil {
			return nil, nil, "", err
		}
		obj["configurationItemType"] = id
	}
	if unassigned, err = r.keepAssignment(ctx, sp.name, item, obj); err != nil {
		return nil, nil, "", err
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, "", err
	}
	in, err = atapi.DecodeEntity(b, e)
	return in, defs, unassigned, err
}

// ref finds the local id of a remote record of another entity: synced entities through the
// map, lookups (resources, products, CI types) by a key, copied when missing.
func (r *runner) ref(ctx context.Context, entity string, remoteID int64) (int64, bool, error) {
	if ls := r.links[entity]; ls != nil {
		if l := ls.byRemote[remoteID]; l != nil {
			return l.LocalID, true, nil
		}
	}
	if !lookups[entity] {
		return 0, false, nil
	}
	remote, err := r.readRemote(ctx, entity)
	if err != nil {
		return 0, false, err
	}
	item := remote[remoteID]
	if item == nil {
		return 0, false, nil
	}
	local, err := r.matchLookup(ctx, entity, item)
	if err != nil || local == 0 {
		return 0, false, err
	}
	l := &store.SyncLink{Entity: entity, RemoteID: remoteID, LocalID: local}
	r.links[entity].put(l)
	return local, true, r.s.PSA.DB.SaveSyncLinks(ctx, r.rec.Name, []store.SyncLink{*l})
}

// readRemote reads a whole reference collection of the remote (resources, roles...), once per
// run: a failed reading is not tried again by every record that needs it.
func (r *runner) readRemote(ctx context.Context, entity string) (map[int64]map[string]any, error) {
	if m := r.remote[entity]; m != nil {
		return m, nil
	}
	if err := r.remoteErr[entity]; err != nil {
		return nil, err
	}
	m := map[int64]map[string]any{}
	for raw, err := range r.c.All(ctx, entity, nil) {
		if err == nil {
			var item map[string]any
			if item, err = decodeItem(raw); err == nil {
				id, _ := num(lookup(item, "id"))
				m[id] = item
				continue
			}
		}
		if r.remoteErr == nil {
			r.remoteErr = map[string]error{}
		}
		r.remoteErr[entity] = fmt.Errorf("reading %s from the remote: %w", entity, err)
		return nil, r.remoteErr[entity]
	}
	r.remote[entity] = m
	return m, nil
}

// matchLookup finds or makes the local record of a remote resource (by email, then username),
// product or CI type (by name). Remote API-only users are not copied (0).
func (r *runner) matchLookup(ctx context.Context, entity string, item map[string]any) (int64, error) {
	e := r.s.PSA.Catalog.MustEntity(entity)
	find := func(field, value string) (int64, error) {
		if value == "" {
			return 0, nil
		}
		req := &query.Request{Filter: []*query.Node{{Op: "eq", Field: field, Value: value}}, FilterPresent: true}
		rows, err := r.s.PSA.Query(r.lctx, e, req, nil, 0, 1)
		if err != nil || len(rows) == 0 {
			return 0, err
		}
		return rows[0].ID(e), nil
	}
	switch entity {
	case "Resources":
		if lt, ok := num(lookup(item, "licenseType")); ok && lt == apiUserLicense {
			return 0, nil
		}
		email, user := str(lookup(item, "email")), str(lookup(item, "userName"))
		if id, err := find("email", email); id != 0 || err != nil {
			return id, err
		}
		if id, err := find("userName", user); id != 0 || err != nil {
			return id, err
		}
		return r.copyResource(ctx, item)
	default:
		name := str(lookup(item, "name"))
		if id, err := find("name", name); id != 0 || err != nil {
			return id, err
		}
		in := psa.NewInput()
		if i := e.Index("name"); i >= 0 { // the lookup entities are data-driven: each field is optional
			in.Set[i] = name
		}
		if i := e.Index("isActive"); i >= 0 {
			in.Set[i] = true
		}
		if i := e.Index("description"); i >= 0 && str(lookup(item, "description")) != "" {
			in.Set[i] = str(lookup(item, "description"))
		}
		return r.s.PSA.Create(r.lctx, e, in, nil)
	}
}

// copyResource makes a local resource for a remote one: no password (it cannot sign in until
// an administrator gives it one), Team Member level, the tenant's first internal location.
func (r *runner) copyResource(ctx context.Context, item map[string]any) (int64, error) {
	loc, err := r.copiedResourceLocation()
	if err != nil {
		return 0, err
	}
	user := str(lookup(item, "userName"))
	if user == "" {
		user = strings.Split(str(lookup(item, "email")), "@")[0]
	}
	in := admin.NewResource{FirstName: str(lookup(item, "firstName")), LastName: str(lookup(item, "lastName")), Email: str(lookup(item, "email")),
		Title: str(lookup(item, "title")), SecurityLevel: "Team Member (system)", LocationID: loc}
	for _, u := range []string{user, fmt.Sprintf("%s.t%d", user, r.rec.TenantID), fmt.Sprintf("%s.t%d.%d", user, r.rec.TenantID, time.Now().UnixNano()%100000)} {
		in.Username = u
		res, err := r.s.PSA.CreateResource(r.lctx, in)
		if err == nil {
			return res.ID, nil
		}
		if !strings.Contains(reason(err), "already in use") {
			return 0, fmt.Errorf("copying resource %s: %w", user, err)
		}
	}
	return 0, fmt.Errorf("copying resource %s: no free username", user)
}

// copiedResourceLocation is the tenant's first internal location, where copied resources go:
// read once a run, not for every resource copied (a failed read is tried again).
func (r *runner) copiedResourceLocation() (int64, error) {
	if r.copyLoc != 0 {
		return r.copyLoc, nil
	}
	locs := r.s.PSA.Catalog.MustEntity(internalLocations)
	rows, err := r.s.PSA.Query(r.lctx, locs, &query.Request{Filter: []*query.Node{{Op: "gte", Field: "id", Value: int64(0)}}, FilterPresent: true}, nil, 0, 1)
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, fmt.Errorf("the local tenant has no internal location for copied resources")
	}
	r.copyLoc = rows[0].ID(locs)
	return r.copyLoc, nil
}

// resolveDeferred sets the references that pointed at records synced later in the run.
func (r *runner) resolveDeferred(ctx context.Context) {
	for _, d := range r.deferred {
		l := r.links[d.target].byRemote[d.remoteTarget]
		if l == nil {
			continue
		}
		e := r.s.PSA.Catalog.MustEntity(d.entity)
		in := psa.NewInput()
		in.Set[e.IDIndex()] = d.localID
		in.Set[e.Index(d.field)] = l.LocalID
		if _, err := r.s.PSA.Update(r.lctx, e, in, nil, false); err != nil {
			r.rs.fail(d.entity, RecordError{LocalID: d.localID, Reason: d.field + ": " + reason(err)})
			continue
		}
		if own := r.links[d.entity].byLocal[d.localID]; own != nil {
			if row, err := r.s.PSA.DB.Get(r.lctx, e, d.localID); err == nil {
				own.LocalHash = r.localHash(d.entity, row)
				_ = r.s.PSA.DB.SaveSyncLinks(ctx, r.rec.Name, []store.SyncLink{*own})
			}
		}
	}
	r.deferred = nil
}

// orphanUnseen marks the records a full pass did not see — deleted remotely, or outside the
// filters — as orphaned. Their local records stay.
func (r *runner) orphanUnseen(ctx context.Context) error {
	for _, sp := range specs {
		var batch []store.SyncLink
		for id, l := range r.links[sp.name].byRemote {
			if !r.seen[sp.name][id] && !l.Orphaned {
				l.Orphaned = true
				batch = append(batch, *l)
			}
		}
		if len(batch) > 0 {
			r.rs.count(sp.name, func(c *Counts) { c.Orphaned += len(batch) })
			if err := r.s.PSA.DB.SaveSyncLinks(ctx, r.rec.Name, batch); err != nil {
				return err
			}
		}
	}
	return nil
}

// The collections and fields the engine names in code, checked against the catalog when the
// package starts: a wrong name stops the program there, not a sync run. (The database's
// catalog is catalog.Default.)
const internalLocations = "InternalLocations"

var (
	locationIsPrimary = catalog.MustIndex("CompanyLocations", "isPrimary")
	locationCompanyID = catalog.MustIndex("CompanyLocations", "companyID")
	_                 = catalog.Default.MustEntity(internalLocations)
)

// adoptPrimaryLocation finds the local primary location of the company a remote primary location
// belongs to, when no remote location is linked to it yet: the one made with the local company.
func (r *runner) adoptPrimaryLocation(e *catalog.Entity, in *psa.Input, ls *linkSet) (int64, error) {
	primary, company := in.Set[locationIsPrimary], in.Set[locationCompanyID]
	if primary != true || company == nil {
		return 0, nil
	}
	req := &query.Request{Filter: []*query.Node{{Op: "eq", Field: "companyID", Value: company}, {Op: "eq", Field: "isPrimary", Value: true}}, FilterPresent: true}
	rows, err := r.s.PSA.Query(r.lctx, e, req, nil, 0, 10)
	if err != nil {
		return 0, err
	}
	for _, row := range rows {
		if _, linked := ls.byLocal[row.ID(e)]; !linked {
			return row.ID(e), nil
		}
	}
	return 0, nil
}
