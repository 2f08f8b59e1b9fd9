package access

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Scope is how far an object permission reaches, narrowest first.
type Scope uint8

// The scopes of the security-level grid. Mine is the rows a resource is assigned to or owns; My
// Companies the rows of the companies it owns or is on the account team of; Mine + Companies
// both.
const (
	None Scope = iota
	Mine
	MyCompanies
	MineAndCompanies
	All
)

var scopeNames = [...]string{None: "None", Mine: "Mine", MyCompanies: "My Companies", MineAndCompanies: "Mine + Companies", All: "All"}

func (s Scope) String() string {
	if int(s) < len(scopeNames) {
		return scopeNames[s]
	}
	return fmt.Sprintf("Scope(%d)", uint8(s))
}

// ParseScope reads a scope as the CLI spells it (all, mine, my-companies, mine-companies, none)
// or as the grid shows it ("Mine + Companies").
func ParseScope(s string) (Scope, error) {
	switch strings.Join(strings.Fields(strings.ToLower(strings.NewReplacer("-", " ", "+", " ", "_", " ").Replace(s))), " ") {
	case "all":
		return All, nil
	case "mine":
		return Mine, nil
	case "my companies", "companies", "my organizations", "organizations":
		return MyCompanies, nil
	case "mine companies", "mine and companies", "mine organizations":
		return MineAndCompanies, nil
	case "none", "no":
		return None, nil
	}
	return None, fmt.Errorf("%q is not a scope: use all, mine, mine-companies, my-companies or none", s)
}

// MarshalText writes the grid's name.
func (s Scope) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText and ParseScope read.
func (s *Scope) UnmarshalText(b []byte) error {
	v, err := ParseScope(string(b))
	*s = v
	return err
}

// Action is what a call does to an object.
type Action uint8

// The actions of the grid: View answers get, query, count and child lists; Add create; Edit
// update and replace; Delete delete.
const (
	View Action = iota
	Add
	Edit
	Delete
)

var actionVerbs = [...]string{View: "view", Add: "create", Edit: "update", Delete: "delete"}

// Verb is the word Autotask's refusal uses for the action: create, update, delete (view for View).
func (a Action) Verb() string { return actionVerbs[a] }

// Permission is one object's row of the grid: View, Edit and Delete with a scope, Add yes or no.
type Permission struct {
	View   Scope `json:"view"`
	Add    bool  `json:"add"`
	Edit   Scope `json:"edit"`
	Delete Scope `json:"delete"`
}

// Full and NoPermission are what the section buttons set.
var (
	Full         = Permission{View: All, Add: true, Edit: All, Delete: All}
	NoPermission = Permission{}
)

// Scope is the reach of the permission for an action; Add is All or None.
func (p Permission) Scope(a Action) Scope {
	switch a {
	case View:
		return p.View
	case Add:
		if p.Add {
			return All
		}
		return None
	case Edit:
		return p.Edit
	default:
		return p.Delete
	}
}

func (p Permission) String() string {
	b, _ := json.Marshal(p)
	return string(b)
}
