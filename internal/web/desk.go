package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Service desk and CRM pages for technicians: every read and write goes through psa with the
// signed-in resource's rights, as the REST API does.

type ticketLine struct {
	ID          int64
	Number      string
	Title       string
	Company     string
	Status      string
	StatusValue int64
	Priority    string
	Queue       string
	Assigned    string
	Updated     time.Time
}

type ticketFilter struct {
	Queue, Status, Priority, Resource, Company int64
	CompanyName                                string // what was typed in the company filter
	Mine                                       bool
}

// readPicklist reads a picklist once for both its uses: the labels of its values, inactive
// ones too (to show), and its active values (to choose from).
func (h *Handler) readPicklist(ctx context.Context, p picklistField) (map[int64]string, []option) {
	labels := map[int64]string{}
	var active []option
	vals, _ := h.svc.Picklist(ctx, p.e, p.field)
	for _, v := range vals {
		labels[v.Value] = v.Label
		if v.IsActive {
			active = append(active, option{ID: v.Value, Name: v.Label})
		}
	}
	return labels, active
}

// labels are the labels of a picklist's values, inactive ones too.
func (h *Handler) labels(ctx context.Context, p picklistField) map[int64]string {
	m, _ := h.readPicklist(ctx, p)
	return m
}

// picklist is a picklist's active values, to choose from.
func (h *Handler) picklist(ctx context.Context, p picklistField) []option {
	_, out := h.readPicklist(ctx, p)
	return out
}

// ticketPicklists are the status, priority and queue picklists a ticket page both shows (a
// line's labels) and offers (its filters or status choice), read once per request.
type ticketPicklists struct {
	status, priority, queue      map[int64]string
	statuses, priorities, queues []option
}

func (h *Handler) ticketPicklists(ctx context.Context) *ticketPicklists {
	var t ticketPicklists
	t.status, t.statuses = h.readPicklist(ctx, ticketStatus)
	t.priority, t.priorities = h.readPicklist(ctx, ticketPriority)
	t.queue, t.queues = h.readPicklist(ctx, ticketQueue)
	return &t
}

// names reads the names of every row of a small collection (roles), in the caller's scope.
func (h *Handler) names(ctx context.Context, n rowName) map[int64]string {
	out := map[int64]string{}
	for _, o := range h.named(ctx, n) {
		out[o.ID] = o.Name
	}
	return out
}

// ticketSorts are the tickets list's sorts, the default first: most recently updated.
var ticketSorts = []listSort{
	{Key: "updated", Field: "lastActivityDate", Desc: true},
	{Key: "number", Field: "ticketNumber"},
	{Key: "priority", Field: "priority"},
	{Key: "status", Field: "status"},
}

// maxCompanyMatches bounds the companies a typed company name filters the tickets list by.
const maxCompanyMatches = 50

// companyMatches finds the companies a typed name means, through psa in the caller's scope:
// those named exactly so (case aside) when there are any, else those whose name contains it,
// at most maxCompanyMatches by name; more reports that others match too.
func (h *Handler) companyMatches(ctx context.Context, name string) (ids []int64, more bool, err error) {
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	for _, op := range []string{"eq", "contains"} {
		req := &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: op, Field: "companyName", Value: name}}}
		p, err := h.svc.List(ctx, companiesE, req, store.Order{Field: "companyName"}, 0, maxCompanyMatches)
		if err != nil {
			return nil, false, err
		}
		if p.Total > 0 {
			return idsOf(p.Rows, companiesE.IDIndex()), p.Total > int64(len(p.Rows)), nil
		}
	}
	return nil, false, nil
}

// ticketRequest is the filter of the tickets list; note says what a typed company name matched
// when that needs saying.
func (h *Handler) ticketRequest(ctx context.Context, f ticketFilter) (req *query.Request, note string, err error) {
	filter := everyRow()
	add := func(field string, v int64) {
		if v != 0 {
			filter = append(filter, &query.Node{Op: "eq", Field: field, Value: v})
		}
	}
	add("queueID", f.Queue)
	add("status", f.Status)
	add("priority", f.Priority)
	add("assignedResourceID", f.Resource)
	if f.Mine {
		if s, ok := ctx.Value(ctxKey{}).(*session); ok {
			add("assignedResourceID", s.user.Resource.ID)
		}
	}
	switch typed := strings.TrimSpace(f.CompanyName); {
	case typed != "":
		ids, more, err := h.companyMatches(ctx, typed)
		if err != nil {
			return nil, "", err
		}
		list := make([]any, len(ids))
		for i, id := range ids {
			list[i] = id
		}
		filter = append(filter, &query.Node{Op: "in", Field: "companyID", Value: list}) // none matched: no ticket
		switch {
		case len(ids) == 0:
			note = "No company's name contains “" + typed + "”."
		case more:
			note = fmt.Sprintf("More than %d companies match “%s”: showing the tickets of the first %d by name. Type more of the name.", maxCompanyMatches, typed, maxCompanyMatches)
		case len(ids) > 1:
			note = fmt.Sprintf("Tickets of the %d companies whose name contains “%s”.", len(ids), typed)
		}
	case f.Company != 0:
		add("companyID", f.Company)
	}
	return &query.Request{FilterPresent: true, Filter: filter}, note, nil
}

