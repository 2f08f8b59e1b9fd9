package admin

import (
	"context"
	"strings"

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
	APIThreshold     *int64 // hourly API request threshold (psa.Service.APIThreshold, limits.go)
}

// ChangeSettings edits the tenant's password policy, lockout threshold, username domain and
// organizational level labels.
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
	if ch.APIThreshold != nil {
		if err := s.setAPIThreshold(ctx, *ch.APIThreshold); err != nil {
			return nil, err
		}
		t.RequestThreshold = *ch.APIThreshold
	}
	return t, s.saveSettings(ctx, t.TenantSettings)
}

func (s *Service) saveSettings(ctx context.Context, st store.TenantSettings) error {
	if err := s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.SaveTenantSettings(ctx, st) }); err != nil {
		return err
	}
	s.AccessChanged(ctx)
	return nil
}

func (s *Service) setAPIThreshold(ctx context.Context, n int64) error {
	if n < 1 || n > psa.MaxAPIThreshold {
		return apperr.Invalid("The API threshold must be between 1 and %d requests per hour.", psa.MaxAPIThreshold)
	}
	return s.DB.SetRequestThreshold(ctx, n)
}
