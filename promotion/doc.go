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
//  1. Lock(lower, upper) takes a lease on lower, upper and the group (see
//     Locks), so only one promotion runs per group; a second Lock fails
//     with a *lock.LockedError naming the holder. While locked, ESV writes to both
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
//     Blocking findings stop it (ErrIntegrity); Progress lists them. The
//     files their scan reads are described for the report as it reads
//     them (integrity.Input.Read), so each is read once.
//  4. The commit goes through Locker.Commit, fenced by the lease: with
//     gitlock over the same Repo, the commit and a renewal of the lease's
//     records are one atomic update, so a lease that expired or was
//     replaced mid-promotion cannot commit (with other pairs, such as
//     memlock, the lease is validated just before the commit). It is
//     exactly one compare-and-set commit on the upper's branch whose parent
//     is the head the checks saw. While the operation runs, the lease is
//     renewed in the background (lock.KeepAlive), so a promotion longer
//     than the TTL keeps it. Its subject names the environments ("Promote
//     Development to Staging", with Config.Names) and its metadata, which
//     gitstore keeps as Git trailers, records type=promotion, promotionId
//     (the lease id), reportId, source (the lower's revision), lower and
//     upper (their ids), and a one-line JSON report header (promoter,
//     description, ticket, ignored encrypted secrets), since metadata
//     values are single lines.
//  5. The report is derived from that commit — its metadata and its diff
//     against its parent, grouped by the Layout — so a promotion's commit and
//     its report exist together or not at all. A crash at any point leaves
//     the old head or the new one. Dry runs commit nothing to the upper:
//     their reports are stored as JSON files on the branch "reports/<upper>"
//     (one file per report, by compare-and-set), the only thing they write.
//
// PromoteAndUnlock and RollbackAndUnlock do all of it in one call — lock,
// check, promote, unlock — and unlock on failure too, unless
// Request.KeepLockOnFailure. With Promote and Rollback, a failed operation
// leaves the pair locked by its lease (the caller locked it and decides what
// next) and Progress in ERROR with the reason. If a
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
// commit of type revert; refused while the environment is locked. It takes a
// short lease on the environment and commits fenced by it, so a promotion
// that locks the environment meanwhile cannot be overtaken.
//
// # Locks
//
// A promotion, rollback or unlock works on one lease of four lock names:
// the lower and the upper environment by id (ids, unlike names, survive a
// rename, so a rename cannot drop a held lease); the group's lock,
// GroupLock(name) = "group-<name>", which gitlock keeps as the readable ref
// refs/locks/group-<name>; and the group's legacy name "group:<name>"
// (refs/locks/x.group_3a<name>). Earlier versions lock only the legacy
// name, so while any of their processes may share the Repo and Locker, every
// lease takes it too: it is a compatibility shadow of the same lease, taken
// and released with it all or none, so an earlier version's lease blocks a
// promotion and a promotion blocks an earlier version. A lease holding
// either name covers the pair (Promote and Unlock accept an earlier
// version's lease). A release made once every process runs this version or
// later may stop taking the legacy name. Group names too long for a lock
// name are hashed in both; member ids may not start with "group-". People
// never see the legacy name: LockState, its Description and Lock's
// *lock.LockedError name the group once (see gitlock's documentation for
// reading the refs with git).
//
// # Leases that end
//
// Every lease has a TTL (Config.LockTTL, default lock.DefaultTTL), so a
// process that dies holding a pair, or halfway through locking or
// unlocking it, frees it by itself. LockState shows such a half-held pair
// as locking or unlocking with the lease's id and the way out in its
// description, and Unlock with that id (DELETE lock/{id}) clears it at
// once.
//
// # Actors
//
// Every write says who makes it: the owner given to Lock, Request.Promoter,
// CommitInfo.Author for Edit, or, when those are empty and always for
// RevertDevelopment, the context's actor (actor.With). The actor authors the
// commit and is the report's promoter; a write naming no one is refused with
// actor.ErrMissing.
//
// # Reports and history lookups
//
// Reports (newest first, paged with ReportsPage), Report by id, Rollback's
// most recent promotion and RevertDevelopment's backup point cost what
// they return, not the length of the history. Each Promoter keeps, per
// environment, an index derived from the environment's branch and its
// reports branch: report entries in order and by id, the newest promotion
// or rollback, and, for the development environment, commit times. Being
// derived, it holds nothing the branches do not, so a commit and its entry
// exist together or not at all, and repositories written before it need no
// migration. A lookup reads the branch heads and, when they moved, only the
// commits made since (Log in growing steps), including those of other
// processes and of the git CLI; a branch moved to a commit outside what was
// indexed (history rewritten) is read again whole. After reading 256
// commits or more (a quarter of the index's size for a large one), a
// Promoter saves a checkpoint of the index as the file index.json on the
// branch "index/<env>", so a new Promoter (a restarted process, another
// machine) reads only the commits made since; it is a cache that is
// checked against the branches, and ignored if it cannot be read. Derived
// reports are cached, the most recently used few hundred.
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
// (ARCHITECTURE.md, "Tenant export layout"), so a repository pulled with
// fr-config-pull promotes as is; see its documentation for every path. Users
// with another layout implement Layout, and StaticLayout too if they can
// name the directories that hold no dynamic config: promotion then takes
// those whole, by hash, so a promotion's cost follows what changed rather
// than the tenant's size.
package promotion
