// Package autotask is a client for the Autotask PSA REST API v1.0, and for servers that speak
// it, such as Switchboard.
//
// # Connecting
//
// A Client needs the API user's name and secret and the integration's tracking identifier.
// The user's zone is discovered on first use (GET V1.0/zoneInformation?user=…, without
// credentials) and cached for the process; set Config.BaseURL to skip discovery.
//
//	c, err := autotask.New(autotask.Config{
//		Username:        "api-user@example.com",
//		Secret:          os.Getenv("AUTOTASK_SECRET"),
//		IntegrationCode: os.Getenv("AUTOTASK_INTEGRATION_CODE"),
//	})
//
// Every other call carries the ApiIntegrationCode, UserName and Secret headers, and
// ImpersonationResourceId when Config.ImpersonationResourceID or WithImpersonation asks for it.
//
// # Reading and writing
//
// The operations work on any collection by name ("Tickets", "Companies", …) and on child
// collections by parent, parent id and child name ("Tickets", 42, "Notes"). They take and
// return JSON (json.RawMessage, or any value that marshals to JSON); the generic helpers
// GetAs, QueryAs, AllAs, ChildGetAs and ChildListAs decode into a type of your choice, such as
// the entity structs of this package (Ticket, Company, Contact, ConfigurationItem, TicketNote,
// CompanyLocation, Resource), which are generated from the catalog of the API.
//
//	q := autotask.NewQuery(
//		autotask.Eq("status", 1),
//		autotask.Or(autotask.Eq("priority", 1), autotask.Eq("priority", 4)),
//	).Include("title", "status")
//	for t, err := range autotask.AllAs[autotask.Ticket](ctx, c, "Tickets", q) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(*t.ID, autotask.Value(t.Title))
//	}
//
// All and AllAs follow pageDetails.nextPageUrl the way Autotask expects: a POST to the next
// URL with the same query body, with the credentials only when the URL is on the zone's own
// scheme and host.
//
// Update sends a PATCH with the id in the body, as Autotask requires; with an entity struct
// only its non-nil fields are sent. Replace sends a PUT, in which absent fields become empty.
//
// # Entity structs
//
// Entity struct fields are pointers, nil meaning null or absent; Ptr and Value help fill and
// read them. Times use Time, which reads Autotask's "2019-11-25T15:47:59.167Z" as well as
// offsets and times without a zone (taken as UTC), and writes UTC. User-defined fields are in
// UserDefinedFields ([]UDF); UDF and SetUDF read and write them by name. Decoding is lenient
// where the API has been inconsistent over time: numbers sent as strings, booleans sent as 1/0,
// and keys in any case are accepted.
//
// # Errors
//
// A failed call returns an *APIError with the status and Autotask's messages. Classify it with
// errors.Is: ErrAuthentication, ErrIntegrationCode, ErrPermission, ErrNotFound, ErrValidation,
// ErrThreshold, ErrThreadLimit, ErrZone. Get answers {"item":null} with a *NotFoundError that
// matches ErrNotFound.
//
// # Limits
//
// Autotask allows an integration 3 concurrent requests per collection and a tenant 10,000
// requests per rolling hour. The client keeps at most Config.MaxConcurrentPerCollection
// requests in flight per collection (the first path segment after V1.0/), waits as long as a
// 429's Retry-After says (60 s when it says nothing, never more than Config.MaxRetryWait) and
// holds every other request meanwhile, and retries requests that are safe to repeat — GET,
// query and count — after 429, the thread-limit error, 502/503/504 and network errors, with
// exponential backoff. Creates, updates, replaces and deletes are never repeated. Every
// Config.ThresholdCheckEvery requests or Config.ThresholdCheckInterval it reads
// ThresholdInformation and, past 50 %, 75 % and 90 % of the hourly budget, spaces its requests
// out (Config.ThresholdDelay, DefaultThresholdDelay). Every wait honours the context.
//
// # Metadata
//
// EntityInformation, Fields (with picklist values) and UserDefinedFields describe an entity
// as the tenant has it; they are cached for the life of the client (ResetMetadata forgets them).
//
// # Logging
//
// Config.Logger receives retries and pacing changes at Warn and Info, and each request at
// Debug (method, path, status, duration). Credentials are never logged.
package autotask
