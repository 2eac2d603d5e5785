// Package httpapi serves envpromote over the HTTP APIs existing tools
// already speak: the PingOne Advanced Identity Cloud (AIC) promotion and
// ESV endpoints, and PingOne's /v1/environments. Scripts and clients
// written against the vendor's OpenAPI documents work against a Server
// unchanged; the tests check every response they see against those
// documents (testdata/aic-openapi.json, testdata/pingone-environments-openapi.json).
//
// # Mounting
//
// AIC serves one tenant environment per host; a Server serves many, each
// under a path prefix of its own and, with Config.Hosts, at the root of a
// host name of its own too. Under a prefix, the AIC endpoints of an
// environment are at /{env}/environment/…, where {env} is a path segment
// that Config.Environments maps to the environment (its id, as the ESV
// service, the Promoters and the Locker name it), so https://host/staging
// is the base URL a client is given for staging. Members of a Promoter's
// group without a segment are served under their id. Config.Hosts maps a
// request's host name to such a segment: with SubdomainHosts("localhost")
// the same endpoints are at http://staging.localhost:PORT/environment/…,
// the base URL that clients building every URL from the host alone (as
// frodo does) need. /v1/environments is served once, on every host, for
// every environment of the Registry. Segments and Promoters are fixed at New
// unless Config.Refresh is set: the Server then asks it at every request,
// so environments and groups created, renamed or deleted later are served
// (by path and by host) at once.
//
//	/{env}/environment/promotion/lock                   POST      lock the pair (202)
//	/{env}/environment/promotion/lock/state             GET       lock state (localLockOnly)
//	/{env}/environment/promotion/lock/{promotionId}     DELETE    unlock (202)
//	/{env}/environment/promotion/promote                POST, GET start a promotion (202); its progress
//	/{env}/environment/promotion/rollback               POST      start a rollback (202)
//	/{env}/environment/promotion/report[/{reportId}]    GET       last report; one report
//	/{env}/environment/promotion/reports                GET       every report, newest first
//	/{env}/environment/promotion/report/provisional[-rollback]  GET  what a promotion (rollback) would change
//	/{env}/environment/variables[/{id}]                 GET, PUT, POST ?_action=setDescription, DELETE
//	/{env}/environment/secrets[/{id}[/versions[/{v}]]]  GET, PUT, POST ?_action=…, DELETE
//	/{env}/environment/startup                          GET, POST ?_action=restart
//	/{env}/environment/count                            GET
//	/v1/environments[/{id}[/status|/type|/billOfMaterials]]  PingOne's environments API
//
// The promotion API is a pull model, as in AIC: calls go to the upper
// environment, whose group names its lower environment.
//
// # Authentication and authorization
//
// Every request carries exactly one "Authorization: Bearer <token>"
// header, which the Config's Authenticator turns into a Principal: its
// PingOne roles and, for the /environment endpoints, its AIC scopes
// (fr:idc:promotion:*, fr:idc:esv:read, …:update, …:restart, …:*). 401
// means "who are you": no token, a malformed Authorization header, or a
// token the Authenticator refuses; the answer carries a WWW-Authenticate
// challenge. Two Authorization headers are a 400: which one counts would
// be a guess. 403 means "not allowed": a missing scope
// (with an insufficient_scope challenge), or roles that do not allow the
// operation on every environment the call touches.
//
// Both APIs decide the second from one table, role × scope × operation.
// A role assignment covers an environment when its ORGANIZATION scope
// names the environment's organization or its ENVIRONMENT scope names the
// environment; a call is allowed when, for every environment it touches,
// an assignment that covers it has a role and scope type the table marks
// "yes" for the operation. An AIC call touches the environment it is made
// on; lock, unlock, promote, rollback and the provisional report touch
// the pair's lower environment as well. Another organization's admin, or a
// principal without roles, is allowed nothing. The PingOne operations
// follow the environment rules: only organization-level roles create
// environments, soft-delete, hard-delete or restore PRODUCTION ones, or
// turn PRODUCTION into SANDBOX; the Registry enforces the same rules
// again, and a test checks every cell of the table against both. A
// listing shows the environments the principal's roles cover.
//
//	operation                       OrgAdmin@ORGANIZATION  EnvAdmin@ORGANIZATION  EnvAdmin@ENVIRONMENT  OrgAdmin@ENVIRONMENT
//	esv.read                        yes                    yes                    yes                   -
//	esv.update                      yes                    yes                    yes                   -
//	esv.restart                     yes                    yes                    yes                   -
//	promotion.read                  yes                    yes                    yes                   -
//	promotion.run                   yes                    yes                    yes                   -
//	environments.read               yes                    yes                    yes                   -
//	environments.create             yes                    yes                    -                     -
//	environments.update             yes                    yes                    yes                   -
//	environments.type.production    yes                    yes                    yes                   -
//	environments.type.sandbox       yes                    yes                    -                     -
//	environments.delete.sandbox     yes                    yes                    yes                   -
//	environments.softDelete         yes                    yes                    -                     -
//	environments.hardDelete         yes                    yes                    -                     -
//	environments.restore            yes                    yes                    -                     -
//
// StaticTokens is an Authenticator for examples, tests and single
// operators; put an OAuth2 introspection or JWT check behind the interface
// for anything else.
//
// # Long operations
//
// Unlock, promote and rollback answer 202 at once and run in the
// background, at most one per environment and Config.MaxBackground in all;
// GET promote and lock/state report their progress as AIC tools poll for
// it. A run this Server started is RUNNING from its 202 on, and a run that
// failed before the Promoter took it up is reported as ERROR, so a poller
// never mistakes an earlier outcome for its own. Lock is granted before its
// 202, because the answer carries the promotion id, which is the id of the
// lease the Locker grants; it is one compare-and-set per environment.
// ESV restarts answer 200 with restartStatus, as the spec says, and run on
// in the esv.Service; GET startup reports when they are ready.
//
// Shutdown stops accepting long operations and waits for the running ones;
// when its context ends first it cancels them. A promotion or rollback
// commits atomically, so a cancelled one leaves its environment at the old
// head or the new one, never between.
//
// # Requests and answers
//
// Bodies are limited to Config.MaxBodyBytes (413 beyond) and decoded
// strictly: an unknown field, a value of the wrong type, malformed JSON,
// data after the object or a missing required field is a 400 whose
// message names the field and what is allowed, and never quotes a value,
// since bodies carry secrets. Secret values are write-only: no answer
// carries one.
//
// The promotion endpoints require Accept-API-Version
// ("protocol=1.0,resource=1.0", as the spec says); the ESV endpoints serve
// resource 1.0 by default and 2.0 on request (variable lists without
// values). Every answer has Content-API-Version and
// X-ForgeRock-TransactionId, which echoes a well-formed
// X-ForgeRock-TransactionId (or ForgeRock-Transaction-ID) of the request
// and is minted otherwise.
//
// AIC errors have the spec's {code, message} body; /v1/environments errors
// PingOne's P1Error body (id, code, message, details[] with code, target
// and message), whose id is the transaction id. Unexpected errors are
// logged with that id and answered 500 with nothing but it. The library's
// errors are answered by their kind (package errkind), in one place:
// not found 404, forbidden 403, invalid 400, and locked, conflict and
// failed precondition 409 ("not in locked state", a promotion already
// running, ESV writes while locked, nothing to roll back); PingOne's
// taken name and DELETE_PENDING limit are 400 with its detail codes, as
// PingOne answers them. No error body names a lease id or fencing token:
// a lock conflict names the holder and the time it locked. Besides: 202
// for started work, 405 with Allow for a wrong method, 413 for a body
// over Config.MaxBodyBytes, 415 for a body declared as anything but JSON,
// 503 at capacity or while shutting down.
//
// Environments carry their hard-delete time under both names, the spec's
// hardDeletedAllowedAt and the current docs' hardDeleteAllowedAt; both are
// read-only and ignored in a body sent back. A restore (PUT …/status with
// status ACTIVE) may leave out the license, as the spec's EnvironmentStatus
// does: the environment's current license is then used, and the restore
// is a 400 naming it when it is no longer active or is a trial.
//
// # The console
//
// The Server also serves an admin console at /console/ for the people who
// run promotions from a browser: html/template pages and one small script,
// embedded in the binary (no build step, nothing fetched from elsewhere).
//
//   - /console/ signs in with a bearer token, checked by the same
//     Authenticator. The session lives in the server process and is named
//     by an HttpOnly, SameSite=Strict cookie scoped to /console/; the token
//     never reaches the browser again and is re-checked on every page, so
//     revoking it ends the session. Sessions are per process: behind a load
//     balancer, pin a browser to one instance.
//   - /console/groups/{group}: the chain of environments with each one's
//     type, head commit and time, restart state, and each pair's lock and
//     holder.
//   - /console/envs/{upper}/promote: the provisional report grouped by
//     product and config item, each entry expanding to its files' unified
//     diffs; lock, promote (dry run, description, ticket, "ignore encrypted
//     secrets" with its warning) and unlock; the latest run's progress, live
//     while it runs, and its blocking findings with file, line, JSON path
//     and fix, linking to the upper environment's ESV page.
//   - /console/envs/{upper}/reports[/{id}] and /console/envs/{upper}/rollback,
//     which shows the provisional rollback report before rolling back.
//   - /console/envs/{env}/esv: variables and secrets with their versions
//     and restart state (secret values are never shown), the ESVs the
//     pending promotion misses highlighted, and a form to create a variable.
//
// Every state-changing form carries the session's CSRF token and is
// refused (403) without it or when the browser says it comes from another
// origin. A person may see and do exactly what the API lets the same
// principal. Everything but live progress works without JavaScript.
package httpapi
