package auth

import (
	"context"
	"errors"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/query"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// LevelFromRow rebuilds a tenant's custom level from its stored row.
func LevelFromRow(r *store.SecurityLevelRow) (*access.Level, error) {
	return access.CustomLevel(r.ID, r.Name, r.APIOnly, r.Active, access.License(r.License), r.Base, r.Definition)
}

// LoadLevel returns a level of the tenant in ctx by id: a system level or one of its copies.
func LoadLevel(ctx context.Context, db *store.DB, id int64) (*access.Level, error) {
	if l := access.SystemLevel(id); l != nil {
		return l, nil
	}
	row, err := db.SecurityLevel(ctx, id)
	if err != nil {
		return nil, err
	}
	return LevelFromRow(row)
}

// DefaultLevel is the level of a resource that has no access record (one imported in bulk).
const DefaultLevel = access.TeamMemberLevel

// Subject is a resource as the access model sees it.
type Subject struct {
	access.Party
	APIOnly bool
	Active  bool
}

// The collections and the field this file names, checked against the catalog when the package
// starts: a wrong name stops the program there, not a sign-in. (The database's catalog is
// catalog.Default.)
const resourcesName, orgResourcesName = "Resources", "OrganizationalResources"

var (
	resourceIsActive = catalog.MustIndex(resourcesName, "isActive")
	_                = catalog.Default.MustEntity(orgResourcesName)
)

// LoadSubject reads what a resource's rights are made of: its level, whether it is an API-only
// user, whether it is active, and its lines of business when the tenant's organizational
// structure is on. ErrNotFound when the tenant has no such resource.
func LoadSubject(ctx context.Context, db *store.DB, tenant *store.Tenant, resourceID int64) (*Subject, error) {
	ctx = store.WithTenant(ctx, tenant.ID)
	res, err := db.Get(ctx, db.Catalog.MustEntity(resourcesName), resourceID)
	if err != nil {
		return nil, err
	}
	active, _ := res.Values[resourceIsActive].(bool)
	s := &Subject{Party: access.Party{ResourceID: resourceID}, Active: active}
	levelID := DefaultLevel
	sec, err := db.ResourceSecurity(ctx, resourceID)
	switch {
	case err == nil:
		levelID, s.APIOnly = sec.SecurityLevelID, sec.APIOnly
	case errors.Is(err, store.ErrNotFound):
		if s.APIOnly, err = db.IsAPIResource(ctx, resourceID); err != nil {
			return nil, err
		}
		if s.APIOnly {
			levelID = access.APIUserLevel
		}
	default:
		return nil, err
	}
	if s.Level, err = LoadLevel(ctx, db, levelID); err != nil {
		return nil, err
	}
	if tenant.OrgStructure {
		if s.LOBs, err = ResourceLOBs(ctx, db, resourceID); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ResourceLOBs lists the line-of-business associations of a resource (OrganizationalResources),
// or nil when it has none.
func ResourceLOBs(ctx context.Context, db *store.DB, resourceID int64) ([]int64, error) {
	e := db.Catalog.MustEntity(orgResourcesName)
	where, err := query.Compile(&query.Request{FilterPresent: true, Filter: []*query.Node{{Op: "eq", Field: "resourceID", Value: resourceID}}}, e, nil, db.Dialect)
	if err != nil {
		return nil, err
	}
	rows, err := db.Page(ctx, e, where, -1, 10000)
	if err != nil {
		return nil, err
	}
	var out []int64
	i := e.Index(access.LOBField)
	for _, r := range rows {
		if id, ok := r.Values[i].(int64); ok {
			out = append(out, id)
		}
	}
	return out, nil
}
