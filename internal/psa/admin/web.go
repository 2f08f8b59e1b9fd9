package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// The rules of the web surfaces (internal/web): server-side sessions, who may use the console
// and its admin pages, own-password change, client-portal access of contacts and what a
// contact may see, and the "my tickets" list of the tile.

// Session kinds.
const (
	SessionConsole = "console"
	SessionPortal  = "portal"
)

// DefaultSessionTTL is how long a session lasts without use.
const DefaultSessionTTL = 8 * time.Hour

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartSession stores a new session and returns its token (the cookie) and CSRF token.
func (s *Service) StartSession(ctx context.Context, tenantID int64, kind string, subjectID int64, ttl time.Duration) (token string, sess *store.WebSession, err error) {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	token = randomToken()
	now := time.Now().UTC()
	if err := s.DB.DeleteExpiredWebSessions(ctx, now); err != nil { // keeps the table to live sessions
		return "", nil, err
	}
	sess = &store.WebSession{TokenHash: tokenHash(token), TenantID: tenantID, Kind: kind, SubjectID: subjectID, CSRF: randomToken(), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.DB.CreateWebSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// ErrNoSession is a missing, unknown or expired session.
var ErrNoSession = apperr.New(http.StatusUnauthorized, "Your session has ended: sign in again.")

// Session returns the live session of a token and slides its expiry (written at most once a
// minute); an expired one is deleted.
func (s *Service) Session(ctx context.Context, token string, ttl time.Duration) (*store.WebSession, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrNoSession
	}
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	sess, err := s.DB.WebSession(ctx, tokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	if !now.Before(sess.ExpiresAt) {
		_ = s.DB.DeleteWebSession(ctx, sess.TokenHash)
		return nil, ErrNoSession
	}
	if next := now.Add(ttl); next.Sub(sess.ExpiresAt) > time.Minute {
		sess.ExpiresAt = next
		if err := s.DB.ExtendWebSession(ctx, sess.TokenHash, next); err != nil {
			return nil, err
		}
	}
	return sess, nil
}

// EndSession signs a session out.
func (s *Service) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.DB.DeleteWebSession(ctx, tokenHash(token))
}

// ConsoleUser is a signed-in console resource with its rights.
type ConsoleUser struct {
	Tenant   *store.Tenant
	Resource *Resource
	Rights   *access.Rights
	Level    *access.Level

	resources *catalog.Entity // the Resources collection, resolved by New; set by ConsoleUserOf
}

// Admin reports whether the user may use the admin pages: its level grants adding resources
// (the Admin section), as System Administrator and Full Access do.
func (u *ConsoleUser) Admin() bool {
	return u.Level.Permission(u.resources).Add
}

// ConsoleUserOf loads the resource of a console session and checks it may still sign in:
// active, not locked, not API-only, with console sign-in.
func (s *Service) ConsoleUserOf(ctx context.Context, tenantID, resourceID int64) (*ConsoleUser, error) {
	ctx = store.WithTenant(ctx, tenantID)
	tenant, err := s.tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	sec, err := s.DB.ResourceSecurity(ctx, resourceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	if sec.APIOnly || sec.Locked || !sec.ConsoleLogin {
		return nil, ErrNoSession
	}
	subj, err := auth.LoadSubject(ctx, s.DB, tenant, resourceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	if !subj.Active {
		return nil, ErrNoSession
	}
	r, err := s.Resource(ctx, strconv.FormatInt(resourceID, 10))
	if err != nil {
		return nil, err
	}
	rights := &access.Rights{TenantID: tenantID, Parties: []access.Party{subj.Party}, Catalog: s.Catalog}
	return &ConsoleUser{Tenant: tenant, Resource: r, Rights: rights, Level: subj.Level, resources: s.f.resources}, nil
}

// ChangeOwnPassword is a signed-in resource changing its console password: the current one
// must be right, the new one follows the tenant's policy and differs from the last five. The
// resource's other sessions end.
func (s *Service) ChangeOwnPassword(ctx context.Context, resourceID int64, current, next, keepSession string) error {
	sec, err := s.DB.ResourceSecurity(ctx, resourceID)
	if err != nil {
		return err
	}
	if sec.PasswordHash == "" || !auth.VerifySecret(sec.PasswordHash, current) {
		return apperr.Invalid("The current password is not right.")
	}
	if next == "" {
		return apperr.Invalid("Enter a new password.")
	}
	if _, err := s.EditResource(ctx, strconv.FormatInt(resourceID, 10), ResourceChange{Password: next}); err != nil {
		return err
	}
	keep := ""
	if keepSession != "" {
		keep = tokenHash(keepSession)
	}
	return s.DB.DeleteWebSessionsOf(ctx, SessionConsole, resourceID, keep)
}

// PortalContact is a contact signed in to the client portal.
type PortalContact struct {
	TenantID  int64
	ContactID int64
	CompanyID int64
	Name      string
	Email     string
	Company   string
}

// PortalContactOf loads a contact for the portal; ErrNoSession when it no longer has access.
func (s *Service) PortalContactOf(ctx context.Context, tenantID, contactID int64) (*PortalContact, error) {
	ctx = store.WithTenant(ctx, tenantID)
	login, err := s.DB.PortalLogin(ctx, contactID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	if login.Locked {
		return nil, ErrNoSession
	}
	fc := s.f.contact
	row, err := s.DB.Get(ctx, s.f.contacts, contactID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	if active, _ := row.Values[fc.isActive].(int64); active == 0 {
		return nil, ErrNoSession
	}
	pc := &PortalContact{TenantID: tenantID, ContactID: contactID, Email: login.Email}
	pc.CompanyID, _ = row.Values[fc.companyID].(int64)
	first, _ := row.Values[fc.firstName].(string)
	last, _ := row.Values[fc.lastName].(string)
	pc.Name = strings.TrimSpace(first + " " + last)
	if c, err := s.DB.Get(ctx, s.f.companies, pc.CompanyID); err == nil {
		pc.Company, _ = c.Values[s.f.companyName].(string)
	}
	return pc, nil
}

// SetPortalAccess gives a contact client-portal access with a password (under the tenant's
// password policy); the contact signs in with its email address.
func (s *Service) SetPortalAccess(ctx context.Context, contactID int64, password string) error {
	tenant, err := s.tenantOf(ctx)
	if err != nil {
		return err
	}
	row, err := s.DB.Get(ctx, s.f.contacts, contactID)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.Invalid("There is no contact %d.", contactID)
	}
	if err != nil {
		return err
	}
	email, _ := row.Values[s.f.contact.email].(string)
	if strings.TrimSpace(email) == "" {
		return apperr.Invalid("The contact needs an email address to sign in to the client portal.")
	}
	if active, _ := row.Values[s.f.contact.isActive].(int64); active == 0 {
		return apperr.Invalid("The contact is inactive.")
	}
	if err := auth.CheckPassword(password, tenant.StrongPasswords); err != nil {
		return apperr.Invalid("%s.", upperFirst(err.Error()))
	}
	err = s.DB.SavePortalLogin(ctx, &store.PortalLogin{TenantID: tenant.ID, ContactID: contactID, Email: email, PasswordHash: auth.HashSecret(password)})
	if errors.Is(err, store.ErrConflict) {
		return apperr.Invalid("Another contact already signs in to the client portal with %s.", email)
	}
	if err != nil {
		return err
	}
	return s.DB.DeleteWebSessionsOf(ctx, SessionPortal, contactID, "")
}

// RemovePortalAccess takes a contact's client-portal access away and ends its sessions.
func (s *Service) RemovePortalAccess(ctx context.Context, contactID int64) error {
	if err := s.DB.DeletePortalLogin(ctx, contactID); err != nil {
		return err
	}
	return s.DB.DeleteWebSessionsOf(ctx, SessionPortal, contactID, "")
}

// PortalState is a contact's client-portal access as the console lists show it.
type PortalState struct {
	Has    bool // the contact has a portal login
	Locked bool // … locked after too many failed sign-ins
}

// PortalAccess reads the portal access of several contacts at once (the contacts of one page),
// in one query; a contact without access is absent from the answer, its zero PortalState.
func (s *Service) PortalAccess(ctx context.Context, contactIDs []int64) (map[int64]PortalState, error) {
	logins, err := s.DB.PortalLogins(ctx, contactIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]PortalState, len(logins))
	for id, l := range logins {
		out[id] = PortalState{Has: true, Locked: l.Locked}
	}
	return out, nil
}

var errPortalSignIn = apperr.New(http.StatusUnauthorized, "The email address or password is not valid.")

// PortalSignIn checks a contact's email and portal password. Failures count toward the tenant's
// lockout threshold and are recorded with the source address.
func (s *Service) PortalSignIn(ctx context.Context, email, password, remoteAddr string) (*PortalContact, error) {
	login, err := s.DB.PortalLoginByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		if _, err := s.verifySignIn(ctx, email, dummyHash, password); err != nil { // the same time as a known address
			return nil, err
		}
		return nil, errPortalSignIn
	}
	if err != nil {
		return nil, err
	}
	ctx = store.WithTenant(ctx, login.TenantID)
	tenant, err := s.tenant(ctx, login.TenantID)
	if err != nil {
		return nil, err
	}
	if login.Locked {
		return nil, apperr.New(http.StatusUnauthorized, "This portal account is locked: ask your service provider to unlock it.")
	}
	ok, err := s.verifySignIn(ctx, email, login.PasswordHash, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		login.FailedLogins++
		if login.FailedLogins >= tenant.LockoutThreshold {
			login.Locked = true
		}
		err := s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.RecordConsoleFailure(ctx, "portal:"+login.Email, remoteAddr) })
		if err == nil {
			err = s.DB.SavePortalLogin(ctx, login)
		}
		if err != nil {
			return nil, err
		}
		return nil, errPortalSignIn
	}
	if login.FailedLogins > 0 {
		login.FailedLogins = 0
		if err := s.DB.SavePortalLogin(ctx, login); err != nil {
			return nil, err
		}
	}
	return s.PortalContactOf(ctx, login.TenantID, login.ContactID)
}

