package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// The client portal, at Autotask's addresses (matched without regard to case):
//
//	/ClientPortal/                                           the contact's tickets
//	/ClientPortal/Login.aspx?ReturnUrl=...                   sign in
//	/ClientPortal/ServiceTickets/ServiceTicketDetail.aspx?ticketId=N
//	/ClientPortal/ServiceTickets/NewTicket.aspx
const (
	portalHome   = "/ClientPortal/"
	portalLogin  = "/ClientPortal/Login.aspx"
	portalDetail = "/ClientPortal/ServiceTickets/ServiceTicketDetail.aspx"
	portalNew    = "/ClientPortal/ServiceTickets/NewTicket.aspx"
)

type portalSession struct {
	token   string
	sess    *store.WebSession
	contact *admin.PortalContact
}

// portalSession returns the signed-in portal contact, or nil.
func (h *Handler) portalSession(r *http.Request) (*portalSession, error) {
	token, sess, pc, err := readSession(h, r, portalCookie, admin.SessionPortal, h.svc.PortalContactOf)
	if err != nil || sess == nil {
		return nil, err
	}
	return &portalSession{token: token, sess: sess, contact: pc}, nil
}

// queryParam reads a query parameter whose name is matched without regard to case.
func queryParam(r *http.Request, names ...string) string {
	for k, v := range r.URL.Query() {
		for _, n := range names {
			if strings.EqualFold(k, n) && len(v) > 0 {
				return v[0]
			}
		}
	}
	return ""
}

func (h *Handler) portal(w http.ResponseWriter, r *http.Request, lower string) {
	lower = strings.TrimRight(lower, "/")
	if lower == strings.ToLower(strings.TrimRight(portalLogin, "/")) {
		switch r.Method {
		case http.MethodGet:
			h.portalLoginPage(w, r)
		case http.MethodPost:
			h.portalSignIn(w, r)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
		return
	}
	if lower == "/clientportal/logout.aspx" && r.Method == http.MethodPost {
		h.portalSignOut(w, r)
		return
	}
	ps, err := h.portalSession(r)
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	if ps == nil {
		if r.Method == http.MethodGet {
			http.Redirect(w, r, portalLogin+"?ReturnUrl="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h.fail(w, r, nil, admin.ErrNoSession)
		return
	}
	p := &page{Contact: ps.contact, CSRF: ps.sess.CSRF, Errors: map[string]string{}, Form: map[string]string{}, Section: "portal"}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			h.fail(w, r, p, apperr.BadRequest("The form is too large."))
			return
		}
		if !sameToken(ps.sess.CSRF, r.PostFormValue("csrf")) {
			p.Title, p.Message = "Form not accepted", messageOf(errCSRF)
			h.render(w, r, http.StatusForbidden, "portal_message", p)
			return
		}
	}
	switch lower {
	case "/clientportal", "/clientportal/default.aspx", "/clientportal/servicetickets", "/clientportal/servicetickets/mytickets.aspx":
		h.portalHome(w, r, ps, p)
	case strings.ToLower(portalDetail):
		h.portalDetail(w, r, ps, p)
	case strings.ToLower(portalNew):
		h.portalNew(w, r, ps, p)
	default:
		p.Title, p.Message = "Page not found", "There is no page at this address."
		h.render(w, r, http.StatusNotFound, "portal_message", p)
	}
}

func (h *Handler) portalLoginPage(w http.ResponseWriter, r *http.Request) {
	ret := safeReturn(queryParam(r, "ReturnUrl"), "")
	if ps, _ := h.portalSession(r); ps != nil {
		http.Redirect(w, r, safeReturn(ret, portalHome), http.StatusSeeOther)
		return
	}
	p := &page{Title: "Client portal sign in", CSRF: h.preCSRF(w, r), Form: map[string]string{"return": ret}, Errors: map[string]string{}, Section: "portal"}
	if queryParam(r, "ended") != "" {
		p.Flash = "You are signed out."
	}
	if ret != "" {
		p.Message = "Sign in to see this page."
	}
	h.render(w, r, http.StatusOK, "portal_signin", p)
}

func (h *Handler) portalSignIn(w http.ResponseWriter, r *http.Request) {
	p := &page{Title: "Client portal sign in", Form: map[string]string{}, Errors: map[string]string{}, Section: "portal"}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, p, apperr.BadRequest("The form is too large."))
		return
	}
	p.CSRF = h.preCSRF(w, r)
	p.Form["email"] = strings.TrimSpace(r.PostFormValue("email"))
	p.Form["return"] = safeReturn(r.PostFormValue("return"), "")
	if err := h.checkPreCSRF(r); err != nil {
		p.Error = messageOf(err)
		h.render(w, r, http.StatusForbidden, "portal_signin", p)
		return
	}
	pass := r.PostFormValue("password")
	if p.Form["email"] == "" {
		p.Errors["email"] = "Enter your email address."
	}
	if pass == "" {
		p.Errors["password"] = "Enter your password."
	}
	if len(p.Form["email"]) > 254 || len(pass) > 200 {
		p.Error = "The email address or password is not valid."
	}
	if len(p.Errors) > 0 || p.Error != "" {
		h.render(w, r, http.StatusUnprocessableEntity, "portal_signin", p)
		return
	}
	pc, err := h.svc.PortalSignIn(r.Context(), p.Form["email"], pass, remote(r))
	if err != nil {
		p.Error = messageOf(err)
		h.render(w, r, http.StatusUnauthorized, "portal_signin", p)
		return
	}
	token, _, err := h.svc.StartSession(r.Context(), pc.TenantID, admin.SessionPortal, pc.ContactID, h.opt.SessionTTL)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	h.setCookie(w, r, portalCookie, token, 0)
	ret := p.Form["return"]
	if !strings.HasPrefix(strings.ToLower(ret), "/clientportal") && !strings.HasPrefix(ret, "/tile/") {
		ret = portalHome
	}
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

