package main

import (
	"fmt"
	"strconv"
	"strings"
)

// Overrides: what Autotask's API description does not say but its tenants' metadata does —
// required and read-only fields, picklists with their default values, references, indexes,
// and the security-level object that guards each collection.

// childTargets names the collection of a child whose name does not follow <Parent singular><Child>.
var childTargets = map[string]string{
	"Documents/ArticleAssociations":                               "DocumentToArticleAssociations",
	"Documents/DocumentAssociations":                              "DocumentToDocumentAssociations",
	"InventoryProducts/StockedItems":                              "InventoryStockedItems",
	"InventoryProducts/StockedItemsAdd":                           "InventoryStockedItemsAdd",
	"InventoryProducts/StockedItemsRemove":                        "InventoryStockedItemsRemove",
	"InventoryProducts/StockedItemsTransfer":                      "InventoryStockedItemsTransfer",
	"KnowledgeBaseArticles/ArticleAssociations":                   "ArticleToArticleAssociations",
	"KnowledgeBaseArticles/Attachments":                           "ArticleAttachments",
	"KnowledgeBaseArticles/ConfigurationItemCategoryAssociations": "ArticleConfigurationItemCategoryAssociations",
	"KnowledgeBaseArticles/DocumentAssociations":                  "ArticleToDocumentAssociations",
	"KnowledgeBaseArticles/Notes":                                 "ArticleNotes",
	"KnowledgeBaseArticles/PlainTextContent":                      "ArticlePlainTextContent",
	"KnowledgeBaseArticles/TagAssociations":                       "ArticleTagAssociations",
	"KnowledgeBaseArticles/TicketAssociations":                    "ArticleTicketAssociations",
	"TimeOffRequests/Approve":                                     "TimeOffRequestsApprove",
	"TimeOffRequests/Reject":                                      "TimeOffRequestsReject",
}

// childParentFields names the parent-id field where it is not <parent singular>ID.
var childParentFields = map[string]string{
	"KnowledgeBaseArticles/ArticleAssociations":                   "articleID",
	"KnowledgeBaseArticles/Attachments":                           "articleID",
	"KnowledgeBaseArticles/ConfigurationItemCategoryAssociations": "articleID",
	"KnowledgeBaseArticles/DocumentAssociations":                  "articleID",
	"KnowledgeBaseArticles/Notes":                                 "articleID",
	"KnowledgeBaseArticles/PlainTextContent":                      "articleID",
	"KnowledgeBaseArticles/TagAssociations":                       "articleID",
	"KnowledgeBaseArticles/TicketAssociations":                    "articleID",
	"InventoryProducts/StockedItems":                              "productID",
	"InventoryProducts/StockedItemsAdd":                           "productID",
	"InventoryProducts/StockedItemsRemove":                        "productID",
	"InventoryProducts/StockedItemsTransfer":                      "productID",
	"ConfigurationItemWebhooks/ExcludedResources":                 "webhookID",
	"ConfigurationItemWebhooks/Fields":                            "webhookID",
	"ConfigurationItemWebhooks/UdfFields":                         "webhookID",
	"CompanyWebhooks/ExcludedResources":                           "webhookID",
	"CompanyWebhooks/Fields":                                      "webhookID",
	"CompanyWebhooks/UdfFields":                                   "webhookID",
	"ContactWebhooks/ExcludedResources":                           "webhookID",
	"ContactWebhooks/Fields":                                      "webhookID",
	"ContactWebhooks/UdfFields":                                   "webhookID",
	"TicketWebhooks/ExcludedResources":                            "webhookID",
	"TicketWebhooks/Fields":                                       "webhookID",
	"TicketWebhooks/UdfFields":                                    "webhookID",
	"TicketNoteWebhooks/ExcludedResources":                        "webhookID",
	"TicketNoteWebhooks/Fields":                                   "webhookID",
}

type pick struct {
	Value     int
	Label     string
	IsDefault bool
	SortOrder int
	Parent    int
	IsSystem  bool
}

