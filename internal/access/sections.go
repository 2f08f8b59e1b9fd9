package access

import (
	"sort"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
)

// SectionNames are the permission sections of a security level, in the order the page shows
// them. Every catalog collection names one section and one object of it (catalog Entity.Section
// and Entity.Object), so every API call is decided by one row of one section.
var SectionNames = []string{"Contracts", "CRM", "Inventory", "Projects", "Service Desk", "Documents & Knowledgebase",
	"Timesheet", "Reports", "Admin", "Other", "Web Services API"}

// Section is one section of the page: its objects (from the catalog) and its yes/no settings.
type Section struct {
	Name    string   `json:"name"`
	Objects []string `json:"objects"`
	Flags   []string `json:"flags"`
}

// sectionFlags are the booleans each section holds (see Flags).
var sectionFlags = map[string][]string{
	"Other":            {FlagInternalCost, FlagNoPasswordChange},
	"Web Services API": {FlagWebhooks, FlagImpersonate, FlagAllowImpersonation},
}

// Sections lists the sections with the objects the catalog assigns them, objects sorted.
func Sections(cat *catalog.Catalog) []Section {
	objects := map[string]map[string]bool{}
	for _, e := range cat.Entities() {
		if e.Section == "" || e.Object == "" {
			continue
		}
		if objects[e.Section] == nil {
			objects[e.Section] = map[string]bool{}
		}
		objects[e.Section][e.Object] = true
	}
	out := make([]Section, 0, len(SectionNames))
	for _, name := range SectionNames {
		s := Section{Name: name, Objects: []string{}, Flags: sectionFlags[name]}
		for o := range objects[name] {
			s.Objects = append(s.Objects, o)
		}
		sort.Strings(s.Objects)
		if s.Flags == nil {
			s.Flags = []string{}
		}
		out = append(out, s)
	}
	return out
}

// SectionOf finds a section by name, case-insensitively.
func SectionOf(cat *catalog.Catalog, name string) (Section, bool) {
	for _, s := range Sections(cat) {
		if strings.EqualFold(s.Name, strings.TrimSpace(name)) {
			return s, true
		}
	}
	return Section{}, false
}

// objectSections maps each object to its section.
func objectSections(cat *catalog.Catalog) map[string]string {
	out := map[string]string{}
	for _, e := range cat.Entities() {
		if e.Object != "" {
			out[e.Object] = e.Section
		}
	}
	return out
}
