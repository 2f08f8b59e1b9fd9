package main

// limitsSection is the part of docs/compatibility.md on Autotask's API limits (internal/limits;
// docs/api-limits.md has the details).
const limitsSection = `
## API limits

| behaviour | Autotask | Switchboard |
|---|---|---|
| hourly threshold | 10,000 requests per rolling 60 minutes per database, all integrations together | the same, per tenant; set with ` + "`switchboard tenant settings T --api-threshold N`" + ` (1 to 1,000,000,000) |
| what counts | every authenticated call | every authenticated call that is admitted, ` + "`ThresholdInformation`" + ` and ` + "`/V1.0/Version`" + ` included; not ` + "`ZoneInformation`" + `, not ` + "`VersionInformation`" + `, not failed authentications, not calls refused by either limit |
| latency | added above 50% of the threshold, 0.5–1 s (tiers not published) | 0.5 s per call above 50%, 1 s above 75% (` + "`--api-latency-50`, `--api-latency-75`" + `); the delay holds the call's thread slot |
| at 100% | errors until the rolling hour frees; email to administrators | 429, ` + "`Retry-After`" + ` = seconds until enough of the hour frees, ` + "`{\"errors\":[\"API request threshold exceeded: …\"]}`" + ` (wording not confirmed against Autotask) |
| ` + "`ThresholdInformation`" + ` | ` + "`externalRequestThreshold`, `requestThresholdTimeframe` (60), `currentTimeframeRequestCount`" + `, counting itself | the same; the count includes the call itself and is exact on one node |
| thread limit | 3 concurrent calls per (tracking identifier, object endpoint) for integrations made since 2023.1; ZoneInformation exempt | 3 per (tenant, tracking identifier, first path segment after ` + "`/V1.0/`" + `); the 4th is answered at once: 429 ` + "`{\"errors\":[\"Thread Threshold Exceeded — The Autotask API thread threshold of 3 threads has been exceeded.\"]}`" + ` without ` + "`Retry-After`" + `; zone and version discovery exempt, ` + "`ThresholdInformation`" + ` not (` + "`--api-thread-limit`" + `, 0 lifts it) |
| notifications | email to administrators when the threshold is exceeded | a notice per tier (50%, 75%, 100%) and hour, listed by ` + "`switchboard usage notices --tenant T`" + `; no email yet |
| API activity by hour | per integration, in Admin | per tracking identifier and API user, 30 days: ` + "`switchboard usage --tenant T [--json]`" + ` |
| several nodes | one database | one budget and one thread limit in PostgreSQL or Redis; counts exchanged every 200 ms (see docs/api-limits.md) |
`
