package autotask

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// AccessLevel is what the calling user may do with an entity: "None", "All" or "Restricted".
type AccessLevel string

// The access levels of EntityInfo.
const (
	AccessNone       AccessLevel = "None"
	AccessAll        AccessLevel = "All"
	AccessRestricted AccessLevel = "Restricted"
)

// UnmarshalJSON accepts the strings Autotask sends and the numbers 0/1/2 its documentation shows.
func (a *AccessLevel) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = AccessLevel(s)
		return nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return fmt.Errorf("autotask: access level %s", b)
	}
	*a = map[int]AccessLevel{0: AccessNone, 1: AccessAll, 2: AccessRestricted}[n]
	return nil
}

// EntityInfo is the answer of {Entity}/entityInformation.
type EntityInfo struct {
	Name                    string      `json:"name"`
	CanCreate               bool        `json:"canCreate"`
	CanDelete               bool        `json:"canDelete"`
	CanQuery                bool        `json:"canQuery"`
	CanUpdate               bool        `json:"canUpdate"`
	UserAccessForCreate     AccessLevel `json:"userAccessForCreate"`
	UserAccessForDelete     AccessLevel `json:"userAccessForDelete"`
	UserAccessForQuery      AccessLevel `json:"userAccessForQuery"`
	UserAccessForUpdate     AccessLevel `json:"userAccessForUpdate"`
	HasUserDefinedFields    bool        `json:"hasUserDefinedFields"`
	SupportsWebhookCallouts bool        `json:"supportsWebhookCallouts"`
}

// PicklistValue is one choice of a picklist field. Value is a string on the wire even when the
// field is an integer.
type PicklistValue struct {
	Value          string `json:"value"`
	Label          string `json:"label"`
	IsDefaultValue bool   `json:"isDefaultValue"`
	SortOrder      int    `json:"sortOrder"`
	ParentValue    string `json:"parentValue"`
	IsActive       bool   `json:"isActive"`
	IsSystem       bool   `json:"isSystem"`
}

// FieldInfo describes one field of an entity ({Entity}/entityInformation/fields).
type FieldInfo struct {
	Name string `json:"name"`
	// DataType is lower-case: integer, long, short, double, decimal, string, datetime, boolean.
	DataType                 string          `json:"dataType"`
	Length                   int             `json:"length"`
	IsRequired               bool            `json:"isRequired"`
	IsReadOnly               bool            `json:"isReadOnly"`
	IsQueryable              bool            `json:"isQueryable"`
	IsReference              bool            `json:"isReference"`
	ReferenceEntityType      string          `json:"referenceEntityType"`
	IsPickList               bool            `json:"isPickList"`
	PicklistValues           []PicklistValue `json:"picklistValues"`
	PicklistParentValueField string          `json:"picklistParentValueField"`
	IsSupportedWebhookField  bool            `json:"isSupportedWebhookField"`
}

// PicklistLabel returns the label of a picklist value (value as a string, e.g. "5").
func (f FieldInfo) PicklistLabel(value string) (string, bool) {
	for _, p := range f.PicklistValues {
		if p.Value == value {
			return p.Label, true
		}
	}
	return "", false
}

// PicklistValueOf returns the value of the picklist entry with the given label (case-insensitive).
func (f FieldInfo) PicklistValueOf(label string) (string, bool) {
	for _, p := range f.PicklistValues {
		if strings.EqualFold(p.Label, label) {
			return p.Value, true
		}
	}
	return "", false
}

// UDFInfo describes one user-defined field ({Entity}/entityInformation/userDefinedFields).
type UDFInfo struct {
	Name                     string          `json:"name"`
	Label                    string          `json:"label"`
	Type                     string          `json:"type"`
	Length                   int             `json:"length"`
	Description              string          `json:"description"`
	IsRequired               bool            `json:"isRequired"`
	IsReadOnly               bool            `json:"isReadOnly"`
	IsQueryable              bool            `json:"isQueryable"`
	IsReference              bool            `json:"isReference"`
	ReferenceEntityType      string          `json:"referenceEntityType"`
	IsPickList               bool            `json:"isPickList"`
	PicklistValues           []PicklistValue `json:"picklistValues"`
	PicklistParentValueField string          `json:"picklistParentValueField"`
	DefaultValue             *string         `json:"defaultValue"`
	IsSupportedWebhookField  bool            `json:"isSupportedWebhookField"`
}

// metaCache keeps metadata for the life of the client (ResetMetadata empties it).
type metaCache struct {
	mu sync.Mutex
	m  map[string]any
}

func (m *metaCache) get(key string) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	return v, ok
}

func (m *metaCache) put(key string, v any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]any{}
	}
	m.m[key] = v
}

// ResetMetadata forgets the cached metadata (after picklists or UDFs were changed, say).
func (c *Client) ResetMetadata() {
	c.meta.mu.Lock()
	defer c.meta.mu.Unlock()
	c.meta.m = nil
}

// metadata reads entityInformation{/path…} of entity, takes the envelope key what ("info" or
// "fields") and caches the result.
func metadata[T any](ctx context.Context, c *Client, entity, what string, path ...string) (T, error) {
	var zero T
	if err := checkName("collection", entity); err != nil {
		return zero, err
	}
	key := strings.ToLower(entity) + "/" + strings.Join(path, "/")
	if v, ok := c.meta.get(key); ok {
		return v.(T), nil
	}
	u, err := c.endpoint(ctx, append([]string{entity, "entityInformation"}, path...)...)
	if err != nil {
		return zero, err
	}
	raw, err := c.send(ctx, call{method: http.MethodGet, url: u, auth: true, safe: true})
	if err != nil {
		return zero, err
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil {
		return zero, fmt.Errorf("autotask: decoding %s of %s: %w", what, entity, err)
	}
	var v T
	for k, part := range env {
		if strings.EqualFold(k, what) {
			if err := json.Unmarshal(part, &v); err != nil {
				return zero, fmt.Errorf("autotask: decoding %s of %s: %w", what, entity, err)
			}
		}
	}
	c.meta.put(key, v)
	return v, nil
}

// EntityInformation returns what the API allows for entity and what the calling user may do.
// Cached per client.
func (c *Client) EntityInformation(ctx context.Context, entity string) (EntityInfo, error) {
	return metadata[EntityInfo](ctx, c, entity, "info")
}

// Fields returns the field definitions of entity, with picklist values. Cached per client.
func (c *Client) Fields(ctx context.Context, entity string) ([]FieldInfo, error) {
	f, err := metadata[[]FieldInfo](ctx, c, entity, "fields", "fields")
	return slices.Clone(f), err
}

// Field returns the definition of one field of entity (name matched case-insensitively).
func (c *Client) Field(ctx context.Context, entity, name string) (FieldInfo, error) {
	fields, err := c.Fields(ctx, entity)
	if err != nil {
		return FieldInfo{}, err
	}
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return f, nil
		}
	}
	return FieldInfo{}, fmt.Errorf("autotask: %s has no field %q: %w", entity, name, ErrNotFound)
}

// UserDefinedFields returns the UDF definitions of entity in this tenant. Cached per client.
func (c *Client) UserDefinedFields(ctx context.Context, entity string) ([]UDFInfo, error) {
	f, err := metadata[[]UDFInfo](ctx, c, entity, "fields", "userDefinedFields")
	return slices.Clone(f), err
}
