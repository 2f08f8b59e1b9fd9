package psa

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// CreateTenant makes a tenant with what every Autotask database has from the start: the home
// company (id 0), the default picklists, an internal location, the administrator resource, the
// default roles and departments.
func (s *Service) CreateTenant(ctx context.Context, name, timeZone string) (*store.Tenant, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, apperr.Invalid("A tenant needs a name.")
	}
	if timeZone == "" {
		timeZone = "UTC"
	}
	t, err := s.DB.CreateTenant(ctx, name, timeZone)
	if errors.Is(err, store.ErrConflict) {
		return nil, apperr.Invalid("A tenant named %q already exists.", name)
	}
	if err != nil {
		return nil, err
	}
	ctx = store.WithTenant(ctx, t.ID)
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := seedPicklists(ctx, tx, s.Catalog); err != nil {
			return err
		}
		put := func(entity string, id int64, values map[string]any) error {
			e := s.Catalog.MustEntity(entity)
			row := store.NewRow(e)
			row.Values[e.IDIndex()] = id
			for k, v := range values {
				i := e.Index(k)
				if i < 0 {
					return fmt.Errorf("seed %s: no field %s", entity, k)
				}
				row.Values[i] = v
			}
			stampCreate(ctx, e, row)
			if err := tx.Insert(ctx, e, row); err != nil {
				return err
			}
			return tx.BumpSequence(ctx, e.Table, id)
		}
		steps := []struct {
			entity string
			id     int64
			values map[string]any
		}{
			{"InternalLocations", 1, map[string]any{"name": "Headquarters", "isDefault": true, "timeZone": "UTC"}},
			{"Departments", 1, map[string]any{"name": "Service Desk", "primaryLocationID": int64(1)}},
			{"Departments", 2, map[string]any{"name": "Administration", "primaryLocationID": int64(1)}},
			{"Roles", 1, map[string]any{"name": "Technician", "isActive": true, "hourlyRate": 125.0}},
			{"Roles", 2, map[string]any{"name": "Administrator", "isActive": true, "hourlyRate": 150.0}},
			{"Resources", 1, map[string]any{"firstName": "Administrator", "lastName": "Account", "email": "admin@" + slug(name) + ".example",
				"userName": adminUsername(name, t.ID), "isActive": true, "locationID": int64(1), "resourceType": "Employee", "licenseType": int64(1)}},
			{"Companies", 0, map[string]any{"companyName": name, "companyType": int64(1), "phone": "", "ownerResourceID": int64(1), "isActive": true}},
		}
		for _, st := range steps {
			if err := put(st.entity, st.id, st.values); err != nil {
				return fmt.Errorf("seed tenant: %w", err)
			}
		}
		// The administrator: System Administrator, console sign-in, a username of its own
		// (usernames are unique across tenants).
		if err := tx.ReserveUsername(ctx, adminUsername(name, t.ID), 1); err != nil {
			return fmt.Errorf("seed tenant: %w", err)
		}
		if err := tx.SaveResourceSecurity(ctx, &store.ResourceSecurity{ResourceID: 1, SecurityLevelID: access.AdministratorLevel, ConsoleLogin: true}); err != nil {
			return err
		}
		return seedVendors(ctx, tx, nil)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// adminUsername is the username of a tenant's first administrator: email-shaped, unique
// because the tenant id is in it.
func adminUsername(tenant string, id int64) string {
	d := slug(tenant)
	if len(d) > 30 {
		d = d[:30]
	}
	return "admin" + itoa(id) + "@" + d + ".example"
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "tenant"
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
