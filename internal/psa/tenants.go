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
			row.Values[e.Index("id")] = id
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
				"userName": "admin", "isActive": true, "locationID": int64(1), "resourceType": "Employee", "licenseType": int64(1)}},
			{"Companies", 0, map[string]any{"companyName": name, "companyType": int64(1), "phone": "", "ownerResourceID": int64(1), "isActive": true}},
		}
		for _, st := range steps {
			if err := put(st.entity, st.id, st.values); err != nil {
				return fmt.Errorf("seed tenant: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
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

// NewAPIUser is what "New API User" asks for.
type NewAPIUser struct {
	FirstName, LastName, Email string
	Username                   string // empty: Generate Key
	Secret                     string // empty: Generate Secret
	IntegrationCode            string // empty: Custom, generated
}

// APIUserCredentials is shown once, when an API user is created.
type APIUserCredentials struct {
	ResourceID      int64  `json:"resourceId"`
	Username        string `json:"username"`
	Secret          string `json:"secret"`
	IntegrationCode string `json:"integrationCode"`
}

// CreateAPIUser makes an API-only resource with credentials. The secret is kept only as an
// argon2id hash; the caller shows the returned secret once.
func (s *Service) CreateAPIUser(ctx context.Context, in NewAPIUser) (*APIUserCredentials, error) {
	tenantID, err := store.TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	if in.Username == "" {
		in.Username = access.GenerateUsername()
	}
	if err := access.CheckUsername(in.Username); err != nil {
		return nil, apperr.Invalid("%s", upperFirst(err.Error())+".")
	}
	if in.Secret == "" {
		in.Secret = access.GenerateSecret()
	}
	if len(in.Secret) < 8 || strings.ContainsAny(in.Secret, " '\"") {
		return nil, apperr.Invalid("A secret needs at least 8 characters and no spaces or quotes.")
	}
	if in.IntegrationCode == "" {
		in.IntegrationCode = access.GenerateIntegrationCode()
	}
	if in.FirstName == "" {
		in.FirstName = "API"
	}
	if in.LastName == "" {
		in.LastName = "User"
	}
	if in.Email == "" {
		in.Email = strings.ToLower(in.Username) + "@api.invalid"
	}
	hash := access.HashSecret(in.Secret)
	e := s.Catalog.MustEntity("Resources")
	creds := &APIUserCredentials{Username: in.Username, Secret: in.Secret, IntegrationCode: in.IntegrationCode}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		id, err := tx.NextID(ctx, e.Table)
		if err != nil {
			return err
		}
		row := store.NewRow(e)
		set := map[string]any{"id": id, "firstName": in.FirstName, "lastName": in.LastName, "email": in.Email, "userName": in.Username,
			"isActive": true, "locationID": int64(1), "resourceType": "API", "licenseType": int64(7)}
		for k, v := range set {
			row.Values[e.Index(k)] = v
		}
		stampCreate(ctx, e, row)
		if err := tx.Insert(ctx, e, row); err != nil {
			return err
		}
		creds.ResourceID = id
		return tx.CreateAPIUser(ctx, &store.APIUser{Username: in.Username, TenantID: tenantID, ResourceID: id, SecretHash: hash, IntegrationCode: in.IntegrationCode})
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, apperr.Invalid("The username %q is already in use.", in.Username)
	}
	if err != nil {
		return nil, err
	}
	return creds, nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

