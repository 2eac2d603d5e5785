// Package promotion promotes configuration along a promotion group —
// development → UAT… → staging → production — the way PingOne Advanced
// Identity Cloud self-service promotions do: lock, check, promote, report,
// unlock, and roll back.
//
// A Promoter composes the other packages: a store.Repo holds each
// environment's configuration on the branch named by its environment id, a
// lock.Locker locks promotion pairs, an ESVs source tells the integrity
// checks which ESVs the upper environment defines, and a Layout tells static
// configuration (promoted) from dynamic configuration (owned by each
// environment: identities, applications, access policies, managed-object
// data, ESV definitions).
//
// # Data flow
//
// A promotion from lower to upper:
//
//  1. Lock(lower, upper) takes a lease on {lower, upper, "group:<name>"},
//     so only one promotion runs per group; a second Lock fails with a
//     *lock.LockedError naming the holder. While locked, ESV writes to both
//     environments (through ESVGuard) and config edits through Edit fail
//     with lock.ErrLocked.
//  2. Promote finds the lease holding the pair (Locker.State of the upper;
//     it must cover lower, upper and the group, else ErrNotLocked) and builds
//     the target = static(lower) ∪ dynamic(upper) by grafting whole
//     subtrees of the two heads, descending only where their hashes differ
//     and never copying a file: the cost follows the change, not the tenant
//     size.
//  3. The integrity checks (nil Config.Checks: integrity.Builtin) run on the
//     target's static view (StaticView), with the upper's ESVs as metadata.
//     Blocking findings stop it (ErrIntegrity); Progress lists them.
//  4. Locker.Validate(lease) right before the commit, so a lease that
//     expired or was replaced mid-promotion cannot commit (a store.Repo
//     cannot check fencing tokens itself, so a lease that expires in the
//     instant between Validate and Commit still commits: give Config.LockTTL
//     a margin of minutes, not milliseconds); then exactly one
//     compare-and-set commit on the upper's branch whose parent is the head
//     the checks saw. Its metadata records type=promotion, promotionId
//     (the lease id), reportId, source (the lower's revision), lower, and
//     a one-line JSON report header (promoter, description, ticket, ignored
//     encrypted secrets), since metadata values are single lines.
//  5. The report is derived from that commit — its metadata and its diff
//     against its parent, grouped by the Layout — so a promotion's commit and
//     its report exist together or not at all. A crash at any point leaves
//     the old head or the new one. Dry runs commit nothing to the upper:
//     their reports are stored as JSON files on the branch "reports/<upper>"
//     (one file per report, by compare-and-set), the only thing they write.
//
// A failed operation leaves the pair locked by its lease (the caller locked
// it and decides what next) and Progress in ERROR with the reason. If a
// commit's reply is lost, the Promoter reads the head back and reports
// success when its commit landed.
//
// # Rollback and revert
//
// Rollback restores the upper's static config from the parent of its most
// recent promotion commit, with the upper's current dynamic config, as a new
// commit of type rollback: history is never rewritten. If the most recent
// promotion-or-rollback commit is a rollback, there is nothing to roll back
// (ErrNothingToRollback). The missing-ESV check runs.
//
// RevertDevelopment restores the group's development environment (its first
// member only) to its latest commit before a time, static part only, as a new
// commit of type revert; refused while the environment is locked.
//
// # Progress
//
// Progress keeps, in memory, the state of the latest operation per upper
// environment (READY, RUNNING, COMPLETE, ERROR). A Promoter that ran none
// (another process) answers from the lock state. Blocked promotions record
// their findings (missing ESVs, encrypted secrets, the blocking error) there;
// they write no report.
//
// # Environments
//
// Environments are named by their group member ID everywhere: branch,
// lock and ESV environment. Member IDs must pass store.ValidateBranch and
// lock.ValidateEnvironment (PingOne's UUIDs do); New checks it. Where a
// method takes (lower, upper), lower may be empty: every upper environment
// has exactly one lower, the member before it, which is how the AIC API,
// served by the upper environment, names a pair.
//
// # Layout
//
// DefaultLayout follows the directory layout of fr-config-manager
// (DESIGN.md, "Tenant export layout"), so a repository pulled with
// fr-config-pull promotes as is; see its documentation for every path. Users
// with another layout implement Layout, and StaticLayout too if they can
// name the directories that hold no dynamic config: promotion then takes
// those whole, by hash, so a promotion's cost follows what changed rather
// than the tenant's size.
package promotion