// ticketLines turns ticket rows into list lines, reading the names of their companies and
// assigned resources for these rows only.
func (h *Handler) ticketLines(ctx context.Context, rows []*store.Row) []ticketLine {
	return h.ticketLinesWith(ctx, rows, h.ticketPicklists(ctx))
}

// ticketLinesWith is ticketLines with the ticket picklists already read.
func (h *Handler) ticketLinesWith(ctx context.Context, rows []*store.Row, pl *ticketPicklists) []ticketLine {
	ft := ticketF
	status, prio, queue := pl.status, pl.priority, pl.queue
	companies := h.rowNames(ctx, companyNames, idsOf(rows, ft.companyID)...)
	resources := h.rowNames(ctx, resourceNames, idsOf(rows, ft.assignedResourceID)...)
	out := make([]ticketLine, 0, len(rows))
	for _, r := range rows {
		v := func(i int) int64 { n, _ := r.Values[i].(int64); return n }
		l := ticketLine{ID: r.ID(ticketsE), StatusValue: v(ft.status), Status: status[v(ft.status)], Priority: prio[v(ft.priority)], Queue: queue[v(ft.queueID)],
			Company: companies[v(ft.companyID)], Assigned: resources[v(ft.assignedResourceID)]}
		l.Number, _ = r.Values[ft.number].(string)
		l.Title, _ = r.Values[ft.title].(string)
		l.Updated = ticketUpdated(r)
		out = append(out, l)
	}
	return out
}

// ticketUpdated is when a ticket last changed: its last activity, or else its creation.
func ticketUpdated(r *store.Row) time.Time {
	if t, ok := r.Values[ticketF.lastActivity].(time.Time); ok {
		return t
	}
	t, _ := r.Values[ticketF.created].(time.Time)
	return t
}

// recentTickets reads the n most recently updated tickets matching filter, and how many match.
func (h *Handler) recentTickets(ctx context.Context, filter []*query.Node, n int) ([]ticketLine, int64, error) {
	p, err := h.svc.List(ctx, ticketsE, &query.Request{FilterPresent: true, Filter: filter}, store.Order{Field: "lastActivityDate", Desc: true}, 0, n)
	if err != nil {
		return nil, 0, err
	}
	return h.ticketLines(ctx, p.Rows), p.Total, nil
}

type ticketsView struct {
	Filter                                  ticketFilter
	Lines                                   []ticketLine
	Queues, Statuses, Priorities, Resources []option
	CompanyNote                             string
	Nav                                     *listNav
}

func (h *Handler) ticketsPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Tickets", "tickets"
	q := r.URL.Query()
	f := ticketFilter{Queue: atoi64(q.Get("queue")), Status: atoi64(q.Get("status")), Priority: atoi64(q.Get("priority")),
		Resource: atoi64(q.Get("resource")), Company: atoi64(q.Get("company")), CompanyName: q.Get("companyName"), Mine: q.Get("mine") != ""}
	ctx := r.Context()
	req, note, err := h.ticketRequest(ctx, f)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	if f.Company != 0 && strings.TrimSpace(f.CompanyName) == "" { // a link to one company's tickets: its name in the field
		f.CompanyName = h.rowNames(ctx, companyNames, f.Company)[f.Company]
	}
	nav, order := newListNav(r, ticketSorts)
	rows, err := nav.read(ctx, h.svc.Service, ticketsE, req, order)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	pl := h.ticketPicklists(ctx)
	p.Data = &ticketsView{Filter: f, Lines: h.ticketLinesWith(ctx, rows, pl), CompanyNote: note, Nav: nav,
		Queues: pl.queues, Statuses: pl.statuses, Priorities: pl.priorities,
		Resources: h.named(ctx, resourceNames)}
	h.render(w, r, http.StatusOK, "tickets", p)
}

type ticketView struct {
	Line       ticketLine
	Fields     map[string]string
	Notes      []noteLine
	Statuses   []option
	Assignees  []assignGroup
	CanEdit    bool // edit the ticket, and add a note to it
	StatusNow  int64
	AssignedID int64
	RoleID     int64
	PortalLink string
}

