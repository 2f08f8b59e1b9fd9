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
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/connection"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/psa/admin"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Admin pages: "Account Settings & Users" in Autotask's words.

type dashboard struct {
	OpenTickets  int64
	MyTickets    int64
	AllTickets   int64
	APIUsers     int
	Resources    int
	Recent       []ticketLine
	Admin        bool
	PortalPrefix string
}

func (h *Handler) dashboard(ctx context.Context, s *session) (*dashboard, error) {
	d := &dashboard{Admin: s.user.Admin()}
	recent, all, err := h.recentTickets(ctx, everyRow(), 8)
	if err != nil && apperr.As(err).Status != http.StatusForbidden {
		return nil, err
	}
	if err == nil { // the counts, in the database: a tenant may have a million tickets
		d.AllTickets, d.Recent = all, recent
		open := &query.Node{Op: "noteq", Field: "status", Value: int64(5)} // 5: Complete
		n, err := h.svc.Count(ctx, ticketsE, &query.Request{FilterPresent: true, Filter: []*query.Node{open}}, nil)
		if err != nil {
			return nil, err
		}
		d.OpenTickets = n
		mine := &query.Node{Op: "eq", Field: "assignedResourceID", Value: s.user.Resource.ID}
		if n, err = h.svc.Count(ctx, ticketsE, &query.Request{FilterPresent: true, Filter: []*query.Node{open, mine}}, nil); err != nil {
			return nil, err
		}
		d.MyTickets = n
	}
	if d.Admin { // counted, not described one by one: a tenant may have hundreds of resources
		api, err := h.svc.DB.APIUsers(ctx)
		if err != nil {
			return nil, err
		}
		all, err := h.svc.Count(ctx, resourceNames.e, &query.Request{FilterPresent: true, Filter: everyRow()}, nil)
		if err != nil {
			return nil, err
		}
		d.APIUsers, d.Resources = len(api), int(all)-len(api)
	}
	return d, nil
}

func (h *Handler) adminHome(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Admin", "admin"
	p.Data = h.opt.AdminLinks
	h.render(w, r, http.StatusOK, "admin", p)
}

type resourceList struct {
	Query, Active, Kind string
	Rows                []*admin.Resource
}

func (h *Handler) resourcesPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Resources/Users", "admin"
	q := r.URL.Query()
	l := &resourceList{Query: strings.TrimSpace(q.Get("q")), Active: q.Get("active"), Kind: q.Get("kind")}
	if l.Active == "" {
		l.Active = "active"
	}
	all, err := h.svc.Resources(r.Context())
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	needle := strings.ToLower(l.Query)
	for _, res := range all {
		if (l.Active == "active" && !res.Active) || (l.Active == "inactive" && res.Active) {
			continue
		}
		if (l.Kind == "api" && !res.APIOnly) || (l.Kind == "people" && res.APIOnly) {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(res.FirstName+" "+res.LastName+" "+res.Email+" "+res.Username), needle) {
			continue
		}
		l.Rows = append(l.Rows, res)
	}
	p.Data = l
	h.render(w, r, http.StatusOK, "resources", p)
}

// choices are what the New Resource and New API User forms offer.
type choices struct {
	Levels      []*access.Level
	APILevels   []*access.Level
	Vendors     []*store.TrackingIdentifier
	Locations   []option
	Departments []option
	Roles       []option
	Queues      []option
	Approvers   []option
	LOBs        []option
	OrgOn       bool
	Strong      bool
	Created     *admin.APIUserCredentials
	Resource    *admin.Resource
	APIUser     *admin.APIUser
	Failures    []store.AuthFailure
	Selected    map[string][]int64
}

type option struct {
	ID   int64
	Name string
}

func (h *Handler) named(ctx context.Context, n rowName) []option {
	e := n.e
	// Through psa with the caller's rights: a list offers only rows the user may see.
	rows, err := h.svc.Query(ctx, e, &query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "exist", Field: "id"}}}, nil, -1, 1000)
	if err != nil {
		return nil
	}
	var out []option
	for _, row := range rows {
		var names []string
		for _, i := range n.fields {
			if v, ok := row.Values[i].(string); ok {
				names = append(names, v)
			}
		}
		out = append(out, option{ID: row.ID(e), Name: strings.Join(names, " ")})
	}
	return out
}

