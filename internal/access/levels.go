package access

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// License is a resource's license type, kept in Resources.licenseType. A security level fixes
// it: a copy keeps its source's license for good.
type License int64

// The license types.
const (
	LicenseAdministrator    License = 1
	LicenseFull             License = 2
	LicenseTeamMember       License = 3
	LicenseDashboardUser    License = 4
	LicenseTimeAttendance   License = 5
	LicenseContractor       License = 6
	LicenseAPIUser          License = 7
	LicenseCoManagedHelpDsk License = 8
)

var licenseNames = map[License]string{LicenseAdministrator: "Administrator", LicenseFull: "Full", LicenseTeamMember: "Team Member",
	LicenseDashboardUser: "Dashboard User", LicenseTimeAttendance: "Time and Attendance", LicenseContractor: "Contractor",
	LicenseAPIUser: "API User", LicenseCoManagedHelpDsk: "Co-managed Help Desk"}

func (l License) String() string {
	if s, ok := licenseNames[l]; ok {
		return s
	}
	return fmt.Sprintf("License(%d)", int64(l))
}

// The names of the yes/no settings, as the CLI and the JSON form spell them.
const (
	FlagInternalCost       = "canViewInternalCost"         // Other: "Can view internal cost data"
	FlagNoPasswordChange   = "notRequiredToChangePassword" // Other: "Not required to change password"
	FlagWebhooks           = "canCreateWebhooks"           // Web Services API: "Can create Webhooks" (with MaxWebhooks)
	FlagImpersonate        = "canImpersonate"              // Web Services API, API-only levels: may impersonate resources
	FlagAllowImpersonation = "allowImpersonation"          // Web Services API, other levels: resources of this level may be impersonated
)

// DefaultMaxWebhooks is the webhook maximum a level gets when webhooks are turned on.
const DefaultMaxWebhooks = 10

// Flags are a level's yes/no settings.
type Flags struct {
	CanViewInternalCost         bool `json:"canViewInternalCost"`
	NotRequiredToChangePassword bool `json:"notRequiredToChangePassword"`
	CanCreateWebhooks           bool `json:"canCreateWebhooks"`
	MaxWebhooks                 int  `json:"maxWebhooks"`
	CanImpersonate              bool `json:"canImpersonate"`
	AllowImpersonation          bool `json:"allowImpersonation"`
}

// Level is a security level: system (defined here, read-only) or a tenant's copy.
type Level struct {
	ID      int64
	Name    string
	System  bool
	APIOnly bool
	Active  bool
	License License
	// Base is the system level a copy descends from; it answers for objects the copy has no row
	// for (a collection added to the catalog after the copy was made).
	Base  int64
	Flags Flags

	objects  map[string]Permission // a copy's grid, object by object
	sections map[string]Permission // a system level's grid, section by section...
	except   map[string]Permission // ...with these objects different
	noCopy   bool
}

// Permission is the level's row for the object of a collection.
func (l *Level) Permission(e *catalog.Entity) Permission { return l.perm(e.Section, e.Object) }

func (l *Level) perm(section, object string) Permission {
	if p, ok := l.objects[object]; ok {
		return p
	}
	if l.System {
		if p, ok := l.except[object]; ok {
			return p
		}
		return l.sections[section]
	}
	if b := SystemLevel(l.Base); b != nil {
		return b.perm(section, object)
	}
	return NoPermission
}

// Copyable reports whether "Copy Security Level" may start from this level.
func (l *Level) Copyable() error {
	if l.noCopy {
		return fmt.Errorf("the %s security level cannot be copied", l.Name)
	}
	return nil
}

// Editable reports whether the level may be changed: system levels are templates.
func (l *Level) Editable() error {
	if l.System {
		return fmt.Errorf("%s is a system security level and cannot be changed: copy it and change the copy", l.Name)
	}
	return nil
}

// CanDeactivate reports whether the level may be made inactive.
func (l *Level) CanDeactivate() error {
	if l.System {
		if l.ID == APIUserLevel {
			return fmt.Errorf("the %s security level cannot be deactivated", l.Name)
		}
		return fmt.Errorf("%s is a system security level and cannot be changed", l.Name)
	}
	return nil
}

// Copy is "Copy Security Level": a custom level with the same permissions, flags and license
// type. With noPermission every section starts at "No Permission" instead.
func (l *Level) Copy(cat *catalog.Catalog, name string, noPermission bool) (*Level, error) {
	if err := l.Copyable(); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("a security level needs a name")
	}
	c := &Level{Name: name, APIOnly: l.APIOnly, Active: true, License: l.License, Base: l.Base, Flags: l.Flags, objects: map[string]Permission{}}
	if l.System {
		c.Base = l.ID
	}
	for _, s := range Sections(cat) {
		for _, o := range s.Objects {
			c.objects[o] = l.perm(s.Name, o)
		}
	}
	if noPermission {
		for _, s := range Sections(cat) {
			c.setSection(s, false)
		}
	}
	c.tidy()
	return c, nil
}

// SetObject sets the row of one object.
func (l *Level) SetObject(cat *catalog.Catalog, object string, p Permission) error {
	if err := l.Editable(); err != nil {
		return err
	}
	if _, ok := objectSections(cat)[object]; !ok {
		return fmt.Errorf("no object %q", object)
	}
	l.objects[object] = p
	return nil
}

