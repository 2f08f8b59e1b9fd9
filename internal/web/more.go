package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/query"
)

// More service desk, CRM and admin pages: New Ticket, companies, configuration items,
// organizational structure, picklists and UDF definitions.

type cell struct {
	Text, Href string
}

type listView struct {
	Crumb, Heading, Sub string
	NewURL, NewLabel    string
	Columns             []column
	Rows                [][]cell
	// Search is the label of the list's search box (?q=, matched in the database); "" for none.
	Search, Query string
	Nav           *listNav // paging and sorting; nil for a short list shown whole
}

// column is a list's column header; Sort is the key that sorts by it, "" when it does not.
type column struct{ Label, Sort string }

func columns(labels ...string) []column {
	out := make([]column, len(labels))
	for i, l := range labels {
		out[i] = column{Label: l}
	}
	return out
}

// pageOf reads one page of a CRM list (companies, configuration items) searched by ?q= in the
// search fields, as maps by field name.
func (h *Handler) pageOf(r *http.Request, e *catalog.Entity, sorts []listSort, search ...string) ([]map[string]any, *listNav, error) {
	filter := everyRow()
	if n := searchFilter(r.URL.Query().Get("q"), search...); n != nil {
		filter = append(filter, n)
	}
	nav, order := newListNav(r, sorts)
	rows, err := nav.read(r.Context(), h.svc.Service, e, &query.Request{FilterPresent: true, Filter: filter}, order)
	if err != nil {
		return nil, nil, err
	}
	out := make([]map[string]any, 0, len(rows))
	for _, row := range rows {
		m := map[string]any{}
		for i, f := range e.Fields {
			m[f.Name] = row.Values[i]
		}
		out = append(out, m)
	}
	return out, nav, nil
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		if x {
			return "Yes"
		}
		return "No"
	}
	return ""
}

func id64(v any) int64 { n, _ := v.(int64); return n }

func (h *Handler) companiesPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Companies", "crm"
	rows, nav, err := h.pageOf(r, companiesE, []listSort{{Key: "name", Field: "companyName"}}, "companyName")
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	types := h.labels(r.Context(), companyType)
	v := &listView{Crumb: "CRM", Heading: "Companies", Sub: "Your customers, prospects and vendors.", Nav: nav, Search: "Name", Query: r.URL.Query().Get("q"),
		Columns: []column{{Label: "Name", Sort: "name"}, {Label: "Type"}, {Label: "Phone"}, {Label: "City"}}}
	if allowed(r.Context(), companiesE, 0) {
		v.NewURL, v.NewLabel = "/crm/companies/new", "New Company"
	}
	for _, m := range rows {
		v.Rows = append(v.Rows, []cell{{Text: str(m["companyName"]), Href: "/crm/companies/" + str(m["id"])}, {Text: types[id64(m["companyType"])]}, {Text: str(m["phone"])}, {Text: str(m["city"])}})
	}
	p.Data = v
	h.render(w, r, http.StatusOK, "list", p)
}

type companyView struct {
	Name, Phone, Web, City string
	ID                     int64
	Details                [][2]string // label, value of the fields the form edits
	Active                 bool
	CanEdit, CanAddContact bool
	CanAddCI               bool
	Contacts               []contactLine
	Tickets                []ticketLine // the most recently updated companyTickets
	TicketsTotal           int64
	MoreTickets            bool // the company has more tickets than the page shows
	CIs                    [][]cell
}

