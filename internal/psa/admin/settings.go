package admin

import (
	"context"
	"strings"
	"time"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// SettingsChange edits the tenant's access settings; nil fields are left as they are.
type SettingsChange struct {
	StrongPasswords  *bool
	LockoutThreshold *int64
	UsernameDomain   *string
	OrgLevel1Label   *string
	OrgLevel2Label   *string
	APIThreshold     *int64  // hourly API request threshold (psa.Service.APIThreshold, limits.go)
	TimeZone         *string // an IANA zone name such as "Europe/Amsterdam"
}

// ChangeSettings edits the tenant's password policy, lockout threshold, username domain,
// organizational level labels, API threshold and time zone.
func (s *Service) ChangeSettings(ctx context.Context, ch SettingsChange) (*store.Tenant, error) {
	t, err := s.tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if ch.StrongPasswords != nil {
		t.StrongPasswords = *ch.StrongPasswords
	}
	if ch.LockoutThreshold != nil {
		if *ch.LockoutThreshold < 1 || *ch.LockoutThreshold > 1000 {
			return nil, apperr.Invalid("The lockout threshold must be between 1 and 1000 failed authentications.")
		}
		t.LockoutThreshold = *ch.LockoutThreshold
	}
	if ch.UsernameDomain != nil {
		d := strings.ToLower(strings.TrimSpace(*ch.UsernameDomain))
		if d != "" && (!strings.Contains(d, ".") || strings.ContainsAny(d, "@ ();:[]|\\\"")) {
			return nil, apperr.Invalid("%q is not a domain name.", d)
		}
		t.UsernameDomain = d
	}
	for _, l := range []struct {
		in  *string
		out *string
	}{{ch.OrgLevel1Label, &t.OrgLevel1Label}, {ch.OrgLevel2Label, &t.OrgLevel2Label}} {
		if l.in != nil {
			v := strings.TrimSpace(*l.in)
			if v == "" || len(v) > 50 {
				return nil, apperr.Invalid("A level label needs 1 to 50 characters.")
			}
			*l.out = v
		}
	}
	zone := ""
	if ch.TimeZone != nil {
		if zone, err = CheckTimeZone(*ch.TimeZone); err != nil {
			return nil, err
		}
	}
	if ch.APIThreshold != nil {
		if err := s.setAPIThreshold(ctx, *ch.APIThreshold); err != nil {
			return nil, err
		}
		t.RequestThreshold = *ch.APIThreshold
	}
	err = s.ChangeAccess(ctx, func(tx *store.Tx) error {
		if err := tx.SaveTenantSettings(ctx, t.TenantSettings); err != nil {
			return err
		}
		if zone == "" || zone == t.TimeZone {
			return nil
		}
		return tx.SetTenantTimeZone(ctx, zone)
	})
	if err != nil {
		return nil, err
	}
	if zone != "" {
		t.TimeZone = zone
	}
	return t, nil
}

// CheckTimeZone returns the IANA time zone name z (trimmed) when this server knows it, or a
// clear error. "Local" is refused: it means the server's zone, not the tenant's.
func CheckTimeZone(z string) (string, error) {
	z = strings.TrimSpace(z)
	switch {
	case z == "":
		return "", apperr.Invalid("Choose a time zone.")
	case len(z) > 64 || z == "Local":
		return "", apperr.Invalid("%q is not a time zone: choose one such as Europe/Amsterdam or America/New_York.", z)
	}
	if _, err := time.LoadLocation(z); err != nil {
		return "", apperr.Invalid("%q is not a time zone: choose one such as Europe/Amsterdam or America/New_York.", z)
	}
	return z, nil
}

func (s *Service) setAPIThreshold(ctx context.Context, n int64) error {
	if n < 1 || n > psa.MaxAPIThreshold {
		return apperr.Invalid("The API threshold must be between 1 and %d requests per hour.", psa.MaxAPIThreshold)
	}
	return s.DB.SetRequestThreshold(ctx, n)
}
