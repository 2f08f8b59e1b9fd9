package atapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/switchboard-psa/switchboard/internal/catalog"
	"github.com/switchboard-psa/switchboard/internal/store"
)

// entityInfo is the "info" object of entityInformation.
type entityInfo struct {
	Name                    string `json:"name"`
	CanCreate               bool   `json:"canCreate"`
	CanDelete               bool   `json:"canDelete"`
	CanQuery                bool   `json:"canQuery"`
	CanUpdate               bool   `json:"canUpdate"`
	UserAccessForCreate     string `json:"userAccessForCreate"`
	UserAccessForDelete     string `json:"userAccessForDelete"`
	UserAccessForQuery      string `json:"userAccessForQuery"`
	UserAccessForUpdate     string `json:"userAccessForUpdate"`
	HasUserDefinedFields    bool   `json:"hasUserDefinedFields"`
	SupportsWebhookCallouts bool   `json:"supportsWebhookCallouts"`
}

// info describes a collection to the caller: userAccessFor* say what its security level lets
// it do ("All", "Restricted" or "None").
func (s *Server) info(r *http.Request, e *catalog.Entity, verbs catalog.Verb) entityInfo {
	canQuery := verbs.Has(catalog.Query) || verbs.Has(catalog.List)
	canUpdate := verbs.Has(catalog.Update) || verbs.Has(catalog.Replace)
	create, del, qry, update := s.PSA.UserAccess(r.Context(), e, verbs)
	return entityInfo{
		Name: e.Name, CanCreate: verbs.Has(catalog.Create), CanDelete: verbs.Has(catalog.Delete), CanQuery: canQuery, CanUpdate: canUpdate,
		UserAccessForCreate: create, UserAccessForDelete: del, UserAccessForQuery: qry, UserAccessForUpdate: update,
		HasUserDefinedFields: e.HasUDFs, SupportsWebhookCallouts: e.Webhooks,
	}
}

func (s *Server) entityInformation(w http.ResponseWriter, r *http.Request, e *catalog.Entity, verbs catalog.Verb) {
	newEnvelope(512).key("info").value(s.info(r, e, verbs)).send(w, http.StatusOK)
}

func (s *Server) globalEntityInformation(w http.ResponseWriter, r *http.Request) {
	var list []map[string]any
	for _, e := range s.PSA.Catalog.Entities() {
		if e.Stored && e.Verbs != 0 {
			list = append(list, map[string]any{"info": s.info(r, e, e.Verbs)})
		}
	}
	newEnvelope(64<<10).key("entityDescriptions").value(list).send(w, http.StatusOK)
}

type picklistValue struct {
	Value          string `json:"value"`
	Label          string `json:"label"`
	IsDefaultValue bool   `json:"isDefaultValue"`
	SortOrder      int64  `json:"sortOrder"`
	ParentValue    string `json:"parentValue"`
	IsActive       bool   `json:"isActive"`
	IsSystem       bool   `json:"isSystem"`
}

type fieldInfo struct {
	Name                     string          `json:"name"`
	DataType                 string          `json:"dataType"`
	Length                   int             `json:"length"`
	IsRequired               bool            `json:"isRequired"`
	IsReadOnly               bool            `json:"isReadOnly"`
	IsQueryable              bool            `json:"isQueryable"`
	IsReference              bool            `json:"isReference"`
	ReferenceEntityType      string          `json:"referenceEntityType"`
	IsPickList               bool            `json:"isPickList"`
	PicklistValues           []picklistValue `json:"picklistValues"`
	PicklistParentValueField string          `json:"picklistParentValueField"`
	IsSupportedWebhookField  bool            `json:"isSupportedWebhookField"`
}

