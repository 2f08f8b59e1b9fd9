package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-psa/switchboard/autotask"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Kinds of receiving.
const (
	KindSMTP = "smtp" // mail arrives at the SMTP listener (serve --smtp-addr)
	KindIMAP = "imap" // Switchboard polls an IMAP account
)

// Defaults of a new mailbox.
const (
	DefaultSource    = 2  // Email
	DefaultStatus    = 1  // New
	DefaultPriority  = 2  // Medium
	DefaultRateLimit = 20 // messages per sender per hour that may reach the ticketing
	DefaultFolder    = "INBOX"
	DefaultProcessed = "Processed"
	DefaultPoll      = 60 // seconds between IMAP polls when the server has no IDLE
)

// Settings are a mailbox's ticket defaults, routing options and IMAP account.
type Settings struct {
	QueueID           int64 `json:"queueID,omitempty"` // 0: no queue
	Source            int64 `json:"source"`
	Status            int64 `json:"status"`
	Priority          int64 `json:"priority"`
	FallbackCompanyID int64 `json:"fallbackCompanyID"` // default 0, the tenant's own company
	// CreateContacts makes a contact for an unknown sender whose domain matched a company.
	CreateContacts bool `json:"createContacts"`
	// Domains are extra domains per company (domain → company id), beside the web addresses.
	Domains map[string]int64 `json:"domains,omitempty"`
	// RateLimit is how many messages one sender may send in an hour before the rest are held.
	RateLimit int `json:"rateLimit"`
	// InlineImages attaches images embedded in the body (signature logos too) as well.
	InlineImages bool `json:"inlineImages"`

	IMAPHost     string `json:"imapHost,omitempty"` // host:port
	IMAPUsername string `json:"imapUsername,omitempty"`
	// IMAPSecurity is tls (implicit, port 993), starttls, or none (only for a server on the
	// same host).
	IMAPSecurity  string `json:"imapSecurity,omitempty"`
	IMAPFolder    string `json:"imapFolder,omitempty"`
	IMAPProcessed string `json:"imapProcessedFolder,omitempty"`
	IMAPPoll      int    `json:"imapPollSeconds,omitempty"`
	// IMAPCAFile is a PEM file of certificate authorities to trust besides the system's.
	IMAPCAFile string `json:"imapCAFile,omitempty"`
}