// picks reads "value:label" items; a trailing * marks the default, a trailing ! a system value,
// and "parent/value:label" a value that depends on its parent field's value.
func picks(items ...string) []pick {
	out := make([]pick, len(items))
	for i, it := range items {
		p := pick{SortOrder: i + 1}
		for strings.HasSuffix(it, "*") || strings.HasSuffix(it, "!") {
			if strings.HasSuffix(it, "*") {
				p.IsDefault = true
			} else {
				p.IsSystem = true
			}
			it = it[:len(it)-1]
		}
		num, label, _ := strings.Cut(it, ":")
		if par, v, ok := strings.Cut(num, "/"); ok {
			p.Parent, _ = strconv.Atoi(par)
			num = v
		}
		p.Value, _ = strconv.Atoi(num)
		p.Label = label
		out[i] = p
	}
	return out
}

type fieldRule struct {
	Required, ReadOnly, NotQueryable, Indexed, Cost bool
	// NoCreateDefault clears the value a create stores when the field is not sent.
	NoCreateDefault bool
	Reference       string // "-" clears a guessed reference
	Length          int
	Picklist        []pick
	PicklistParent  string
}

type entityRule struct {
	Core, Webhooks  bool
	Section, Object string
	// CopyFields takes the field list of another collection (for collections listed without fields).
	CopyFields string
	Fields     map[string]fieldRule
}

var webhookFields = map[string]fieldRule{
	"name": {Required: true, Length: 50}, "webhookUrl": {Required: true, Length: 500}, "deactivationUrl": {Required: true, Length: 500},
	"isActive": {Required: true, NoCreateDefault: true}, "isReady": {ReadOnly: true}, "webhookGUID": {ReadOnly: true, Length: 100},
	"secretKey": {Required: true, Length: 64}, "notificationEmailAddress": {Length: 150},
	"isSubscribedToCreateEvents": {Required: true}, "isSubscribedToUpdateEvents": {Required: true}, "isSubscribedToDeleteEvents": {Required: true},
	"ownerResourceID": {Reference: "Resources"},
}

var webhookChild = map[string]fieldRule{"webhookID": {Required: true, Indexed: true}}

