package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Pickers: a form field that chooses one record of a collection too large for a <select>
// (companies, contacts). The page shows a text input with the record's name and a hidden input
// with its id; the server resolves what was sent (resolvePick), so the field works without
// JavaScript. With it, app.js fills a <datalist> from /crm/lookup/{kind} as the user types and
// sets the hidden id when a suggestion is chosen. Every read goes through psa with the signed-in
// resource's rights: a record the user may not see is neither suggested nor resolved.

// picker is a collection a picker field chooses from.
type picker struct {
	e            *catalog.Entity
	noun, plural string // "company", "companies"
	kind         string // its lookup: /crm/lookup/{kind}
	order        string // the field suggestions are sorted by
	maxText      int    // the longest text that can name a record
}

var (
	companyPicker = &picker{e: companiesE, noun: "company", plural: "companies", kind: "companies", order: "companyName", maxText: 100}
	contactPicker = &picker{e: contactsE, noun: "contact", plural: "contacts", kind: "contacts", order: "lastName", maxText: 320}
	pickers       = map[string]*picker{companyPicker.kind: companyPicker, contactPicker.kind: contactPicker}
)

const (
	// lookupLimit is the most suggestions a lookup answers.
	lookupLimit = 20
	// lookupMin is the fewest characters a lookup searches for.
	lookupMin = 2
	// namedInError is how many matching records a refusal names.
	namedInError = 3
)

// label is how a record is shown in its field and its suggestion: a company's name; a
// contact's name with the email address that tells two people of one name apart.
func (pk *picker) label(row *store.Row) string {
	if pk.e == companiesE {
		n, _ := row.Values[companyF.name].(string)
		return n
	}
	name := recordName(contactsE, row)
	if email, _ := row.Values[contactF.email].(string); email != "" {
		return name + " <" + email + ">"
	}
	return name
}

// means reports whether text names row exactly (case aside): its label, or a contact's name or
// email address alone.
func (pk *picker) means(row *store.Row, text string) bool {
	if strings.EqualFold(text, pk.label(row)) {
		return true
	}
	if pk.e == contactsE {
		email, _ := row.Values[contactF.email].(string)
		return strings.EqualFold(text, recordName(contactsE, row)) || (email != "" && strings.EqualFold(text, email))
	}
	return false
}

// exact is the filter of the records text names exactly: eq is case-insensitive.
func (pk *picker) exact(text string) *query.Node {
	if pk.e == companiesE {
		return &query.Node{Op: "eq", Field: "companyName", Value: text}
	}
	// "Name <email>", as a suggestion fills the field: the address decides.
	if i := strings.LastIndex(text, "<"); i >= 0 && strings.HasSuffix(text, ">") {
		return &query.Node{Op: "eq", Field: "emailAddress", Value: strings.TrimSpace(text[i+1 : len(text)-1])}
	}
	if strings.Contains(text, "@") {
		return &query.Node{Op: "eq", Field: "emailAddress", Value: text}
	}
	// A full name: first and last name split at any space ("Mary Ann Smith").
	words := strings.Fields(text)
	or := &query.Node{Op: "or"}
	for i := 1; i < len(words); i++ {
		or.Items = append(or.Items, &query.Node{Op: "and", Items: []*query.Node{
			{Op: "eq", Field: "firstName", Value: strings.Join(words[:i], " ")},
			{Op: "eq", Field: "lastName", Value: strings.Join(words[i:], " ")}}})
	}
	if len(or.Items) == 0 { // one word names no one exactly
		return nil
	}
	return or
}

// matching is the filter of the records whose name contains text: a company's name; for a
// contact, each word in the first name, last name or email address.
func (pk *picker) matching(text string) *query.Node {
	if pk.e == companiesE {
		return &query.Node{Op: "contains", Field: "companyName", Value: text}
	}
	and := &query.Node{Op: "and"}
	for _, w := range strings.Fields(strings.NewReplacer("<", " ", ">", " ").Replace(text)) {
		if len([]rune(w)) > 50 {
			w = string([]rune(w)[:50])
		}
		and.Items = append(and.Items, &query.Node{Op: "or", Items: []*query.Node{
			{Op: "contains", Field: "firstName", Value: w}, {Op: "contains", Field: "lastName", Value: w},
			{Op: "contains", Field: "emailAddress", Value: w}}})
	}
	if len(and.Items) == 0 {
		return &query.Node{Op: "exist", Field: "id"}
	}
	return and
}

