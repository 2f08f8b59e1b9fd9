package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Console sign-in, for the admin console: API-only users never sign in; other resources need a
// password, an active record and no lock. Failures count toward the tenant's lockout threshold
// and are recorded with the source address, as for API users.

var errSignIn = apperr.New(http.StatusUnauthorized, "The username or password is not valid.")

// ConsoleSignIn checks a console username and password and returns the tenant and resource.
func (s *Service) ConsoleSignIn(ctx context.Context, username, password, remoteAddr string) (*store.Tenant, *Resource, error) {
	tenantID, resourceID, err := s.DB.UsernameOwner(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errSignIn
	}
	if err != nil {
		return nil, nil, err
	}
	ctx = store.WithTenant(ctx, tenantID)
	tenant, err := s.tenant(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	sec, err := s.DB.ResourceSecurity(ctx, resourceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errSignIn
	}
	if err != nil {
		return nil, nil, err
	}
	switch {
	case sec.APIOnly:
		return nil, nil, apperr.New(http.StatusUnauthorized, "API-only users cannot sign in to the console.")
	case sec.Locked:
		return nil, nil, apperr.New(http.StatusUnauthorized, "This user is locked: an administrator can unlock it.")
	case !sec.ConsoleLogin || sec.PasswordHash == "":
		return nil, nil, errSignIn
	}
	ok, err := s.verifySignIn(ctx, username, sec.PasswordHash, password)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			cur, err := tx.ResourceSecurity(ctx, resourceID)
			if err != nil {
				return err
			}
			cur.FailedLogins++
			if cur.FailedLogins >= tenant.LockoutThreshold {
				cur.Locked = true
			}
			if err := tx.RecordConsoleFailure(ctx, username, remoteAddr); err != nil {
				return err
			}
			return tx.SaveResourceSecurity(ctx, cur)
		})
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, errSignIn
	}
	r, err := s.Resource(ctx, strconv.FormatInt(resourceID, 10))
	if err != nil {
		return nil, nil, err
	}
	if !r.Active {
		return nil, nil, errSignIn
	}
	if sec.FailedLogins > 0 {
		sec.FailedLogins = 0
		if err := s.DB.InTx(ctx, func(tx *store.Tx) error { return tx.SaveResourceSecurity(ctx, sec) }); err != nil {
			return nil, nil, err
		}
	}
	return tenant, r, nil
}

// UnlockResource clears a console user's lock and failure count.
func (s *Service) UnlockResource(ctx context.Context, ref string) (*Resource, error) {
	id, err := s.resourceID(ctx, ref)
	if err != nil {
		return nil, err
	}
	err = s.ChangeAccess(ctx, func(tx *store.Tx) error {
		sec, err := tx.ResourceSecurity(ctx, id)
		if err != nil {
			return err
		}
		sec.Locked, sec.FailedLogins = false, 0
		return tx.SaveResourceSecurity(ctx, sec)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.Invalid("Resource %s has no sign-in to unlock.", ref)
	}
	if err != nil {
		return nil, err
	}
	return s.Resource(ctx, strconv.FormatInt(id, 10))
}