var overrides = map[string]entityRule{
	"Tickets": {Core: true, Webhooks: true, Section: "Service Desk", Object: "Tickets", Fields: map[string]fieldRule{
		"companyID": {Required: true, Indexed: true}, "title": {Required: true, Length: 255},
		"status":                 {Required: true, Indexed: true, Picklist: picks("1:New*!", "5:Complete!", "7:Waiting Customer", "8:In Progress", "9:Waiting Materials", "10:Scheduled", "11:Escalate", "12:Waiting Vendor", "13:On Hold")},
		"priority":               {Required: true, Indexed: true, Picklist: picks("1:High", "2:Medium*", "3:Low", "4:Critical")},
		"queueID":                {Indexed: true, Picklist: picks("5:Client Portal!", "6:Post Sale", "8:Level I Support*", "9:Level II Support", "10:Monitoring Alert", "11:Recurring Tickets")},
		"source":                 {Picklist: picks("-2:Insourced!", "-1:Client Portal!", "1:Other", "2:Email*", "3:Phone", "4:Verbal", "8:Monitoring Alert")},
		"ticketType":             {Picklist: picks("1:Service Request*", "2:Incident", "3:Problem", "4:Change Request", "5:Alert")},
		"issueType":              {Picklist: picks("1:Hardware", "2:Software", "3:Network", "4:Account Management")},
		"subIssueType":           {PicklistParent: "issueType", Picklist: picks("1/101:Desktop", "1/102:Printer", "2/201:Office", "2/202:Line of Business App", "3/301:Internet Connectivity", "3/302:VPN", "4/401:Password Reset", "4/402:New User")},
		"ticketCategory":         {Picklist: picks("1:Standard*!", "2:AEM Alert", "3:RMA")},
		"creatorType":            {ReadOnly: true, NotQueryable: true, Picklist: picks("1:Resource!", "2:Contact!")},
		"lastActivityPersonType": {ReadOnly: true, NotQueryable: true, Picklist: picks("1:Resource!", "2:Contact!")},
		"changeApprovalStatus":   {Picklist: picks("1:Assigned", "2:Requested", "3:Approved", "4:Rejected")},
		"changeApprovalType":     {Picklist: picks("1:All", "2:At Least One")},
		"ticketNumber":           {ReadOnly: true, Indexed: true, Length: 50},
		"description":            {Length: 8000}, "resolution": {Length: 32000},
		"creatorResourceID": {ReadOnly: true}, "completedByResourceID": {ReadOnly: true}, "completedDate": {ReadOnly: true},
		"firstResponseDateTime": {ReadOnly: true}, "firstResponseInitiatingResourceID": {ReadOnly: true}, "firstResponseAssignedResourceID": {ReadOnly: true},
		"resolvedDateTime": {ReadOnly: true}, "resolutionPlanDateTime": {ReadOnly: true},
		"serviceLevelAgreementHasBeenMet": {ReadOnly: true}, "lastCustomerNotificationDateTime": {ReadOnly: true},
		"lastCustomerVisibleActivityDateTime": {ReadOnly: true}, "currentServiceThermometerRating": {ReadOnly: true},
		"previousServiceThermometerRating": {ReadOnly: true}, "serviceThermometerTemperature": {ReadOnly: true},
		"assignedResourceID": {Reference: "Resources", Indexed: true}, "assignedResourceRoleID": {Reference: "Roles"},
		"contactID": {Reference: "Contacts", Indexed: true}, "companyLocationID": {Reference: "CompanyLocations"},
		"configurationItemID": {Reference: "ConfigurationItems"}, "lastActivityDate": {ReadOnly: true, Indexed: true},
		"organizationalLevelAssociationID": {Reference: "OrganizationalLevelAssociations"},
		"problemTicketId":                  {Reference: "Tickets"},
	}},
	"TicketNotes": {Core: true, Webhooks: true, Section: "Service Desk", Object: "Tickets", Fields: map[string]fieldRule{
		"ticketID": {Required: true, Indexed: true}, "title": {Required: true, Length: 250}, "description": {Required: true, Length: 32000},
		"noteType":          {Required: true, Picklist: picks("1:Task Summary", "2:Task Detail", "3:Task Notes*", "13:Client Portal Note!", "18:Email Note")},
		"publish":           {Required: true, Picklist: picks("1:All Autotask Users*", "2:Internal Project Team", "3:Internal & Co-managed")},
		"creatorResourceID": {ReadOnly: true}, "createdByContactID": {ReadOnly: true, Reference: "Contacts"},
	}},
	"Companies": {Core: true, Webhooks: true, Section: "CRM", Object: "Companies", Fields: map[string]fieldRule{
		"companyName": {Required: true, Indexed: true, Length: 100}, "phone": {Required: true, Length: 25},
		"companyType":     {Required: true, Picklist: picks("1:Customer*", "2:Lead", "3:Prospect", "4:Dead", "6:Cancelation", "7:Vendor", "8:Partner")},
		"ownerResourceID": {Required: true, Reference: "Resources"},
		"classification":  {Picklist: picks("1:Platinum", "2:Gold", "3:Silver", "4:Bronze")},
		"marketSegmentID": {Picklist: picks("1:Healthcare", "2:Legal", "3:Manufacturing", "4:Education", "5:Non-profit")},
		"territoryID":     {Picklist: picks("1:North", "2:South", "3:East", "4:West")},
		"companyNumber":   {Length: 50}, "webAddress": {Length: 255}, "isActive": {}, "parentCompanyID": {Reference: "Companies"},
		"lastTrackedModifiedDateTime": {ReadOnly: true, Indexed: true},
	}},
	"CompanyLocations": {Core: true, Section: "CRM", Object: "Companies", Fields: map[string]fieldRule{
		"companyID": {Required: true, Indexed: true}, "name": {Required: true, Length: 100},
	}},
	"Contacts": {Core: true, Webhooks: true, Section: "CRM", Object: "Contacts", Fields: map[string]fieldRule{
		"companyID": {Required: true, Indexed: true}, "firstName": {Required: true, Length: 50}, "lastName": {Required: true, Length: 50},
		"isActive": {Required: true}, "emailAddress": {Indexed: true, Length: 254}, "emailAddress2": {Length: 254}, "emailAddress3": {Length: 254},
		"companyLocationID": {Reference: "CompanyLocations"}, "lastModifiedDate": {ReadOnly: true, Indexed: true},
	}},
	"ConfigurationItems": {Core: true, Webhooks: true, Section: "CRM", Object: "ConfigurationItems", Fields: map[string]fieldRule{
		"companyID": {Required: true, Indexed: true}, "productID": {Required: true, Reference: "Products"}, "isActive": {Required: true},
		"configurationItemType": {Reference: "ConfigurationItemTypes"}, "referenceTitle": {Length: 200}, "serialNumber": {Length: 100},
		"contactID": {Reference: "Contacts"}, "companyLocationID": {Reference: "CompanyLocations"}, "lastModifiedTime": {ReadOnly: true, Indexed: true},
		"parentConfigurationItemID": {Reference: "ConfigurationItems"},
	}},
	"ConfigurationItemTypes": {Core: true, Section: "Admin", Object: "ConfigurationItemTypes", Fields: map[string]fieldRule{"name": {Required: true}}},
	"Resources": {Core: true, Section: "Admin", Object: "Resources", Fields: map[string]fieldRule{
		"firstName": {Required: true, Length: 50}, "lastName": {Required: true, Length: 50}, "email": {Required: true, Length: 254, Indexed: true},
		"userName": {ReadOnly: true, Length: 50}, "locationID": {Required: true, Reference: "InternalLocations"}, "internalCost": {Cost: true},
		"resourceType": {ReadOnly: true}, "licenseType": {ReadOnly: true},
	}},
	"Roles":                 {Core: true, Section: "Admin", Object: "Roles", Fields: map[string]fieldRule{"name": {Required: true, Length: 200}}},
	"Departments":           {Core: true, Section: "Admin", Object: "Departments", Fields: map[string]fieldRule{"name": {Required: true, Length: 100}}},
	"OrganizationalLevel1s": {Core: true, Section: "Admin", Object: "OrganizationalStructure", Fields: map[string]fieldRule{"name": {Required: true}}},
	"OrganizationalLevel2s": {Core: true, Section: "Admin", Object: "OrganizationalStructure", Fields: map[string]fieldRule{"name": {Required: true}}},
	"OrganizationalLevelAssociations": {Core: true, Section: "Admin", Object: "OrganizationalStructure", Fields: map[string]fieldRule{
		"organizationalLevel1ID": {Required: true}, "organizationalLevel2ID": {Required: true}}},
	"UserDefinedFieldDefinitions": {Core: true, Section: "Admin", Object: "UserDefinedFieldDefinitions", Fields: map[string]fieldRule{
		"name":     {Required: true, Length: 45, Indexed: true},
		"udfType":  {Required: true, Picklist: picks("1:Company", "2:Configuration Item", "3:Opportunity", "4:Contact", "5:Sales Order", "6:Ticket", "7:Project", "8:Task", "9:Product")},
		"dataType": {Required: true, Picklist: picks("1:String*", "2:Number", "3:Date", "4:List", "5:Decimal")},
	}},
	"CompanyWebhooks":                           {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookFields},
	"ContactWebhooks":                           {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookFields},
	"ConfigurationItemWebhooks":                 {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookFields},
	"TicketWebhooks":                            {Core: true, Section: "Web Services API", Object: "Webhooks", CopyFields: "CompanyWebhooks", Fields: webhookFields},
	"TicketNoteWebhooks":                        {Core: true, Section: "Web Services API", Object: "Webhooks", CopyFields: "CompanyWebhooks", Fields: webhookFields},
	"CompanyWebhookFields":                      {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookChild},
	"ContactWebhookFields":                      {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookChild},
	"ConfigurationItemWebhookFields":            {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookChild},
	"TicketWebhookFields":                       {Core: true, Section: "Web Services API", Object: "Webhooks", CopyFields: "CompanyWebhookFields", Fields: webhookChild},
	"TicketNoteWebhookFields":                   {Core: true, Section: "Web Services API", Object: "Webhooks", CopyFields: "CompanyWebhookFields", Fields: webhookChild},
	"CompanyWebhookUdfFields":                   {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookChild},
	"ContactWebhookUdfFields":                   {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookChild},
	"ConfigurationItemWebhookUdfFields":         {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookChild},
	"TicketWebhookUdfFields":                    {Core: true, Section: "Web Services API", Object: "Webhooks", CopyFields: "CompanyWebhookUdfFields", Fields: webhookChild},
	"CompanyWebhookExcludedResources":           {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookChild},
	"ContactWebhookExcludedResources":           {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookChild},
	"ConfigurationItemWebhookExcludedResources": {Core: true, Section: "Web Services API", Object: "Webhooks", Fields: webhookChild},
	"TicketWebhookExcludedResources":            {Core: true, Section: "Web Services API", Object: "Webhooks", CopyFields: "CompanyWebhookExcludedResources", Fields: webhookChild},
	"TicketNoteWebhookExcludedResources":        {Core: true, Section: "Web Services API", Object: "Webhooks", CopyFields: "CompanyWebhookExcludedResources", Fields: webhookChild},
	"WebhookEventErrorLogs":                     {Core: true, Section: "Web Services API", Object: "Webhooks"},

	// A task's assignment is a resource and a Role, as a ticket's is: the name rule guesses
	// ResourceRoles (assignedResourceRole → ResourceRoles), whose ids are association rows, not
	// roles. Autotask's ResourceRoles reference: "A role is required when a resource is assigned
	// to a ticket or task"; its client libraries (django-autotask's Task) point the field at Role.
	"Tasks": {Fields: map[string]fieldRule{"assignedResourceRoleID": {Reference: "Roles"}}},

	// A ticket's or task's secondary resources are read by their parent: listed under it, counted
	// against a task's 50, and searched when a ticket's primary resource changes (psa/hooks.go).
	"TicketSecondaryResources": {Fields: map[string]fieldRule{"ticketID": {Indexed: true}}},
	"TaskSecondaryResources":   {Fields: map[string]fieldRule{"taskID": {Indexed: true}}},

	// Internal cost data the generator's name rules (…cost, …costs, margin, markup, setupFee)
	// do not catch. An internalCurrencyX field is cost data whenever X is (catalog_test.go).
	"Contracts":         {Fields: map[string]fieldRule{"internalCurrencySetupFee": {Cost: true}}},
	"Projects":          {Fields: map[string]fieldRule{"projectCostsBudget": {Cost: true}, "changeOrdersBudget": {Cost: true}, "sgda": {Cost: true}}},
	"ContractRoleCosts": {Fields: map[string]fieldRule{"rate": {Cost: true}}},
	"PurchaseOrders":    {Fields: map[string]fieldRule{"freight": {Cost: true}, "internalCurrencyFreight": {Cost: true}}},
}

