// Package fmc is a client for the Cisco Secure Firewall Management Center
// REST API, limited to what upgrades need: authentication and domains, the
// inventory (device records, HA pairs, clusters, chassis), upgrade packages,
// upgrades and their tasks, health alerts, deployments and device backups.
//
// It knows the wire and nothing of Terraform. Every call takes a context and
// every wait honours it.
//
// # Behaviour on the wire
//
//   - Authentication: POST /api/fmc_platform/v1/auth/generatetoken with HTTP
//     Basic credentials answers 204 with the X-auth-access-token,
//     X-auth-refresh-token, DOMAIN_UUID and DOMAINS headers. A token lives 30
//     minutes and can be refreshed three times (refreshtoken), after which the
//     client logs in again. The client refreshes a token before it expires and,
//     on a 401, refreshes or logs in again and repeats the call; it does so
//     again only when the refusal of the new token is about the token ("Access
//     token invalid", the text other clients key on too; or the token was
//     refused after a wait, or has aged past renewal), at most three times a
//     call. Concurrent callers share one login.
//   - Domains: DOMAINS is a JSON list of {"name","uuid"}; Config.Domain picks
//     one by name ("Global", "Global/Child" or just "Child") or UUID.
//   - Rate limit: the management center accepts 120 requests a minute per
//     client address and answers 429 beyond that. The client never sends more
//     than Config.RequestsPerMinute in any rolling minute; if it still gets a
//     429 (another client shares the address) it pauses every caller, honours
//     Retry-After when present and retries.
//   - Retries: 5xx answers, connection failures and the "please try again"
//     400s are retried with capped exponential backoff and jitter, a bounded
//     number of times. A request that changes state (starting an upgrade, a
//     deployment, an HA switch, ...) is never repeated when its outcome is
//     unknown: see [IdempotencyCheck] and [ErrAmbiguous].
//   - Lists are read 1,000 items at a time with expanded=true, following
//     paging.next: ⌈N/1000⌉ requests for N objects.
//   - Error bodies {"error":{"category","messages":[{"description"}],
//     "severity"}} become [*APIError] with the management center's own words.
//
// # What is documented and what is inferred
//
// Documented by Cisco's API specification or shown by public clients: the
// token endpoints and headers, paging, the error body, device records, HA
// pairs and their SWITCH action, clusters, FMC-managed chassis, upgrade
// packages (list, get, delete, applicable devices), POST /updates/upgrades and
// its flags, cancelupgrades and retryupgrades, task status and the task list
// with its filter (type:…;status:…), health alerts, deployable devices and
// deployment requests, device backup, and the cluster command endpoint with
// its filter (deviceUUID:…;operation:control).
//
// Inferred, each isolated in one function whose comment says what is assumed
// and what happens when a real management center differs:
//   - [Client.RegisterPackageURL]: no API registers an upgrade package by URL;
//     the client tries the most plausible call and turns a refusal into
//     [ErrPackageRegistrationUnsupported] with the manual step.
//   - [Client.RevertUpgrade]: the request body (targets) is documented, the
//     response shape is assumed to match cancel and retry (metadata.task).
//   - [Client.MakeClusterControl]: the response shape (metadata.task).
//   - [HAPair.ActiveID] and [HAPair.StandbyID]: the values of
//     metadata.primaryStatus.currentStatus ("Active", "Standby").
//   - [TaskStatus.State]: no enum of task status strings exists; the client
//     recognises the values public clients poll for and treats anything else
//     as still running.
package fmc