func (h *Handler) companyPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "crm"
	ctx := r.Context()
	e, fc := companiesE, companyF
	id := atoi64(r.PathValue("id"))
	row, err := h.visibleRow(ctx, e, id, "company")
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	v := &companyView{ID: id}
	v.Name, _ = row.Values[fc.name].(string)
	v.Phone, _ = row.Values[fc.phone].(string)
	v.Web, _ = row.Values[fc.web].(string)
	v.City, _ = row.Values[fc.city].(string)
	v.Active, _ = row.Values[fc.isActive].(bool)
	ce := contactsE
	v.CanEdit, v.CanAddContact = allowed(ctx, e, id), allowed(ctx, ce, 0)
	for _, f := range companyForm.fields(ctx, h) {
		val := row.Values[f.index]
		text := str(val)
		if f.Kind == "select" {
			text = ""
			for _, o := range f.Options {
				if n, ok := val.(int64); ok && o.ID == n {
					text = o.Name
				}
			}
		}
		if f.Kind != "check" && f.Name != "companyName" && text != "" {
			v.Details = append(v.Details, [2]string{f.Label, text})
		}
	}
	contacts, err := h.svc.Query(ctx, ce, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "companyID", Value: id}}}, nil, -1, 500)
	if err == nil {
		if v.Contacts, err = h.contactLines(ctx, contacts, map[int64]string{id: v.Name}); err != nil {
			h.fail(w, r, p, err)
			return
		}
	}
	v.Tickets, v.TicketsTotal, _ = h.recentTickets(ctx, []*query.Node{{Op: "eq", Field: "companyID", Value: id}}, companyTickets)
	v.MoreTickets = v.TicketsTotal > int64(len(v.Tickets))
	cie := cisE
	cis, err := h.svc.Query(ctx, cie, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "companyID", Value: id}}}, nil, -1, 500)
	if err == nil {
		types := h.names(ctx, ciTypeNames)
		for _, c := range cis {
			t, _ := c.Values[ciF.ciType].(int64)
			v.CIs = append(v.CIs, []cell{{Text: ciTitle(c), Href: "/crm/cis/" + strconv.FormatInt(c.ID(cie), 10)}, {Text: types[t]}, {Text: str(c.Values[ciF.serialNumber])}})
		}
	}
	v.CanAddCI = allowed(ctx, cie, 0)
	p.Title = v.Name
	p.Data = v
	h.render(w, r, http.StatusOK, "company", p)
}

func (h *Handler) cisPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Configuration Items", "crm"
	rows, nav, err := h.pageOf(r, cisE, []listSort{{Key: "reference", Field: "referenceTitle"}}, "referenceTitle", "serialNumber")
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	ids := make([]int64, 0, len(rows))
	for _, m := range rows {
		ids = append(ids, id64(m["companyID"]))
	}
	companies := h.rowNames(r.Context(), companyNames, ids...)
	types := h.names(r.Context(), ciTypeNames) // rows of ConfigurationItemTypes, not picklist values
	v := &listView{Crumb: "CRM", Heading: "Configuration Items", Sub: "The devices and services you manage for your customers.", Nav: nav,
		Search: "Reference or serial number", Query: r.URL.Query().Get("q"),
		Columns: []column{{Label: "Reference", Sort: "reference"}, {Label: "Company"}, {Label: "Type"}, {Label: "Serial number"}, {Label: "Active"}}}
	for _, m := range rows {
		title := str(m["referenceTitle"])
		if title == "" {
			title = "Configuration item " + str(m["id"]) // as ciTitle names it: the link needs a text
		}
		v.Rows = append(v.Rows, []cell{{Text: title, Href: "/crm/cis/" + str(m["id"])}, {Text: companies[id64(m["companyID"])], Href: "/crm/companies/" + str(m["companyID"])},
			{Text: types[id64(m["configurationItemType"])]}, {Text: str(m["serialNumber"])}, {Text: str(m["isActive"])}})
	}
	p.Data = v
	h.render(w, r, http.StatusOK, "list", p)
}

// companyTickets is how many tickets a company's page shows, the most recently updated.
const companyTickets = 25

type newTicketView struct {
	Statuses, Priorities, Queues []option
	Assignees                    []assignGroup
}

// newTicketData is what New Ticket offers: the short lists as selects; the company and the
// contact are picker fields (picker.go), as a tenant has thousands of each.
func (h *Handler) newTicketData(r *http.Request) *newTicketView {
	ctx := r.Context()
	return &newTicketView{Statuses: h.picklist(ctx, ticketStatus), Priorities: h.picklist(ctx, ticketPriority),
		Queues: h.picklist(ctx, ticketQueue), Assignees: h.assignees(ctx, 0, 0)}
}