func applyOverrides(byName map[string]*entity) error {
	// Copies first, so that a rule applies to copied fields too.
	for name, r := range overrides {
		if r.CopyFields == "" {
			continue
		}
		e, from := byName[name], byName[r.CopyFields]
		if e == nil || from == nil {
			return fmt.Errorf("override %s: copy from %q: unknown collection", name, r.CopyFields)
		}
		keep := map[string]*field{}
		for _, f := range e.Fields {
			keep[f.Name] = f
		}
		e.Fields = nil
		for _, f := range from.Fields {
			c := *f
			e.Fields = append(e.Fields, &c)
			delete(keep, f.Name)
		}
		for _, f := range keep { // fields the child mapping added
			if f.Name != "id" {
				e.Fields = append(e.Fields, f)
			}
		}
	}
	for name, r := range overrides {
		e := byName[name]
		if e == nil {
			return fmt.Errorf("override for unknown collection %s", name)
		}
		e.Core, e.Webhooks = r.Core, r.Webhooks
		if r.Section != "" {
			e.Section, e.Object = r.Section, r.Object
		}
		for fname, fr := range r.Fields {
			var f *field
			for _, x := range e.Fields {
				if x.Name == fname {
					f = x
				}
			}
			if f == nil {
				return fmt.Errorf("override %s.%s: no such field", name, fname)
			}
			f.Required = f.Required || fr.Required
			f.ReadOnly = f.ReadOnly || fr.ReadOnly
			f.Indexed = f.Indexed || fr.Indexed
			f.Cost = f.Cost || fr.Cost
			if fr.NoCreateDefault {
				f.OnCreate = ""
			}
			if fr.NotQueryable {
				f.Queryable = false
			}
			switch fr.Reference {
			case "":
			case "-":
				f.Reference = ""
			default:
				if byName[fr.Reference] == nil {
					return fmt.Errorf("override %s.%s: reference to unknown %s", name, fname, fr.Reference)
				}
				f.Reference = fr.Reference
			}
			if fr.Length > 0 {
				f.Length = fr.Length
			}
			if len(fr.Picklist) > 0 {
				f.Picklist, f.Defaults, f.Reference = true, fr.Picklist, ""
			}
			if fr.PicklistParent != "" {
				f.PicklistParent = fr.PicklistParent
			}
		}
	}
	return nil
}
