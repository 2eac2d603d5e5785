// Package environment is the PingOne environment model, its rules, and
// promotion groups.
//
// An [Environment] is a PingOne environment of an organization: a unique
// name, a type (PRODUCTION or SANDBOX), a region fixed at creation, a
// license, a bill of materials and a status (ACTIVE or DELETE_PENDING). Its
// JSON encoding is the PingOne API's (spelling the hard-delete time
// hardDeleteAllowedAt, as the current PingOne docs do).
//
// A [Registry] is the one place the rules live; it works over any [Store],
// the thin persistence contract that backends implement (memenv in memory,
// gitenv as JSON files in a Git repository). Every operation takes the
// [Principal] making it:
//
//   - Create needs an Organization Admin or an ORGANIZATION-scoped
//     Environment Admin; an ENVIRONMENT-scoped admin reads and changes only
//     its environments, and gets ErrForbidden for the rest.
//   - Names are unique in the organization, case-insensitively, non-empty
//     and at most MaxNameLen characters. Region and type are required; the
//     region never changes. Unknown types, regions, statuses and product
//     types are rejected by name. An environment without products gets
//     DefaultBillOfMaterials.
//   - license.id is required when the organization has more than one active
//     license ([Licenses] says which); a PRODUCTION environment needs a
//     non-trial license, on Create and on ChangeType SANDBOX→PRODUCTION.
//   - Delete removes a SANDBOX at once. A PRODUCTION environment is first
//     soft-deleted with UpdateStatus(DELETE_PENDING), which stamps
//     softDeletedAt and hardDeleteAllowedAt (30 days on); Delete before then
//     fails naming that time, after it is the hard delete, and Purge removes
//     every expired one. An organization has at most MaxDeletePending
//     DELETE_PENDING environments. UpdateStatus(ACTIVE, license) restores one
//     (with its current license when none is given) and clears both times.
//     Only organization-level principals soft-delete, hard-delete, restore,
//     purge, or turn PRODUCTION into SANDBOX (which would otherwise let a
//     SANDBOX delete skip the waiting period).
//   - List takes a SCIM filter (see [ParseFilter]).
//   - Every change is made by the principal's ID (a principal without one
//     is refused with actor.ErrMissing), reported to the [Auditor] as an
//     [Event], and the clock is injectable ([Options]).
//   - license.id is immutable after create (a restore sets it); products of
//     a bill of materials get an id when added, which never changes.
//   - [StoreLicenses] keeps licenses in the same Store as the environments.
//
// # Concurrency and atomicity
//
// Rules that span several environments — unique names, the DELETE_PENDING
// limit, group membership — must hold when several callers, processes or
// machines write at once. The Registry therefore makes each change one
// Store.Apply: an atomic batch of compare-and-set writes that always
// includes the organization's own record ("organizations/<id>", a revision
// counter). Two changes in one organization cannot both commit against the
// same revision, so the loser re-reads, re-checks every rule, and retries;
// of several concurrent creates of one name exactly one wins and the rest
// get ErrNameTaken. Organizations do not contend with each other.
// [Registry.Revision] reads that counter, one Store.Get, for callers that
// keep what they read and reread it only when the organization changed.
//
// # Promotion groups
//
// A [Group] is an ordered chain development → UAT… → staging → production
// of environment ids; [Group.Pair] allows promotion only between adjacent
// members. Registry.SaveGroup stores groups whose members are ACTIVE
// PRODUCTION-type environments of the organization, and the Registry keeps
// them so: a member cannot be soft-deleted or turned into a SANDBOX while it
// is in a group (ErrInUse).
package environment