func (h *Handler) newTicketPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "New Ticket", "tickets"
	p.Form["status"], p.Form["priority"], p.Form["queue"] = "1", "2", "8"
	if c, err := strconv.ParseInt(r.URL.Query().Get("company"), 10, 64); err == nil {
		h.fillPick(r.Context(), p, companyPicker, "company", c)
	}
	p.Data = h.newTicketData(r)
	h.render(w, r, http.StatusOK, "ticket_new", p)
}

// checkNewTicketText checks the title and description of a new ticket, from the console or the
// portal; noTitle is what to say when the title is empty (the portal's reader gets a hint).
func checkNewTicketText(p *page, noTitle string) {
	switch {
	case p.Form["title"] == "":
		p.Errors["title"] = noTitle
	case len([]rune(p.Form["title"])) > 255:
		p.Errors["title"] = "A title has at most 255 characters."
	}
	if len(p.Form["description"]) > 8000 {
		p.Errors["description"] = "A description has at most 8000 characters."
	}
}

func (h *Handler) createTicket(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "New Ticket", "tickets"
	p.Data = h.newTicketData(r)
	keep(p, r, "title", "description", "status", "priority", "queue", "assign")
	ctx := r.Context()
	company, ok := h.resolvePick(ctx, p, r, companyPicker, "company", -1, nil)
	if !ok && p.Errors["company"] == "" {
		p.Errors["company"] = "Choose the company."
	}
	var contact int64
	if ok {
		// The contact is one of the company's: the picker resolves it among them only.
		contact, _ = h.resolvePick(ctx, p, r, contactPicker, "contact", -1, h.companyScope(ctx, company))
	} else {
		p.Form["contact"], p.Form["contactText"] = strings.TrimSpace(r.PostFormValue("contact")), strings.TrimSpace(r.PostFormValue("contactText"))
	}
	checkNewTicketText(p, "Enter a title.")
	assignRes, assignRole, ok := parseAssign(p.Form["assign"])
	if !ok {
		p.Errors["assign"] = "Choose a resource and role from the list."
	}
	if len(p.Errors) == 0 {
		e, ft := ticketsE, ticketF
		in := psa.NewInput()
		for i, v := range map[int]any{ft.companyID: company, ft.title: p.Form["title"], ft.status: atoi64(p.Form["status"]),
			ft.priority: atoi64(p.Form["priority"]), ft.queueID: atoi64(p.Form["queue"]), ft.source: int64(3), ft.ticketType: int64(1)} {
			in.Set[i] = v
		}
		if p.Form["description"] != "" {
			in.Set[ft.description] = p.Form["description"]
		}
		if contact != 0 {
			in.Set[ft.contactID] = contact
		}
		if assignRes != 0 {
			in.Set[ft.assignedResourceID], in.Set[ft.assignedRoleID] = assignRes, assignRole
		}
		id, err := h.svc.Create(r.Context(), e, in, nil)
		if err == nil {
			http.Redirect(w, r, "/desk/tickets/"+strconv.FormatInt(id, 10)+"?flash="+url.QueryEscape("The ticket was created."), http.StatusSeeOther)
			return
		}
		formErr(p, err, map[string]string{"assign": "assign", "resource": "assign", "contact": "contact", "company": "company", "title": "title", "queue": "queue", "status": "status", "priority": "priority"})
	}
	if p.Error == "" {
		p.Error = "The ticket was not saved: correct the fields marked below."
	}
	h.render(w, r, http.StatusUnprocessableEntity, "ticket_new", p)
}

// Admin: organizational structure, picklists, UDFs.

func (h *Handler) orgPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Organizational Structure", "admin"
	org, err := h.svc.OrgStructure(r.Context())
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = org
	h.render(w, r, http.StatusOK, "org", p)
}

