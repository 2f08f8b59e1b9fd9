// Package connection keeps the connections of a Switchboard deployment to Autotask-compatible
// tenants — a real Autotask, or another Switchboard — and tests them with the autotask client
// library. A connection has an owner: a local tenant (made in that tenant's console, or by the
// operator with "connection add --tenant"), or none (tenant id 0: deployment-wide, made by the
// operator). A Service scoped with ForTenant (the console) sees and acts on its tenant's own
// connections only; any other is "not found". The integrations that pair a connection with a
// local tenant (sync) use ConfigFor/Usable, which allow the tenant's own connections and the
// deployment-wide ones. Names are unique across the deployment. The secret is stored encrypted
// (Sealer) and is never returned by List or Get; only Config, which builds a client, decrypts it.
package connection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Messages of a test, as the PSA shows them.
const (
	Established = "Connection was established"
	Failed      = "Failed to establish connection"
)

// Reasons a test failed.
const (
	ReasonWrongSecret     = "wrong secret"
	ReasonIntegrationCode = "wrong integration code"
	ReasonUnknownUser     = "unknown user"
	ReasonUnreachable     = "unreachable zone"
	ReasonPermission      = "permission denied"
	ReasonOther           = "error"
)

// Errors of the service.
var (
	ErrNotFound = errors.New("no such connection")
	ErrExists   = errors.New("connection exists")
	ErrInvalid  = errors.New("invalid connection")
	// ErrOtherTenant: a tenant's integration named a connection owned by another tenant.
	ErrOtherTenant = errors.New("connection of another tenant")
)

// Service manages connections.
type Service struct {
	DB     *store.DB
	Sealer *Sealer
	// HTTPClient is used by tests (nil: a client with a 30-second timeout).
	HTTPClient *http.Client
	Logger     *slog.Logger

	// scoped: the service acts for one tenant (ForTenant), whose id is tenant.
	scoped bool
	tenant int64
}

// ForTenant returns the service acting for one tenant, as its console does: it lists, tests,
// adds (as the owner) and removes that tenant's own connections only; a connection of another
// tenant, or a deployment-wide one, is ErrNotFound.
func (s *Service) ForTenant(id int64) *Service {
	c := *s
	c.scoped, c.tenant = true, id
	return &c
}

// owner is the owner the store matches: the tenant when scoped, any owner otherwise.
func (s *Service) owner() int64 {
	if s.scoped {
		return s.tenant
	}
	return store.AnyOwner
}

// Input is what a connection is made of. Secret is the plain secret; it is encrypted before
// it reaches the store.
type Input struct {
	Name, Username, Secret, IntegrationCode string
	// BaseURL skips zone discovery (e.g. https://webservices5.autotask.net/ATServicesRest/);
	// DiscoveryURL is where the zone is discovered when BaseURL is empty (Autotask's own when
	// empty too).
	BaseURL, DiscoveryURL string
	// TenantID is the owning tenant (0: deployment-wide). A service scoped with ForTenant
	// ignores it and makes its own tenant the owner.
	TenantID int64
}

// Connection is a stored connection without its secret.
type Connection struct {
	Name string `json:"name"`
	// TenantID is the owning tenant, 0 for a deployment-wide connection; Tenant is its name
	// where the caller filled it in (the command line).
	TenantID        int64       `json:"tenantId"`
	Tenant          string      `json:"tenant,omitempty"`
	Username        string      `json:"username"`
	IntegrationCode string      `json:"integrationCode"`
	BaseURL         string      `json:"baseUrl,omitempty"`
	DiscoveryURL    string      `json:"discoveryUrl,omitempty"`
	CreatedAt       time.Time   `json:"createdAt"`
	UpdatedAt       time.Time   `json:"updatedAt"`
	LastTest        *TestResult `json:"lastTest,omitempty"`
}

