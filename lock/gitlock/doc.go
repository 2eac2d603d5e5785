// Package gitlock keeps leases in a store.Repo, normally a gitstore
// repository, so that every process (or machine, with gitstore's remote)
// sharing the repository shares the locks. Store is the lock.Store (records
// only); New wraps it in a lock.Manager, which applies every rule.
//
// # Layout
//
// Each environment has a branch "locks/<env>" (gitstore: the ref
// refs/locks/<env>, outside refs/heads) holding exactly one commit, of the
// empty tree, whose metadata carries type=lock|unlock, leaseId, token,
// replaces (the head it replaced) and lease: the record itself, one line of
// JSON naming the latest lease granted on the environment, its expiry and
// whether it has been released. Every lock, renewal and unlock replaces
// that commit by compare-and-set on the old head (store.Update.Replace), so
// lock history stays bounded however often a pair is locked: reports and
// audit events say who promoted what. See the current holder with
//
//	git -C repo log -1 --format='%ad %B' locks/production
//
// Lower-case names of letters, digits, '-' and '_' (e.g. "production",
// PingOne's environment UUIDs) are used as they are; any other valid name
// (lock.ValidateEnvironment) is written as "x." followed by the name with
// every other byte escaped as '_' and two hex digits ("Prod EU" →
// "locks/x._50rod_20_45_55"), so that names map to distinct, valid,
// lower-case branch names.
//
// # The refs a promotion locks
//
// A promotion (package promotion) holds one lease on four names, so while
// it runs a repository written through envpromote.Tenant holds:
//
//	refs/locks/<lower id>           the two environments, by id
//	refs/locks/<upper id>
//	refs/locks/group-<group>        its promotion group (promotion.GroupLock)
//	refs/locks/x.group_3a<group>    the same group under its legacy name
//	                                "group:<group>" (':' escaped as _3a)
//
// A group name that is not lower case has its other bytes escaped in both
// ("Web" → x.group-_57eb), and one too long for a lock name is hashed (see
// promotion). The legacy ref is a compatibility shadow of the same lease,
// not a second lock: processes of earlier versions sharing the repository
// (on this machine, or another through the remote) lock and look only at
// it, so every promotion takes it too and each version sees the other's
// leases; no ref changed its name, as a ref is the only thing two holders
// compare and set. Both are taken, released and fenced together, all or
// none. Once no process older than this version can share the repository
// (all upgraded), a later release may stop taking the legacy name, and the
// x.group_3a refs left free may then be deleted.
//
// The environments' refs stay ids: a name changes on rename, and a lock
// keyed by a name would let a rename drop a held lease. To see who holds an
// environment by its name, follow its alias (refs/names/<slug>, see
// envpromote.Slug) to the id:
//
//	git -C repo for-each-ref refs/locks        # every lock, held or not
//	id=$(git -C repo symbolic-ref --short refs/names/staging)
//	git -C repo log -1 --format='%ad %B' locks/$id
//	git -C repo log -1 --format='%ad %B' locks/group-main
//
// Each record's message names its lease and every name the lease holds; a
// lock ref whose record says unlock is free.
//
// # Fencing
//
// Store is a lock.Fencer: when the promotion commits to the same Repo, the
// commit and a renewal of each of the lease's records are one
// store.Transactor.Apply, so the commit lands only while the lease is
// current. On disk gitstore holds the lock refs' lock files across the
// branch update; on a remote it needs one atomic push moving every ref.
//
// # Crashes
//
// A process that dies inside Lock or Unlock leaves a lease held on a prefix
// of its sorted set: State shows it as locking or unlocking, with the way
// out in Status.Detail; the lease expires at its TTL (every lease has one);
// and Unlock with the lease clears it at once. A record gitlock cannot read
// (edited by hand) is reported by State as lock.StateError and blocks Lock
// until it is fixed. A ref lock file left by a killed writer is gitstore's
// business: see gitstore.RefLockError.
//
// Expiry is judged by each process's own clock (Options.Now), so processes
// sharing a repository need synchronised clocks; TTLs should be far longer
// than the clock skew.
package gitlock