type noteLine struct {
	Title, Text, By string
	At              time.Time
	Published       bool
}

func (h *Handler) loadTicket(ctx context.Context, id int64) (*ticketView, error) {
	e, ft := ticketsE, ticketF
	row, err := h.visibleRow(ctx, e, id, "ticket")
	if err != nil {
		return nil, err
	}
	pl := h.ticketPicklists(ctx)
	v := &ticketView{Line: h.ticketLinesWith(ctx, []*store.Row{row}, pl)[0], Fields: map[string]string{}}
	v.Fields["description"], _ = row.Values[ft.description].(string)
	v.StatusNow, _ = row.Values[ft.status].(int64)
	v.AssignedID, _ = row.Values[ft.assignedResourceID].(int64)
	v.RoleID, _ = row.Values[ft.assignedRoleID].(int64)
	v.Statuses = pl.statuses
	v.Assignees = h.assignees(ctx, v.AssignedID, v.RoleID)
	rights := rightsOf(ctx)
	v.CanEdit = rights == nil || rights.Allowed(e, access.Edit)
	notes, err := h.svc.Query(ctx, notesE, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "ticketID", Value: id}}}, nil, -1, 500)
	if err != nil {
		return nil, err
	}
	v.Notes = h.noteLines(ctx, notes)
	v.PortalLink = "/ClientPortal/ServiceTickets/ServiceTicketDetail.aspx?ticketId=" + strconv.FormatInt(id, 10)
	return v, nil
}

func (h *Handler) noteLines(ctx context.Context, notes []*store.Row) []noteLine {
	resources := h.rowNames(ctx, resourceNames, idsOf(notes, noteF.byResource)...)
	contacts := h.rowNames(ctx, contactNames, idsOf(notes, noteF.byContact)...)
	var out []noteLine
	for _, n := range notes {
		l := noteLine{}
		l.Title, _ = n.Values[noteF.title].(string)
		l.Text, _ = n.Values[noteF.description].(string)
		l.At, _ = n.Values[noteF.createdAt].(time.Time)
		pub, _ := n.Values[noteF.publish].(int64)
		l.Published = pub == 1
		if c, _ := n.Values[noteF.byContact].(int64); c != 0 {
			l.By = contacts[c] + " (contact)"
		} else if r, _ := n.Values[noteF.byResource].(int64); r != 0 {
			l.By = resources[r]
		}
		out = append(out, l)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out
}

func (h *Handler) activePeople(ctx context.Context) []option {
	res, err := h.svc.Resources(store.WithTenant(context.Background(), mustTenant(ctx)))
	if err != nil {
		return nil
	}
	var out []option
	for _, r := range res {
		if r.Active && !r.APIOnly {
			out = append(out, option{ID: r.ID, Name: r.FirstName + " " + r.LastName})
		}
	}
	return out
}

// assignGroup is one resource in the "Assign to" list, with the roles they may be assigned
// with; assignChoice is one resource-and-role pair ("resourceID:roleID").
type assignGroup struct {
	Name    string
	Choices []assignChoice
}

type assignChoice struct {
	Value, Label string
}

// assignees lists who a ticket can be assigned to, resource and role together as Autotask
// does: active resources that are not API-only users, each with the roles of their
// department/role associations (a resource without one cannot be assigned). The current
// assignment stays in the list when it is no longer one of those, so saving another field
// does not change it. The psa service still checks what is saved.
func (h *Handler) assignees(ctx context.Context, curRes, curRole int64) []assignGroup {
	res, err := h.svc.Assignees(store.WithTenant(context.Background(), mustTenant(ctx)))
	if err != nil {
		return nil
	}
	roles := h.names(ctx, roleNames)
	var out []assignGroup
	found := curRes == 0
	name := ""
	for _, r := range res {
		if r.ID == curRes {
			name = r.Name
		}
		g := assignGroup{Name: r.Name}
		for _, role := range r.RoleIDs {
			if roles[role] == "" {
				continue
			}
			g.Choices = append(g.Choices, assignChoice{Value: fmt.Sprintf("%d:%d", r.ID, role), Label: r.Name + " · " + roles[role]})
			found = found || (r.ID == curRes && role == curRole)
		}
		if len(g.Choices) > 0 {
			out = append(out, g)
		}
	}
	if !found {
		if name == "" {
			name = h.rowNames(ctx, resourceNames, curRes)[curRes]
		}
		if name == "" {
			name = fmt.Sprintf("Resource %d", curRes)
		}
		label := name + " · " + roles[curRole] + " (current)"
		out = append([]assignGroup{{Name: "Current assignment", Choices: []assignChoice{{Value: fmt.Sprintf("%d:%d", curRes, curRole), Label: label}}}}, out...)
	}
	return out
}

// parseAssign reads an "Assign to" value: "resourceID:roleID", or "" for unassigned.
func parseAssign(v string) (res, role int64, ok bool) {
	if v == "" || v == "none" {
		return 0, 0, true
	}
	a, b, cut := strings.Cut(v, ":")
	res, err1 := strconv.ParseInt(a, 10, 64)
	role, err2 := strconv.ParseInt(b, 10, 64)
	if !cut || err1 != nil || err2 != nil || res <= 0 || role <= 0 {
		return 0, 0, false
	}
	return res, role, true
}

func rightsOf(ctx context.Context) *access.Rights {
	if s, ok := ctx.Value(ctxKey{}).(*session); ok {
		return s.user.Rights
	}
	return nil
}

// ticketLineOf is the list line of one ticket (the portal's ticket page).
func (h *Handler) ticketLineOf(ctx context.Context, row *store.Row) ticketLine {
	return h.ticketLines(ctx, []*store.Row{row})[0]
}

func (h *Handler) ticketPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "tickets"
	v, err := h.loadTicket(r.Context(), atoi64(r.PathValue("id")))
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Title = v.Line.Number + " " + v.Line.Title
	p.Data = v
	h.render(w, r, http.StatusOK, "ticket", p)
}

