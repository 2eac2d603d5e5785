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
// A promotion (package promotion) locks three names, so a repository
// written through envpromote.Tenant holds:
//
//	refs/locks/<environment id>   the lower and the upper environment
//	refs/locks/x.group_3a<group>  its promotion group: "group:<group>", the
//	                              ':' escaped as _3a ("group:main" →
//	                              x.group_3amain); a group name that is not
//	                              lower case has its other bytes escaped
//	                              too, and one too long for a lock name is
//	                              hashed (see promotion)
//
// To see who holds an environment by its name, follow its alias (see
// envpromote.Slug) to the id:
//
//	id=$(git -C repo symbolic-ref --short refs/names/staging)
//	git -C repo log -1 --format='%ad %B' locks/$id
//	git -C repo log -1 --format='%ad %B' locks/x.group_3amain
//
// These names are the locks' identity, so they stay as they are. A ref is
// the only thing two holders compare and set: were the group lock renamed
// (say to locks/group.main), a process of an earlier version, on this
// machine or on another sharing the remote, would look only at the old ref
// and a new one only at the new, and both would hold the group at once.
// Seeing old leases is not enough; every Lock, Renew, Unlock and fenced
// commit would have to move both refs for as long as any older process may
// run, which no repository can tell, and the environments' refs are already
// ids, which do not change when an environment is renamed: a lock keyed by a
// name would let a rename drop a held lease.
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
