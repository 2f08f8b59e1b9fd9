package sync

import (
	"reflect"
	"testing"
)

// TestPairOrNeither: a remote write carries a record's assignment whole or not at all.
func TestPairOrNeither(t *testing.T) {
	for _, c := range []struct {
		name      string
		entity    string
		out, want map[string]any
	}{
		{"both", "Tickets", map[string]any{"title": "x", "assignedResourceID": int64(4), "assignedResourceRoleID": int64(7)},
			map[string]any{"title": "x", "assignedResourceID": int64(4), "assignedResourceRoleID": int64(7)}},
		{"both cleared", "Tickets", map[string]any{"assignedResourceID": nil, "assignedResourceRoleID": nil},
			map[string]any{"assignedResourceID": nil, "assignedResourceRoleID": nil}},
		{"resource without its role", "Tickets", map[string]any{"title": "x", "assignedResourceID": int64(4)}, map[string]any{"title": "x"}},
		{"role without its resource", "Tickets", map[string]any{"assignedResourceRoleID": int64(7)}, map[string]any{}},
		{"one cleared, one set", "Tickets", map[string]any{"assignedResourceID": nil, "assignedResourceRoleID": int64(7)}, map[string]any{}},
		{"an entity without assignments", "Companies", map[string]any{"assignedResourceID": int64(4)}, map[string]any{"assignedResourceID": int64(4)}},
	} {
		pairOrNeither(c.entity, c.out)
		if !reflect.DeepEqual(c.out, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.out, c.want)
		}
	}
}