var dummyHash = auth.HashSecret("switchboard-portal-timing")

// UnlockPortal clears a contact's portal lock.
func (s *Service) UnlockPortal(ctx context.Context, contactID int64) error {
	l, err := s.DB.PortalLogin(ctx, contactID)
	if err != nil {
		return err
	}
	l.Locked, l.FailedLogins = false, 0
	return s.DB.SavePortalLogin(ctx, l)
}

// PortalCtx is the context a portal contact's calls run in: the tenant, no resource, the
// contact stamped on what it creates.
func PortalCtx(ctx context.Context, pc *PortalContact) context.Context {
	return psa.WithActor(store.WithTenant(ctx, pc.TenantID), psa.Actor{ContactID: pc.ContactID})
}

func eqNode(field string, v any) *query.Node { return &query.Node{Op: "eq", Field: field, Value: v} }

// PortalTickets lists the tickets of the contact's company, newest first (at most limit).
func (s *Service) PortalTickets(ctx context.Context, pc *PortalContact, limit int) ([]*store.Row, error) {
	e := s.f.tickets
	rows, err := s.Query(PortalCtx(ctx, pc), e, &query.Request{FilterPresent: true, Filter: []*query.Node{eqNode("companyID", pc.CompanyID)}}, nil, -1, 1000)
	if err != nil {
		return nil, err
	}
	s.sortNewest(rows)
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	return rows, nil
}

