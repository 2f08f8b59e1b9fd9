package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Admin › Picklists (add, rename, activate and deactivate values) and Admin › User-Defined
// Fields (New field), through psa.AddPicklistValue, psa.EditPicklistValue and psa.Create of
// UserDefinedFieldDefinitions.

type picklistRow struct {
	Value                   int64
	Label, Typed, Error     string
	Parent                  string
	Active, Default, System bool
}

type picklistEdit struct {
	Name, Entity, Field string
	ParentLabel         string // "Issue type" when values belong to a parent value
	Parents             []option
	Rows                []picklistRow
}

// editablePicklist finds the entry of picklistFields the page names, or nil.
func editablePicklist(entity, field string) *picklistList {
	for i := range picklistFields {
		if picklistFields[i].e.Name == entity && picklistFields[i].field == field {
			return &picklistFields[i]
		}
	}
	return nil
}

func picklistURL(entity, field string) string {
	return "/admin/picklists/" + url.PathEscape(entity) + "/" + url.PathEscape(field)
}

func (h *Handler) picklistData(r *http.Request, f *picklistList) (*picklistEdit, error) {
	ctx := r.Context()
	e := f.e
	v := &picklistEdit{Name: f.Name, Entity: e.Name, Field: f.field}
	parents := map[int64]string{}
	if cf := &e.Fields[f.index]; cf.PicklistParent != "" {
		pf, _ := e.Field(cf.PicklistParent)
		v.ParentLabel = "Issue type" // subIssueType is the one list of the page with a parent
		vals, err := h.svc.Picklist(ctx, e, pf.Name)
		if err != nil {
			return nil, err
		}
		for _, pv := range vals {
			parents[pv.Value] = pv.Label
			if pv.IsActive {
				v.Parents = append(v.Parents, option{ID: pv.Value, Name: pv.Label})
			}
		}
	}
	vals, err := h.listValues(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, pv := range vals {
		row := picklistRow{Value: pv.Value, Label: pv.Label, Typed: pv.Label, Active: pv.IsActive, Default: pv.IsDefault, System: pv.IsSystem}
		if pv.Parent != nil {
			row.Parent = parents[*pv.Parent]
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

func (h *Handler) picklistPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "admin"
	f := editablePicklist(r.PathValue("entity"), r.PathValue("field"))
	if f == nil {
		h.fail(w, r, p, apperr.New(http.StatusNotFound, "There is no such picklist."))
		return
	}
	v, err := h.picklistData(r, f)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Title, p.Data = f.Name, v
	h.render(w, r, http.StatusOK, "picklist", p)
}

func (h *Handler) picklistAction(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "admin"
	ctx := r.Context()
	f := editablePicklist(r.PathValue("entity"), r.PathValue("field"))
	if f == nil {
		h.fail(w, r, p, apperr.New(http.StatusNotFound, "There is no such picklist."))
		return
	}
	value := atoi64(r.PostFormValue("value"))
	label := r.PostFormValue("label")
	var err error
	var flash string
	switch r.PostFormValue("action") {
	case "add":
		keep(p, r, "label", "parent")
		var parent *int64
		if n, perr := strconv.ParseInt(p.Form["parent"], 10, 64); perr == nil {
			parent = &n
		}
		if f.e.Fields[f.index].PicklistParent != "" && parent == nil {
			p.Errors["parent"] = "Choose the issue type the sub-issue type belongs to."
			break
		}
		var v int64
		if f.rows != nil {
			v, err = h.addListRow(ctx, f.rows, label)
		} else {
			v, err = h.svc.AddPicklistValue(ctx, f.e.Name, f.field, label, 0, parent)
		}
		if err == nil {
			flash = "Added " + strings.TrimSpace(label) + " (" + strconv.FormatInt(v, 10) + ")."
		}
	case "rename":
		if f.rows != nil {
			err = h.changeListRow(ctx, f.rows, value, f.rows.name, strings.TrimSpace(label))
		} else {
			_, err = h.svc.EditPicklistValue(ctx, f.e.Name, f.field, value, psa.PicklistValueChange{Label: &label})
		}
		flash = "Renamed."
	case "activate", "deactivate":
		on := r.PostFormValue("action") == "activate"
		if f.rows != nil {
			err = h.changeListRow(ctx, f.rows, value, f.rows.isActive, on)
		} else {
			_, err = h.svc.EditPicklistValue(ctx, f.e.Name, f.field, value, psa.PicklistValueChange{Active: &on})
		}
		flash = map[bool]string{true: "Activated.", false: "Deactivated: new records can no longer choose it; records that have it keep it."}[on]
	default:
		err = errUnknown
	}
	if err == nil && len(p.Errors) == 0 {
		http.Redirect(w, r, picklistURL(f.e.Name, f.field)+"?flash="+url.QueryEscape(flash), http.StatusSeeOther)
		return
	}
	v, lerr := h.picklistData(r, f)
	if lerr != nil {
		h.fail(w, r, p, lerr)
		return
	}
	if err != nil {
		msg := messageOf(err)
		switch r.PostFormValue("action") {
		case "add":
			p.Errors["label"] = msg
		case "rename", "activate", "deactivate":
			placed := false
			for i := range v.Rows {
				if v.Rows[i].Value == value {
					v.Rows[i].Error = msg
					if r.PostFormValue("action") == "rename" {
						v.Rows[i].Typed = label
					}
					placed = true
				}
			}
			if !placed {
				p.Error = msg
			}
		default:
			p.Error = msg
		}
	}
	if p.Error == "" {
		p.Error = "Nothing was saved: see the message below."
	}
	p.Title, p.Data = f.Name, v
	h.render(w, r, http.StatusUnprocessableEntity, "picklist", p)
}

// udfCollections are the collections a UDF can be made for here, by udfType.
var udfCollections = []option{{ID: 1, Name: "Companies"}, {ID: 4, Name: "Contacts"}, {ID: 6, Name: "Tickets"}, {ID: 2, Name: "ConfigurationItems"},
	{ID: 3, Name: "Opportunities"}, {ID: 7, Name: "Projects"}, {ID: 8, Name: "Tasks"}}

// udfDataTypes are the data types a UDF can be made with here (List needs list items, made
// through the REST API).
var udfDataTypes = []option{{ID: 1, Name: "Text"}, {ID: 2, Name: "Number"}, {ID: 5, Name: "Decimal"}, {ID: 3, Name: "Date"}}

type udfForm struct {
	Collections, DataTypes []option
}

func (h *Handler) newUDFPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "New User-Defined Field", "admin"
	p.Form["udfType"], p.Form["dataType"], p.Form["isActive"] = "1", "1", "on"
	p.Data = &udfForm{Collections: udfCollections, DataTypes: udfDataTypes}
	h.render(w, r, http.StatusOK, "udf_new", p)
}

func (h *Handler) createUDF(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "New User-Defined Field", "admin"
	p.Data = &udfForm{Collections: udfCollections, DataTypes: udfDataTypes}
	keep(p, r, "udfType", "name", "description", "dataType", "isRequired", "defaultValue", "isActive")
	e, fu := udfDefsE, udfDefF
	in := psa.NewInput()
	// field is a form field and the index of the field of the same name.
	type field struct {
		name string
		i    int
	}
	for _, f := range []field{{"udfType", fu.udfType}, {"dataType", fu.dataType}} {
		if n, err := strconv.ParseInt(p.Form[f.name], 10, 64); err == nil {
			in.Set[f.i] = n
		} else if p.Form[f.name] != "" {
			p.Errors[f.name] = "Choose a value from the list."
		} else {
			in.Set[f.i] = nil
		}
	}
	for _, f := range []field{{"name", fu.name}, {"description", fu.description}, {"defaultValue", fu.defaultValue}} {
		if p.Form[f.name] != "" {
			in.Set[f.i] = p.Form[f.name]
		} else {
			in.Set[f.i] = nil
		}
	}
	in.Set[fu.isRequired] = p.Form["isRequired"] != ""
	in.Set[fu.isActive] = p.Form["isActive"] != ""
	if len(p.Errors) == 0 {
		_, err := h.svc.Create(r.Context(), e, in, nil)
		if err == nil {
			http.Redirect(w, r, "/admin/udfs?flash="+url.QueryEscape("The field "+p.Form["name"]+" was added."), http.StatusSeeOther)
			return
		}
		fields := []formField{{Name: "udfType", Label: "Collection", Kind: "select"}, {Name: "name", Label: "Name", Kind: "text"},
			{Name: "description", Label: "Description", Kind: "text"}, {Name: "dataType", Label: "Data type", Kind: "select"},
			{Name: "defaultValue", Label: "Default value", Kind: "text"}, {Name: "isRequired", Label: "Required", Kind: "check"}}
		fieldErrors(p, e, fields, err)
		// The duplicate-name rule names the collection, not a field: it belongs beside the name.
		if strings.Contains(p.Error, "user-defined field named") {
			p.Errors["name"], p.Error = p.Error, ""
		}
	}
	if p.Error == "" {
		p.Error = "The field was not saved: correct the fields marked below."
	}
	h.render(w, r, http.StatusUnprocessableEntity, "udf_new", p)
}

// commonZones are the time zones Site Setup offers (IANA names; the service checks the one
// chosen, and the tenant's current zone is offered too when it is not among them).
var commonZones = []string{
	"UTC",
	"America/Anchorage", "America/Chicago", "America/Denver", "America/Edmonton", "America/Halifax", "America/Los_Angeles",
	"America/Mexico_City", "America/New_York", "America/Phoenix", "America/Regina", "America/Sao_Paulo", "America/St_Johns",
	"America/Toronto", "America/Vancouver", "America/Winnipeg", "America/Bogota", "America/Buenos_Aires", "America/Santiago",
	"Pacific/Honolulu", "Pacific/Auckland",
	"Europe/Amsterdam", "Europe/Athens", "Europe/Berlin", "Europe/Brussels", "Europe/Dublin", "Europe/Helsinki", "Europe/Istanbul",
	"Europe/Lisbon", "Europe/London", "Europe/Madrid", "Europe/Oslo", "Europe/Paris", "Europe/Prague", "Europe/Rome",
	"Europe/Stockholm", "Europe/Vienna", "Europe/Warsaw", "Europe/Zurich",
	"Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi",
	"Asia/Dubai", "Asia/Hong_Kong", "Asia/Jerusalem", "Asia/Karachi", "Asia/Kolkata", "Asia/Manila", "Asia/Singapore",
	"Asia/Seoul", "Asia/Shanghai", "Asia/Tokyo",
	"Australia/Adelaide", "Australia/Brisbane", "Australia/Perth", "Australia/Sydney",
}

// settingsView is Site Setup: the tenant and the time zones to choose from.
type settingsView struct {
	*store.Tenant
	Zones []string
}

// settingsData offers the common zones, the tenant's own, and the one sent when it was refused
// (so the form shows what was sent beside its error).
func settingsData(t *store.Tenant, sent string) *settingsView {
	zones := append([]string(nil), commonZones...)
	sort.Strings(zones[1:]) // UTC first, then by name
	for _, z := range []string{t.TimeZone, sent} {
		if z != "" && !slices.Contains(zones, z) {
			zones = append([]string{z}, zones...)
		}
	}
	return &settingsView{Tenant: t, Zones: zones}
}

// listValues are the values of a list of the Picklists pages: the picklist's, or the rows of a
// row list as values (id, name, active), read with the caller's rights.
func (h *Handler) listValues(ctx context.Context, f *picklistList) ([]store.PicklistValue, error) {
	if f.rows == nil {
		return h.svc.Picklist(ctx, f.e, f.field)
	}
	rows, err := h.svc.Query(ctx, f.rows.e, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "exist", Field: "id"}}}, nil, -1, 2000)
	if err != nil {
		return nil, err
	}
	out := make([]store.PicklistValue, 0, len(rows))
	for _, row := range rows {
		name, _ := row.Values[f.rows.name].(string)
		active, _ := row.Values[f.rows.isActive].(bool)
		out = append(out, store.PicklistValue{Value: row.ID(f.rows.e), Label: name, IsActive: active})
	}
	return out, nil
}

// addListRow creates an active row named label in a row list, through the collection's create
// (its rules and the caller's rights, as over the REST API).
func (h *Handler) addListRow(ctx context.Context, l *rowList, label string) (int64, error) {
	label = strings.TrimSpace(label)
	if label == "" {
		return 0, apperr.Invalid("Enter a label.")
	}
	in := psa.NewInput()
	in.Set[l.name], in.Set[l.isActive] = label, true
	return h.svc.Create(ctx, l.e, in, nil)
}

// changeListRow sets one field of a row of a row list through the collection's update.
func (h *Handler) changeListRow(ctx context.Context, l *rowList, id int64, field int, v any) error {
	if s, ok := v.(string); ok && s == "" {
		return apperr.Invalid("Enter a label.")
	}
	in := psa.NewInput()
	in.Set[l.e.IDIndex()], in.Set[field] = id, v
	_, err := h.svc.Update(ctx, l.e, in, nil, false)
	return err
}