func (h *Handler) choices(ctx context.Context) (*choices, error) {
	c := &choices{Selected: map[string][]int64{}}
	levels, err := h.svc.SecurityLevels(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range levels {
		if !l.Active {
			continue
		}
		if l.APIOnly {
			c.APILevels = append(c.APILevels, l)
		} else {
			c.Levels = append(c.Levels, l)
		}
	}
	ids, err := h.svc.TrackingIdentifiers(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ids {
		if t.Kind == store.TrackingVendor && t.Active {
			c.Vendors = append(c.Vendors, t)
		}
	}
	sort.Slice(c.Vendors, func(i, j int) bool { return c.Vendors[i].Name < c.Vendors[j].Name })
	c.Locations = h.named(ctx, locationNames)
	c.Departments = h.named(ctx, departmentNames)
	c.Roles = h.named(ctx, roleNames)
	c.Queues = h.picklist(ctx, ticketQueue)
	res, err := h.svc.Resources(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		if !r.APIOnly && r.Active {
			c.Approvers = append(c.Approvers, option{ID: r.ID, Name: r.FirstName + " " + r.LastName})
		}
	}
	org, err := h.svc.OrgStructure(ctx)
	if err != nil {
		return nil, err
	}
	c.OrgOn = org.Enabled
	for _, a := range org.Associations {
		if a.Active {
			c.LOBs = append(c.LOBs, option{ID: a.ID, Name: a.Division.Name + " / " + a.Line.Name})
		}
	}
	t, err := h.svc.DB.TenantByID(ctx, mustTenant(ctx))
	if err == nil {
		c.Strong = t.StrongPasswords
	}
	return c, nil
}

func mustTenant(ctx context.Context) int64 {
	t, _ := store.TenantFrom(ctx)
	return t
}

func ids(values []string) []int64 {
	var out []int64
	for _, v := range values {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// field limits of the forms (the catalog's lengths of Resources).
var limits = map[string]int{"firstName": 50, "lastName": 50, "email": 254, "title": 50, "username": 50, "password": 128, "integrationCode": 100, "name": 200}

func checkLengths(p *page, r *http.Request, fields ...string) {
	for _, f := range fields {
		if n, ok := limits[f]; ok && len([]rune(r.PostFormValue(f))) > n {
			p.Errors[f] = "At most " + strconv.Itoa(n) + " characters."
		}
	}
}

func keep(p *page, r *http.Request, fields ...string) {
	for _, f := range fields {
		p.Form[f] = strings.TrimSpace(r.PostFormValue(f))
	}
}

func (h *Handler) newAPIUserPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "New API User", "admin"
	c, err := h.choices(r.Context())
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Form["tracking"] = "vendor"
	p.Form["securityLevel"] = access.SystemLevel(access.APIUserLevel).Name
	p.Form["location"] = "1"
	p.Data = c
	h.render(w, r, http.StatusOK, "apiuser_new", p)
}

func (h *Handler) createAPIUser(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "New API User", "admin"
	c, err := h.choices(r.Context())
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = c
	keep(p, r, "firstName", "lastName", "email", "securityLevel", "location", "username", "tracking", "vendor", "integrationCode")
	p.Form["secret"] = r.PostFormValue("secret")
	c.Selected["lobs"] = ids(r.PostForm["lobs"])
	checkLengths(p, r, "firstName", "lastName", "email", "username", "integrationCode")
	if len([]rune(p.Form["secret"])) > 128 {
		p.Errors["secret"] = "At most 128 characters."
	}
	if p.Form["firstName"] == "" {
		p.Errors["firstName"] = "Enter a first name."
	}
	if p.Form["lastName"] == "" {
		p.Errors["lastName"] = "Enter a last name."
	}
	if p.Form["email"] == "" {
		p.Errors["email"] = "Enter an email address."
	} else if !strings.Contains(p.Form["email"], "@") {
		p.Errors["email"] = "Enter an email address such as name@example.com."
	}
	in := admin.NewAPIUser{FirstName: p.Form["firstName"], LastName: p.Form["lastName"], Email: p.Form["email"], Username: p.Form["username"],
		Secret: p.Form["secret"], SecurityLevel: p.Form["securityLevel"], LocationID: atoi64(p.Form["location"]), LOBs: c.Selected["lobs"]}
	switch p.Form["tracking"] {
	case "vendor":
		if p.Form["vendor"] == "" {
			p.Errors["vendor"] = "Choose the integration vendor, or choose Custom."
		}
		in.Vendor = p.Form["vendor"]
	case "custom":
		in.IntegrationCode = p.Form["integrationCode"]
	default:
		p.Errors["tracking"] = "Choose Integration Vendor or Custom."
	}
	if len(p.Errors) > 0 {
		p.Error = "The API user was not saved: correct the fields marked below."
		h.render(w, r, http.StatusUnprocessableEntity, "apiuser_new", p)
		return
	}
	creds, err := h.svc.CreateAPIUser(r.Context(), in)
	if err != nil {
		formErr(p, err, map[string]string{"username": "username", "secret": "secret", "security level": "securityLevel", "vendor": "vendor",
			"tracking identifier": "integrationCode", "location": "location", "email": "email", "first": "firstName", "last": "lastName", "line": "lobs"})
		if p.Error == "" {
			p.Error = "The API user was not saved: correct the fields marked below."
		}
		h.render(w, r, http.StatusUnprocessableEntity, "apiuser_new", p)
		return
	}
	c.Created = creds
	p.Title = "API user created"
	p.Flash = "The API user was created. Copy the secret now: it is shown only once."
	h.render(w, r, http.StatusOK, "apiuser_created", p)
}

// generate answers the Generate Key and Generate Secret buttons.
func (h *Handler) generate(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	var v string
	switch r.PathValue("what") {
	case "key":
		v = auth.GenerateUsername()
		if d := s.user.Tenant.UsernameDomain; d != "" {
			v += "@" + d
		}
	case "secret":
		v = auth.GenerateSecret()
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(v))
}

func (h *Handler) newResourcePage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "New Resource", "admin"
	c, err := h.choices(r.Context())
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Form["securityLevel"] = access.SystemLevel(access.TeamMemberLevel).Name
	p.Form["location"] = "1"
	p.Data = c
	h.render(w, r, http.StatusOK, "resource_new", p)
}

func (h *Handler) createResource(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "New Resource", "admin"
	c, err := h.choices(r.Context())
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = c
	keep(p, r, "firstName", "lastName", "email", "title", "username", "securityLevel", "location", "internalCost", "department", "role", "vendor")
	for _, k := range []string{"queues", "timesheetApprovers", "expenseApprovers", "lobs"} {
		c.Selected[k] = ids(r.PostForm[k])
	}
	pass, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	checkLengths(p, r, "firstName", "lastName", "email", "title", "username", "password")
	for f, msg := range map[string]string{"firstName": "Enter a first name.", "lastName": "Enter a last name.", "email": "Enter an email address.", "username": "Enter a username."} {
		if p.Form[f] == "" && p.Errors[f] == "" {
			p.Errors[f] = msg
		}
	}
	if p.Form["email"] != "" && !strings.Contains(p.Form["email"], "@") {
		p.Errors["email"] = "Enter an email address such as name@example.com."
	}
	if pass != confirm {
		p.Errors["confirm"] = "The password and its confirmation differ."
	}
	in := admin.NewResource{FirstName: p.Form["firstName"], LastName: p.Form["lastName"], Email: p.Form["email"], Title: p.Form["title"],
		Username: p.Form["username"], Password: pass, SecurityLevel: p.Form["securityLevel"], LocationID: atoi64(p.Form["location"]),
		Queues: c.Selected["queues"], TimesheetApprovers: c.Selected["timesheetApprovers"], ExpenseApprovers: c.Selected["expenseApprovers"], LOBs: c.Selected["lobs"],
		Vendor: p.Form["vendor"]}
	if v := p.Form["internalCost"]; v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			p.Errors["internalCost"] = "Enter an amount such as 45.50."
		} else {
			in.InternalCost = &f
		}
	}
	if d, ro := atoi64(p.Form["department"]), atoi64(p.Form["role"]); d != 0 || ro != 0 {
		if d == 0 || ro == 0 {
			p.Errors["department"] = "Choose both a department and a role, or neither."
		} else {
			in.Departments = []admin.DepartmentRole{{DepartmentID: d, RoleID: ro, Default: true}}
		}
	}
	if len(p.Errors) > 0 {
		p.Error = "The resource was not saved: correct the fields marked below."
		h.render(w, r, http.StatusUnprocessableEntity, "resource_new", p)
		return
	}
	res, err := h.svc.CreateResource(r.Context(), in)
	if err != nil {
		formErr(p, err, map[string]string{"username": "username", "password": "password", "security level": "securityLevel", "location": "location",
			"internal cost": "internalCost", "department": "department", "role": "department", "queue": "queues", "approver": "timesheetApprovers", "email": "email", "first": "firstName", "last": "lastName", "title": "title"})
		if p.Error == "" {
			p.Error = "The resource was not saved: correct the fields marked below."
		}
		h.render(w, r, http.StatusUnprocessableEntity, "resource_new", p)
		return
	}
	http.Redirect(w, r, "/admin/resources/"+strconv.FormatInt(res.ID, 10)+"?flash="+url.QueryEscape("The resource was created."), http.StatusSeeOther)
}

