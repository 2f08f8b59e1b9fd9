// Package web is Switchboard's browser interface: the admin console and service desk for the
// MSP's resources, the client portal for its customers' contacts, and the "my tickets" tile an
// intranet embeds. Pages are rendered on the server (html/template, files embedded), with a
// little hand-written JavaScript and SVG charts drawn here; every read and write goes through
// the same psa services and rights as the REST API.
package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/mail"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
	"github.com/switchboard-psa/switchboard/internal/sync"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the web interface.
type Options struct {
	Logger *slog.Logger
	// SessionTTL is how long a console or portal session lasts unused (default 8 hours).
	SessionTTL time.Duration
	// FrameAncestors are the origins allowed to embed the tile in an <iframe> (CSP
	// frame-ancestors); empty: none.
	FrameAncestors []string
	// Connections, when set, is managed on the Integrations page.
	Connections *connection.Service
	// Mail and Sync, when set, show the tenant's mailboxes (email to ticket) and sync jobs on
	// the Integrations page. Both services are deployment-wide; the pages scope them to the
	// signed-in user's tenant.
	Mail *mail.Service
	Sync *sync.Service
	// Version is shown in the footer.
	Version string
	// AdminLinks are pages other features add to the Admin menu (limits and webhooks, email,
	// sync...), under "Extensions & Integrations".
	AdminLinks []Link
}

// Link is an entry of the Admin menu.
type Link struct {
	Title, Href, Description string
}

// Handler serves the console, the portal and the tile.
type Handler struct {
	svc   *admin.Service
	auth  *auth.Authenticator
	opt   Options
	pages map[string]*template.Template
	mux   *http.ServeMux
}

const (
	consoleCookie = "sb_console"
	portalCookie  = "sb_portal"
	preCookie     = "sb_csrf" // double-submit token of the sign-in forms (no session yet)
	maxForm       = 1 << 20
)

// New builds the handler.
func New(svc *admin.Service, auth *auth.Authenticator, opt Options) *Handler {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = admin.DefaultSessionTTL
	}
	h := &Handler{svc: svc, auth: auth, opt: opt, pages: map[string]*template.Template{}}
	h.parse()
	h.routes()
	return h
}

var funcs = template.FuncMap{
	"fmtTime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"count": thousands,
	"join":  strings.Join,
	"lower": strings.ToLower,
	"add":   func(a, b int) int { return a + b },
	"has": func(list []int64, v int64) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	},
	"pathEscape":  url.PathEscape,
	"queryEscape": url.QueryEscape,
	"color":       legendColor,
	"safeSVG":     func(s string) template.HTML { return template.HTML(s) }, // built by chart.go, every text escaped
}

func (h *Handler) parse() {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/_*.html"))
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		name := path.Base(n)
		if strings.HasPrefix(name, "_") {
			continue
		}
		t := template.Must(base.Clone())
		template.Must(t.ParseFS(templateFS, n))
		h.pages[strings.TrimSuffix(name, ".html")] = t
	}
}

// ServeHTTP answers with security headers on every page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	frame := "'none'"
	if isTile(r.URL.Path) && len(h.opt.FrameAncestors) > 0 {
		frame = strings.Join(h.opt.FrameAncestors, " ")
	} else if !isTile(r.URL.Path) {
		hd.Set("X-Frame-Options", "DENY")
	}
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors "+frame)
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	}
	// The client portal's Autotask paths are matched without regard to case.
	if p := strings.ToLower(r.URL.Path); strings.HasPrefix(p, "/clientportal") {
		h.portal(w, r, p)
		return
	}
	h.mux.ServeHTTP(w, r)
}

func isTile(p string) bool { return strings.HasPrefix(p, "/tile/") }

