// Package gitlock is a lock.Locker that keeps its leases in a store.Repo,
// normally a gitstore repository, so that every process (or machine, with
// gitstore's remote) sharing the repository shares the locks, and the lock
// history is ordinary Git history.
//
// # Layout
//
// Each environment has a branch "locks/<env>" (gitstore: the ref
// refs/locks/<env>, outside refs/heads). Every lock and unlock is a commit
// on that branch, of the empty tree, whose metadata carries type=lock|unlock,
// leaseId, token, and lease: the record itself, one line of JSON naming the
// latest lease granted on the environment and whether it has been released.
// Keeping the record in the commit makes each step one new Git object. So
//
//	git -C repo log --format='%ad %s' locks/production
//
// is the environment's lock history. Lower-case names of letters, digits,
// '-' and '_' (e.g. "production", PingOne's environment UUIDs) are used as
// they are; any other valid name (lock.ValidateEnvironment) is written as
// "x." followed by the name with every other byte escaped as '_' and two hex
// digits ("Prod EU" → "locks/x._50rod_20_45_55"), so that names map to
// distinct, valid, lower-case branch names.
//
// # Taking and releasing a set
//
// Lock reads the environments' branches in sorted order. If one holds an
// unexpired, unreleased lease it reports that holder (lock.ErrLocked).
// Otherwise it takes a fencing token one above the highest token recorded on
// any of them and writes the lease to each branch, in the same order, each
// write a compare-and-set on the head it read. If a write loses a race (a
// branch moved since it was read) or fails, Lock marks the lease released on
// the branches it already wrote, newest first, and, after a race, starts
// again. Unlock marks the lease released branch by branch in reverse sorted
// order. The environments a lease holds are thus always a prefix of its
// sorted set, and the first environment is held for as long as any is: the
// Unlock that releases it is the one that succeeds, so of several racing
// unlocks exactly one does.
//
// A process that dies halfway leaves a lease that is visible, blocks its
// environments as a whole, and goes away: State shows the environments
// still holding it as locking (died while locking) or unlocking (died while
// unlocking), with the lease; the lease expires at its TTL; and
// Unlock(ctx, state.Lease) clears it at once. A record gitlock cannot read
// (edited by hand) is reported by State as lock.StateError and blocks Lock
// until it is fixed.
//
// Expiry is judged by each process's own clock (Options.Now), so processes
// sharing a repository need synchronised clocks; TTLs should be far longer
// than the clock skew. Waiting Lock calls poll the branches with growing,
// jittered pauses (Options.Poll, Options.MaxPoll) and wake at once when a
// lease is released through the same Locker.
package gitlock