func (h *Handler) loadResourcePage(r *http.Request, p *page) (*choices, error) {
	c, err := h.choices(r.Context())
	if err != nil {
		return nil, err
	}
	res, err := h.svc.Resource(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	c.Resource = res
	if res.APIOnly {
		if u, err := h.svc.DescribeAPIUser(r.Context(), res.Username); err == nil {
			c.APIUser = u
			c.Failures, _ = h.svc.AuthFailures(r.Context(), res.Username, 20)
		}
	} else if res.Username != "" {
		c.Failures, _ = h.svc.DB.AuthFailures(r.Context(), strings.ToLower(res.Username), 20)
	}
	p.Form["firstName"], p.Form["lastName"], p.Form["email"], p.Form["title"] = res.FirstName, res.LastName, res.Email, res.Title
	p.Form["securityLevel"] = res.SecurityLevel
	if res.InternalCost != nil {
		p.Form["internalCost"] = strconv.FormatFloat(*res.InternalCost, 'f', 2, 64)
	}
	c.Selected["queues"] = res.Queues
	c.Selected["lobs"] = res.LOBs
	p.Title = res.FirstName + " " + res.LastName
	return c, nil
}

func (h *Handler) resourcePage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "admin"
	c, err := h.loadResourcePage(r, p)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = c
	h.render(w, r, http.StatusOK, "resource", p)
}

