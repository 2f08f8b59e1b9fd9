package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// CRM forms: New Company, New Contact and Edit of each. A form field is named as the catalog
// field it writes; the row is written through psa.Create and psa.Update with the signed-in
// resource's rights, so required fields, lengths, picklist values, references, hooks and
// permissions are the REST API's, and the service's messages are shown beside their fields.

// formField is one labelled field of a record form.
type formField struct {
	Name, Label string
	Kind        string // text, email, tel, url, date, textarea, select, pick, check
	Required    bool
	MaxLength   int // the catalog's length (0: none), plus a margin so that the service says it
	Options     []option
	Blank       string   // the label of the empty choice of a select that may stay empty
	Source      *rowName // names a select's current value when the list no longer offers it
	EmptyHint   string   // shown under a select with nothing to choose from
	Hint        string

	Pick    *picker // a pick field's collection (picker.go)
	ScopeBy string  // a pick field whose company limits this one: the contact of a company

	index     int                                            // of the catalog field Name, resolved by formOf
	choices   func(h *Handler, ctx context.Context) []option // a select's options, read for each page
	hideEmpty bool                                           // a select left off the form when it has no options
}

// recordForm is a New or Edit page of a catalog row.
type recordForm struct {
	Crumb, CrumbURL string
	Heading, Sub    string
	Action, Cancel  string
	Submit          string
	Fields          []formField
}

// entityForm describes a CRM collection's form.
type entityForm struct {
	entity *catalog.Entity
	title  string // the crumb: "Companies", "Configuration Items"
	noun   string // "company"
	list   string // "/crm/companies"
	form   []formField
	// defaults fills a New form with what a technician expects (the default type, the company
	// of the page it was opened from).
	defaults func(h *Handler, r *http.Request, p *page)
}

// The CRM forms, their fields resolved against the catalog when the package starts: a field
// the collection lacks stops the program there, not a page.
var (
	companyForm = &entityForm{entity: companiesE, title: "Companies", noun: "company", list: "/crm/companies", defaults: companyDefaults, form: formOf(companiesE, []formField{
		{Name: "companyName", Label: "Name", Kind: "text", Required: true},
		{Name: "companyType", Label: "Type", Kind: "select", Required: true, choices: picklistChoices(companyType)},
		{Name: "phone", Label: "Phone", Kind: "tel", Required: true},
		{Name: "webAddress", Label: "Web address", Kind: "url"},
		{Name: "address1", Label: "Address", Kind: "text"},
		{Name: "city", Label: "City", Kind: "text"},
		{Name: "state", Label: "State or province", Kind: "text"},
		{Name: "postalCode", Label: "Postal code", Kind: "text"},
		{Name: "countryID", Label: "Country", Kind: "select", Blank: "—", choices: namedChoices(countryNames), hideEmpty: true},
		{Name: "ownerResourceID", Label: "Account manager (owner)", Kind: "select", Required: true,
			choices: func(h *Handler, ctx context.Context) []option { return h.activePeople(ctx) }},
		{Name: "classification", Label: "Classification", Kind: "select", Blank: "—", choices: picklistChoices(companyClass)},
		{Name: "isActive", Label: "Active", Kind: "check"},
	})}
	contactForm = &entityForm{entity: contactsE, title: "Contacts", noun: "contact", list: "/crm/contacts", defaults: preselectCompany, form: formOf(contactsE, []formField{
		{Name: "firstName", Label: "First name", Kind: "text", Required: true},
		{Name: "lastName", Label: "Last name", Kind: "text", Required: true},
		{Name: "companyID", Label: "Company", Kind: "pick", Required: true, Pick: companyPicker, Source: &companyNames},
		{Name: "title", Label: "Job title", Kind: "text"},
		{Name: "emailAddress", Label: "Email address", Kind: "email", Hint: "The contact signs in to the client portal with it."},
		{Name: "phone", Label: "Phone", Kind: "tel"},
		{Name: "mobilePhone", Label: "Mobile phone", Kind: "tel"},
		{Name: "isActive", Label: "Active", Kind: "check"},
	})}
)