// ErrTicketNotFound answers a ticket the caller may not see as if it did not exist.
var ErrTicketNotFound = apperr.New(http.StatusNotFound, "There is no such ticket.")

// PortalTicket reads one ticket of the contact's company and its published notes.
func (s *Service) PortalTicket(ctx context.Context, pc *PortalContact, id int64) (*store.Row, []*store.Row, error) {
	e := s.f.tickets
	ctx = PortalCtx(ctx, pc)
	row, err := s.Get(ctx, e, id, nil)
	if err != nil {
		return nil, nil, err
	}
	if row == nil {
		return nil, nil, ErrTicketNotFound
	}
	if c, _ := row.Values[s.f.ticket.companyID].(int64); c != pc.CompanyID {
		return nil, nil, ErrTicketNotFound
	}
	ne := s.f.notes
	notes, err := s.Query(ctx, ne, &query.Request{FilterPresent: true, Filter: []*query.Node{eqNode("ticketID", id)}}, nil, -1, 500)
	if err != nil {
		return nil, nil, err
	}
	published := notes[:0]
	for _, n := range notes {
		if p, _ := n.Values[s.f.note.publish].(int64); p == 1 {
			published = append(published, n)
		}
	}
	return row, published, nil
}

// PortalAddNote adds a published note by the contact to one of its company's tickets.
func (s *Service) PortalAddNote(ctx context.Context, pc *PortalContact, ticketID int64, title, text string) (int64, error) {
	if _, _, err := s.PortalTicket(ctx, pc, ticketID); err != nil {
		return 0, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, apperr.Invalid("Write the note before adding it.")
	}
	if strings.TrimSpace(title) == "" {
		title = "Note from " + pc.Name
	}
	te, ne, fn := s.f.tickets, s.f.notes, s.f.note
	in := psa.NewInput()
	in.Set[fn.title] = title
	in.Set[fn.description] = text
	in.Set[fn.noteType] = int64(13) // Client Portal Note
	in.Set[fn.publish] = int64(1)
	return s.Create(PortalCtx(ctx, pc), ne, in, &psa.Parent{Entity: te, ID: ticketID, Child: s.f.ticketNotes})
}