func (h *Handler) portalSignOut(w http.ResponseWriter, r *http.Request) {
	ps, _ := h.portalSession(r)
	if ps != nil {
		if err := r.ParseForm(); err != nil || !sameToken(ps.sess.CSRF, r.PostFormValue("csrf")) {
			h.render(w, r, http.StatusForbidden, "portal_message", &page{Title: "Form not accepted", Message: messageOf(errCSRF)})
			return
		}
		_ = h.svc.EndSession(r.Context(), ps.token)
	}
	h.setCookie(w, r, portalCookie, "", -1)
	http.Redirect(w, r, portalLogin+"?ended=1", http.StatusSeeOther)
}

type portalTicket struct {
	Line  ticketLine
	Text  string
	Notes []noteLine
}

func (h *Handler) portalHome(w http.ResponseWriter, r *http.Request, ps *portalSession, p *page) {
	p.Title = "My tickets"
	ctx := admin.PortalCtx(r.Context(), ps.contact)
	rows, err := h.svc.PortalTickets(r.Context(), ps.contact, 200)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = h.ticketLines(ctx, rows) // names and labels read once for all rows, not per ticket
	h.render(w, r, http.StatusOK, "portal_home", p)
}

func (h *Handler) portalDetail(w http.ResponseWriter, r *http.Request, ps *portalSession, p *page) {
	raw := queryParam(r, "ticketId", "TicketID", "id")
	id, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || id <= 0 {
		p.Title, p.Message = "No ticket given", "The address names no ticket: it needs ?ticketId= and the ticket's number."
		h.render(w, r, http.StatusBadRequest, "portal_message", p)
		return
	}
	ctx := admin.PortalCtx(r.Context(), ps.contact)
	if r.Method == http.MethodPost {
		text := r.PostFormValue("note")
		p.Form["note"] = text
		switch {
		case strings.TrimSpace(text) == "":
			p.Errors["note"] = "Write the note before adding it."
		case len(text) > 32000:
			p.Errors["note"] = "A note has at most 32000 characters."
		default:
			if _, err := h.svc.PortalAddNote(r.Context(), ps.contact, id, "", text); err != nil {
				p.Errors["note"] = messageOf(err)
			} else {
				http.Redirect(w, r, portalDetail+"?ticketId="+strconv.FormatInt(id, 10)+"&flash="+url.QueryEscape("Your note was added."), http.StatusSeeOther)
				return
			}
		}
	}
	row, notes, err := h.svc.PortalTicket(r.Context(), ps.contact, id)
	if err != nil {
		p.Title, p.Message = "Ticket not found", "There is no ticket "+strconv.FormatInt(id, 10)+" for "+ps.contact.Company+"."
		h.render(w, r, http.StatusNotFound, "portal_message", p)
		return
	}
	l := h.ticketLineOf(ctx, row)
	t := &portalTicket{Line: l, Notes: h.noteLines(ctx, notes)}
	t.Text, _ = row.Values[ticketF.description].(string)
	p.Title = l.Number + " " + l.Title
	p.Data = t
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, "portal_ticket", p)
}

