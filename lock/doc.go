// Package lock locks sets of environments so that only one promotion or
// rollback runs on them at a time, and so that work done under a lock that
// has since been lost can be recognised and refused.
//
// A Locker grants a Lease on a whole set of environments or on none of them:
// if any environment is held, Lock fails with an error wrapping a
// *LockedError (matched by errors.Is(err, ErrLocked)) that names the holder
// and its lease, or, with Options.Wait, retries until the set is free or the
// context ends. Sets are taken in sorted order, so sets named in different
// orders cannot deadlock.
//
// A Lease carries:
//   - an ID (a random UUID, usable as a promotion id);
//   - a fencing Token, greater than the token of every earlier lease on any
//     of its environments, including leases that expired without being
//     unlocked;
//   - the owner, a description, when it was acquired, its TTL and when it
//     expires. Every lease expires (DefaultTTL unless Options.TTL says
//     otherwise), so a holder that crashes frees its environments by
//     itself; a live holder renews (Renew, or KeepAlive in the background).
//     An expired lease counts as free: the next Lock takes its environments
//     (with a higher token), and the expired lease can no longer be
//     validated, renewed or unlocked.
//
// Unlock releases only the lease it is given, every environment of it that
// is still held; a lease that holds none gives ErrNotHeld. Commit lands a
// store commit only while the lease holds: atomically with the branch
// update when the Store is a Fencer over the same Repo (gitlock), else by
// validating just before the commit.
//
// State reports an environment as unlocked, locking, locked, unlocking or
// error (the values of the AIC promotion lock API) with the holder's lease.
// Locking and unlocking are the in-between states of a set taken or
// released one environment at a time, also when a crash cut it short; their
// Detail says what is held, when it ends and how to clear it. Error means
// only an unreadable record, never a Lock or Unlock under way.
//
// # Rules over records
//
// The rules (expiry, tokens, all-or-none, renewal, fencing) are written
// once, in Manager, over a Store that only keeps one compare-and-set record
// per environment, the way environment.Registry and esv.Service work over
// theirs. Stores: memlock (in memory) and gitlock (branches of a
// store.Repo, shareable by several processes). Both pass the conformance
// suite locktest.Run. Every retry of a lost compare-and-set is bounded by
// the library's one retry policy.
package lock
