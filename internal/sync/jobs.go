// Package sync mirrors an Autotask-compatible tenant — a real Autotask, or another Switchboard —
// into a local tenant, and with two-way on pushes local edits back. A sync job pairs a
// connection (internal/connection) with a local tenant; runs go through the public autotask
// client library on the remote side and through the psa services on the local side, so every
// local write obeys the same rules as the API.
package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Errors of the service.
var (
	ErrNotFound = errors.New("no such sync job")
	ErrExists   = errors.New("sync job exists")
	ErrInvalid  = errors.New("invalid sync job")
	ErrRunning  = errors.New("sync job is running")
	ErrPaused   = errors.New("sync job is paused")
)

// Defaults of a job.
const (
	DefaultScheduleMinutes = 60
	DefaultFullPassHours   = 24
	// Overlap is how far before the latest change seen by the previous run an incremental run
	// starts, so that nothing changed while a run was reading is missed.
	Overlap = 10 * time.Minute
)

// Service manages sync jobs and runs them. The console and the CLI both use it.
type Service struct {
	PSA         *admin.Service
	Connections *connection.Service
	Logger      *slog.Logger
	// Transport, when set, sends the remote requests (tests count or throttle them).
	Transport http.RoundTripper

	mu      gosync.Mutex
	running map[string]*runState // by lower-case job name
}

// New returns the service.
func New(p *admin.Service, c *connection.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{PSA: p, Connections: c, Logger: log, running: map[string]*runState{}}
}

// Settings are what an administrator chooses for a job.
type Settings struct {
	// TwoWay pushes local edits of companies, locations, contacts and configuration items.
	TwoWay bool `json:"twoWay"`
	// TwoWaySince is when two-way was turned on: local records untouched since then are not
	// pushed.
	TwoWaySince time.Time `json:"twoWaySince,omitzero"`
	// DefaultAccountManager is the remote resource that owns companies created locally and
	// pushed to the remote (a non-API resource); 0 for none.
	DefaultAccountManager     int64  `json:"defaultAccountManager,omitempty"`
	DefaultAccountManagerName string `json:"defaultAccountManagerName,omitempty"`
	// Filters, as remote values (picklist values, or ConfigurationItemTypes ids where 0 is
	// "Default", a CI with no type). Empty: everything.
	CompanyTypes    []Choice `json:"companyTypes,omitempty"`
	Classifications []Choice `json:"classifications,omitempty"`
	CITypes         []Choice `json:"ciTypes,omitempty"`
	Queues          []Choice `json:"queues,omitempty"`
	// ScheduleMinutes is how often the job runs by itself (0: only on "Sync now").
	ScheduleMinutes int `json:"scheduleMinutes"`
	// FullPassHours is how often a run is a full pass, which finds deletions and records that
	// left the filters.
	FullPassHours int `json:"fullPassHours"`
}

// Choice is a filter value of the remote: its value (or id) and its label.
type Choice struct {
	Value int64  `json:"value"`
	Label string `json:"label"`
}

// state is what runs remember between them.
type state struct {
	// HighWater is, per entity, the latest remote modification time seen.
	HighWater map[string]time.Time `json:"highWater,omitempty"`
	// LastFull is when the latest complete full pass started.
	LastFull time.Time `json:"lastFull,omitzero"`
	// ForceFull makes the next run a full pass (set when the filters change).
	ForceFull bool `json:"forceFull,omitempty"`
	// LastPush is when the latest run looked for local edits (local clock).
	LastPush time.Time `json:"lastPush,omitzero"`
	// Incomplete is set while a run is under way; a run that finds it set resumes (a killed
	// run leaves it).
	Incomplete bool `json:"incomplete,omitempty"`
}

// Status states.
const (
	StateNever   = "never run"
	StateSyncing = "Syncing..."
	StateOK      = "OK"
	StateErrors  = "errors"
	StateFailed  = "failed"
)