func (h *Handler) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	fileServer := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	m.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	}))
	m.HandleFunc("GET /signin", h.signInPage)
	m.HandleFunc("POST /signin", h.signIn)
	m.HandleFunc("POST /signout", h.signOut)
	m.HandleFunc("GET /{$}", h.console(h.home))
	m.HandleFunc("GET /account/password", h.console(h.passwordPage))
	m.HandleFunc("POST /account/password", h.console(h.changePassword))

	// Admin (Account Settings & Users)
	m.HandleFunc("GET /admin", h.admin(h.adminHome))
	m.HandleFunc("GET /admin/resources", h.admin(h.resourcesPage))
	m.HandleFunc("GET /admin/resources/new", h.admin(h.newResourcePage))
	m.HandleFunc("POST /admin/resources/new", h.admin(h.createResource))
	m.HandleFunc("GET /admin/resources/{id}", h.admin(h.resourcePage))
	m.HandleFunc("POST /admin/resources/{id}", h.admin(h.resourceAction))
	m.HandleFunc("GET /admin/apiusers/new", h.admin(h.newAPIUserPage))
	m.HandleFunc("POST /admin/apiusers/new", h.admin(h.createAPIUser))
	m.HandleFunc("POST /admin/generate/{what}", h.admin(h.generate))
	m.HandleFunc("GET /admin/security-levels", h.admin(h.levelsPage))
	m.HandleFunc("POST /admin/security-levels/copy", h.admin(h.copyLevel))
	m.HandleFunc("GET /admin/security-levels/{id}", h.admin(h.levelPage))
	m.HandleFunc("POST /admin/security-levels/{id}", h.admin(h.changeLevel))
	m.HandleFunc("GET /admin/vendors", h.admin(h.vendorsPage))
	m.HandleFunc("POST /admin/vendors", h.admin(h.vendorAction))
	m.HandleFunc("GET /admin/integrations", h.admin(h.integrationsPage))
	m.HandleFunc("POST /admin/integrations", h.admin(h.integrationAction))
	// Integrations › Mailboxes and Sync jobs (admin_integrations.go)
	m.HandleFunc("GET /admin/integrations/mailboxes", h.admin(h.mailboxesPage))
	m.HandleFunc("POST /admin/integrations/mailboxes", h.admin(h.mailboxAction))
	m.HandleFunc("GET /admin/integrations/sync", h.admin(h.syncPage))
	m.HandleFunc("POST /admin/integrations/sync", h.admin(h.syncAction))
	m.HandleFunc("GET /admin/api-usage", h.admin(h.usagePage))
	m.HandleFunc("GET /admin/settings", h.admin(h.settingsPage))
	m.HandleFunc("POST /admin/settings", h.admin(h.saveSettings))

	// Service desk and CRM
	m.HandleFunc("GET /desk/tickets", h.console(h.ticketsPage))
	m.HandleFunc("GET /desk/tickets/new", h.console(h.newTicketPage))
	m.HandleFunc("POST /desk/tickets/new", h.console(h.createTicket))
	m.HandleFunc("GET /desk/tickets/{id}", h.console(h.ticketPage))
	m.HandleFunc("POST /desk/tickets/{id}", h.console(h.ticketAction))
	m.HandleFunc("GET /crm/companies", h.console(h.companiesPage))
	m.HandleFunc("GET /crm/companies/{id}", h.console(h.companyPage))
	m.HandleFunc("GET /crm/cis", h.console(h.cisPage))
	m.HandleFunc("GET /admin/org", h.admin(h.orgPage))
	m.HandleFunc("POST /admin/org", h.admin(h.orgAction))
	m.HandleFunc("GET /admin/picklists", h.admin(h.picklistsPage))
	m.HandleFunc("GET /admin/udfs", h.admin(h.udfsPage))
	m.HandleFunc("GET /crm/contacts", h.console(h.contactsPage))
	m.HandleFunc("GET /crm/contacts/{id}", h.console(h.contactPage))
	m.HandleFunc("POST /crm/contacts/{id}", h.admin(h.contactAction))

	// CRM create and edit (crm.go, cis.go), picklist editing, UDF definitions (setup.go)
	for _, f := range []*entityForm{companyForm, contactForm, ciForm} {
		h.recordRoutes(m, f)
	}
	m.HandleFunc("GET /admin/picklists/{entity}/{field}", h.admin(h.picklistPage))
	m.HandleFunc("POST /admin/picklists/{entity}/{field}", h.admin(h.picklistAction))
	m.HandleFunc("GET /admin/udfs/new", h.admin(h.newUDFPage))
	m.HandleFunc("POST /admin/udfs/new", h.admin(h.createUDF))

	// Configuration items: detail, New and Edit (cis.go)
	m.HandleFunc("GET /crm/lookup/{kind}", h.lookupRoute())
	m.HandleFunc("GET /crm/cis/{id}", h.console(h.ciPage))

	// The tile
	m.HandleFunc("GET /tile/my-tickets", h.tile)
	m.HandleFunc("GET /tile/my-tickets.json", h.tileJSON)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.render(w, r, http.StatusNotFound, "message", &page{Title: "Page not found", Message: "There is no page at this address."})
	})
	h.mux = m
}