func (h *Handler) resourceAction(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "admin"
	id := r.PathValue("id")
	c, err := h.loadResourcePage(r, p)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = c
	res := c.Resource
	back := func(msg string) {
		http.Redirect(w, r, "/admin/resources/"+id+"?flash="+url.QueryEscape(msg), http.StatusSeeOther)
	}
	ctx := r.Context()
	switch r.PostFormValue("action") {
	case "save":
		keep(p, r, "firstName", "lastName", "email", "title", "securityLevel", "internalCost")
		checkLengths(p, r, "firstName", "lastName", "email", "title", "password")
		ch := admin.ResourceChange{SecurityLevel: p.Form["securityLevel"]}
		for f, dst := range map[string]**string{"firstName": &ch.FirstName, "lastName": &ch.LastName, "email": &ch.Email, "title": &ch.Title} {
			v := p.Form[f]
			*dst = &v
			if v == "" && f != "title" {
				p.Errors[f] = "This field is required."
			}
		}
		if v := p.Form["internalCost"]; v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				p.Errors["internalCost"] = "Enter an amount such as 45.50."
			}
			ch.InternalCost = &f
		}
		if pw := r.PostFormValue("password"); pw != "" {
			if pw != r.PostFormValue("confirm") {
				p.Errors["confirm"] = "The password and its confirmation differ."
			}
			ch.Password = pw
		}
		q := ids(r.PostForm["queues"])
		ch.Queues = &q
		if c.OrgOn {
			l := ids(r.PostForm["lobs"])
			ch.LOBs = &l
		}
		if len(p.Errors) == 0 {
			if _, err := h.svc.EditResource(ctx, id, ch); err == nil {
				back("The resource was saved.")
				return
			} else {
				formErr(p, err, map[string]string{"password": "password", "security level": "securityLevel", "internal cost": "internalCost", "email": "email"})
			}
		}
		if p.Error == "" {
			p.Error = "Nothing was saved: correct the fields marked below."
		}
		h.render(w, r, http.StatusUnprocessableEntity, "resource", p)
		return
	case "deactivate":
		_, err = h.svc.DeactivateResource(ctx, id)
		if err == nil {
			_ = h.svc.DB.DeleteWebSessionsOf(ctx, admin.SessionConsole, res.ID, "")
			back("The resource was deactivated.")
			return
		}
	case "activate":
		yes := true
		if _, err = h.svc.EditResource(ctx, id, admin.ResourceChange{Active: &yes}); err == nil {
			back("The resource was activated.")
			return
		}
	case "unlock":
		if res.APIOnly {
			_, err = h.svc.UnlockAPIUser(ctx, res.Username)
		} else {
			_, err = h.svc.UnlockResource(ctx, id)
		}
		if err == nil {
			back("The resource was unlocked.")
			return
		}
	case "regenerate":
		creds, err := h.svc.RegenerateSecret(ctx, res.Username, "")
		if err != nil {
			h.fail(w, r, p, err)
			return
		}
		c.Created = creds
		p.Title = "New secret"
		p.Flash = "A new secret was generated: the old one no longer works. Copy it now: it is shown only once."
		h.render(w, r, http.StatusOK, "apiuser_created", p)
		return
	default:
		err = apperr.Invalid("Unknown action.")
	}
	p.Error = messageOf(err)
	h.render(w, r, http.StatusUnprocessableEntity, "resource", p)
}

