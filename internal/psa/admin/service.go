// Package admin holds Switchboard's administration services, built on the generic entity
// engine of internal/psa: tenants (and their seed and demo data), resources and their
// associations, API users, security levels, tracking identifiers and the vendor list, lines of
// business, tenant settings, console and client-portal sign-in with their sessions, and the
// portal's and "my tickets" reads. They write the catalog rows they own through the engine
// (a resource's fields go through psa's Update, so the Resources hook keeps the entity's
// rules for the REST API and the administration alike) and the access tables through the
// store, then tell the engine's access listeners (psa.Service.AccessChanged).
package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/psa"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Service is the administration over one engine. It embeds *psa.Service, so a caller holding
// an admin service reads and writes catalog rows (Get, Query, Create, Update...) through the
// same value; code that needs only the engine takes the embedded Service.
type Service struct {
	*psa.Service
	// HashGate bounds the password hashing of the console's and portal's sign-ins: one hash at
	// a time per username, as many at once as there are cores, the rest answered 429 at once
	// (the API's authenticator has a gate of its own, so hashing stays within twice the cores).
	HashGate *auth.HashGate
	f        fields // the collections and fields the administration names, resolved by New
}

// New makes the engine (psa.New) over an open, migrated database and the administration on it.
func New(db *store.DB) *Service {
	return &Service{Service: psa.New(db), HashGate: auth.NewHashGate(0), f: resolveFields(db.Catalog)}
}

// tenantOf reads the tenant of ctx.
func (s *Service) tenantOf(ctx context.Context) (*store.Tenant, error) {
	id, err := store.TenantFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.tenant(ctx, id)
}

func (s *Service) tenant(ctx context.Context, id int64) (*store.Tenant, error) {
	t, err := s.DB.TenantByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("tenant %d: %w", id, err)
	}
	return t, err
}

// verifySignIn checks a password typed at a sign-in page through the hash gate: an unauthenticated
// caller cannot make the server hash without bound (auth.ErrBusy when it is full).
func (s *Service) verifySignIn(ctx context.Context, username, hash, password string) (bool, error) {
	release, err := s.HashGate.Acquire(ctx, username)
	if err != nil {
		return false, err
	}
	defer release()
	return auth.VerifySecret(hash, password), nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func lower(s string) string { return strings.ToLower(s) }