// SetSection is a section's "Full Permission" (full) or "No Permission" button: every object
// and every yes/no setting of the section.
func (l *Level) SetSection(cat *catalog.Catalog, section string, full bool) error {
	if err := l.Editable(); err != nil {
		return err
	}
	s, ok := SectionOf(cat, section)
	if !ok {
		return fmt.Errorf("no section %q: the sections are %s", section, strings.Join(SectionNames, ", "))
	}
	l.setSection(s, full)
	l.tidy()
	return nil
}

func (l *Level) setSection(s Section, full bool) {
	p := NoPermission
	if full {
		p = Full
	}
	for _, o := range s.Objects {
		l.objects[o] = p
	}
	for _, f := range s.Flags {
		_ = l.setFlag(f, full)
	}
}

// SetFlag sets one yes/no setting by name (see the Flag* constants).
func (l *Level) SetFlag(name string, on bool) error {
	if err := l.Editable(); err != nil {
		return err
	}
	if name == FlagImpersonate && on && !l.APIOnly {
		return fmt.Errorf("only API-only security levels can impersonate resources; use %s on other levels", FlagAllowImpersonation)
	}
	if name == FlagAllowImpersonation && on && l.APIOnly {
		return fmt.Errorf("API-only security levels do not support impersonation: their users cannot be impersonated")
	}
	return l.setFlag(name, on)
}

func (l *Level) setFlag(name string, on bool) error {
	f := &l.Flags
	switch name {
	case FlagInternalCost:
		f.CanViewInternalCost = on
	case FlagNoPasswordChange:
		f.NotRequiredToChangePassword = on
	case FlagWebhooks:
		f.CanCreateWebhooks = on
		if on && f.MaxWebhooks == 0 {
			f.MaxWebhooks = DefaultMaxWebhooks
		}
		if !on {
			f.MaxWebhooks = 0
		}
	case FlagImpersonate:
		f.CanImpersonate = on && l.APIOnly
	case FlagAllowImpersonation:
		f.AllowImpersonation = on && !l.APIOnly
	default:
		return fmt.Errorf("no setting %q: the settings are %s, %s, %s, %s, %s", name,
			FlagInternalCost, FlagNoPasswordChange, FlagWebhooks, FlagImpersonate, FlagAllowImpersonation)
	}
	return nil
}

// SetMaxWebhooks sets the webhook maximum; above zero it turns webhooks on.
func (l *Level) SetMaxWebhooks(n int) error {
	if err := l.Editable(); err != nil {
		return err
	}
	if n < 0 || n > 1000 {
		return fmt.Errorf("the webhook maximum must be between 0 and 1000")
	}
	l.Flags.MaxWebhooks = n
	l.Flags.CanCreateWebhooks = n > 0
	return nil
}

// tidy keeps the impersonation settings to the side that can have them.
func (l *Level) tidy() {
	if l.APIOnly {
		l.Flags.AllowImpersonation = false
	} else {
		l.Flags.CanImpersonate = false
	}
}

// Grid is the whole level as the CLI and the console show it, section by section.
type Grid struct {
	ID       int64                            `json:"id"`
	Name     string                           `json:"name"`
	System   bool                             `json:"system"`
	APIOnly  bool                             `json:"apiOnly"`
	Active   bool                             `json:"active"`
	License  string                           `json:"licenseType"`
	Flags    Flags                            `json:"flags"`
	Sections map[string]map[string]Permission `json:"sections"`
}

// Grid lays the level out by section.
func (l *Level) Grid(cat *catalog.Catalog) Grid {
	g := Grid{ID: l.ID, Name: l.Name, System: l.System, APIOnly: l.APIOnly, Active: l.Active, License: l.License.String(), Flags: l.Flags,
		Sections: map[string]map[string]Permission{}}
	for _, s := range Sections(cat) {
		m := map[string]Permission{}
		for _, o := range s.Objects {
			m[o] = l.perm(s.Name, o)
		}
		g.Sections[s.Name] = m
	}
	return g
}

// definition is how a copy is stored: its grid and flags.
type definition struct {
	Objects map[string]Permission `json:"objects"`
	Flags   Flags                 `json:"flags"`
}

// MarshalDefinition is the stored form of a copy's grid and flags.
func (l *Level) MarshalDefinition() (string, error) {
	b, err := json.Marshal(definition{Objects: l.objects, Flags: l.Flags})
	return string(b), err
}

// CustomLevel rebuilds a tenant's level from its stored form.
func CustomLevel(id int64, name string, apiOnly, active bool, license License, base int64, def string) (*Level, error) {
	var d definition
	if err := json.Unmarshal([]byte(def), &d); err != nil {
		return nil, fmt.Errorf("security level %d: %w", id, err)
	}
	if d.Objects == nil {
		d.Objects = map[string]Permission{}
	}
	l := &Level{ID: id, Name: name, APIOnly: apiOnly, Active: active, License: license, Base: base, Flags: d.Flags, objects: d.Objects}
	l.tidy()
	return l, nil
}
