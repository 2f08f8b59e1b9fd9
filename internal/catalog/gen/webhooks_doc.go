package main

// webhooksBehaviour is the webhook section of docs/compatibility.md.
const webhooksBehaviour = `
## Webhooks

How Switchboard's webhooks compare with Autotask's (see docs/webhooks.md for an integration
builder's guide).

| behaviour | Autotask | Switchboard |
|---|---|---|
| collections | CompanyWebhooks, ContactWebhooks, ConfigurationItemWebhooks, TicketWebhooks, TicketNoteWebhooks; Fields, UdfFields (not ticket notes), ExcludedResources; WebhookEventErrorLogs | the same, with the verbs listed above |
| webhookGUID | generated | generated (a random UUID), read-only |
| isReady | true once a field is subscribed | true once a field or UDF with isSubscribedField is on the webhook; read-only |
| webhookUrl, deactivationUrl | required | required; refused when not http(s), or when the host is (or resolves to) a loopback, link-local, cloud-metadata, unspecified or multicast address; loopback allowed with --webhook-allow-loopback |
| field ids | fieldID of {X}WebhookFields is a picklist of the entity's fields | the same: entityInformation/fields lists every field of the entity (value = id, label = the field's label); ids are Switchboard's own, stable (derived from the field name) |
| UDF ids | udfFieldID of {X}WebhookUdfFields | the UDF's UserDefinedFieldDefinitions id, listed the same way |
| permission | security level "Can create webhooks" and a maximum | the same (Web Services API section; maximum per owner) |
| events | create, update, delete of the five entities | the same, for every write through the PSA services, whatever the surface (API, console, CLI); written in the change's transaction (an outbox), so none is lost on a crash and none fires for a change rolled back |
| update events | only when a subscribed field changed | the same |
| excluded resources | changes made by them fire nothing | the same; a change made by an API user impersonating a resource fires nothing when either one is excluded |
| callout | POST JSON Action, Guid, EntityType, Id, Fields, EventTime, SequenceNumber, PersonID | the same keys in that order; Fields holds the subscribed fields that changed (all subscribed fields on a create) and the display-always fields, keyed by the field's wire name (UDFs by their name); EventTime UTC with milliseconds; SequenceNumber counts per webhook from 1; PersonID the resource that made the change |
| escaping | & < > ' " \ + and non-ASCII as \uXXXX | the same (lower-case hex, surrogate pairs above U+FFFF) |
| signature | X-Hook-Signature: sha1=base64(HMAC-SHA1(secretKey, body)) | the same, over the exact bytes sent |
| delivery | 2xx = delivered; 10 s timeout; 30 s between attempts; 5 attempts within 2 minutes, then the error log (30 days); in order per webhook | the same (timings configurable); redirects are not followed; an event that failed 5 times goes to WebhookEventErrorLogs and the next one is tried at once |
| deactivation | after 25 consecutive failures; the deactivation URL is called | the same: isActive becomes false, the deactivation URL gets a signed POST with Action "Deactivated" (body shape unconfirmed for Autotask), events still queued go to the error log |
| error log | WebhookEventErrorLogs: accountWebhookID, contactWebhookID, errorMessage, payload, sequenceNumber | the same fields; ticket, ticket note and configuration item webhooks have no id field there, so errorMessage starts with the collection and webhook id |
| delivery guarantee | unpublished | at least once: a callout delivered just before the server is killed can be repeated (at most the last 16 deliveries of a webhook, recorded every 50 ms); receivers can ignore a SequenceNumber they have seen |
| several servers | one service | each webhook's queue is leased by one server at a time (PostgreSQL: FOR UPDATE SKIP LOCKED), so every event goes out once, in order |
| duplicate collapsing | duplicate callouts (same entity, URL, type) are collapsed | not done: every change is its own callout |
| notification e-mails | after 5 failures, once a day | not sent |
`
