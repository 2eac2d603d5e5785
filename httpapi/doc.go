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
// under a path prefix of its own: the AIC endpoints of an environment are
// at /{env}/environment/…, where {env} is a path segment that
// Config.Environments maps to the environment (its id, as the ESV service,
// the Promoters and the Locker name it), so https://host/staging is the
// base URL a client is given for staging. Members of a Promoter's group
// without a segment are served under their id. /v1/environments is served
// once, for every environment of the Registry.
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
// # Authentication
//
// Every request carries "Authorization: Bearer <token>", which the
// Config's Authenticator turns into a Principal: AIC scopes for the
// /environment endpoints (fr:idc:promotion:*, fr:idc:esv:read, …:update,
// …:restart, …:*) and PingOne roles for /v1/environments, which the
// environment.Registry checks. A missing or unknown token is answered 401
// with a WWW-Authenticate challenge, a missing scope or role 403.
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
// logged with that id and answered 500 with nothing but it. Status codes:
// 202 for started work, 409 for lock conflicts and state conflicts ("not
// in locked state", a promotion already running, ESV writes while locked),
// 404 for unknown environments and items, 405 with Allow for a wrong
// method, 503 at capacity or while shutting down.
//
// Environments are emitted with hardDeleteAllowedAt, as the current
// PingOne docs spell it; a body read back with the spec's older
// hardDeletedAllowedAt is accepted and that field ignored.
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