// TestResult is the outcome of a test.
type TestResult struct {
	OK bool `json:"ok"`
	// Message is Established or Failed.
	Message string `json:"message"`
	// Reason is one of the Reason constants when the test failed.
	Reason string `json:"reason,omitempty"`
	// Detail is what the server said (or why it could not be reached).
	Detail string `json:"detail,omitempty"`
	// Zone and URL are where the tenant was found.
	Zone string `json:"zone,omitempty"`
	URL  string `json:"url,omitempty"`
	// RequestsUsed and RequestThreshold are the tenant's hourly API budget at the time.
	RequestsUsed     int       `json:"requestsUsed,omitempty"`
	RequestThreshold int       `json:"requestThreshold,omitempty"`
	TestedAt         time.Time `json:"testedAt"`
}

// String is the result as one line: "Connection was established (…)" or "Failed to establish
// connection: reason (detail)".
func (r TestResult) String() string {
	if r.OK {
		return fmt.Sprintf("%s (zone %s, %s; %d of %d requests used this hour)", r.Message, r.Zone, r.URL, r.RequestsUsed, r.RequestThreshold)
	}
	if r.Detail == "" {
		return r.Message + ": " + r.Reason
	}
	return r.Message + ": " + r.Reason + " (" + r.Detail + ")"
}

// Add stores a new connection, or replaces the one of that name when replace is true.
func (s *Service) Add(ctx context.Context, in Input, replace bool) (*Connection, error) {
	in.Name = strings.TrimSpace(in.Name)
	if err := in.validate(); err != nil {
		return nil, err
	}
	enc, err := s.Sealer.Seal(in.Name, in.Secret)
	if err != nil {
		return nil, err
	}
	owner := in.TenantID
	if s.scoped {
		owner = s.tenant
	}
	if owner < 0 {
		return nil, fmt.Errorf("%w: tenant id %d", ErrInvalid, owner)
	}
	rec := &store.Connection{Name: in.Name, TenantID: owner, Username: strings.TrimSpace(in.Username), SecretEnc: enc,
		IntegrationCode: strings.TrimSpace(in.IntegrationCode), BaseURL: in.BaseURL, DiscoveryURL: in.DiscoveryURL}
	if err := s.DB.SaveConnection(ctx, rec, replace); err != nil {
		if errors.Is(err, store.ErrConflict) && replace {
			// Only a connection of another owner (or deployment-wide) is not replaced.
			return nil, fmt.Errorf("%w: the name %q is taken by a connection of another owner (names are unique across the deployment); choose another name", ErrExists, in.Name)
		}
		if errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("%w: a connection named %q exists (add --replace to replace it)", ErrExists, in.Name)
		}
		return nil, err
	}
	return view(rec), nil
}

func (in *Input) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case in.Name == "":
		return bad("a name is required")
	case len(in.Name) > 100:
		return bad("the name is longer than 100 characters")
	case strings.TrimSpace(in.Username) == "":
		return bad("the API user's username is required")
	case in.Secret == "":
		return bad("the secret is required")
	case strings.TrimSpace(in.IntegrationCode) == "":
		return bad("the integration code (API tracking identifier) is required")
	}
	for _, r := range in.Name {
		if r < ' ' || r == 0x7f {
			return bad("the name contains a control character")
		}
	}
	for _, u := range []struct {
		flag string
		v    *string
	}{{"base URL", &in.BaseURL}, {"discovery URL", &in.DiscoveryURL}} {
		*u.v = strings.TrimSpace(*u.v)
		if *u.v == "" {
			continue
		}
		p, err := url.Parse(*u.v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return bad("the %s %q is not an absolute http(s) URL", u.flag, *u.v)
		}
	}
	return nil
}