// companyDefaults: the tenant's default company type, the signed-in resource as owner.
func companyDefaults(h *Handler, r *http.Request, p *page) {
	vals, _ := h.svc.Picklist(r.Context(), companyType.e, companyType.field)
	for _, v := range vals {
		if v.IsDefault {
			p.Form["companyType"] = strconv.FormatInt(v.Value, 10)
		}
	}
	p.Form["ownerResourceID"] = strconv.FormatInt(p.User.Resource.ID, 10)
}

// preselectCompany takes the company of the page the form was opened from (?company=).
func preselectCompany(h *Handler, r *http.Request, p *page) {
	if c, err := strconv.ParseInt(r.URL.Query().Get("company"), 10, 64); err == nil {
		p.Form["companyID"] = strconv.FormatInt(c, 10)
	}
}

// formOf resolves each field of a form against e (its index, and its length with a margin),
// panicking on a name e lacks.
func formOf(e *catalog.Entity, fs []formField) []formField {
	for i := range fs {
		fs[i].index = e.MustIndex(fs[i].Name)
		if l := e.Fields[fs[i].index].Length; l > 0 {
			fs[i].MaxLength = l + 10
		}
	}
	return fs
}

func picklistChoices(p picklistField) func(*Handler, context.Context) []option {
	return func(h *Handler, ctx context.Context) []option { return h.picklist(ctx, p) }
}

func namedChoices(n rowName) func(*Handler, context.Context) []option {
	return func(h *Handler, ctx context.Context) []option { return h.named(ctx, n) }
}