// Security levels

type levelList struct {
	Levels []*access.Level
}

func (h *Handler) levelsPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Security Levels", "admin"
	levels, err := h.svc.SecurityLevels(r.Context())
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = &levelList{Levels: levels}
	p.Form["source"] = r.URL.Query().Get("copy")
	h.render(w, r, http.StatusOK, "levels", p)
}

func (h *Handler) copyLevel(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Security Levels", "admin"
	keep(p, r, "source", "name")
	if p.Form["name"] == "" {
		p.Errors["name"] = "Enter a name for the copy."
	} else if len([]rune(p.Form["name"])) > 100 {
		p.Errors["name"] = "At most 100 characters."
	}
	if len(p.Errors) == 0 {
		l, err := h.svc.CopySecurityLevel(r.Context(), p.Form["source"], p.Form["name"], false)
		if err == nil {
			http.Redirect(w, r, "/admin/security-levels/"+strconv.FormatInt(l.ID, 10)+"?flash="+url.QueryEscape("The security level was copied: change it section by section."), http.StatusSeeOther)
			return
		}
		p.Errors["name"] = messageOf(err)
	}
	levels, err := h.svc.SecurityLevels(r.Context())
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Data = &levelList{Levels: levels}
	h.render(w, r, http.StatusUnprocessableEntity, "levels", p)
}

type levelView struct {
	Level    *access.Level
	Sections []sectionView
	Scopes   []string
}

type sectionView struct {
	Name    string
	Slug    string
	Objects []objectView
	Flags   []flagView
}

type objectView struct {
	Name               string
	View, Edit, Delete string
	Add                bool
}

type flagView struct {
	Name, Label string
	On          bool
}

var flagLabels = map[string]string{access.FlagInternalCost: "Can view internal cost data", access.FlagNoPasswordChange: "Not required to change password",
	access.FlagWebhooks: "Can create Webhooks", access.FlagImpersonate: "Can impersonate resources (API-only levels)", access.FlagAllowImpersonation: "Resources of this level may be impersonated"}