// Mailbox is a mailbox as the CLI, the console and JSON show it (never the IMAP password).
type Mailbox struct {
	ID         int64  `json:"id"`
	Address    string `json:"address"`
	Kind       string `json:"kind"`
	TenantID   int64  `json:"tenantID,omitempty"`
	Tenant     string `json:"tenant,omitempty"`
	Connection string `json:"connection,omitempty"`
	Active     bool   `json:"active"`
	Settings
	HasIMAPPassword bool      `json:"hasImapPassword,omitempty"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// Target describes where the mailbox's tickets go, for people.
func (m *Mailbox) TargetText() string {
	if m.Connection != "" {
		return "connection " + m.Connection
	}
	return "tenant " + m.Tenant
}

// MailboxChange is what AddMailbox takes and EditMailbox changes; nil fields are left alone
// (on add: the defaults).
type MailboxChange struct {
	Address      *string
	Tenant       *string // tenant name
	Connection   *string // connection name; "" to go back to the local tenant
	Kind         *string
	Active       *bool
	QueueID      *int64
	Source       *int64
	Status       *int64
	Priority     *int64
	Fallback     *int64
	Create       *bool
	RateLimit    *int
	InlineImages *bool
	// AddDomains and RemoveDomains change the extra domains ("domain=companyID" to add).
	AddDomains    map[string]int64
	RemoveDomains []string

	IMAPHost      *string
	IMAPUsername  *string
	IMAPPassword  *string
	IMAPSecurity  *string
	IMAPFolder    *string
	IMAPProcessed *string
	IMAPPoll      *int
	IMAPCAFile    *string
}

// Service is email to ticket: mailboxes, receiving, routing and the processing log. The SMTP
// listener, the IMAP poller, the CLI and the console all call it.
type Service struct {
	DB          *store.DB
	PSA         *admin.Service
	Connections *connection.Service // nil: mailboxes cannot target connections
	Logger      *slog.Logger
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time

	mu      sync.Mutex
	clients map[string]*autotask.Client // by connection name
	budget  attachmentBudget
}

// NewService returns the service over an open database.
func NewService(p *admin.Service, conns *connection.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{DB: p.DB, PSA: p, Connections: conns, Logger: log}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func invalid(format string, args ...any) error { return apperr.Invalid(format, args...) }

func (s *Service) view(ctx context.Context, rec *store.Mailbox) (*Mailbox, error) {
	m := &Mailbox{ID: rec.ID, Address: rec.Address, Kind: rec.Kind, TenantID: rec.TenantID, Connection: rec.Connection,
		Active: rec.Active, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt, HasIMAPPassword: rec.SecretEnc != ""}
	if err := json.Unmarshal([]byte(rec.Settings), &m.Settings); err != nil {
		return nil, fmt.Errorf("mailbox %s: settings: %w", rec.Address, err)
	}
	if rec.TenantID != 0 {
		if t, err := s.DB.TenantByID(ctx, rec.TenantID); err == nil {
			m.Tenant = t.Name
		}
	}
	return m, nil
}

// ResolveMailbox finds a mailbox by id or address.
func (s *Service) record(ctx context.Context, ref string) (*store.Mailbox, error) {
	ref = strings.TrimSpace(ref)
	var rec *store.Mailbox
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		rec, err = s.DB.MailboxByID(ctx, id)
	} else {
		rec, err = s.DB.MailboxByAddress(ctx, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.New(404, "There is no mailbox %q.", ref)
	}
	return rec, err
}

// Mailbox returns one mailbox by id or address.
func (s *Service) Mailbox(ctx context.Context, ref string) (*Mailbox, error) {
	rec, err := s.record(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, rec)
}

// Mailboxes lists the mailboxes of a tenant (tenantID 0: every mailbox).
func (s *Service) Mailboxes(ctx context.Context, tenantID int64) ([]*Mailbox, error) {
	recs, err := s.DB.Mailboxes(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]*Mailbox, 0, len(recs))
	for _, r := range recs {
		m, err := s.view(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// AddMailbox creates a mailbox. An address and a tenant (or a connection) are all it needs: the
// rest has defaults (SMTP, source Email, status New, priority Medium, no queue, fallback
// company 0, 20 messages per sender per hour).
func (s *Service) AddMailbox(ctx context.Context, ch MailboxChange) (*Mailbox, error) {
	rec := &store.Mailbox{Kind: KindSMTP, Active: true}
	st := Settings{Source: DefaultSource, Status: DefaultStatus, Priority: DefaultPriority, RateLimit: DefaultRateLimit}
	if ch.Address == nil || strings.TrimSpace(*ch.Address) == "" {
		return nil, invalid("An address is required (--address support@example.com).")
	}
	if (ch.Tenant == nil || *ch.Tenant == "") && (ch.Connection == nil || *ch.Connection == "") {
		return nil, invalid("A target is required: --tenant NAME, or --connection NAME.")
	}
	if err := s.apply(ctx, rec, &st, ch); err != nil {
		return nil, err
	}
	if err := s.DB.CreateMailbox(ctx, rec); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, apperr.Invalid("A mailbox for %s exists.", rec.Address)
		}
		return nil, err
	}
	return s.view(ctx, rec)
}

// EditMailbox changes a mailbox.
func (s *Service) EditMailbox(ctx context.Context, ref string, ch MailboxChange) (*Mailbox, error) {
	rec, err := s.record(ctx, ref)
	if err != nil {
		return nil, err
	}
	var st Settings
	if err := json.Unmarshal([]byte(rec.Settings), &st); err != nil {
		return nil, err
	}
	if err := s.apply(ctx, rec, &st, ch); err != nil {
		return nil, err
	}
	if err := s.DB.UpdateMailbox(ctx, rec); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, apperr.Invalid("A mailbox for %s exists.", rec.Address)
		}
		return nil, err
	}
	return s.view(ctx, rec)
}

// RemoveMailbox deletes a mailbox and its log.
func (s *Service) RemoveMailbox(ctx context.Context, ref string) error {
	rec, err := s.record(ctx, ref)
	if err != nil {
		return err
	}
	return s.DB.DeleteMailbox(ctx, rec.ID)
}

func (s *Service) apply(ctx context.Context, rec *store.Mailbox, st *Settings, ch MailboxChange) error {
	if ch.Address != nil {
		a, err := mail.ParseAddress(strings.TrimSpace(*ch.Address))
		if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") {
			return invalid("%q is not an email address.", *ch.Address)
		}
		rec.Address = strings.ToLower(a.Address)
	}
	if ch.Tenant != nil {
		if *ch.Tenant == "" {
			rec.TenantID = 0
		} else {
			t, err := s.DB.TenantByName(ctx, *ch.Tenant)
			if err != nil {
				return invalid("There is no tenant named %q.", *ch.Tenant)
			}
			rec.TenantID = t.ID
		}
	}
	if ch.Connection != nil {
		name := strings.TrimSpace(*ch.Connection)
		if name != "" {
			if s.Connections == nil {
				return invalid("Connections are not available here.")
			}
			c, err := s.Connections.Get(ctx, name)
			if err != nil {
				return invalid("There is no connection named %q.", name)
			}
			name = c.Name
		}
		rec.Connection = name
		s.mu.Lock()
		delete(s.clients, strings.ToLower(name))
		s.mu.Unlock()
	}
	if rec.TenantID == 0 && rec.Connection == "" {
		return invalid("A mailbox needs a target: a tenant or a connection.")
	}
	if ch.Kind != nil {
		switch k := strings.ToLower(*ch.Kind); k {
		case KindSMTP, KindIMAP:
			rec.Kind = k
		default:
			return invalid("The kind %q is not smtp or imap.", *ch.Kind)
		}
	}
	if ch.Active != nil {
		rec.Active = *ch.Active
	}
	set := func(dst *int64, v *int64, what string, min int64) error {
		if v == nil {
			return nil
		}
		if *v < min {
			return invalid("The %s %d is not valid.", what, *v)
		}
		*dst = *v
		return nil
	}
	for _, f := range []struct {
		dst  *int64
		v    *int64
		what string
		min  int64
	}{{&st.QueueID, ch.QueueID, "queue", 0}, {&st.Source, ch.Source, "source", -2}, {&st.Status, ch.Status, "status", 1},
		{&st.Priority, ch.Priority, "priority", 1}, {&st.FallbackCompanyID, ch.Fallback, "fallback company", 0}} {
		if err := set(f.dst, f.v, f.what, f.min); err != nil {
			return err
		}
	}
	if ch.Create != nil {
		st.CreateContacts = *ch.Create
	}
	if ch.InlineImages != nil {
		st.InlineImages = *ch.InlineImages
	}
	if ch.RateLimit != nil {
		if *ch.RateLimit < 1 || *ch.RateLimit > 100000 {
			return invalid("The rate limit must be 1 to 100000 messages per sender per hour.")
		}
		st.RateLimit = *ch.RateLimit
	}
	for d, id := range ch.AddDomains {
		d = normalizeDomain(d)
		if d == "" || !strings.Contains(d, ".") || id < 0 {
			return invalid("The domain %q is not valid (give domain=companyID).", d)
		}
		if st.Domains == nil {
			st.Domains = map[string]int64{}
		}
		st.Domains[d] = id
	}
	for _, d := range ch.RemoveDomains {
		delete(st.Domains, normalizeDomain(d))
	}
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	str(&st.IMAPHost, ch.IMAPHost)
	str(&st.IMAPUsername, ch.IMAPUsername)
	str(&st.IMAPFolder, ch.IMAPFolder)
	str(&st.IMAPProcessed, ch.IMAPProcessed)
	str(&st.IMAPCAFile, ch.IMAPCAFile)
	if ch.IMAPSecurity != nil {
		switch v := strings.ToLower(strings.TrimSpace(*ch.IMAPSecurity)); v {
		case "tls", "starttls", "none":
			st.IMAPSecurity = v
		default:
			return invalid("The IMAP security %q is not tls, starttls or none.", *ch.IMAPSecurity)
		}
	}
	if ch.IMAPPoll != nil {
		if *ch.IMAPPoll < 5 || *ch.IMAPPoll > 86400 {
			return invalid("The IMAP poll interval must be 5 to 86400 seconds.")
		}
		st.IMAPPoll = *ch.IMAPPoll
	}
	if ch.IMAPPassword != nil {
		if *ch.IMAPPassword == "" {
			rec.SecretEnc = ""
		} else {
			if s.Connections == nil || s.Connections.Sealer == nil {
				return invalid("No secret key is available to store the IMAP password.")
			}
			enc, err := s.Connections.Sealer.Seal(mailboxSealName(rec.Address), *ch.IMAPPassword)
			if err != nil {
				return err
			}
			rec.SecretEnc = enc
		}
	}
	if rec.Kind == KindIMAP {
		if st.IMAPSecurity == "" {
			st.IMAPSecurity = "tls"
		}
		if st.IMAPFolder == "" {
			st.IMAPFolder = DefaultFolder
		}
		if st.IMAPProcessed == "" {
			st.IMAPProcessed = DefaultProcessed
		}
		if st.IMAPPoll == 0 {
			st.IMAPPoll = DefaultPoll
		}
		if st.IMAPHost == "" || st.IMAPUsername == "" {
			return invalid("An IMAP mailbox needs --imap-host host:port and --imap-username.")
		}
		if !strings.Contains(st.IMAPHost, ":") {
			if st.IMAPSecurity == "tls" {
				st.IMAPHost += ":993"
			} else {
				st.IMAPHost += ":143"
			}
		}
	}
	b, _ := json.Marshal(st)
	rec.Settings = string(b)
	return nil
}

// mailboxSealName binds an IMAP password's ciphertext to its mailbox, so it cannot be moved.
func mailboxSealName(address string) string { return "mailbox:" + strings.ToLower(address) }

func normalizeDomain(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimPrefix(d, "@")
	return strings.TrimSuffix(d, ".")
}

// SortedDomains lists the extra domains in order, as "domain=companyID".
func (st Settings) SortedDomains() []string {
	out := make([]string, 0, len(st.Domains))
	for d, id := range st.Domains {
		out = append(out, fmt.Sprintf("%s=%d", d, id))
	}
	sort.Strings(out)
	return out
}

// imapPassword decrypts a mailbox's IMAP password.
func (s *Service) imapPassword(rec *store.Mailbox) (string, error) {
	if rec.SecretEnc == "" {
		return "", nil
	}
	if s.Connections == nil || s.Connections.Sealer == nil {
		return "", errors.New("no secret key to open the IMAP password")
	}
	return s.Connections.Sealer.Open(mailboxSealName(rec.Address), rec.SecretEnc)
}

// target returns where a mailbox's ticket work goes.
func (s *Service) target(ctx context.Context, rec *store.Mailbox) (Target, error) {
	if rec.Connection == "" {
		return &LocalTarget{PSA: s.PSA, TenantID: rec.TenantID}, nil
	}
	key := strings.ToLower(rec.Connection)
	s.mu.Lock()
	c := s.clients[key]
	s.mu.Unlock()
	if c != nil {
		return &RemoteTarget{Client: c}, nil
	}
	if s.Connections == nil {
		return nil, errors.New("connections are not available")
	}
	cfg, err := s.Connections.Config(ctx, rec.Connection)
	if err != nil {
		return nil, err
	}
	c, err = autotask.New(cfg)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.clients == nil {
		s.clients = map[string]*autotask.Client{}
	}
	s.clients[key] = c
	s.mu.Unlock()
	return &RemoteTarget{Client: c}, nil
}