// fields is the form of ef for one page, its selects' options read with the caller's rights.
func (ef *entityForm) fields(ctx context.Context, h *Handler) []formField {
	out := make([]formField, 0, len(ef.form))
	for _, f := range ef.form {
		if f.choices != nil {
			f.Options = f.choices(h, ctx)
			if f.hideEmpty && len(f.Options) == 0 {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// recordRoutes serves the New and Edit forms of f under its list's path: GET and POST of
// list/new and list/{id}/edit.
func (h *Handler) recordRoutes(m *http.ServeMux, f *entityForm) {
	id := func(r *http.Request) int64 { return atoi64(r.PathValue("id")) }
	m.HandleFunc("GET "+f.list+"/new", h.console(func(w http.ResponseWriter, r *http.Request, s *session, p *page) {
		h.recordPage(w, r, p, f, 0)
	}))
	m.HandleFunc("POST "+f.list+"/new", h.console(func(w http.ResponseWriter, r *http.Request, s *session, p *page) {
		h.saveRecord(w, r, p, f, 0)
	}))
	m.HandleFunc("GET "+f.list+"/{id}/edit", h.console(func(w http.ResponseWriter, r *http.Request, s *session, p *page) {
		h.recordPage(w, r, p, f, id(r))
	}))
	m.HandleFunc("POST "+f.list+"/{id}/edit", h.console(func(w http.ResponseWriter, r *http.Request, s *session, p *page) {
		h.saveRecord(w, r, p, f, id(r))
	}))
}

// view is the page of the form: "New Company", or "Edit Acme Dental Group".
func (ef *entityForm) view(id int64, name string, fields []formField) *recordForm {
	noun := titleCase(ef.noun)
	v := &recordForm{Crumb: ef.title, CrumbURL: ef.list, Fields: fields}
	if id == 0 {
		v.Heading, v.Action, v.Cancel, v.Submit = "New "+noun, ef.list+"/new", ef.list, "Save"
		v.Sub = "Fields marked * are required."
	} else {
		one := ef.list + "/" + strconv.FormatInt(id, 10)
		v.Heading, v.Action, v.Cancel, v.Submit = "Edit "+name, one+"/edit", one, "Save"
		v.Sub = "Change what you need and save; fields marked * are required."
	}
	return v
}

// recordPage shows a blank New form (with the defaults a technician expects) or the Edit form
// filled from the row.
func (h *Handler) recordPage(w http.ResponseWriter, r *http.Request, p *page, ef *entityForm, id int64) {
	ctx := r.Context()
	p.Section = "crm"
	e := ef.entity
	fields := ef.fields(ctx, h)
	name := ""
	if id == 0 {
		for _, f := range fields {
			if f.Kind == "check" {
				p.Form[f.Name] = "on"
			}
		}
		if ef.defaults != nil {
			ef.defaults(h, r, p)
		}
	} else {
		row, err := h.visibleRow(ctx, e, id, ef.noun)
		if err != nil {
			h.fail(w, r, p, err)
			return
		}
		for _, f := range fields {
			p.Form[f.Name] = formValue(row.Values[f.index], f.Kind)
		}
		name = recordName(e, row)
	}
	for _, f := range fields {
		if n, err := strconv.ParseInt(p.Form[f.Name], 10, 64); f.Kind == "pick" && err == nil {
			h.fillPick(ctx, p, f.Pick, f.Name, n)
		}
	}
	h.keepCurrent(ctx, p, fields)
	v := ef.view(id, name, fields)
	if !allowed(ctx, e, id) {
		p.Error = "Your security level does not allow you to " + map[bool]string{true: "add", false: "edit"}[id == 0] + " " + ef.noun + " records; saving will be refused."
	}
	p.Title, p.Data = v.Heading, v
	h.render(w, r, http.StatusOK, "record", p)
}

// saveRecord writes the form through psa; on any error the form comes back as typed, with the
// service's messages beside their fields, and nothing is saved.
func (h *Handler) saveRecord(w http.ResponseWriter, r *http.Request, p *page, ef *entityForm, id int64) {
	ctx := r.Context()
	p.Section = "crm"
	e := ef.entity
	fields := ef.fields(ctx, h)
	name := ""
	var current *store.Row
	if id != 0 {
		row, err := h.visibleRow(ctx, e, id, ef.noun)
		if err != nil {
			h.fail(w, r, p, err)
			return
		}
		name, current = recordName(e, row), row
	}
	in := psa.NewInput()
	picked := map[string]int64{}
	if id != 0 {
		in.Set[e.IDIndex()] = id
	}
	for _, f := range fields {
		if f.Kind == "pick" {
			keepID := int64(-1)
			if current != nil {
				if n, ok := current.Values[f.index].(int64); ok {
					keepID = n
				}
			}
			var scope *pickScope
			if c, ok := picked[f.ScopeBy]; ok && f.ScopeBy != "" {
				scope = h.companyScope(ctx, c)
			}
			if n, ok := h.resolvePick(ctx, p, r, f.Pick, f.Name, keepID, scope); ok {
				in.Set[f.index], picked[f.Name] = n, n
			} else {
				in.Set[f.index] = nil
			}
			continue
		}
		raw := strings.TrimSpace(r.PostFormValue(f.Name))
		if f.Kind == "textarea" {
			raw = strings.ReplaceAll(raw, "\r\n", "\n") // a browser sends a textarea's lines with CRLF
		}
		p.Form[f.Name] = raw
		cf := &e.Fields[f.index]
		switch {
		case f.Kind == "check":
			on := raw != ""
			if cf.Type == catalog.Boolean {
				in.Set[f.index] = on
			} else if on {
				in.Set[f.index] = int64(1)
			} else {
				in.Set[f.index] = int64(0)
			}
		case raw == "":
			in.Set[f.index] = nil
		case cf.Type == catalog.DateTime:
			d, err := time.Parse(time.DateOnly, raw)
			if err != nil {
				p.Errors[f.Name] = "Enter a date as YYYY-MM-DD."
				continue
			}
			in.Set[f.index] = d
		case cf.Type.IsInteger():
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				p.Errors[f.Name] = "Choose a value from the list."
				continue
			}
			in.Set[f.index] = n
		default:
			in.Set[f.index] = raw
		}
	}
	status := http.StatusUnprocessableEntity
	if len(p.Errors) == 0 {
		var err error
		if id == 0 {
			id, err = h.svc.Create(ctx, e, in, nil)
		} else {
			_, err = h.svc.Update(ctx, e, in, nil, false)
		}
		if err == nil {
			msg := "The " + ef.noun + " was saved."
			http.Redirect(w, r, ef.list+"/"+strconv.FormatInt(id, 10)+"?flash="+url.QueryEscape(msg), http.StatusSeeOther)
			return
		}
		fieldErrors(p, e, fields, err)
		if apperr.As(err).Status == http.StatusForbidden {
			status = http.StatusForbidden
		}
	}
	if p.Error == "" {
		p.Error = "The " + ef.noun + " was not saved: correct the fields marked below."
	}
	h.keepCurrent(ctx, p, fields)
	v := ef.view(id, name, fields)
	p.Title, p.Data = v.Heading, v
	h.render(w, r, status, "record", p)
}

// allowed reports whether the signed-in resource's level lets it add (id 0) or edit rows of e;
// the page warns, the service decides.
func allowed(ctx context.Context, e *catalog.Entity, id int64) bool {
	rights := rightsOf(ctx)
	if rights == nil {
		return true
	}
	if id == 0 {
		return rights.Allowed(e, access.Add)
	}
	return rights.Allowed(e, access.Edit)
}

// keepCurrent offers a select's current value even when the list does not (an inactive owner,
// a company the user cannot see), so that saving the form never changes it silently.
func (h *Handler) keepCurrent(ctx context.Context, p *page, fields []formField) {
	for i, f := range fields {
		n, err := strconv.ParseInt(p.Form[f.Name], 10, 64)
		if f.Kind != "select" || err != nil {
			continue
		}
		found := false
		for _, o := range f.Options {
			found = found || o.ID == n
		}
		if !found {
			label := "Current value (" + strconv.FormatInt(n, 10) + ")"
			source := f.Source
			if f.Name == "ownerResourceID" {
				source = &resourceNames
			}
			if source != nil {
				if name := h.rowNames(ctx, *source, n)[n]; name != "" {
					label = name + " (inactive)"
				}
			}
			fields[i].Options = append([]option{{ID: n, Name: label}}, f.Options...)
		}
	}
}

func formValue(v any, kind string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return "on"
		}
		return ""
	case int64:
		if kind == "check" {
			if x != 0 {
				return "on"
			}
			return ""
		}
		return strconv.FormatInt(x, 10)
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.DateOnly)
	}
	return ""
}

