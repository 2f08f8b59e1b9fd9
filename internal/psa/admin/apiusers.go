package admin

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// API-only users: "New API User", secrets, lockout, tracking identifiers.

// NewAPIUser is what "New API User" asks for.
type NewAPIUser struct {
	FirstName, LastName, Email string
	Username                   string // empty: Generate Key
	Secret                     string // empty: Generate Secret
	// SecurityLevel names an active API-only level; empty: "API User (system) (API-only)".
	SecurityLevel string
	// Vendor picks the tracking identifier from the vendor list; empty: Custom (Internal
	// Integration), with IntegrationCode as its code, or a generated one.
	Vendor          string
	IntegrationCode string
	LocationID      int64   // primary internal location; 0: the tenant's default location
	LOBs            []int64 // line-of-business associations (organizational structure on)
}

// APIUserCredentials is shown once, when an API user is created or its secret regenerated.
type APIUserCredentials struct {
	ResourceID      int64  `json:"resourceId"`
	Username        string `json:"username"`
	Secret          string `json:"secret"`
	IntegrationCode string `json:"integrationCode"`
	SecurityLevel   string `json:"securityLevel"`
	Vendor          string `json:"vendor,omitempty"` // empty for Custom
}

// CreateAPIUser makes an API-only resource with credentials. The secret is kept only as an
// argon2id hash; the caller shows the returned secret once.
func (s *Service) CreateAPIUser(ctx context.Context, in NewAPIUser) (*APIUserCredentials, error) {
	tenant, err := s.tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	levelName := in.SecurityLevel
	if levelName == "" {
		levelName = access.SystemLevel(access.APIUserLevel).Name
	}
	level, err := s.SecurityLevel(ctx, levelName)
	if err != nil {
		return nil, err
	}
	if !level.APIOnly || !level.Active {
		return nil, apperr.Invalid("%q is not an active API-only security level: an API user needs one.", level.Name)
	}
	if in.Username == "" {
		in.Username = auth.GenerateUsername()
		if tenant.UsernameDomain != "" {
			in.Username += "@" + tenant.UsernameDomain
		}
	} else if err := auth.CheckUsername(in.Username); err != nil {
		return nil, apperr.Invalid("%s.", upperFirst(err.Error()))
	}
	if in.Secret == "" {
		in.Secret = auth.GenerateSecret()
	} else if err := auth.CheckPassword(in.Secret, tenant.StrongPasswords); err != nil {
		return nil, apperr.Invalid("%s.", upperFirst(strings.Replace(err.Error(), "password", "secret", 1)))
	}
	tracking := &store.TrackingIdentifier{Kind: store.TrackingCustom, Name: "Custom (Internal Integration)", Active: true, Code: in.IntegrationCode}
	switch {
	case in.Vendor != "":
		v, err := s.Vendor(ctx, in.Vendor)
		if err != nil {
			return nil, err
		}
		if !v.Active {
			return nil, apperr.Invalid("The integration vendor %q is disabled.", v.Name)
		}
		tracking = v
	case tracking.Code == "":
		tracking.Code = auth.GenerateIntegrationCode()
	case strings.ContainsAny(tracking.Code, " \t\r\n") || len(tracking.Code) > 100:
		return nil, apperr.Invalid("A tracking identifier has no spaces and at most 100 characters.")
	}
	if in.FirstName == "" {
		in.FirstName = "API"
	}
	if in.LastName == "" {
		in.LastName = "User"
	}
	if in.Email == "" {
		in.Email = strings.ToLower(strings.ReplaceAll(in.Username, "@", ".")) + "@api.invalid"
	}
	location, err := s.location(ctx, in.LocationID)
	if err != nil {
		return nil, err
	}
	if err := s.checkLOBs(ctx, tenant, in.LOBs); err != nil {
		return nil, err
	}
	hash := auth.HashSecret(in.Secret)
	creds := &APIUserCredentials{Username: in.Username, Secret: in.Secret, IntegrationCode: tracking.Code, SecurityLevel: level.Name}
	if tracking.Kind == store.TrackingVendor {
		creds.Vendor = tracking.Name
	}
	err = s.ChangeAccess(ctx, func(tx *store.Tx) error {
		id, err := s.InsertRow(ctx, tx, "Resources", map[string]any{"firstName": in.FirstName, "lastName": in.LastName, "email": in.Email, "userName": in.Username,
			"isActive": true, "locationID": location, "resourceType": "API", "licenseType": int64(level.License)})
		if err != nil {
			return err
		}
		creds.ResourceID = id
		if err := tx.ReserveUsername(ctx, in.Username, id); err != nil {
			return err
		}
		if err := tx.CreateAPIUser(ctx, &store.APIUser{Username: in.Username, TenantID: tenant.ID, ResourceID: id, SecretHash: hash, IntegrationCode: tracking.Code}); err != nil {
			return err
		}
		if err := tx.SaveResourceSecurity(ctx, &store.ResourceSecurity{ResourceID: id, SecurityLevelID: level.ID, APIOnly: true}); err != nil {
			return err
		}
		if tracking.Kind == store.TrackingCustom {
			if err := tx.SaveTrackingIdentifier(ctx, tracking, access.NameKey(tracking.Name)); err != nil && !errors.Is(err, store.ErrConflict) {
				return err
			}
		}
		return s.setLOBs(ctx, tx, id, in.LOBs)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, apperr.Invalid("The username %q is already in use.", in.Username)
	}
	if err != nil {
		return nil, err
	}
	return creds, nil
}

// APIUser is an API user as the administrator sees it (never its secret).
type APIUser struct {
	ResourceID       int64     `json:"resourceId"`
	Username         string    `json:"username"`
	FirstName        string    `json:"firstName"`
	LastName         string    `json:"lastName"`
	Email            string    `json:"email"`
	SecurityLevel    string    `json:"securityLevel"`
	TrackingKind     string    `json:"trackingIdentifier"` // vendor or custom
	Vendor           string    `json:"vendor,omitempty"`
	IntegrationCode  string    `json:"integrationCode"`
	CodeActive       bool      `json:"integrationCodeActive"`
	Active           bool      `json:"active"`
	Locked           bool      `json:"locked"`
	FailedLogins     int64     `json:"failedLogins"`     // since the last verified sign-in or unlock: what the lockout counts
	RecordedFailures int64     `json:"recordedFailures"` // every failure kept, as `apiuser failures` lists them
	CreatedAt        time.Time `json:"createdAt"`
}

// APIUsers lists the tenant's API users.
func (s *Service) APIUsers(ctx context.Context) ([]*APIUser, error) {
	users, err := s.DB.APIUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*APIUser, 0, len(users))
	for _, u := range users {
		v, err := s.describeAPIUser(ctx, u)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) describeAPIUser(ctx context.Context, u *store.APIUser) (*APIUser, error) {
	v := &APIUser{ResourceID: u.ResourceID, Username: u.Username, IntegrationCode: u.IntegrationCode, Active: u.Active, Locked: u.Locked,
		FailedLogins: u.FailedLogins, CreatedAt: u.CreatedAt, TrackingKind: store.TrackingCustom}
	fr := s.f.resource
	if row, err := s.DB.Get(ctx, s.f.resources, u.ResourceID); err == nil {
		v.FirstName, _ = row.Values[fr.firstName].(string)
		v.LastName, _ = row.Values[fr.lastName].(string)
		v.Email, _ = row.Values[fr.email].(string)
		if name, ok := row.Values[fr.userName].(string); ok && name != "" {
			v.Username = name // as typed; the credential table keeps it lower-cased
		}
	}
	if sec, err := s.DB.ResourceSecurity(ctx, u.ResourceID); err == nil {
		if l, err := auth.LoadLevel(ctx, s.DB, sec.SecurityLevelID); err == nil {
			v.SecurityLevel = l.Name
		}
	}
	if t, err := s.DB.TrackingIdentifier(ctx, u.IntegrationCode); err == nil {
		v.TrackingKind, v.CodeActive = t.Kind, t.Active
		if t.Kind == store.TrackingVendor {
			v.Vendor = t.Name
		}
	}
	return v, nil
}

// apiUser finds one of the tenant's API users by username.
func (s *Service) apiUser(ctx context.Context, username string) (*store.APIUser, error) {
	u, err := s.DB.APIUserOfTenant(ctx, strings.TrimSpace(username))
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.Invalid("There is no API user %q.", username)
	}
	return u, err
}

