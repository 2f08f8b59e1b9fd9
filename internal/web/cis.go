package web

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Configuration items (Autotask's ConfigurationItems): the detail page, New Configuration Item
// and Edit. The forms are crm.go's record forms, so every write is psa.Create or psa.Update
// with the signed-in resource's rights, as through the REST API.

var ciForm = &entityForm{entity: cisE, title: "Configuration Items", noun: "configuration item", list: "/crm/cis", defaults: ciDefaults, form: formOf(cisE, []formField{
	{Name: "referenceTitle", Label: "Reference title", Kind: "text", Hint: "The name technicians know it by, such as ACME-SRV-01."},
	{Name: "companyID", Label: "Company", Kind: "pick", Required: true, Pick: companyPicker, Source: &companyNames},
	{Name: "configurationItemType", Label: "Type", Kind: "select", Blank: "—", choices: activeChoices(ciTypeNames), Source: &ciTypeNames},
	{Name: "productID", Label: "Product", Kind: "select", Required: true, choices: activeChoices(productNames), Source: &productNames,
		EmptyHint: "There are no products yet: an administrator adds them through the REST API (Products)."},
	{Name: "serialNumber", Label: "Serial number", Kind: "text"},
	{Name: "referenceNumber", Label: "Reference number", Kind: "text"},
	{Name: "installDate", Label: "Install date", Kind: "date"},
	{Name: "warrantyExpirationDate", Label: "Warranty expiration date", Kind: "date"},
	{Name: "location", Label: "Location", Kind: "text", Hint: "Where it is: a room, a rack, a person's desk."},
	{Name: "contactID", Label: "Contact", Kind: "pick", Pick: contactPicker, ScopeBy: "companyID", Source: &contactNames},
	{Name: "notes", Label: "Notes", Kind: "textarea"},
	{Name: "isActive", Label: "Active", Kind: "check"},
})}

// ciDefaults: the company of the page the form was opened from, and the product when the
// tenant has only one.
func ciDefaults(h *Handler, r *http.Request, p *page) {
	preselectCompany(h, r, p)
	if products := h.activeNamed(r.Context(), productNames); len(products) == 1 {
		p.Form["productID"] = strconv.FormatInt(products[0].ID, 10)
	}
}

func activeChoices(n rowName) func(*Handler, context.Context) []option {
	return func(h *Handler, ctx context.Context) []option { return h.activeNamed(ctx, n) }
}

// activeNamed is named without the inactive rows (types and products no longer in use), sorted
// by name.
func (h *Handler) activeNamed(ctx context.Context, n rowName) []option {
	rows, err := h.svc.Query(ctx, n.e, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "isActive", Value: true}}}, nil, -1, 1000)
	if err != nil {
		return nil
	}
	out := make([]option, 0, len(rows))
	for _, row := range rows {
		out = append(out, option{ID: row.ID(n.e), Name: n.of(row)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ciTitle is a configuration item's reference title, or its number when it has none.
func ciTitle(row *store.Row) string {
	if t, _ := row.Values[ciF.referenceTitle].(string); t != "" {
		return t
	}
	return "Configuration item " + strconv.FormatInt(row.ID(cisE), 10)
}

// prop is one labelled value of a detail page, linked when it names another record.
type prop struct {
	Label, Text, Href string
}

type ciTicket struct {
	ID                    int64
	Number, Title, Status string
	Updated               time.Time
}

type ciView struct {
	ID                 int64
	Title              string
	Company            string
	CompanyID          int64
	Active, CanEdit    bool
	Props              []prop
	Notes              string
	Tickets            []ciTicket
	TicketsUnavailable bool // the level may not see tickets
}

// ciLinks are the pages a select of the form links to on the item's page.
var ciLinks = map[string]string{"companyID": "/crm/companies/", "contactID": "/crm/contacts/"}

func (h *Handler) ciPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "crm"
	ctx := r.Context()
	id := atoi64(r.PathValue("id"))
	row, err := h.visibleRow(ctx, cisE, id, "configuration item")
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	v := &ciView{ID: id, Title: ciTitle(row), CompanyID: id64(row.Values[ciF.companyID]), CanEdit: allowed(ctx, cisE, id)}
	v.Active, _ = row.Values[ciF.isActive].(bool)
	v.Notes, _ = row.Values[ciF.notes].(string)
	// The fields the form edits, in its order; a select's value by the name of its row.
	for _, f := range ciForm.form {
		val := row.Values[f.index]
		text, href := formValue(val, f.Kind), ""
		switch {
		case f.Kind == "check" || f.Kind == "textarea" || f.Name == "referenceTitle":
			continue
		case f.Source != nil && text != "":
			n := id64(val)
			if text = h.rowNames(ctx, *f.Source, n)[n]; text == "" {
				text = "No. " + strconv.FormatInt(n, 10) // a row the user may not see
			} else if link, ok := ciLinks[f.Name]; ok {
				href = link + strconv.FormatInt(n, 10)
			}
		}
		if f.Name == "companyID" {
			v.Company = text
		}
		if text != "" {
			v.Props = append(v.Props, prop{Label: f.Label, Text: text, Href: href})
		}
	}
	v.Props = append(v.Props, prop{Label: "Active", Text: str(v.Active)})
	v.Tickets, err = h.ciTickets(ctx, id)
	v.TicketsUnavailable = err != nil
	p.Title, p.Data = v.Title, v
	h.render(w, r, http.StatusOK, "ci", p)
}

// ciTickets are the tickets whose configurationItemID is the item, the latest first.
func (h *Handler) ciTickets(ctx context.Context, id int64) ([]ciTicket, error) {
	rows, err := h.svc.Query(ctx, ticketsE, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "configurationItemID", Value: id}}}, nil, -1, 200)
	if err != nil {
		return nil, err
	}
	status := h.labels(ctx, ticketStatus)
	ft := ticketF
	out := make([]ciTicket, 0, len(rows))
	for _, row := range rows {
		t := ciTicket{ID: row.ID(ticketsE), Status: status[id64(row.Values[ft.status])]}
		t.Number, _ = row.Values[ft.number].(string)
		t.Title, _ = row.Values[ft.title].(string)
		t.Updated = ticketUpdated(row)
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	return out, nil
}