func (h *Handler) findLevel(ctx context.Context, id string) (*access.Level, error) {
	n := atoi64(id)
	levels, err := h.svc.SecurityLevels(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range levels {
		if l.ID == n {
			return l, nil
		}
	}
	return nil, apperr.New(http.StatusNotFound, "There is no such security level.")
}

func slugOf(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

func (h *Handler) levelData(l *access.Level) *levelView {
	g := l.Grid(h.svc.Catalog)
	v := &levelView{Level: l, Scopes: []string{"None", "Mine", "My Companies", "Mine + Companies", "All"}}
	fl := map[string]bool{access.FlagInternalCost: l.Flags.CanViewInternalCost, access.FlagNoPasswordChange: l.Flags.NotRequiredToChangePassword,
		access.FlagWebhooks: l.Flags.CanCreateWebhooks, access.FlagImpersonate: l.Flags.CanImpersonate, access.FlagAllowImpersonation: l.Flags.AllowImpersonation}
	for _, sec := range access.Sections(h.svc.Catalog) {
		sv := sectionView{Name: sec.Name, Slug: slugOf(sec.Name)}
		for _, o := range sec.Objects {
			perm := g.Sections[sec.Name][o]
			sv.Objects = append(sv.Objects, objectView{Name: o, View: perm.View.String(), Add: perm.Add, Edit: perm.Edit.String(), Delete: perm.Delete.String()})
		}
		for _, f := range sec.Flags {
			sv.Flags = append(sv.Flags, flagView{Name: f, Label: flagLabels[f], On: fl[f]})
		}
		v.Sections = append(v.Sections, sv)
	}
	return v
}

func (h *Handler) levelPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "admin"
	l, err := h.findLevel(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	p.Title = l.Name
	p.Data = h.levelData(l)
	h.render(w, r, http.StatusOK, "level", p)
}

func (h *Handler) changeLevel(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Section = "admin"
	ctx := r.Context()
	l, err := h.findLevel(ctx, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	section := r.PostFormValue("section")
	var ch admin.LevelChange
	switch r.PostFormValue("action") {
	case "nopermission":
		ch = admin.LevelChange{Section: section, NoPerm: true}
	case "full":
		ch = admin.LevelChange{Section: section, Full: true}
	case "object":
		add := "no"
		if r.PostFormValue("add") != "" {
			add = "yes"
		}
		ch = admin.LevelChange{Object: r.PostFormValue("object"), View: r.PostFormValue("view"), Add: add, Edit: r.PostFormValue("edit"), Delete: r.PostFormValue("delete")}
	case "flags":
		ch.Flags = map[string]bool{}
		for _, sec := range access.Sections(h.svc.Catalog) {
			if sec.Name != section {
				continue
			}
			for _, f := range sec.Flags {
				ch.Flags[f] = r.PostFormValue(f) != ""
			}
		}
	case "rename":
		ch.Rename = strings.TrimSpace(r.PostFormValue("name"))
		if ch.Rename == "" || len([]rune(ch.Rename)) > 100 {
			err = apperr.Invalid("Enter a name of at most 100 characters.")
		}
	case "deactivate", "activate":
		if _, err = h.svc.SetSecurityLevelActive(ctx, l.Name, r.PostFormValue("action") == "activate"); err == nil {
			http.Redirect(w, r, r.URL.Path+"?flash="+url.QueryEscape("Saved."), http.StatusSeeOther)
			return
		}
	default:
		err = apperr.Invalid("Unknown action.")
	}
	if err == nil {
		if _, err = h.svc.ChangeSecurityLevel(ctx, l.Name, ch); err == nil {
			anchor := ""
			if section != "" {
				anchor = "#" + slugOf(section)
			}
			http.Redirect(w, r, r.URL.Path+"?flash="+url.QueryEscape("Saved.")+anchor, http.StatusSeeOther)
			return
		}
	}
	p.Title = l.Name
	p.Error = messageOf(err)
	p.Data = h.levelData(l)
	h.render(w, r, http.StatusUnprocessableEntity, "level", p)
}

// Integration vendors (API tracking identifiers)

func (h *Handler) vendorsPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Integration Vendors", "admin"
	h.renderVendors(w, r, p, http.StatusOK)
}

func (h *Handler) renderVendors(w http.ResponseWriter, r *http.Request, p *page, status int) {
	list, err := h.svc.TrackingIdentifiers(r.Context())
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Kind != list[j].Kind {
			return list[i].Kind > list[j].Kind
		}
		return strings.ToLower(list[i].Name) < strings.ToLower(list[j].Name)
	})
	p.Data = list
	h.render(w, r, status, "vendors", p)
}

func (h *Handler) vendorAction(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Integration Vendors", "admin"
	ctx := r.Context()
	var err error
	switch r.PostFormValue("action") {
	case "add":
		keep(p, r, "name", "code")
		if p.Form["name"] == "" {
			p.Errors["name"] = "Enter the vendor's name."
		} else if len([]rune(p.Form["name"])) > 100 {
			p.Errors["name"] = "At most 100 characters."
		}
		if len(p.Errors) > 0 {
			h.renderVendors(w, r, p, http.StatusUnprocessableEntity)
			return
		}
		_, err = h.svc.AddVendor(ctx, p.Form["name"], p.Form["code"])
	case "activate", "deactivate":
		_, err = h.svc.SetTrackingIdentifierActive(ctx, r.PostFormValue("code"), r.PostFormValue("action") == "activate")
	default:
		err = apperr.Invalid("Unknown action.")
	}
	if err != nil {
		formErr(p, err, map[string]string{"name": "name", "code": "code", "identifier": "code"})
		h.renderVendors(w, r, p, http.StatusUnprocessableEntity)
		return
	}
	http.Redirect(w, r, "/admin/vendors?flash="+url.QueryEscape("Saved."), http.StatusSeeOther)
}

// Integrations: connections to Autotask-compatible tenants (the Datto seed's "Connect").

type integrations struct {
	Enabled     bool
	Connections []*connection.Connection
	Result      *connection.TestResult
	Tested      string
}