func recordName(e *catalog.Entity, row *store.Row) string {
	switch e {
	case companiesE:
		n, _ := row.Values[companyF.name].(string)
		return n
	case cisE:
		return ciTitle(row)
	}
	f, _ := row.Values[contactF.firstName].(string)
	l, _ := row.Values[contactF.lastName].(string)
	return strings.TrimSpace(f + " " + l)
}

// The psa messages that name a field, in Autotask's words.
var (
	reRequired = regexp.MustCompile(`^Missing Required Field: (\w+)$`)
	reLength   = regexp.MustCompile(`^String value exceeds maximum length \(field:(\w+)\)\.$`)
	reNamed    = regexp.MustCompile(`\b([a-z][A-Za-z0-9]*)\b`)
)

// fieldErrors puts each of the service's messages beside the field it names (in plain words
// for the required and length rules); a message naming no field of the form goes on top.
func fieldErrors(p *page, e *catalog.Entity, fields []formField, err error) {
	byName := map[string]formField{}
	for _, f := range fields {
		byName[f.Name] = f
	}
	ae := apperr.As(err)
	var top []string
	for _, msg := range ae.Messages {
		if m := reRequired.FindStringSubmatch(msg); m != nil {
			if f, ok := byName[m[1]]; ok {
				if f.Kind == "select" || f.Kind == "pick" {
					p.Errors[f.Name] = "Choose " + article(f.Label) + "."
				} else {
					p.Errors[f.Name] = "Enter " + article(f.Label) + "."
				}
				continue
			}
		}
		if m := reLength.FindStringSubmatch(msg); m != nil {
			if cf, ok := e.Field(m[1]); ok {
				if _, on := byName[m[1]]; on {
					p.Errors[m[1]] = "At most " + strconv.Itoa(cf.Length) + " characters."
					continue
				}
			}
		}
		placed := false
		if ae.Status != http.StatusForbidden {
			for _, m := range reNamed.FindAllString(msg, -1) {
				if _, ok := byName[m]; ok {
					p.Errors[m] = msg
					placed = true
					break
				}
			}
		}
		if !placed {
			top = append(top, msg)
		}
	}
	if len(top) > 0 {
		p.Error = strings.Join(top, " ")
	}
}

// titleCase capitalizes each word: "configuration item" → "Configuration Item".
func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

func article(label string) string {
	l := strings.ToLower(label)
	if strings.ContainsAny(l[:1], "aeiou") {
		return "an " + l
	}
	return "a " + l
}