func view(c *store.Connection) *Connection {
	v := &Connection{Name: c.Name, TenantID: c.TenantID, Username: c.Username, IntegrationCode: c.IntegrationCode, BaseURL: c.BaseURL,
		DiscoveryURL: c.DiscoveryURL, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if !c.TestedAt.IsZero() {
		r := TestResult{OK: c.TestOK, Message: Failed, TestedAt: c.TestedAt}
		if c.TestOK {
			r.Message = Established
		}
		// The stored message is the whole line; keep the reason apart for JSON readers.
		rest, _ := strings.CutPrefix(c.TestMessage, Failed+": ")
		if !c.TestOK {
			r.Reason, r.Detail, _ = strings.Cut(rest, " (")
			r.Detail = strings.TrimSuffix(r.Detail, ")")
		}
		v.LastTest = &r
	}
	return v
}

// List returns the connections, by name: every one, or the tenant's own when scoped.
func (s *Service) List(ctx context.Context) ([]*Connection, error) {
	return s.ListOwned(ctx, s.owner())
}

// ListOwned returns the connections owned by owner (a tenant id, 0 for the deployment-wide ones,
// store.AnyOwner for all), by name. A scoped service lists its own tenant's whatever owner is.
func (s *Service) ListOwned(ctx context.Context, owner int64) ([]*Connection, error) {
	if s.scoped {
		owner = s.tenant
	}
	recs, err := s.DB.Connections(ctx, owner)
	if err != nil {
		return nil, err
	}
	out := make([]*Connection, 0, len(recs))
	for _, r := range recs {
		out = append(out, view(r))
	}
	return out, nil
}

func (s *Service) record(ctx context.Context, name string) (*store.Connection, error) {
	rec, err := s.DB.ConnectionByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.scoped && rec.TenantID != s.tenant) {
		return nil, fmt.Errorf("%w: there is no connection named %q", ErrNotFound, name)
	}
	return rec, err
}

// usable finds the connection a job or integration of local tenant tenantID may use: one the
// tenant owns or a deployment-wide one; another tenant's is ErrOtherTenant.
func (s *Service) usable(ctx context.Context, name string, tenantID int64) (*store.Connection, error) {
	rec, err := s.record(ctx, name)
	if err != nil {
		return nil, err
	}
	if rec.TenantID != 0 && rec.TenantID != tenantID {
		return nil, fmt.Errorf("%w: connection %q belongs to another tenant; a tenant may use only its own connections and the deployment-wide ones", ErrOtherTenant, rec.Name)
	}
	return rec, nil
}

// Usable returns the connection (without its secret) if local tenant tenantID may use it: one
// the tenant owns or a deployment-wide one; another tenant's is ErrOtherTenant.
func (s *Service) Usable(ctx context.Context, name string, tenantID int64) (*Connection, error) {
	rec, err := s.usable(ctx, name, tenantID)
	if err != nil {
		return nil, err
	}
	return view(rec), nil
}

// Get returns one connection (name case-insensitive), without its secret.
func (s *Service) Get(ctx context.Context, name string) (*Connection, error) {
	rec, err := s.record(ctx, name)
	if err != nil {
		return nil, err
	}
	return view(rec), nil
}

// Remove deletes a connection.
func (s *Service) Remove(ctx context.Context, name string) error {
	if _, err := s.record(ctx, name); err != nil {
		return err
	}
	if err := s.DB.DeleteConnection(ctx, name, s.owner()); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: there is no connection named %q", ErrNotFound, name)
	} else if err != nil {
		return err
	}
	return nil
}

// Config returns a client configuration for the connection, with its secret decrypted.
func (s *Service) Config(ctx context.Context, name string) (autotask.Config, error) {
	rec, err := s.record(ctx, name)
	if err != nil {
		return autotask.Config{}, err
	}
	return s.config(rec)
}

// ConfigFor is Config for an integration of local tenant tenantID: the connection must be the
// tenant's own or deployment-wide (ErrOtherTenant otherwise).
func (s *Service) ConfigFor(ctx context.Context, name string, tenantID int64) (autotask.Config, error) {
	rec, err := s.usable(ctx, name, tenantID)
	if err != nil {
		return autotask.Config{}, err
	}
	return s.config(rec)
}

