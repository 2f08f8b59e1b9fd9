package admin

import (
	"context"
	"errors"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// API tracking identifiers: the tenant's integration vendor list and its Custom (Internal
// Integration) codes. Every API user is bound to one; its calls must carry that code.

// SeedVendors are the vendors of a new tenant's list; each gets a 27-character code of its own.
var SeedVendors = []string{
	"Barracuda MSP",
	"Cloud Depot",
	"Datto File Protection & Datto Workplace",
	"Datto RMM",
	"IT Glue - Documentation Management",
	"MSPintegrations - Email2AT",
	"TimeZest - scheduling",
	"Work 365 Sync",
	"Workspace 365 - Cloud Service Delivery",
	"Zapier",
}

// seedVendors fills the vendor list of a tenant that has none.
func seedVendors(ctx context.Context, tx *store.Tx, existing []*store.TrackingIdentifier) error {
	if hasVendors(existing) {
		return nil
	}
	for _, name := range SeedVendors {
		t := &store.TrackingIdentifier{Code: auth.GenerateIntegrationCode(), Kind: store.TrackingVendor, Name: name, Active: true}
		if err := tx.SaveTrackingIdentifier(ctx, t, access.NameKey(name)); err != nil {
			return err
		}
	}
	return nil
}

func hasVendors(list []*store.TrackingIdentifier) bool {
	for _, t := range list {
		if t.Kind == store.TrackingVendor {
			return true
		}
	}
	return false
}

// EnsureAccessDefaults gives tenants made before the access model what new tenants get at once
// (the vendor list). It is cheap when there is nothing to do.
func (s *Service) EnsureAccessDefaults(ctx context.Context) error {
	tenants, err := s.DB.Tenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		tctx := store.WithTenant(ctx, t.ID)
		list, err := s.DB.TrackingIdentifiers(tctx)
		if err != nil {
			return err
		}
		if hasVendors(list) {
			continue
		}
		if err := s.DB.InTx(tctx, func(tx *store.Tx) error { return seedVendors(tctx, tx, list) }); err != nil {
			return err
		}
	}
	return nil
}

// TrackingIdentifiers lists the tenant's vendors and custom codes.
func (s *Service) TrackingIdentifiers(ctx context.Context) ([]*store.TrackingIdentifier, error) {
	return s.DB.TrackingIdentifiers(ctx)
}

// vendorKey is how vendor names compare: "MSPintegrations – Email2AT" is "MSPintegrations - Email2AT".
func vendorKey(name string) string { return access.NameKey(name) }

// Vendor finds a vendor of the tenant's list by name.
func (s *Service) Vendor(ctx context.Context, name string) (*store.TrackingIdentifier, error) {
	list, err := s.DB.TrackingIdentifiers(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range list {
		if t.Kind == store.TrackingVendor && vendorKey(t.Name) == vendorKey(name) {
			return t, nil
		}
	}
	return nil, apperr.Invalid("There is no integration vendor named %q: see the vendor list.", name)
}

// AddVendor adds a vendor to the tenant's list, with its code (typed, as the vendor gave it) or
// a generated one.
func (s *Service) AddVendor(ctx context.Context, name, code string) (*store.TrackingIdentifier, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, apperr.Invalid("A vendor needs a name of at most 100 characters.")
	}
	if _, err := s.Vendor(ctx, name); err == nil {
		return nil, apperr.Invalid("The vendor list already has %q.", name)
	}
	if code == "" {
		code = auth.GenerateIntegrationCode()
	}
	if !auth.ValidIntegrationCode(code) {
		return nil, apperr.Invalid("A tracking identifier has 27 upper-case letters and digits.")
	}
	t := &store.TrackingIdentifier{Code: code, Kind: store.TrackingVendor, Name: name, Active: true}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.SaveTrackingIdentifier(ctx, t, vendorKey(name)) })
	if errors.Is(err, store.ErrConflict) {
		return nil, apperr.Invalid("That tracking identifier is in use already.")
	}
	return t, err
}

// SetTrackingIdentifierActive enables or disables a vendor (by name) or a custom code (by code
// or by the username of the API user bound to it). Calls with a disabled identifier are refused
// with "IntegrationCode is invalid.".
func (s *Service) SetTrackingIdentifierActive(ctx context.Context, nameOrCode string, active bool) (*store.TrackingIdentifier, error) {
	t, err := s.trackingIdentifier(ctx, nameOrCode)
	if err != nil {
		return nil, err
	}
	err = s.ChangeAccess(ctx, func(tx *store.Tx) error {
		return tx.SetTrackingIdentifierActive(ctx, t.Code, active)
	})
	if err != nil {
		return nil, err
	}
	t.Active = active
	return t, nil
}

func (s *Service) trackingIdentifier(ctx context.Context, nameOrCode string) (*store.TrackingIdentifier, error) {
	if t, err := s.Vendor(ctx, nameOrCode); err == nil {
		return t, nil
	}
	if t, err := s.DB.TrackingIdentifier(ctx, strings.TrimSpace(nameOrCode)); err == nil {
		return t, nil
	}
	if u, err := s.apiUser(ctx, nameOrCode); err == nil {
		return s.DB.TrackingIdentifier(ctx, u.IntegrationCode)
	}
	return nil, apperr.Invalid("There is no vendor, tracking identifier or API user %q.", nameOrCode)
}