// PortalNewTicket creates a ticket for the contact's company from the portal.
func (s *Service) PortalNewTicket(ctx context.Context, pc *PortalContact, title, description string) (int64, error) {
	title, description = strings.TrimSpace(title), strings.TrimSpace(description)
	if title == "" {
		return 0, apperr.Invalid("A ticket needs a title.")
	}
	e, ft := s.f.tickets, s.f.ticket
	in := psa.NewInput()
	for i, v := range map[int]any{ft.companyID: pc.CompanyID, ft.contactID: pc.ContactID, ft.title: title, ft.description: description,
		ft.status: int64(1), ft.priority: int64(2), ft.queueID: int64(5), ft.source: int64(-1), ft.ticketType: int64(1)} {
		in.Set[i] = v
	}
	return s.Create(PortalCtx(ctx, pc), e, in, nil)
}

// recentOf is a ticket's last activity, or its creation when it has none.
func (s *Service) recentOf(r *store.Row) time.Time {
	for _, i := range []int{s.f.ticket.lastActivity, s.f.ticket.created} {
		if t, ok := r.Values[i].(time.Time); ok {
			return t
		}
	}
	return time.Time{}
}

// sortNewest sorts tickets by recentOf, newest first.
func (s *Service) sortNewest(rows []*store.Row) {
	slices.SortStableFunc(rows, func(a, b *store.Row) int { return s.recentOf(b).Compare(s.recentOf(a)) })
}

// TileTicket is one line of the "my tickets" tile.
type TileTicket struct {
	ID           int64     `json:"id"`
	TicketNumber string    `json:"ticketNumber"`
	Title        string    `json:"title"`
	Status       string    `json:"status"`
	Priority     string    `json:"priority"`
	LastActivity time.Time `json:"lastActivityDate"`
}