func (h *Handler) integrationsPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Integrations", "integrations"
	h.renderIntegrations(w, r, p, nil, "", http.StatusOK)
}

// tenantConnections is the connection service acting for the signed-in user's tenant only: a
// connection of another tenant, or a deployment-wide one, is not found (nil when connections are
// not configured).
func (h *Handler) tenantConnections(p *page) *connection.Service {
	if h.opt.Connections == nil || p.User == nil || p.User.Tenant == nil {
		return nil
	}
	return h.opt.Connections.ForTenant(p.User.Tenant.ID)
}

func (h *Handler) renderIntegrations(w http.ResponseWriter, r *http.Request, p *page, res *connection.TestResult, tested string, status int) {
	cs := h.tenantConnections(p)
	d := &integrations{Enabled: cs != nil, Result: res, Tested: tested}
	if d.Enabled {
		list, err := cs.List(r.Context())
		if err != nil {
			h.fail(w, r, p, err)
			return
		}
		d.Connections = list
	}
	p.Data = d
	h.render(w, r, status, "integrations", p)
}

func (h *Handler) integrationAction(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Integrations", "integrations"
	cs := h.tenantConnections(p)
	if cs == nil {
		h.fail(w, r, p, apperr.Invalid("Connections are not configured on this server."))
		return
	}
	ctx := r.Context()
	switch r.PostFormValue("action") {
	case "connect":
		keep(p, r, "name", "username", "integrationCode", "baseUrl")
		secret := r.PostFormValue("secret")
		for f, msg := range map[string]string{"name": "Name the connection.", "username": "Enter the API user's username."} {
			if p.Form[f] == "" {
				p.Errors[f] = msg
			}
		}
		if secret == "" {
			p.Errors["secret"] = "Enter the API user's secret."
		}
		checkLengths(p, r, "name", "username", "integrationCode")
		if len(p.Errors) > 0 {
			h.renderIntegrations(w, r, p, nil, "", http.StatusUnprocessableEntity)
			return
		}
		in := connection.Input{Name: p.Form["name"], Username: p.Form["username"], Secret: secret, IntegrationCode: p.Form["integrationCode"], BaseURL: p.Form["baseUrl"]}
		if _, err := cs.Add(ctx, in, true); err != nil {
			p.Error = strings.TrimPrefix(err.Error(), "invalid connection: ")
			h.renderIntegrations(w, r, p, nil, "", http.StatusUnprocessableEntity)
			return
		}
		res, err := cs.Test(ctx, in.Name)
		if err != nil {
			h.fail(w, r, p, err)
			return
		}
		h.renderIntegrations(w, r, p, &res, in.Name, http.StatusOK)
	case "test":
		name := r.PostFormValue("name")
		res, err := cs.Test(ctx, name)
		if err != nil {
			p.Error = err.Error()
			h.renderIntegrations(w, r, p, nil, "", http.StatusUnprocessableEntity)
			return
		}
		h.renderIntegrations(w, r, p, &res, name, http.StatusOK)
	case "remove":
		if err := cs.Remove(ctx, r.PostFormValue("name")); err != nil {
			p.Error = err.Error()
			h.renderIntegrations(w, r, p, nil, "", http.StatusUnprocessableEntity)
			return
		}
		http.Redirect(w, r, "/admin/integrations?flash="+url.QueryEscape("The connection was removed."), http.StatusSeeOther)
	default:
		h.fail(w, r, p, apperr.Invalid("Unknown action."))
	}
}

// API usage

type usageView struct {
	Days      int
	By        string
	Chart     string
	Rows      []usageRow
	Total     int64
	Threshold int64
	// ThresholdShown: the chart draws the threshold (it does when the busiest hour reaches half of it).
	ThresholdShown bool
	Failures       []store.AuthFailure
	Notices        []psa.ThresholdNotice
}

type usageRow struct {
	Name     string
	Code     string
	Requests int64
	Peak     int64
}