// DescribeAPIUser returns one API user.
func (s *Service) DescribeAPIUser(ctx context.Context, username string) (*APIUser, error) {
	u, err := s.apiUser(ctx, username)
	if err != nil {
		return nil, err
	}
	v, err := s.describeAPIUser(ctx, u)
	if err != nil {
		return nil, err
	}
	if v.RecordedFailures, err = s.DB.CountAuthFailures(ctx, u.Username); err != nil {
		return nil, err
	}
	return v, nil
}

// RegenerateSecret gives an API user a new secret (typed, under the password policy, or
// generated) and returns it; it is shown once. Calls with the old secret fail at once.
func (s *Service) RegenerateSecret(ctx context.Context, username, typed string) (*APIUserCredentials, error) {
	tenant, err := s.tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.apiUser(ctx, username)
	if err != nil {
		return nil, err
	}
	secret := typed
	if secret == "" {
		secret = auth.GenerateSecret()
	} else if err := auth.CheckPassword(secret, tenant.StrongPasswords); err != nil {
		return nil, apperr.Invalid("%s.", upperFirst(strings.Replace(err.Error(), "password", "secret", 1)))
	}
	err = s.ChangeAccess(ctx, func(tx *store.Tx) error {
		sec, err := tx.ResourceSecurity(ctx, u.ResourceID)
		if errors.Is(err, store.ErrNotFound) {
			sec, err = &store.ResourceSecurity{ResourceID: u.ResourceID, SecurityLevelID: access.APIUserLevel, APIOnly: true}, nil
		}
		if err != nil {
			return err
		}
		if typed != "" && (auth.VerifySecret(u.SecretHash, secret) || auth.Reused(secret, sec.PasswordHistory)) {
			return apperr.Invalid("The secret must differ from the last %d.", auth.PasswordHistory)
		}
		sec.PasswordHistory = auth.PushHistory(sec.PasswordHistory, u.SecretHash)
		sec.PasswordChangedAt = time.Now().UTC()
		if err := tx.SaveResourceSecurity(ctx, sec); err != nil {
			return err
		}
		u.SecretHash = auth.HashSecret(secret)
		return tx.UpdateAPIUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	v, err := s.describeAPIUser(ctx, u)
	if err != nil {
		return nil, err
	}
	return &APIUserCredentials{ResourceID: u.ResourceID, Username: v.Username, Secret: secret, IntegrationCode: u.IntegrationCode, SecurityLevel: v.SecurityLevel, Vendor: v.Vendor}, nil
}

// UnlockAPIUser clears an API user's lock and its count of failed authentications.
func (s *Service) UnlockAPIUser(ctx context.Context, username string) (*APIUser, error) {
	return s.changeAPIUser(ctx, username, func(u *store.APIUser) { u.Locked, u.FailedLogins = false, 0 })
}

// LockAPIUser locks an API user, as repeated failures do.
func (s *Service) LockAPIUser(ctx context.Context, username string) (*APIUser, error) {
	return s.changeAPIUser(ctx, username, func(u *store.APIUser) { u.Locked = true })
}

func (s *Service) changeAPIUser(ctx context.Context, username string, change func(*store.APIUser)) (*APIUser, error) {
	u, err := s.apiUser(ctx, username)
	if err != nil {
		return nil, err
	}
	change(u)
	err = s.ChangeAccess(ctx, func(tx *store.Tx) error {
		return tx.UpdateAPIUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return s.describeAPIUser(ctx, u)
}

// SetAPIUserTracking binds an API user to another tracking identifier: a vendor by name, or a
// new Custom code when vendor is empty.
func (s *Service) SetAPIUserTracking(ctx context.Context, username, vendor string) (*APIUser, error) {
	u, err := s.apiUser(ctx, username)
	if err != nil {
		return nil, err
	}
	t := &store.TrackingIdentifier{Kind: store.TrackingCustom, Name: "Custom (Internal Integration)", Active: true, Code: auth.GenerateIntegrationCode()}
	if vendor != "" {
		if t, err = s.Vendor(ctx, vendor); err != nil {
			return nil, err
		}
	}
	u.IntegrationCode = t.Code
	err = s.ChangeAccess(ctx, func(tx *store.Tx) error {
		if t.Kind == store.TrackingCustom {
			if err := tx.SaveTrackingIdentifier(ctx, t, access.NameKey(t.Name)); err != nil {
				return err
			}
		}
		return tx.UpdateAPIUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return s.describeAPIUser(ctx, u)
}

// AuthFailures lists an API user's latest failed authentications with their source addresses.
func (s *Service) AuthFailures(ctx context.Context, username string, limit int) ([]store.AuthFailure, error) {
	u, err := s.apiUser(ctx, username)
	if err != nil {
		return nil, err
	}
	return s.DB.AuthFailures(ctx, u.Username, limit)
}