func (h *Handler) portalNew(w http.ResponseWriter, r *http.Request, ps *portalSession, p *page) {
	p.Title = "New ticket"
	if r.Method == http.MethodPost {
		keep(p, r, "title", "description")
		checkNewTicketText(p, "Enter a title: a few words that say what is wrong.")
		if len(p.Errors) == 0 {
			id, err := h.svc.PortalNewTicket(r.Context(), ps.contact, p.Form["title"], p.Form["description"])
			if err == nil {
				http.Redirect(w, r, portalDetail+"?ticketId="+strconv.FormatInt(id, 10)+"&flash="+url.QueryEscape("Your ticket was created."), http.StatusSeeOther)
				return
			}
			p.Error = messageOf(err)
		}
		h.render(w, r, http.StatusUnprocessableEntity, "portal_new", p)
		return
	}
	h.render(w, r, http.StatusOK, "portal_new", p)
}

// The tile: /tile/my-tickets (HTML, for an iframe) and /tile/my-tickets.json.

type tileData struct {
	Who     string     `json:"name,omitempty"`
	Email   string     `json:"email"`
	Days    int        `json:"days"`
	Tickets []tileLine `json:"tickets"`
	NewURL  string     `json:"newTicketUrl"`
	Error   string     `json:"error,omitempty"`
	Base    string     `json:"-"`
	raw     []admin.TileTicket
}

type tileLine struct {
	admin.TileTicket
	URL string `json:"url"`
}

// tileLookup finds who the tile is for and lists their tickets: the signed-in console user or
// portal contact (their own email), or an intranet server with an API user's three headers and
// ?email=.
func (h *Handler) tileLookup(r *http.Request) (*tileData, int) {
	d := &tileData{Days: admin.TileDays, NewURL: portalNew, Tickets: []tileLine{}}
	ctx := r.Context()
	var who string
	var list []admin.TileTicket
	var err error
	if user := r.Header.Get("UserName"); user != "" || r.Header.Get("Secret") != "" {
		if h.auth == nil {
			d.Error = "API credentials are not accepted here."
			return d, http.StatusUnauthorized
		}
		p, aerr := h.auth.Authenticate(ctx, auth.Credentials{Username: user, Secret: r.Header.Get("Secret"), IntegrationCode: r.Header.Get("ApiIntegrationCode"), RemoteAddr: r.RemoteAddr})
		if aerr != nil {
			d.Error = messageOf(aerr)
			return d, apperr.As(aerr).Status
		}
		d.Email = strings.TrimSpace(queryParam(r, "email"))
		actx := psa.WithActor(store.WithTenant(ctx, p.TenantID), psa.Actor{ResourceID: p.ResourceID, Rights: p.Rights})
		who, list, err = h.svc.MyTickets(actx, d.Email, 0)
	} else if s, _ := h.consoleSession(r); s != nil {
		d.Email = s.user.Resource.Email
		actx := psa.WithActor(store.WithTenant(ctx, s.user.Tenant.ID), psa.Actor{ResourceID: s.user.Resource.ID, Rights: s.user.Rights})
		who, list, err = h.svc.MyTickets(actx, d.Email, 0)
	} else if ps, _ := h.portalSession(r); ps != nil {
		d.Email = ps.contact.Email
		who, list, err = h.svc.MyTickets(admin.PortalCtx(ctx, ps.contact), d.Email, ps.contact.CompanyID)
	} else {
		d.Error = "Sign in to the client portal to see your tickets, or call with an API user's UserName, Secret and ApiIntegrationCode headers and ?email=."
		return d, http.StatusUnauthorized
	}
	if err != nil {
		d.Error = messageOf(err)
		return d, apperr.As(err).Status
	}
	d.Who = who
	for _, t := range list {
		d.Tickets = append(d.Tickets, tileLine{TileTicket: t, URL: portalDetail + "?ticketId=" + strconv.FormatInt(t.ID, 10)})
	}
	return d, http.StatusOK
}

func (h *Handler) tile(w http.ResponseWriter, r *http.Request) {
	d, status := h.tileLookup(r)
	h.render(w, r, status, "tile", &page{Title: "My tickets", Data: d})
}

func (h *Handler) tileJSON(w http.ResponseWriter, r *http.Request) {
	d, status := h.tileLookup(r)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(d)
}

var _ = time.Now