// Status is what a job shows.
type Status struct {
	State      string    `json:"state"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// Duration is the run's length in seconds.
	Duration float64 `json:"durationSeconds,omitempty"`
	Full     bool    `json:"fullPass,omitempty"`
	// Progress is per entity while syncing (and at the end).
	Progress []Progress         `json:"progress,omitempty"`
	Counts   map[string]*Counts `json:"counts,omitempty"`
	Errors   []RecordError      `json:"errors,omitempty"`
	// Failure is why the run as a whole failed.
	Failure  string `json:"failure,omitempty"`
	Requests int64  `json:"requests,omitempty"`
	// The remote's hourly budget as ThresholdInformation last told it, and the longest pause
	// between requests the run kept to stay inside it (milliseconds).
	RemoteRequestsUsed     int   `json:"remoteRequestsUsed,omitempty"`
	RemoteRequestThreshold int   `json:"remoteRequestThreshold,omitempty"`
	PacingMillis           int64 `json:"pacingMillis,omitempty"`
	// Heartbeat is when a running job last wrote its status; a "Syncing..." status without
	// a recent heartbeat is a run that was killed.
	Heartbeat time.Time `json:"heartbeat,omitzero"`
	// Host and PID are the process running the job, so that a run killed on this machine is
	// known as such at once.
	Host string `json:"host,omitempty"`
	PID  int    `json:"pid,omitempty"`
}

// alive reports whether a "Syncing..." status belongs to a run that is still going: a recent
// heartbeat from a process that, on this machine, still exists.
func (s Status) alive() bool {
	if s.State != StateSyncing || time.Since(s.Heartbeat) > stale {
		return false
	}
	if host, _ := os.Hostname(); s.PID > 0 && s.Host == host && s.PID != os.Getpid() {
		return processExists(s.PID)
	}
	return true
}

// stale is how long without a heartbeat makes a "Syncing..." status a killed run.
const stale = 30 * time.Second

// Progress is how far a run has come with one entity. Total is an estimate (what the job
// holds from earlier runs), 0 when unknown.
type Progress struct {
	Entity string `json:"entity"`
	Done   int    `json:"done"`
	Total  int    `json:"total,omitempty"`
	Phase  string `json:"phase"` // "pull" or "push"
}

// Counts are what a run did with one entity.
type Counts struct {
	Created   int `json:"created,omitempty"`
	Updated   int `json:"updated,omitempty"`
	Unchanged int `json:"unchanged,omitempty"`
	Skipped   int `json:"skipped,omitempty"` // outside the filters
	Orphaned  int `json:"orphaned,omitempty"`
	Pushed    int `json:"pushed,omitempty"`
	Conflicts int `json:"conflicts,omitempty"` // both sides changed: the remote won
	Failed    int `json:"failed,omitempty"`
	// Unassigned is how many of the records written came without the remote's assignment
	// (resource and role), which could not be kept locally; they are also in Created or Updated.
	Unassigned int `json:"unassigned,omitempty"`
}

// RecordError names a record that could not be synced and why.
type RecordError struct {
	Entity   string `json:"entity"`
	RemoteID int64  `json:"remoteId,omitempty"`
	LocalID  int64  `json:"localId,omitempty"`
	Name     string `json:"name,omitempty"`
	Reason   string `json:"reason"`
}

func (e RecordError) String() string {
	who := e.Entity
	if e.Name != "" {
		who += " " + strconv.Quote(e.Name)
	}
	switch {
	case e.RemoteID != 0:
		who += fmt.Sprintf(" (remote id %d)", e.RemoteID)
	case e.LocalID != 0:
		who += fmt.Sprintf(" (local id %d)", e.LocalID)
	}
	return who + ": " + e.Reason
}

// Line is the status as one line, as the CLI and the console show it.
func (s Status) Line() string {
	switch s.State {
	case "", StateNever:
		return StateNever
	case StateSyncing:
		parts := []string{}
		for _, p := range s.Progress {
			if p.Total > 0 {
				parts = append(parts, fmt.Sprintf("%s %d/%d", p.Entity, p.Done, p.Total))
			} else {
				parts = append(parts, fmt.Sprintf("%s %d", p.Entity, p.Done))
			}
		}
		return strings.TrimSpace(StateSyncing + " " + strings.Join(parts, ", "))
	case StateFailed:
		return "Failed: " + s.Failure
	}
	var c Counts
	for _, x := range s.Counts {
		c.Created += x.Created
		c.Updated += x.Updated
		c.Pushed += x.Pushed
		c.Orphaned += x.Orphaned
		c.Conflicts += x.Conflicts
		c.Failed += x.Failed
		c.Unassigned += x.Unassigned
	}
	line := fmt.Sprintf("%d created, %d updated, %d pushed, %d orphaned, %d conflicts", c.Created, c.Updated, c.Pushed, c.Orphaned, c.Conflicts)
	if c.Unassigned > 0 {
		// Said only when it happened; the log names each record and why.
		line += fmt.Sprintf(", %d synced unassigned (their assignment could not be kept here; the log says why)", c.Unassigned)
	}
	line += fmt.Sprintf(" in %.1fs", s.Duration)
	if s.State == StateOK {
		return "OK: " + line
	}
	return fmt.Sprintf("%d errors: %s", len(s.Errors), line)
}

// Job is a sync job as the CLI and the console show it.
type Job struct {
	Name       string    `json:"name"`
	Connection string    `json:"connection"`
	Tenant     string    `json:"tenant"`
	TenantID   int64     `json:"tenantId"`
	Paused     bool      `json:"paused"`
	Settings   Settings  `json:"settings"`
	Status     Status    `json:"status"`
	NextRun    time.Time `json:"nextRun,omitzero"`
	CreatedAt  time.Time `json:"createdAt"`
}

// AddInput is what "sync add" takes. Filters and the default account manager are given as
// the remote's values, ids, labels or (for resources) usernames/emails; Add resolves them
// against the remote.
type AddInput struct {
	Name, Connection, Tenant string
	TwoWay                   bool
	DefaultAccountManager    string
	CompanyTypes             []string
	Classifications          []string
	CITypes                  []string
	Queues                   []string
	// ScheduleMinutes: nil for the default; 0 for manual runs only.
	ScheduleMinutes *int
	FullPassHours   int
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// client builds a client for a connection used for local tenant tenantID (which must own it,
// or it must be deployment-wide: connection.ErrOtherTenant otherwise), with the service's
// transport. tenantID store.AnyOwner is the operator asking without a tenant (sync options).
func (s *Service) client(ctx context.Context, conn string, tenantID int64, counter *int64) (*autotask.Client, error) {
	var cfg autotask.Config
	var err error
	if tenantID == store.AnyOwner {
		cfg, err = s.Connections.Config(ctx, conn)
	} else {
		cfg, err = s.Connections.ConfigFor(ctx, conn, tenantID)
	}
	if err != nil {
		return nil, err
	}
	base := s.Transport
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil && base == nil {
		base = cfg.HTTPClient.Transport
	}
	if base == nil {
		base = http.DefaultTransport
	}
	rt := base
	if counter != nil {
		rt = countingTransport{base: base, n: counter}
	}
	cfg.HTTPClient = &http.Client{Timeout: 6 * time.Minute, Transport: rt}
	cfg.Logger = s.Logger
	cfg.RetryBackoff = 500 * time.Millisecond
	cfg.MaxRetries = 10
	// The budget is read when a run starts and every 100 requests; a long run also every five
	// minutes (each reading is a request too, and P8 counts them).
	cfg.ThresholdCheckInterval = 5 * time.Minute
	return autotask.New(cfg)
}

// Add makes a job after checking the connection, the tenant, the filters and the default
// account manager against the remote.
func (s *Service) Add(ctx context.Context, in AddInput) (*Job, error) {
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "" || len(in.Name) > 100:
		return nil, invalid("a name of 1 to 100 characters is required")
	case strings.TrimSpace(in.Connection) == "":
		return nil, invalid("--connection is required")
	case strings.TrimSpace(in.Tenant) == "":
		return nil, invalid("--tenant is required")
	}
	tenant, err := s.PSA.DB.TenantByName(ctx, in.Tenant)
	if err != nil {
		return nil, invalid("there is no local tenant named %q", in.Tenant)
	}
	conn, err := s.Connections.Usable(ctx, in.Connection, tenant.ID)
	if err != nil {
		return nil, err
	}
	c, err := s.client(ctx, conn.Name, tenant.ID, nil)
	if err != nil {
		return nil, err
	}
	set := Settings{TwoWay: in.TwoWay, ScheduleMinutes: DefaultScheduleMinutes, FullPassHours: in.FullPassHours}
	if in.ScheduleMinutes != nil {
		if *in.ScheduleMinutes < 0 {
			return nil, invalid("the schedule must be 0 (manual) or a number of minutes")
		}
		set.ScheduleMinutes = *in.ScheduleMinutes
	}
	if set.FullPassHours <= 0 {
		set.FullPassHours = DefaultFullPassHours
	}
	if in.TwoWay {
		set.TwoWaySince = time.Now().UTC()
	}
	if err := s.resolveFilters(ctx, c, &set, in); err != nil {
		return nil, err
	}
	if in.DefaultAccountManager != "" {
		id, name, err := checkAccountManager(ctx, c, in.DefaultAccountManager)
		if err != nil {
			return nil, err
		}
		set.DefaultAccountManager, set.DefaultAccountManagerName = id, name
	}
	settings, _ := json.Marshal(set)
	rec := &store.SyncJob{Name: in.Name, Connection: conn.Name, TenantID: tenant.ID, Settings: string(settings)}
	if err := s.PSA.DB.CreateSyncJob(ctx, rec); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("%w: a sync job named %q exists", ErrExists, in.Name)
		}
		return nil, err
	}
	return s.Get(ctx, in.Name)
}

// checkAccountManager finds a remote resource by id, username or email and refuses API-only
// users, which cannot own companies.
func checkAccountManager(ctx context.Context, c *autotask.Client, ref string) (int64, string, error) {
	var q *autotask.Query
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
		q = autotask.NewQuery(autotask.Eq("id", n))
	} else if strings.Contains(ref, "@") {
		q = autotask.NewQuery(autotask.Or(autotask.Eq("email", ref), autotask.Eq("userName", ref)))
	} else {
		q = autotask.NewQuery(autotask.Eq("userName", ref))
	}
	p, err := c.Query(ctx, "Resources", q)
	if err != nil {
		return 0, "", fmt.Errorf("looking up the default account manager %q on the remote: %w", ref, err)
	}
	if len(p.Items) == 0 {
		return 0, "", invalid("the remote has no resource %q for the default account manager", ref)
	}
	var r struct {
		ID          int64  `json:"id"`
		FirstName   string `json:"firstName"`
		LastName    string `json:"lastName"`
		UserName    string `json:"userName"`
		LicenseType *int64 `json:"licenseType"`
		IsActive    bool   `json:"isActive"`
	}
	if err := json.Unmarshal(p.Items[0], &r); err != nil {
		return 0, "", err
	}
	name := strings.TrimSpace(r.FirstName + " " + r.LastName)
	if r.LicenseType != nil && *r.LicenseType == apiUserLicense {
		return 0, "", invalid("the default account manager must be a non-API resource: %s (%s, id %d) is an API-only user, and API users cannot own companies", name, r.UserName, r.ID)
	}
	if !r.IsActive {
		return 0, "", invalid("the default account manager %s (id %d) is inactive", name, r.ID)
	}
	return r.ID, name, nil
}

// apiUserLicense is Resources.licenseType of API-only users ("API User").
const apiUserLicense = 7

// Options are the filter choices the remote offers, from its own picklists.
type Options struct {
	CompanyTypes    []Choice `json:"companyTypes"`
	Classifications []Choice `json:"classifications"`
	CITypes         []Choice `json:"ciTypes"`
	Queues          []Choice `json:"queues"`
}

// Options reads the filter choices of a connection's remote tenant.
func (s *Service) Options(ctx context.Context, conn string) (*Options, error) {
	c, err := s.client(ctx, conn, store.AnyOwner, nil)
	if err != nil {
		return nil, err
	}
	return remoteOptions(ctx, c)
}

func remoteOptions(ctx context.Context, c *autotask.Client) (*Options, error) {
	o := &Options{}
	pick := func(entity, field string, dst *[]Choice) error {
		f, err := c.Field(ctx, entity, field)
		if err != nil {
			return fmt.Errorf("reading %s.%s from the remote: %w", entity, field, err)
		}
		for _, v := range f.PicklistValues {
			n, err := strconv.ParseInt(v.Value, 10, 64)
			if err == nil && v.IsActive {
				*dst = append(*dst, Choice{Value: n, Label: v.Label})
			}
		}
		return nil
	}
	if err := pick("Companies", "companyType", &o.CompanyTypes); err != nil {
		return nil, err
	}
	if err := pick("Companies", "classification", &o.Classifications); err != nil {
		return nil, err
	}
	if err := pick("Tickets", "queueID", &o.Queues); err != nil {
		return nil, err
	}
	o.CITypes = append(o.CITypes, Choice{Value: 0, Label: DefaultCIType})
	for raw, err := range c.All(ctx, "ConfigurationItemTypes", nil) {
		if err != nil {
			return nil, fmt.Errorf("reading ConfigurationItemTypes from the remote: %w", err)
		}
		var t struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		if json.Unmarshal(raw, &t) == nil {
			o.CITypes = append(o.CITypes, Choice{Value: t.ID, Label: t.Name})
		}
	}
	return o, nil
}

// DefaultCIType is how a configuration item with no type is shown, and chosen in the filter.
const DefaultCIType = "Default"

func (s *Service) resolveFilters(ctx context.Context, c *autotask.Client, set *Settings, in AddInput) error {
	if len(in.CompanyTypes)+len(in.Classifications)+len(in.CITypes)+len(in.Queues) == 0 {
		return nil
	}
	o, err := remoteOptions(ctx, c)
	if err != nil {
		return err
	}
	pick := func(what string, refs []string, from []Choice) ([]Choice, error) {
		var out []Choice
		for _, ref := range refs {
			ref = strings.TrimSpace(ref)
			if ref == "" {
				continue
			}
			found := false
			for _, ch := range from {
				if strings.EqualFold(ch.Label, ref) || strconv.FormatInt(ch.Value, 10) == ref {
					out, found = append(out, ch), true
					break
				}
			}
			if !found {
				labels := make([]string, len(from))
				for i, ch := range from {
					labels[i] = fmt.Sprintf("%q (%d)", ch.Label, ch.Value)
				}
				return nil, invalid("the remote has no %s %q; it offers %s", what, ref, strings.Join(labels, ", "))
			}
		}
		return out, nil
	}
	if set.CompanyTypes, err = pick("company type", in.CompanyTypes, o.CompanyTypes); err != nil {
		return err
	}
	if set.Classifications, err = pick("classification", in.Classifications, o.Classifications); err != nil {
		return err
	}
	if set.CITypes, err = pick("configuration item type", in.CITypes, o.CITypes); err != nil {
		return err
	}
	if set.Queues, err = pick("ticket queue", in.Queues, o.Queues); err != nil {
		return err
	}
	return nil
}

func (s *Service) record(ctx context.Context, name string) (*store.SyncJob, error) {
	rec, err := s.PSA.DB.SyncJob(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: there is no sync job named %q", ErrNotFound, name)
	}
	return rec, err
}

// tenantNames reads each tenant's name once for the jobs of one listing; a tenant that cannot be
// read has no name.
type tenantNames struct {
	s     *Service
	names map[int64]string
}

func (t *tenantNames) of(ctx context.Context, id int64) string {
	if name, ok := t.names[id]; ok {
		return name
	}
	var name string
	if tn, err := t.s.PSA.DB.TenantByID(ctx, id); err == nil {
		name = tn.Name
	}
	if t.names == nil {
		t.names = map[int64]string{}
	}
	t.names[id] = name
	return name
}

func (s *Service) view(ctx context.Context, rec *store.SyncJob, tenants *tenantNames) *Job {
	j := &Job{Name: rec.Name, Connection: rec.Connection, TenantID: rec.TenantID, Paused: rec.Paused, CreatedAt: rec.CreatedAt}
	_ = json.Unmarshal([]byte(rec.Settings), &j.Settings)
	_ = json.Unmarshal([]byte(rec.Status), &j.Status)
	if j.Status.State == "" {
		j.Status.State = StateNever
	}
	if j.Status.State == StateSyncing && !j.Status.alive() && !s.isRunning(rec.Name) {
		j.Status.State, j.Status.Failure = StateFailed, "the run was interrupted; the next run resumes it"
	}
	j.Tenant = tenants.of(ctx, rec.TenantID)
	s.mu.Lock()
	if r := s.running[strings.ToLower(rec.Name)]; r != nil {
		j.Status = r.snapshot()
	}
	s.mu.Unlock()
	if !j.Paused && j.Settings.ScheduleMinutes > 0 {
		last := j.Status.StartedAt
		if last.IsZero() {
			last = rec.CreatedAt
		}
		j.NextRun = last.Add(time.Duration(j.Settings.ScheduleMinutes) * time.Minute)
	}
	return j
}

// Get returns one job with its status.
func (s *Service) Get(ctx context.Context, name string) (*Job, error) {
	rec, err := s.record(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, rec, &tenantNames{s: s}), nil
}

// List returns every job.
func (s *Service) List(ctx context.Context) ([]*Job, error) {
	recs, err := s.PSA.DB.SyncJobs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Job, 0, len(recs))
	tenants := &tenantNames{s: s}
	for _, r := range recs {
		out = append(out, s.view(ctx, r, tenants))
	}
	return out, nil
}

// SetPaused pauses or resumes a job. Pausing keeps the data and the map; a paused job does not
// run on its schedule and refuses "Sync now".
func (s *Service) SetPaused(ctx context.Context, name string, paused bool) error {
	rec, err := s.record(ctx, name)
	if err != nil {
		return err
	}
	return s.PSA.DB.UpdateSyncJob(ctx, rec.Name, "paused", paused)
}

// Remove deletes a job with its map and log; the local records stay.
func (s *Service) Remove(ctx context.Context, name string) error {
	rec, err := s.record(ctx, name)
	if err != nil {
		return err
	}
	if s.isRunning(rec.Name) {
		return fmt.Errorf("%w: %q is running; wait for it to finish", ErrRunning, rec.Name)
	}
	return s.PSA.DB.DeleteSyncJob(ctx, rec.Name)
}

// Run is one entry of a job's log.
type Run struct {
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	Outcome    string    `json:"outcome"`
	Status     Status    `json:"status"`
}

// Runs returns a job's latest runs, newest first.
func (s *Service) Runs(ctx context.Context, name string, limit int) ([]Run, error) {
	rec, err := s.record(ctx, name)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	list, err := s.PSA.DB.SyncRuns(ctx, rec.Name, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Run, 0, len(list))
	for _, r := range list {
		run := Run{StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Outcome: r.Outcome}
		_ = json.Unmarshal([]byte(r.Summary), &run.Status)
		out = append(out, run)
	}
	return out, nil
}

// SetFilters changes a job's filters (remote values or labels) and makes the next run a full
// pass, so records that left the filters are orphaned and those that entered are copied.
func (s *Service) SetFilters(ctx context.Context, name string, in AddInput) (*Job, error) {
	rec, err := s.record(ctx, name)
	if err != nil {
		return nil, err
	}
	var set Settings
	_ = json.Unmarshal([]byte(rec.Settings), &set)
	c, err := s.client(ctx, rec.Connection, rec.TenantID, nil)
	if err != nil {
		return nil, err
	}
	set.CompanyTypes, set.Classifications, set.CITypes, set.Queues = nil, nil, nil, nil
	if err := s.resolveFilters(ctx, c, &set, in); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(set)
	if err := s.PSA.DB.UpdateSyncJob(ctx, rec.Name, "settings", string(b)); err != nil {
		return nil, err
	}
	var st state
	_ = json.Unmarshal([]byte(rec.State), &st)
	st.ForceFull = true
	sb, _ := json.Marshal(st)
	if err := s.PSA.DB.UpdateSyncJob(ctx, rec.Name, "state", string(sb)); err != nil {
		return nil, err
	}
	return s.Get(ctx, rec.Name)
}

// localCtx acts on the job's tenant as the system, stamped as the tenant's administrator.
func localCtx(ctx context.Context, tenant int64) context.Context {
	return psa.WithActor(store.WithTenant(ctx, tenant), psa.SystemActor)
}

type countingTransport struct {
	base http.RoundTripper
	n    *int64
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	addInt64(t.n, 1)
	return t.base.RoundTrip(r)
}

// reason turns an error into the words shown next to a record.
func reason(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return strings.Join(ae.Messages, "; ")
	}
	var api *autotask.APIError
	if errors.As(err, &api) {
		if len(api.Messages) > 0 {
			return fmt.Sprintf("remote answered %d: %s", api.StatusCode, strings.Join(api.Messages, "; "))
		}
		return fmt.Sprintf("remote answered %d", api.StatusCode)
	}
	return err.Error()
}