func (h *Handler) ticketAction(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "tickets"
	ctx := r.Context()
	id := atoi64(r.PathValue("id"))
	e, ft := ticketsE, ticketF
	var err error
	switch r.PostFormValue("action") {
	case "note":
		text := strings.TrimSpace(r.PostFormValue("note"))
		title := strings.TrimSpace(r.PostFormValue("title"))
		switch {
		case text == "":
			p.Errors["note"] = "Write the note before adding it."
		case len(text) > 32000:
			p.Errors["note"] = "A note has at most 32000 characters."
		case len([]rune(title)) > 250:
			p.Errors["title"] = "A title has at most 250 characters."
		}
		if len(p.Errors) == 0 {
			if title == "" {
				title = "Note"
			}
			in := psa.NewInput()
			in.Set[noteF.title] = title
			in.Set[noteF.description] = text
			in.Set[noteF.noteType] = int64(3)
			pub := int64(2)
			if r.PostFormValue("publish") != "" {
				pub = 1
			}
			in.Set[noteF.publish] = pub
			_, err = h.svc.Create(ctx, notesE, in, &psa.Parent{Entity: e, ID: id, Child: ticketNotes})
		}
	case "update":
		in := psa.NewInput()
		in.Set[ft.id] = id
		if st := atoi64(r.PostFormValue("status")); st != 0 {
			in.Set[ft.status] = st
		}
		if _, ok := r.PostForm["assign"]; ok {
			res, role, ok := parseAssign(r.PostFormValue("assign"))
			if !ok {
				p.Errors["assign"] = "Choose a resource and role from the list."
				break
			}
			in.Set[ft.assignedResourceID] = nullable(res)
			in.Set[ft.assignedRoleID] = nullable(role)
		}
		_, err = h.svc.Update(ctx, e, in, nil, false)
	default:
		err = apperr.Invalid("Unknown action.")
	}
	if err == nil && len(p.Errors) == 0 {
		http.Redirect(w, r, "/desk/tickets/"+strconv.FormatInt(id, 10)+"?flash="+url.QueryEscape("Saved."), http.StatusSeeOther)
		return
	}
	v, lerr := h.loadTicket(ctx, id)
	if lerr != nil {
		h.fail(w, r, p, lerr)
		return
	}
	switch {
	case err != nil && r.PostFormValue("action") == "update":
		formErr(p, err, map[string]string{"assign": "assign", "resource": "assign", "role": "assign"}) // beside the assignment
	case err != nil:
		p.Error = messageOf(err)
	}
	p.Form["note"], p.Form["title"] = r.PostFormValue("note"), r.PostFormValue("title")
	p.Title = v.Line.Number + " " + v.Line.Title
	p.Data = v
	h.render(w, r, http.StatusUnprocessableEntity, "ticket", p)
}