func (h *Handler) usagePage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "API Usage", "admin"
	ctx := r.Context()
	q := r.URL.Query()
	v := &usageView{Days: 2, By: q.Get("by"), Threshold: s.user.Tenant.RequestThreshold}
	if d, err := strconv.Atoi(q.Get("days")); err == nil && d >= 1 && d <= 30 {
		v.Days = d
	}
	if v.By != "user" {
		v.By = "identifier"
	}
	now := time.Now().UTC()
	first := now.Unix()/3600 - int64(v.Days*24) + 1
	usage, err := h.svc.Usage(ctx, first)
	if err != nil {
		h.fail(w, r, p, err)
		return
	}
	names := map[string]string{}
	ids, _ := h.svc.TrackingIdentifiers(ctx)
	for _, t := range ids {
		names[t.Code] = t.Name
	}
	if v.By == "user" {
		users, _ := h.svc.APIUsers(ctx)
		byCode := map[string][]string{}
		for _, u := range users {
			byCode[u.IntegrationCode] = append(byCode[u.IntegrationCode], u.Username)
		}
		for code, list := range byCode {
			sort.Strings(list)
			names[code] = strings.Join(list, ", ")
		}
	}
	series := map[string]map[int64]int64{}
	for _, u := range usage {
		if series[u.Code] == nil {
			series[u.Code] = map[int64]int64{}
		}
		series[u.Code][u.Hour] += u.Requests
	}
	for code, hours := range series {
		row := usageRow{Name: names[code], Code: code}
		if row.Name == "" {
			row.Name = code
		}
		for _, n := range hours {
			row.Requests += n
			if n > row.Peak {
				row.Peak = n
			}
		}
		v.Total += row.Requests
		v.Rows = append(v.Rows, row)
	}
	sort.Slice(v.Rows, func(i, j int) bool { return v.Rows[i].Requests > v.Rows[j].Requests })
	v.Chart, v.ThresholdShown = usageChart(series, v.Rows, first, now.Unix()/3600, v.Threshold)
	v.Failures, _ = h.svc.DB.RecentAuthFailures(ctx, 50)
	v.Notices, _ = h.svc.ThresholdNotices(ctx, v.Days*24)
	p.Data = v
	h.render(w, r, http.StatusOK, "usage", p)
}

// Tenant settings

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Site Setup", "admin"
	t := s.user.Tenant
	p.Form["lockout"] = strconv.FormatInt(t.LockoutThreshold, 10)
	p.Form["apithreshold"] = strconv.FormatInt(t.RequestThreshold, 10)
	if t.StrongPasswords {
		p.Form["strong"] = "on"
	}
	if t.OrgStructure {
		p.Form["org"] = "on"
	}
	p.Form["domain"] = t.UsernameDomain
	p.Form["timezone"] = t.TimeZone
	p.Data = settingsData(t, "")
	h.render(w, r, http.StatusOK, "settings", p)
}

func (h *Handler) saveSettings(w http.ResponseWriter, r *http.Request, s *session, p *page) {
	p.Title, p.Section = "Site Setup", "admin"
	keep(p, r, "lockout", "strong", "domain", "org", "apithreshold", "timezone")
	p.Data = settingsData(s.user.Tenant, p.Form["timezone"])
	n, err := strconv.ParseInt(p.Form["lockout"], 10, 64)
	if err != nil || n < 1 || n > 100 {
		p.Errors["lockout"] = "Enter a number from 1 to 100."
	}
	api, err := strconv.ParseInt(p.Form["apithreshold"], 10, 64)
	if err != nil || api < 1 || api > psa.MaxAPIThreshold {
		p.Errors["apithreshold"] = fmt.Sprintf("Enter a number from 1 to %d.", psa.MaxAPIThreshold)
	}
	if len(p.Form["domain"]) > 100 {
		p.Errors["domain"] = "At most 100 characters."
	}
	if len(p.Errors) == 0 {
		strong := p.Form["strong"] != ""
		ch := admin.SettingsChange{StrongPasswords: &strong, LockoutThreshold: &n, UsernameDomain: ptr(p.Form["domain"]), APIThreshold: &api}
		if _, sent := r.PostForm["timezone"]; sent {
			ch.TimeZone = ptr(p.Form["timezone"])
		}
		_, err = h.svc.ChangeSettings(r.Context(), ch)
		if err == nil && (p.Form["org"] != "") != s.user.Tenant.OrgStructure {
			_, err = h.svc.SetOrgStructure(r.Context(), p.Form["org"] != "")
		}
		if err == nil {
			http.Redirect(w, r, "/admin/settings?flash="+url.QueryEscape("The settings were saved."), http.StatusSeeOther)
			return
		}
		formErr(p, err, map[string]string{"time zone": "timezone", "domain": "domain", "lockout": "lockout", "threshold": "apithreshold"})
	}
	if p.Error == "" {
		p.Error = "The settings were not saved: correct the fields marked below."
	}
	h.render(w, r, http.StatusUnprocessableEntity, "settings", p)
}

func ptr(s string) *string { return &s }