func (s *Server) fields(w http.ResponseWriter, r *http.Request, e *catalog.Entity) {
	out := make([]fieldInfo, 0, len(e.Fields))
	for _, f := range e.Fields {
		fi := fieldInfo{Name: f.Name, DataType: string(f.Type), Length: f.Length, IsRequired: f.Required, IsReadOnly: f.ReadOnly,
			IsQueryable: f.Queryable, IsPickList: f.Picklist || s.PSA.WebhookFieldPicklist(e, f.Name), PicklistParentValueField: f.PicklistParent, IsSupportedWebhookField: e.Webhooks}
		if f.Type == catalog.Base64 {
			fi.DataType = "string"
		}
		if f.Reference != "" {
			fi.IsReference = true
			if t, ok := s.PSA.Catalog.Entity(f.Reference); ok {
				fi.ReferenceEntityType = t.Singular
			}
		}
		if fi.IsPickList {
			values, err := s.PSA.Picklist(r.Context(), e, f.Name)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			fi.PicklistValues = make([]picklistValue, 0, len(values))
			for _, v := range values {
				fi.PicklistValues = append(fi.PicklistValues, picklistJSON(v))
			}
		}
		out = append(out, fi)
	}
	newEnvelope(16<<10).key("fields").value(out).send(w, http.StatusOK)
}

func picklistJSON(v store.PicklistValue) picklistValue {
	p := picklistValue{Value: strconv.FormatInt(v.Value, 10), Label: v.Label, IsDefaultValue: v.IsDefault, SortOrder: v.SortOrder, IsActive: v.IsActive, IsSystem: v.IsSystem}
	if v.Parent != nil {
		p.ParentValue = strconv.FormatInt(*v.Parent, 10)
	}
	return p
}

var udfTypeNames = map[int64]string{1: "string", 2: "double", 3: "datetime", 4: "string", 5: "decimal"}

func (s *Server) userDefinedFields(w http.ResponseWriter, r *http.Request, e *catalog.Entity) {
	defs, err := s.PSA.UDFDefinitions(r.Context(), e)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(defs))
	for _, d := range defs {
		typ := udfTypeNames[d.DataType]
		if typ == "" {
			typ = "string"
		}
		out = append(out, map[string]any{"name": d.Name, "label": d.Name, "type": typ, "length": 8000, "description": d.Description,
			"isRequired": d.IsRequired, "isReadOnly": false, "isQueryable": true, "isReference": false, "referenceEntityType": "",
			"isPickList": d.DataType == 4, "picklistValues": []picklistValue{}, "picklistParentValueField": "", "defaultValue": d.Default,
			"isSupportedWebhookField": e.Webhooks})
	}
	newEnvelope(1024).key("fields").value(out).send(w, http.StatusOK)
}

// moduleKeys numbers the modules (the catalog's permission sections). Autotask answers Modules
// with numeric keys; its own numbering is not public, so these are Switchboard's, stable.
var moduleKeys = []string{"Admin", "CRM", "Contracts", "Documents & Knowledgebase", "Inventory", "Projects", "Reports", "Service Desk", "Timesheet", "Web Services API"}

func (s *Server) modules(w http.ResponseWriter, r *http.Request) {
	type module struct {
		Key   int  `json:"key"`
		Value bool `json:"value"`
	}
	list := make([]module, len(moduleKeys))
	for i := range moduleKeys {
		list[i] = module{Key: i + 1, Value: true}
	}
	newEnvelope(512).key("modules").value(list).send(w, http.StatusOK)
}

// zoneInformation answers zone discovery without authentication: the base URL of the zone that
// serves the user's tenant. One deployment is one zone.
func (s *Server) zoneInformation(w http.ResponseWriter, r *http.Request) {
	user := strings.TrimSpace(queryParam(r, "user"))
	if user == "" {
		writeErrors(w, http.StatusInternalServerError, []string{"Zone information could not be determined"})
		return
	}
	tenantID, _, err := s.PSA.DB.UsernameOwner(r.Context(), user)
	var tenant *store.Tenant
	if err == nil {
		tenant, err = s.PSA.DB.TenantByID(r.Context(), tenantID)
	}
	if err != nil {
		writeErrors(w, http.StatusInternalServerError, []string{"Zone information could not be determined"})
		return
	}
	base := s.publicBase(r)
	newEnvelope(256).key("ci").value(tenant.CI).key("url").value(base+"/ATServicesRest/").key("webUrl").value(base+"/").
		key("zoneName").value("Switchboard").send(w, http.StatusOK)
}

// publicBase is the configured public URL, or the one the request came in on.
func (s *Server) publicBase(r *http.Request) string {
	if s.PublicURL != "" {
		return strings.TrimRight(s.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