func (h *Handler) orgAction(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Organizational Structure", "admin"
	ctx := r.Context()
	var err error
	switch r.PostFormValue("action") {
	case "division", "line":
		name := strings.TrimSpace(r.PostFormValue("name"))
		level := 1
		if r.PostFormValue("action") == "line" {
			level = 2
		}
		switch {
		case name == "":
			p.Errors[r.PostFormValue("action")] = "Enter a name."
		case len([]rune(name)) > 100:
			p.Errors[r.PostFormValue("action")] = "At most 100 characters."
		default:
			_, err = h.svc.AddOrgUnit(ctx, level, name)
		}
	case "associate":
		_, err = h.svc.Associate(ctx, r.PostFormValue("division"), r.PostFormValue("line"))
	default:
		err = errUnknown
	}
	if err == nil && len(p.Errors) == 0 {
		http.Redirect(w, r, "/admin/org?flash="+url.QueryEscape("Saved."), http.StatusSeeOther)
		return
	}
	if err != nil {
		p.Error = messageOf(err)
	}
	org, lerr := h.svc.OrgStructure(ctx)
	if lerr != nil {
		h.fail(w, r, p, lerr)
		return
	}
	p.Data = org
	h.render(w, r, http.StatusUnprocessableEntity, "org", p)
}

// picklistFields are the lists the service desk and CRM pages use.
var picklistFields = []picklistList{
	{Name: "Queues", picklistField: ticketQueue}, {Name: "Ticket statuses", picklistField: ticketStatus}, {Name: "Ticket priorities", picklistField: ticketPriority},
	{Name: "Issue types", picklistField: mustPicklist(ticketsE, "issueType")}, {Name: "Sub-issue types", picklistField: mustPicklist(ticketsE, "subIssueType")},
	{Name: "Sources", picklistField: ticketSource}, {Name: "Company types", picklistField: companyType}, {Name: "Classifications", picklistField: companyClass},
	{Name: "Configuration item types", picklistField: picklistField{e: ciTypeList.e, field: "name", index: ciTypeList.name}, rows: ciTypeList},
	{Name: "Ticket note types", picklistField: mustPicklist(notesE, "noteType")},
}

// picklistList is a list of the Picklists page: its name and its field, or for a list kept as
// rows of a collection, that collection (its field is then the rows' name).
type picklistList struct {
	Name string
	picklistField
	rows *rowList
}

type picklistView struct {
	Name, Entity, Field string
	URL                 string
	Values              []option
	Default             int64
}

func (h *Handler) picklistsPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Picklists", "admin"
	var out []picklistView
	for _, f := range picklistFields {
		v := picklistView{Name: f.Name, Entity: f.e.Name, Field: f.field}
		if editablePicklist(f.e.Name, f.field) != nil {
			v.URL = picklistURL(f.e.Name, f.field)
		}
		vals, _ := h.listValues(r.Context(), &f)
		for _, pv := range vals {
			label := pv.Label
			if !pv.IsActive {
				label += " (inactive)"
			}
			v.Values = append(v.Values, option{ID: pv.Value, Name: label})
			if pv.IsDefault {
				v.Default = pv.Value
			}
		}
		out = append(out, v)
	}
	p.Data = out
	h.render(w, r, http.StatusOK, "picklists", p)
}

func (h *Handler) udfsPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "User-Defined Fields", "admin"
	v := &listView{Crumb: "Admin", Heading: "User-Defined Fields", Sub: "Extra fields of companies, contacts, tickets and the other collections; the REST API reads and writes them as userDefinedFields.",
		Columns: columns("Collection", "Name", "Type", "Required", "Active"), NewURL: "/admin/udfs/new", NewLabel: "New field"}
	types := map[int64]string{1: "Text", 2: "Number", 3: "Date", 4: "List", 5: "Decimal"}
	for _, e := range udfEntities {
		defs, err := h.svc.UDFDefinitions(r.Context(), e)
		if err != nil {
			h.fail(w, r, p, err)
			return
		}
		for _, d := range defs {
			v.Rows = append(v.Rows, []cell{{Text: e.Name}, {Text: d.Name}, {Text: types[d.DataType]}, {Text: str(d.IsRequired)}, {Text: str(d.IsActive)}})
		}
	}
	p.Data = v
	h.render(w, r, http.StatusOK, "list", p)
}