func (s *Service) config(rec *store.Connection) (autotask.Config, error) {
	secret, err := s.Sealer.Open(rec.Name, rec.SecretEnc)
	if err != nil {
		return autotask.Config{}, fmt.Errorf("connection %q: %w", rec.Name, err)
	}
	return autotask.Config{Username: rec.Username, Secret: secret, IntegrationCode: rec.IntegrationCode,
		BaseURL: rec.BaseURL, DiscoveryURL: rec.DiscoveryURL, HTTPClient: s.HTTPClient, Logger: s.Logger}, nil
}

// Test tries the connection and keeps the outcome with it.
func (s *Service) Test(ctx context.Context, name string) (TestResult, error) {
	cfg, err := s.Config(ctx, name)
	if err != nil {
		return TestResult{}, err
	}
	r := Test(ctx, cfg)
	rec, err := s.record(ctx, name)
	if err != nil {
		return r, err
	}
	if err := s.DB.RecordConnectionTest(ctx, rec.Name, s.owner(), r.TestedAt, r.OK, r.String()); err != nil {
		return r, err
	}
	return r, nil
}

// Test checks a client configuration: zone discovery (unless it has a base URL), then one
// cheap authenticated call, GET ThresholdInformation. Nothing is retried, so a failure shows
// at once.
func Test(ctx context.Context, cfg autotask.Config) TestResult {
	r := TestResult{Message: Failed, TestedAt: time.Now().UTC()}
	cfg.MaxRetries = -1
	cfg.ThresholdCheckEvery = -1
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := autotask.New(cfg)
	if err != nil {
		r.Reason, r.Detail = ReasonOther, err.Error()
		return r
	}
	zone, err := c.Zone(ctx)
	if err == nil {
		r.Zone, r.URL = zone.ZoneName, zone.URL
		var t autotask.ThresholdInfo
		if t, err = c.ThresholdInformation(ctx); err == nil {
			r.OK, r.Message = true, Established
			r.RequestsUsed, r.RequestThreshold = t.CurrentTimeframeRequestCount, t.ExternalRequestThreshold
			if r.Zone == "" {
				r.Zone = "given by base URL"
			}
			return r
		}
	}
	r.Reason, r.Detail = Classify(err)
	return r
}

// Classify names why a call failed, for people: one of the Reason constants, and the server's
// own words (or the network error) as detail.
func Classify(err error) (reason, detail string) {
	var apiErr *autotask.APIError
	isAPI := errors.As(err, &apiErr)
	if isAPI {
		detail = strings.Join(apiErr.Messages, "; ")
		if detail == "" {
			detail = fmt.Sprintf("HTTP %d", apiErr.StatusCode)
		}
	}
	switch {
	case errors.Is(err, autotask.ErrIntegrationCode):
		return ReasonIntegrationCode, detail
	case errors.Is(err, autotask.ErrAuthentication):
		return ReasonWrongSecret, detail
	case errors.Is(err, autotask.ErrZone) && isAPI:
		// The server answered and does not know the user.
		return ReasonUnknownUser, detail
	case errors.Is(err, autotask.ErrPermission):
		return ReasonPermission, detail
	case !isAPI && isNetwork(err):
		return ReasonUnreachable, networkDetail(err)
	case isAPI:
		return ReasonOther, fmt.Sprintf("HTTP %d: %s", apiErr.StatusCode, detail)
	}
	return ReasonOther, err.Error()
}

func isNetwork(err error) bool {
	var netErr net.Error
	var urlErr *url.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	return errors.As(err, &netErr) || errors.As(err, &urlErr) || errors.As(err, &opErr) || errors.As(err, &dnsErr) ||
		errors.Is(err, context.DeadlineExceeded)
}

// networkDetail keeps the useful end of a network error ("dial tcp 127.0.0.1:1: connect:
// connection refused") without repeating the library's prefixes.
func networkDetail(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Op + " " + stripQuery(urlErr.URL) + ": " + urlErr.Err.Error()
	}
	return err.Error()
}

func stripQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