// find lists the records of filter (and scope) in the caller's rights, sorted, at most limit,
// with the count of all of them.
func (h *Handler) find(ctx context.Context, pk *picker, filter, scope *query.Node, limit int) ([]*store.Row, int64, error) {
	nodes := []*query.Node{filter}
	if scope != nil {
		nodes = append(nodes, scope)
	}
	page, err := h.svc.List(ctx, pk.e, &query.Request{FilterPresent: true, Filter: nodes}, store.Order{Field: pk.order}, 0, limit)
	if err != nil {
		return nil, 0, err
	}
	return page.Rows, page.Total, nil
}

// pickScope limits a picker to the records of one company (the contacts of a ticket's company).
type pickScope struct {
	node *query.Node
	of   string // "of Acme Dental Group", for the messages
}

// companyScope is the scope of a contact picker whose company is id.
func (h *Handler) companyScope(ctx context.Context, id int64) *pickScope {
	name := h.rowNames(ctx, companyNames, id)[id]
	if name == "" {
		name = "the company"
	}
	return &pickScope{node: &query.Node{Op: "eq", Field: "companyID", Value: id}, of: " of " + name}
}

// resolvePick reads the picker field key of a posted form: the hidden id (key) and the typed
// text (key+"Text"), and decides which record they mean. keep is the id the record being
// edited has now (-1 on a new record): left as it was shown, it stays even when the user may
// no longer see it. The form's values are kept in p.Form; a refusal goes in p.Errors[key].
// chosen is false when the field was left empty (or refused).
func (h *Handler) resolvePick(ctx context.Context, p *page, r *http.Request, pk *picker, key string, keep int64, scope *pickScope) (id int64, chosen bool) {
	idRaw := strings.TrimSpace(r.PostFormValue(key))
	texts, typed := r.PostForm[key+"Text"]
	text := ""
	if typed {
		text = strings.Join(strings.Fields(strings.Join(texts, " ")), " ")
	}
	p.Form[key], p.Form[key+"Text"] = idRaw, text
	if typed && text == "" {
		p.Form[key] = ""
		return 0, false
	}
	var sc *query.Node
	of := ""
	if scope != nil {
		sc, of = scope.node, scope.of
	}
	if n, err := strconv.ParseInt(idRaw, 10, 64); err == nil && idRaw != "" {
		rows, _, err := h.find(ctx, pk, &query.Node{Op: "eq", Field: "id", Value: n}, sc, 1)
		switch {
		case err == nil && len(rows) == 1 && (!typed || pk.means(rows[0], text)):
			p.Form[key+"Text"] = pk.label(rows[0])
			return n, true
		case n == keep && (!typed || text == h.pickText(ctx, pk, n)):
			return n, true // the record's value as it was shown, though the user may not see it
		case !typed:
			p.Errors[key] = fmt.Sprintf("There is no such %s%s, or your security level does not let you see it.", pk.noun, of)
			return 0, false
		}
	}
	if !typed {
		return 0, false
	}
	p.Form[key] = ""
	if len([]rune(text)) > pk.maxText {
		p.Errors[key] = fmt.Sprintf("No %s%s is named “%s”.", pk.noun, of, clip(text, 60))
		return 0, false
	}
	var rows []*store.Row
	var total int64
	var err error
	if exact := pk.exact(text); exact != nil {
		rows, total, err = h.find(ctx, pk, exact, sc, namedInError+1)
	}
	if err != nil {
		p.Errors[key] = messageOf(err)
		return 0, false
	}
	if total == 1 {
		p.Form[key], p.Form[key+"Text"] = strconv.FormatInt(rows[0].ID(pk.e), 10), pk.label(rows[0])
		return rows[0].ID(pk.e), true
	}
	if total > 1 {
		how := "choose one from the suggestions"
		if pk.e == contactsE {
			how = "type the email address"
		}
		p.Errors[key] = fmt.Sprintf("%d %s%s are named “%s”: %s; %s.", total, pk.plural, of, text, pk.few(rows, total), how)
		return 0, false
	}
	rows, total, err = h.find(ctx, pk, pk.matching(text), sc, namedInError+1)
	switch {
	case err != nil || total == 0:
		p.Errors[key] = fmt.Sprintf("No %s%s is named “%s”.", pk.noun, of, text)
	case total == 1:
		p.Errors[key] = fmt.Sprintf("No %s%s is named “%s”; did you mean %s? Type the whole name or choose it from the suggestions.", pk.noun, of, text, pk.label(rows[0]))
	default:
		p.Errors[key] = fmt.Sprintf("%d %s%s match “%s”: %s; type more of the name.", total, pk.plural, of, text, pk.few(rows, total))
	}
	return 0, false
}