// TileDays is how far back the tile looks.
const TileDays = 90

// MyTickets lists the tickets of the one person with an email address, updated in the last 90
// days, newest first: as the ticket's contact when one contact has the address, else as
// assigned resource when one resource has it. No one, or more than one, is a clear error, never
// someone else's tickets. The rights in ctx (an API user's, or a console user's) decide what
// may be read; a portal contact (PortalCtx) sees tickets of its company only.
func (s *Service) MyTickets(ctx context.Context, email string, companyID int64) (who string, out []TileTicket, err error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", nil, apperr.Invalid("Give the email address of the person whose tickets to show.")
	}
	if len(email) > 254 || !strings.Contains(email, "@") {
		return "", nil, apperr.Invalid("%q is not an email address.", email)
	}
	match := func(e *catalog.Entity, field string) ([]*store.Row, error) {
		filter := []*query.Node{eqNode(field, email)}
		if e == s.f.contacts && companyID != 0 {
			filter = append(filter, eqNode("companyID", companyID))
		}
		return s.Query(ctx, e, &query.Request{FilterPresent: true, Filter: filter}, nil, -1, 3)
	}
	contacts, err := match(s.f.contacts, "emailAddress")
	if err != nil {
		return "", nil, err
	}
	field := "contactID"
	var id int64
	switch len(contacts) {
	case 1:
		id = contacts[0].ID(s.f.contacts)
		f, _ := contacts[0].Values[s.f.contact.firstName].(string)
		l, _ := contacts[0].Values[s.f.contact.lastName].(string)
		who = strings.TrimSpace(f + " " + l)
	case 0:
		if companyID != 0 {
			return "", nil, apperr.New(http.StatusNotFound, "No contact has the email address %s.", email)
		}
		res, err := match(s.f.resources, "email")
		if err != nil {
			return "", nil, err
		}
		switch len(res) {
		case 0:
			return "", nil, apperr.New(http.StatusNotFound, "No contact or resource has the email address %s.", email)
		case 1:
		default:
			return "", nil, apperr.New(http.StatusConflict, "More than one resource has the email address %s: tickets cannot be shown.", email)
		}
		id, field = res[0].ID(s.f.resources), "assignedResourceID"
		f, _ := res[0].Values[s.f.resource.firstName].(string)
		l, _ := res[0].Values[s.f.resource.lastName].(string)
		who = strings.TrimSpace(f + " " + l)
	default:
		return "", nil, apperr.New(http.StatusConflict, "More than one contact has the email address %s: tickets cannot be shown.", email)
	}
	e, ft := s.f.tickets, s.f.ticket
	since := time.Now().UTC().AddDate(0, 0, -TileDays)
	rows, err := s.Query(ctx, e, &query.Request{FilterPresent: true, Filter: []*query.Node{eqNode(field, id),
		{Op: "gte", Field: "lastActivityDate", Value: since.Format(time.RFC3339)}}}, nil, -1, 500)
	if err != nil {
		return "", nil, err
	}
	s.sortNewest(rows)
	labels := func(field string) map[int64]string {
		m := map[int64]string{}
		vals, _ := s.Picklist(ctx, e, field)
		for _, v := range vals {
			m[v.Value] = v.Label
		}
		return m
	}
	status, prio := labels("status"), labels("priority")
	out = []TileTicket{}
	for _, r := range rows {
		t := TileTicket{ID: r.ID(e), LastActivity: s.recentOf(r)}
		t.TicketNumber, _ = r.Values[ft.number].(string)
		t.Title, _ = r.Values[ft.title].(string)
		st, _ := r.Values[ft.status].(int64)
		pr, _ := r.Values[ft.priority].(int64)
		t.Status, t.Priority = status[st], prio[pr]
		out = append(out, t)
	}
	return who, out, nil
}
