package admin

import (
	"context"
	"strconv"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Lines of business (Organizational Structure): off by default; when on, Division (level 1) ×
// Line of Business (level 2) pairs are associations, resources are given associations, and the
// rows that carry organizationalLevelAssociationID are seen by the rules of internal/access.

// SetOrgStructure turns the tenant's organizational structure on or off. Turning it off needs
// every resource removed from every line of business first.
func (s *Service) SetOrgStructure(ctx context.Context, on bool) (*store.Tenant, error) {
	t, err := s.tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if !on {
		e := s.f.orgResources
		rows, err := s.DB.Page(ctx, e, mustCompileAll(s, e), -1, 1)
		if err != nil {
			return nil, err
		}
		if len(rows) > 0 {
			return nil, apperr.Invalid("Remove every resource from every line of business before turning the organizational structure off.")
		}
	}
	t.OrgStructure = on
	return t, s.ChangeAccess(ctx, func(tx *store.Tx) error { return tx.SaveTenantSettings(ctx, t.TenantSettings) })
}

// OrgUnit is a division or a line of business.
type OrgUnit struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Active bool   `json:"isActive"`
}

// Association is a Division × Line of Business pair, with the resources given it.
type Association struct {
	ID        int64   `json:"id"`
	Division  OrgUnit `json:"division"`
	Line      OrgUnit `json:"lineOfBusiness"`
	Active    bool    `json:"isActive"`
	Resources []int64 `json:"resources"`
}

// OrgStructure is the tenant's whole structure.
type OrgStructure struct {
	Enabled      bool          `json:"enabled"`
	Level1Label  string        `json:"level1Label"`
	Level2Label  string        `json:"level2Label"`
	Divisions    []OrgUnit     `json:"divisions"`
	Lines        []OrgUnit     `json:"linesOfBusiness"`
	Associations []Association `json:"associations"`
}