// few names the first of rows, with "…" when total has more.
func (pk *picker) few(rows []*store.Row, total int64) string {
	var names []string
	for i, row := range rows {
		if i == namedInError {
			break
		}
		names = append(names, pk.label(row))
	}
	out := strings.Join(names, ", ")
	if total > int64(len(names)) {
		out += ", …"
	}
	return out
}

// pickText is what a picker field shows for the record id: its label, or its number when the
// user may not see it.
func (h *Handler) pickText(ctx context.Context, pk *picker, id int64) string {
	rows, err := h.svc.ByIDs(ctx, pk.e, []int64{id})
	if err == nil {
		if row, ok := rows[id]; ok {
			return pk.label(row)
		}
	}
	return "No. " + strconv.FormatInt(id, 10)
}

// fillPick shows the record id (a form's current or preselected value) in the picker field key.
func (h *Handler) fillPick(ctx context.Context, p *page, pk *picker, key string, id int64) {
	p.Form[key], p.Form[key+"Text"] = strconv.FormatInt(id, 10), h.pickText(ctx, pk, id)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// pickView is what the "picker" template draws: the text input (InputID, labelled by the
// page), the hidden id (Name) and the suggestions' <datalist>.
type pickView struct {
	Name, InputID string
	Text, ID      string
	Lookup, Scope string // the lookup URL; the id of the hidden input that scopes it
	Error         string
	Hint          string
}

// Pick is the picker field key of the page, for the "picker" template: kind is the lookup
// ("companies"), scope the id of the hidden input whose value limits the suggestions.
func (p *page) Pick(key, inputID, kind, scope string) pickView {
	v := pickView{Name: key, InputID: inputID, Text: p.Form[key+"Text"], ID: p.Form[key], Lookup: "/crm/lookup/" + kind,
		Scope: scope, Error: p.Errors[key], Hint: "Type part of the name and choose it from the suggestions."}
	if kind == contactPicker.kind {
		v.Hint = "Type part of the name or email address and choose from the suggestions."
		if scope != "" {
			v.Hint = "A contact of the company above: type part of the name or email address."
		}
	}
	return v
}

// suggestion is one answer of a lookup.
type suggestion struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
	Hint  string `json:"hint,omitempty"`
}

// lookup answers GET /crm/lookup/{kind}?q=…[&company=id]: at most lookupLimit records of the
// kind whose name contains q, in the signed-in resource's rights, as JSON. Fewer than
// lookupMin characters suggest nothing.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	pk, ok := pickers[r.PathValue("kind")]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "There is no such lookup."})
		return
	}
	ctx := r.Context()
	q := strings.Join(strings.Fields(r.URL.Query().Get("q")), " ")
	out := []suggestion{}
	if len([]rune(q)) >= lookupMin && len([]rune(q)) <= pk.maxText {
		var scope *query.Node
		if c, err := strconv.ParseInt(r.URL.Query().Get("company"), 10, 64); pk == contactPicker && err == nil {
			scope = &query.Node{Op: "eq", Field: "companyID", Value: c}
		}
		rows, _, err := h.find(ctx, pk, pk.matching(q), scope, lookupLimit)
		if err != nil {
			e := apperr.As(err)
			w.WriteHeader(e.Status)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": messageOf(err)})
			return
		}
		var companies map[int64]string
		if pk == contactPicker && scope == nil {
			companies = h.rowNames(ctx, companyNames, idsOf(rows, contactF.companyID)...)
		}
		for _, row := range rows {
			sg := suggestion{ID: row.ID(pk.e), Label: pk.label(row)}
			if companies != nil {
				sg.Hint = companies[id64(row.Values[contactF.companyID])]
			}
			active := companyF.isActive
			if pk == contactPicker {
				active = contactF.isActive
			}
			if a, ok := row.Values[active].(bool); ok && !a {
				sg.Hint = strings.TrimSpace(sg.Hint + " (inactive)")
			} else if a, ok := row.Values[active].(int64); ok && a == 0 {
				sg.Hint = strings.TrimSpace(sg.Hint + " (inactive)")
			}
			out = append(out, sg)
		}
	}
	_ = json.NewEncoder(w).Encode(out)
}

// lookupRoute is lookup for a console session only; without one it answers 401 in JSON, not
// the sign-in page a script could not use.
func (h *Handler) lookupRoute() http.HandlerFunc {
	inner := h.console(h.lookup)
	return func(w http.ResponseWriter, r *http.Request) {
		if s, err := h.consoleSession(r); err != nil || s == nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "Sign in to the console first."})
			return
		}
		inner(w, r)
	}
}

// Kind is the picker's lookup name, for the record form's template.
func (pk *picker) Kind() string { return pk.kind }
