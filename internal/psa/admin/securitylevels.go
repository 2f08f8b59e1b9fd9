package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/access"
	"github.com/switchboard-psa/switchboard/internal/apperr"
	"github.com/switchboard-psa/switchboard/internal/auth"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// Security levels: the system levels (internal/access, read-only) and the tenant's copies.

// SecurityLevels lists the tenant's levels: the system levels, then its copies.
func (s *Service) SecurityLevels(ctx context.Context) ([]*access.Level, error) {
	rows, err := s.DB.SecurityLevels(ctx)
	if err != nil {
		return nil, err
	}
	out := append([]*access.Level{}, access.SystemLevels()...)
	for _, r := range rows {
		l, err := auth.LevelFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// SecurityLevel finds a level by name as an administrator types it: the full name, or the name
// without " (system)" and " (API-only)"; an exact match wins over a short one.
func (s *Service) SecurityLevel(ctx context.Context, name string) (*access.Level, error) {
	all, err := s.SecurityLevels(ctx)
	if err != nil {
		return nil, err
	}
	var short []*access.Level
	for _, l := range all {
		if access.NameKey(l.Name) == access.NameKey(name) {
			return l, nil
		}
		if access.MatchesName(l.Name, name) {
			short = append(short, l)
		}
	}
	switch len(short) {
	case 1:
		return short[0], nil
	case 0:
		return nil, apperr.Invalid("There is no security level named %q.", name)
	}
	return nil, apperr.Invalid("The name %q matches several security levels; give the full name.", name)
}

// CopySecurityLevel is "Copy Security Level": a new custom level from source, with the same
// permissions and license type, or with No Permission everywhere. A tenant may have at most 50
// active API-only copies.
func (s *Service) CopySecurityLevel(ctx context.Context, source, name string, noPermission bool) (*access.Level, error) {
	src, err := s.SecurityLevel(ctx, source)
	if err != nil {
		return nil, err
	}
	c, err := src.Copy(s.Catalog, name, noPermission)
	if err != nil {
		return nil, apperr.Invalid("%s.", upperFirst(err.Error()))
	}
	if err := s.nameFree(ctx, c.Name, 0); err != nil {
		return nil, err
	}
	if err := s.saveLevel(ctx, c, true); err != nil {
		return nil, err
	}
	return c, nil
}

// nameFree refuses a name another level (a system one included) already has.
func (s *Service) nameFree(ctx context.Context, name string, except int64) error {
	all, err := s.SecurityLevels(ctx)
	if err != nil {
		return err
	}
	for _, l := range all {
		if l.ID != except && access.NameKey(l.Name) == access.NameKey(name) {
			return apperr.Invalid("A security level named %q already exists.", name)
		}
	}
	return nil
}

// saveLevel stores a copy (new when its ID is 0) and tells the authenticator.
func (s *Service) saveLevel(ctx context.Context, l *access.Level, checkCap bool) error {
	def, err := l.MarshalDefinition()
	if err != nil {
		return err
	}
	row := &store.SecurityLevelRow{ID: l.ID, Name: l.Name, APIOnly: l.APIOnly, Active: l.Active, License: int64(l.License), Base: l.Base, Definition: def}
	err = s.ChangeAccess(ctx, func(tx *store.Tx) error {
		if checkCap && l.APIOnly && l.Active {
			n, err := tx.CountActiveAPIOnlyLevels(ctx)
			if err != nil {
				return err
			}
			if n >= access.MaxActiveAPIOnlyCopies {
				return apperr.Invalid("A database can have at most %d active API-only custom security levels.", access.MaxActiveAPIOnlyCopies)
			}
		}
		return tx.SaveSecurityLevel(ctx, row, access.NameKey(l.Name), access.FirstCustomLevel)
	})
	if errors.Is(err, store.ErrConflict) {
		return apperr.Invalid("A security level named %q already exists.", l.Name)
	}
	if err != nil {
		return err
	}
	l.ID = row.ID
	return nil
}

// LevelChange is one edit of a level's grid or settings; empty fields are left as they are.
type LevelChange struct {
	Object      string // a collection or object name: its object's row changes
	View        string // all, mine, mine-companies, my-companies, none
	Add         string // yes, no
	Edit        string
	Delete      string
	Section     string // with Full/NoPermission: the section's button
	Full        bool
	NoPerm      bool
	Flags       map[string]bool // by access.Flag* name
	MaxWebhooks *int
	Rename      string
}

// ChangeSecurityLevel edits a copy; system levels are read-only.
func (s *Service) ChangeSecurityLevel(ctx context.Context, name string, ch LevelChange) (*access.Level, error) {
	l, err := s.SecurityLevel(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := l.Editable(); err != nil {
		return nil, apperr.Invalid("%s.", upperFirst(err.Error()))
	}
	invalid := func(err error) error { return apperr.Invalid("%s.", upperFirst(err.Error())) }
	if ch.Section != "" || ch.Full || ch.NoPerm {
		if ch.Full == ch.NoPerm || ch.Section == "" {
			return nil, apperr.Invalid("Give a section with exactly one of full permission or no permission.")
		}
		if err := l.SetSection(s.Catalog, ch.Section, ch.Full); err != nil {
			return nil, invalid(err)
		}
	}
	if ch.Object != "" {
		object := ch.Object
		if e, ok := s.Catalog.Entity(ch.Object); ok {
			object = e.Object
		}
		p := l.Grid(s.Catalog).Sections[sectionOfObject(s, object)][object]
		set := func(text string, dst *access.Scope) error {
			if text == "" {
				return nil
			}
			v, err := access.ParseScope(text)
			*dst = v
			return err
		}
		if err := set(ch.View, &p.View); err != nil {
			return nil, invalid(err)
		}
		if err := set(ch.Edit, &p.Edit); err != nil {
			return nil, invalid(err)
		}
		if err := set(ch.Delete, &p.Delete); err != nil {
			return nil, invalid(err)
		}
		if ch.Add != "" {
			v, err := yesNo(ch.Add)
			if err != nil {
				return nil, invalid(err)
			}
			p.Add = v
		}
		if err := l.SetObject(s.Catalog, object, p); err != nil {
			return nil, apperr.Invalid("There is no collection or permission object named %q.", ch.Object)
		}
	}
	for name, on := range ch.Flags {
		if err := l.SetFlag(name, on); err != nil {
			return nil, invalid(err)
		}
	}
	if ch.MaxWebhooks != nil {
		if err := l.SetMaxWebhooks(*ch.MaxWebhooks); err != nil {
			return nil, invalid(err)
		}
	}
	if r := strings.TrimSpace(ch.Rename); r != "" {
		if err := s.nameFree(ctx, r, l.ID); err != nil {
			return nil, err
		}
		l.Name = r
	}
	if err := s.saveLevel(ctx, l, false); err != nil {
		return nil, err
	}
	return l, nil
}

func sectionOfObject(s *Service, object string) string {
	for _, e := range s.Catalog.Entities() {
		if e.Object == object {
			return e.Section
		}
	}
	return ""
}

// SetSecurityLevelActive activates or deactivates a copy. Users keep an inactive level; it is
// only no longer offered. Reactivating an API-only copy counts toward the cap.
func (s *Service) SetSecurityLevelActive(ctx context.Context, name string, active bool) (*access.Level, error) {
	l, err := s.SecurityLevel(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := l.CanDeactivate(); err != nil {
		return nil, apperr.Invalid("%s.", upperFirst(err.Error()))
	}
	if l.Active == active {
		return l, nil
	}
	l.Active = active
	return l, s.saveLevel(ctx, l, active)
}

func yesNo(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "on", "1":
		return true, nil
	case "no", "n", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", s)
}