// OrgStructure reads the tenant's divisions, lines of business and associations.
func (s *Service) OrgStructure(ctx context.Context) (*OrgStructure, error) {
	t, err := s.tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	out := &OrgStructure{Enabled: t.OrgStructure, Level1Label: t.OrgLevel1Label, Level2Label: t.OrgLevel2Label,
		Divisions: []OrgUnit{}, Lines: []OrgUnit{}, Associations: []Association{}}
	units := func(level int) ([]OrgUnit, map[int64]OrgUnit, error) {
		e := s.f.orgLevels[level]
		rows, err := s.DB.Page(ctx, e, mustCompileAll(s, e), -1, 10000)
		if err != nil {
			return nil, nil, err
		}
		list, byID := []OrgUnit{}, map[int64]OrgUnit{}
		for _, r := range rows {
			u := OrgUnit{ID: r.ID(e)}
			u.Name, _ = r.Values[s.f.orgUnit.name].(string)
			u.Active, _ = r.Values[s.f.orgUnit.isActive].(bool)
			list = append(list, u)
			byID[u.ID] = u
		}
		return list, byID, nil
	}
	var divs, lines map[int64]OrgUnit
	if out.Divisions, divs, err = units(1); err != nil {
		return nil, err
	}
	if out.Lines, lines, err = units(2); err != nil {
		return nil, err
	}
	ae, fa := s.f.orgAssociations, s.f.orgAssociation
	rows, err := s.DB.Page(ctx, ae, mustCompileAll(s, ae), -1, 10000)
	if err != nil {
		return nil, err
	}
	// The resources of every association, read together in id order (not once per
	// association): each association's list keeps that order.
	members := map[int64][]int64{}
	fr := s.f.orgResource
	err = s.EachRow(ctx, s.f.orgResources, func(m *store.Row) error {
		a, _ := m.Values[fr.associationID].(int64)
		id, _ := m.Values[fr.resourceID].(int64)
		members[a] = append(members[a], id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		a := Association{ID: r.ID(ae), Resources: []int64{}}
		d, _ := r.Values[fa.level1].(int64)
		l, _ := r.Values[fa.level2].(int64)
		a.Division, a.Line = divs[d], lines[l]
		a.Active, _ = r.Values[fa.isActive].(bool)
		a.Resources = append(a.Resources, members[a.ID]...)
		out.Associations = append(out.Associations, a)
	}
	return out, nil
}

// AddOrgUnit adds a division (level 1) or a line of business (level 2).
func (s *Service) AddOrgUnit(ctx context.Context, level int, name string) (*OrgUnit, error) {
	if level != 1 && level != 2 {
		return nil, apperr.Invalid("The organizational levels are 1 (division) and 2 (line of business).")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, apperr.Invalid("A division or line of business needs a name.")
	}
	if _, err := s.orgUnit(ctx, level, name); err == nil {
		return nil, apperr.Invalid("%q exists already.", name)
	}
	e := s.f.orgLevels[level]
	in := psa.NewInput()
	in.Set[s.f.orgUnit.name] = name
	in.Set[s.f.orgUnit.isActive] = true
	id, err := s.Create(ctx, e, in, nil)
	if err != nil {
		return nil, err
	}
	return &OrgUnit{ID: id, Name: name, Active: true}, nil
}

// orgUnit finds a division or line of business by name or id.
func (s *Service) orgUnit(ctx context.Context, level int, ref string) (*OrgUnit, error) {
	st, err := s.OrgStructure(ctx)
	if err != nil {
		return nil, err
	}
	list := st.Divisions
	if level == 2 {
		list = st.Lines
	}
	for _, u := range list {
		if strings.EqualFold(u.Name, strings.TrimSpace(ref)) || strconv.FormatInt(u.ID, 10) == strings.TrimSpace(ref) {
			return &u, nil
		}
	}
	return nil, apperr.Invalid("There is no %s %q.", map[int]string{1: "division", 2: "line of business"}[level], ref)
}

// Associate pairs a division with a line of business (both by name or id) and returns the
// association; an existing pair is returned as it is.
func (s *Service) Associate(ctx context.Context, division, line string) (*Association, error) {
	d, err := s.orgUnit(ctx, 1, division)
	if err != nil {
		return nil, err
	}
	l, err := s.orgUnit(ctx, 2, line)
	if err != nil {
		return nil, err
	}
	if a, err := s.association(ctx, d.Name, l.Name); err == nil {
		return a, nil
	}
	e := s.f.orgAssociations
	in := psa.NewInput()
	in.Set[s.f.orgAssociation.level1] = d.ID
	in.Set[s.f.orgAssociation.level2] = l.ID
	in.Set[s.f.orgAssociation.isActive] = true
	id, err := s.Create(ctx, e, in, nil)
	if err != nil {
		return nil, err
	}
	return &Association{ID: id, Division: *d, Line: *l, Active: true, Resources: []int64{}}, nil
}

// association finds a Division × Line of Business pair by their names or ids.
func (s *Service) association(ctx context.Context, division, line string) (*Association, error) {
	st, err := s.OrgStructure(ctx)
	if err != nil {
		return nil, err
	}
	match := func(u OrgUnit, ref string) bool {
		return strings.EqualFold(u.Name, strings.TrimSpace(ref)) || strconv.FormatInt(u.ID, 10) == strings.TrimSpace(ref)
	}
	for _, a := range st.Associations {
		if match(a.Division, division) && match(a.Line, line) {
			return &a, nil
		}
	}
	return nil, apperr.Invalid("There is no association of %q and %q.", division, line)
}

// AssociationID finds an association by "Division/Line of Business" or by its id.
func (s *Service) AssociationID(ctx context.Context, ref string) (int64, error) {
	if id, err := strconv.ParseInt(strings.TrimSpace(ref), 10, 64); err == nil {
		return id, nil
	}
	d, l, ok := strings.Cut(ref, "/")
	if !ok {
		return 0, apperr.Invalid("Give an association as DIVISION/LINE OF BUSINESS or by its id (%q).", ref)
	}
	a, err := s.association(ctx, d, l)
	if err != nil {
		return 0, err
	}
	return a.ID, nil
}

// SetResourceLOBs gives a resource (by id or username) exactly these associations.
func (s *Service) SetResourceLOBs(ctx context.Context, ref string, associations []int64) (*Resource, error) {
	return s.EditResource(ctx, ref, ResourceChange{LOBs: &associations})
}

// checkLOBs checks associations before a resource is given them.
func (s *Service) checkLOBs(ctx context.Context, t *store.Tenant, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if !t.OrgStructure {
		return apperr.Invalid("Lines of business need the organizational structure turned on (switchboard lob enable).")
	}
	e := s.f.orgAssociations
	for _, id := range ids {
		if _, err := s.DB.Get(ctx, e, id); err != nil {
			return apperr.Invalid("There is no line-of-business association %d.", id)
		}
	}
	return nil
}

// setLOBs replaces a resource's line-of-business associations (OrganizationalResources).
func (s *Service) setLOBs(ctx context.Context, tx *store.Tx, resourceID int64, ids []int64) error {
	if err := s.deleteChildren(ctx, tx, s.f.orgResources, resourceID); err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, err := s.InsertRow(ctx, tx, "OrganizationalResources", map[string]any{"resourceID": resourceID, "organizationalLevelAssociationID": id}); err != nil {
			return err
		}
	}
	return nil
}

// mustCompileAll is the filter that matches every row of a collection.
func mustCompileAll(s *Service, e *catalog.Entity) query.Compiled {
	where, err := query.Compile(&query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "exist", Field: "id"}}}, e, nil, s.DB.Dialect)
	if err != nil {
		panic("admin: " + err.Error())
	}
	return where
}