func nullable(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// Contacts

type contactLine struct {
	ID, CompanyID               int64
	Name, Email, Company, Phone string
	Title, Mobile               string
	Active                      bool
	Portal, Locked              bool
	CanEdit                     bool
}

// contactLines are rows of Contacts as the pages show them, with their company's name from
// companies and their portal access read for all of them at once.
func (h *Handler) contactLines(ctx context.Context, rows []*store.Row, companies map[int64]string) ([]contactLine, error) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID(contactsE)
	}
	portal, err := h.svc.PortalAccess(ctx, ids)
	if err != nil {
		return nil, err
	}
	fc := contactF
	lines := make([]contactLine, len(rows))
	for i, r := range rows {
		l := contactLine{ID: ids[i]}
		f, _ := r.Values[fc.firstName].(string)
		la, _ := r.Values[fc.lastName].(string)
		l.Name = strings.TrimSpace(f + " " + la)
		l.Email, _ = r.Values[fc.email].(string)
		l.Phone, _ = r.Values[fc.phone].(string)
		l.Title, _ = r.Values[fc.title].(string)
		l.Mobile, _ = r.Values[fc.mobile].(string)
		l.CompanyID, _ = r.Values[fc.companyID].(int64)
		l.Company = companies[l.CompanyID]
		a, _ := r.Values[fc.isActive].(int64)
		l.Active = a == 1
		p := portal[l.ID]
		l.Portal, l.Locked = p.Has, p.Locked
		lines[i] = l
	}
	return lines, nil
}

// contactSorts are the contacts list's sorts, the default first.
var contactSorts = []listSort{{Key: "name", Field: "lastName"}, {Key: "first", Field: "firstName"}}

type contactsView struct {
	Lines []contactLine
	Nav   *listNav
}

func (h *Handler) contactsPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Contacts", "crm"
	ctx := r.Context()
	p.Form["q"] = r.URL.Query().Get("q")
	if allowed(ctx, contactsE, 0) {
		p.Form["canAdd"] = "yes"
	}
	filter := everyRow()
	if n := searchFilter(p.Form["q"], "firstName", "lastName", "emailAddress"); n != nil {
		filter = append(filter, n)
	}
	nav, order := newListNav(r, contactSorts)
	rows, err := nav.read(ctx, h.svc.Service, contactsE, &query.Request{FilterPresent: true, Filter: filter}, order)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	companies := h.rowNames(ctx, companyNames, idsOf(rows, contactF.companyID)...)
	lines, err := h.contactLines(ctx, rows, companies)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	v := &contactsView{Nav: nav, Lines: lines}
	p.Data = v
	h.render(w, r, http.StatusOK, "contacts", p)
}

func (h *Handler) contactPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "crm"
	l, err := h.loadContact(r)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Title = l.Name
	p.Data = l
	h.render(w, r, http.StatusOK, "contact", p)
}

func (h *Handler) loadContact(r *http.Request) (*contactLine, error) {
	ctx := r.Context()
	e := contactsE
	row, err := h.svc.Get(ctx, e, atoi64(r.PathValue("id")), nil)
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, apperr.New(http.StatusNotFound, "There is no such contact, or your security level does not let you see it.")
	}
	company, _ := row.Values[contactF.companyID].(int64)
	lines, err := h.contactLines(ctx, []*store.Row{row}, h.rowNames(ctx, companyNames, company))
	if err != nil {
		return nil, err
	}
	l := &lines[0]
	l.CanEdit = allowed(ctx, e, l.ID)
	return l, nil
}

func (h *Handler) contactAction(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "crm"
	ctx := r.Context()
	l, err := h.loadContact(r)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	switch r.PostFormValue("action") {
	case "portal":
		pw := r.PostFormValue("password")
		switch {
		case pw == "":
			p.Errors["password"] = "Enter a portal password."
		case pw != r.PostFormValue("confirm"):
			p.Errors["confirm"] = "The password and its confirmation differ."
		case len(pw) > 128:
			p.Errors["password"] = "At most 128 characters."
		default:
			if err = h.svc.SetPortalAccess(ctx, l.ID, pw); err != nil {
				p.Errors["password"] = messageOf(err)
			}
		}
	case "revoke":
		err = h.svc.RemovePortalAccess(ctx, l.ID)
	case "unlock":
		err = h.svc.UnlockPortal(ctx, l.ID)
	default:
		err = apperr.Invalid("Unknown action.")
	}
	if err == nil && len(p.Errors) == 0 {
		http.Redirect(w, r, "/crm/contacts/"+strconv.FormatInt(l.ID, 10)+"?flash="+url.QueryEscape("Client portal access saved."), http.StatusSeeOther)
		return
	}
	if err != nil && len(p.Errors) == 0 {
		p.Error = messageOf(err)
	}
	p.Title = l.Name
	p.Data = l
	h.render(w, r, http.StatusUnprocessableEntity, "contact", p)
}