// page is what every template gets.
type page struct {
	Title   string
	Section string // the navigation entry to highlight
	User    *admin.ConsoleUser
	Contact *admin.PortalContact
	CSRF    string
	Flash   string
	Error   string
	Message string
	Errors  map[string]string // field → message
	Form    map[string]string // field → value as typed
	Data    any
	Version string
}

func (p *page) FieldError(name string) string { return p.Errors[name] }
func (p *page) Value(name string) string      { return p.Form[name] }

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := h.pages[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	p.Version = h.opt.Version
	if p.Flash == "" {
		p.Flash = r.URL.Query().Get("flash")
		if len(p.Flash) > 200 {
			p.Flash = ""
		}
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name+".html", p); err != nil {
		h.opt.Logger.Error("render", slog.String("page", name), slog.Any("error", err))
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fail shows an error page for errors that are not form input.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, p *page, err error) {
	e := apperr.As(err)
	status := e.Status
	if status == http.StatusInternalServerError && e.Err != nil {
		h.opt.Logger.Error("web", slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	if p == nil {
		p = &page{}
	}
	p.Title, p.Message = "Something went wrong", messageOf(err)
	if status == http.StatusNotFound {
		p.Title = "Not found"
	}
	h.render(w, r, status, "message", p)
}

// messageOf is the client-safe text of an error.
func messageOf(err error) string {
	e := apperr.As(err)
	if len(e.Messages) == 0 {
		return "The request failed."
	}
	return strings.Join(e.Messages, " ")
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func secure(r *http.Request) bool { return r.TLS != nil }

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

// preCSRF returns the double-submit token of the sign-in forms, setting its cookie if needed.
func (h *Handler) preCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 20 && len(c.Value) <= 64 {
		return c.Value
	}
	v := randomString()
	http.SetCookie(w, &http.Cookie{Name: preCookie, Value: v, Path: "/", HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
	return v
}

var errCSRF = apperr.New(http.StatusForbidden, "The form expired or did not come from this site: reload the page and try again.")

func sameToken(a, b string) bool {
	return a != "" && len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (h *Handler) checkPreCSRF(r *http.Request) error {
	c, err := r.Cookie(preCookie)
	if err != nil || !sameToken(c.Value, r.PostFormValue("csrf")) {
		return errCSRF
	}
	return nil
}

// remote is the caller's address as recorded with failed sign-ins.
func remote(r *http.Request) string { return r.RemoteAddr }

// safeReturn keeps a return address on this site (a path, never another host).
func safeReturn(s, def string) string {
	if s == "" || len(s) > 2000 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return def
	}
	u, err := url.Parse(s)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return def
	}
	return s
}

type ctxKey struct{}

type session struct {
	token string
	sess  *store.WebSession
	user  *admin.ConsoleUser
}

// consoleSession returns the signed-in console user, or nil.
func (h *Handler) consoleSession(r *http.Request) (*session, error) {
	token, sess, u, err := readSession(h, r, consoleCookie, admin.SessionConsole, h.svc.ConsoleUserOf)
	if err != nil || sess == nil {
		return nil, err
	}
	return &session{token: token, sess: sess, user: u}, nil
}

// readSession reads the session named by the cookie, of kind (console or portal), and loads
// who it belongs to with load. A missing, expired or other-kind session is no session (nil
// sess, nil error); one whose subject may no longer sign in (admin.ErrNoSession) is ended.
func readSession[T any](h *Handler, r *http.Request, cookie, kind string,
	load func(ctx context.Context, tenantID, subjectID int64) (*T, error),
) (token string, sess *store.WebSession, subject *T, err error) {
	c, err := r.Cookie(cookie)
	if err != nil {
		return "", nil, nil, nil
	}
	sess, err = h.svc.Session(r.Context(), c.Value, h.opt.SessionTTL)
	if err != nil || sess.Kind != kind {
		return "", nil, nil, nil
	}
	subject, err = load(r.Context(), sess.TenantID, sess.SubjectID)
	if errors.Is(err, admin.ErrNoSession) {
		_ = h.svc.EndSession(r.Context(), c.Value)
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, err
	}
	return c.Value, sess, subject, nil
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session, p *page)

// console wraps a page for signed-in console users: the tenant, actor and rights go into the
// request context and every POST needs the session's CSRF token.
func (h *Handler) console(fn handlerFunc) http.HandlerFunc {
	return h.guard(fn, false)
}

// admin is console for users whose level allows the admin pages.
func (h *Handler) admin(fn handlerFunc) http.HandlerFunc {
	return h.guard(fn, true)
}

func (h *Handler) guard(fn handlerFunc, adminOnly bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := h.consoleSession(r)
		if err != nil {
			h.fail(w, r, nil, err)
			return
		}
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.fail(w, r, nil, admin.ErrNoSession)
			return
		}
		p := &page{User: s.user, CSRF: s.sess.CSRF, Errors: map[string]string{}, Form: map[string]string{}}
		if adminOnly && !s.user.Admin() {
			p.Title = "No permission"
			p.Message = "Your security level does not allow the admin pages. Ask an administrator if you need them."
			h.render(w, r, http.StatusForbidden, "message", p)
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				h.fail(w, r, p, apperr.BadRequest("The form is too large."))
				return
			}
			if !sameToken(s.sess.CSRF, r.PostFormValue("csrf")) {
				h.render(w, r, http.StatusForbidden, "message", &page{User: s.user, CSRF: s.sess.CSRF, Title: "Form not accepted", Message: messageOf(errCSRF)})
				return
			}
		}
		ctx := store.WithTenant(r.Context(), s.user.Tenant.ID)
		ctx = psa.WithActor(ctx, psa.Actor{ResourceID: s.user.Resource.ID, Rights: s.user.Rights})
		ctx = context.WithValue(ctx, ctxKey{}, s)
		fn(w, r.WithContext(ctx), s, p)
	}
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	if s, _ := h.consoleSession(r); s != nil {
		http.Redirect(w, r, safeReturn(r.URL.Query().Get("return"), "/"), http.StatusSeeOther)
		return
	}
	p := &page{Title: "Sign in", CSRF: h.preCSRF(w, r), Form: map[string]string{"return": safeReturn(r.URL.Query().Get("return"), "")}}
	if r.URL.Query().Get("ended") != "" {
		p.Flash = "You are signed out."
	}
	h.render(w, r, http.StatusOK, "signin", p)
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	p := &page{Title: "Sign in", Form: map[string]string{}, Errors: map[string]string{}}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, p, apperr.BadRequest("The form is too large."))
		return
	}
	p.CSRF = h.preCSRF(w, r)
	p.Form["username"] = strings.TrimSpace(r.PostFormValue("username"))
	p.Form["return"] = safeReturn(r.PostFormValue("return"), "")
	if err := h.checkPreCSRF(r); err != nil {
		p.Error = messageOf(err)
		h.render(w, r, http.StatusForbidden, "signin", p)
		return
	}
	user, pass := p.Form["username"], r.PostFormValue("password")
	if user == "" {
		p.Errors["username"] = "Enter your username."
	}
	if pass == "" {
		p.Errors["password"] = "Enter your password."
	}
	if len(user) > 200 || len(pass) > 200 {
		p.Error = "The username or password is not valid."
	}
	if len(p.Errors) > 0 || p.Error != "" {
		h.render(w, r, http.StatusUnprocessableEntity, "signin", p)
		return
	}
	tenant, res, err := h.svc.ConsoleSignIn(r.Context(), user, pass, remote(r))
	if err != nil {
		p.Error = messageOf(err)
		h.render(w, r, http.StatusUnauthorized, "signin", p)
		return
	}
	token, _, err := h.svc.StartSession(r.Context(), tenant.ID, admin.SessionConsole, res.ID, h.opt.SessionTTL)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	h.setCookie(w, r, consoleCookie, token, 0)
	http.Redirect(w, r, safeReturn(p.Form["return"], "/"), http.StatusSeeOther)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	s, _ := h.consoleSession(r)
	if s == nil {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if err := r.ParseForm(); err != nil || !sameToken(s.sess.CSRF, r.PostFormValue("csrf")) {
		h.render(w, r, http.StatusForbidden, "message", &page{Title: "Form not accepted", Message: messageOf(errCSRF)})
		return
	}
	_ = h.svc.EndSession(r.Context(), s.token)
	h.setCookie(w, r, consoleCookie, "", -1)
	http.Redirect(w, r, "/signin?ended=1", http.StatusSeeOther)
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Home", "home"
	d, err := h.dashboard(r.Context(), s)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "home", p)
}

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Change password", "account"
	h.render(w, r, http.StatusOK, "password", p)
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Change password", "account"
	cur, next, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	switch {
	case cur == "":
		p.Errors["current"] = "Enter your current password."
	case next == "":
		p.Errors["new"] = "Enter a new password."
	case next != confirm:
		p.Errors["confirm"] = "The two new passwords differ."
	case len(next) > 128:
		p.Errors["new"] = "A password has at most 128 characters."
	}
	if len(p.Errors) == 0 {
		err := h.svc.ChangeOwnPassword(r.Context(), s.user.Resource.ID, cur, next, s.token)
		if err == nil {
			http.Redirect(w, r, "/?flash="+url.QueryEscape("Your password was changed."), http.StatusSeeOther)
			return
		}
		msg := messageOf(err)
		if strings.Contains(msg, "current") {
			p.Errors["current"] = msg
		} else {
			p.Errors["new"] = msg
		}
	}
	h.render(w, r, http.StatusUnprocessableEntity, "password", p)
}

func formErr(p *page, err error, fields map[string]string) {
	msg := messageOf(err)
	low := strings.ToLower(msg)
	for key, field := range fields {
		if strings.Contains(low, key) {
			p.Errors[field] = msg
			return
		}
	}
	p.Error = msg
}

func atoi64(s string) int64 {
	var n int64
	_, err := fmt.Sscan(strings.TrimSpace(s), &n)
	if err != nil {
		return 0
	}
	return n
}

var errUnknown = apperr.Invalid("Unknown action.")

func errNotVisible(what string) error {
	return apperr.New(http.StatusNotFound, "There is no such %s, or your security level does not let you see it.", what)
}

// visibleRow is row id of e, or errNotVisible naming it what when there is none or the
// caller's security level hides it.
func (h *Handler) visibleRow(ctx context.Context, e *catalog.Entity, id int64, what string) (*store.Row, error) {
	row, err := h.svc.Get(ctx, e, id, nil)
	if err == nil && row == nil {
		err = errNotVisible(what)
	}
	return row, err
}
