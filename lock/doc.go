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
//     unlocked; a store that records the highest token it has accepted can
//     therefore refuse a write from a superseded holder;
//   - the owner, a description, when it was acquired and, with a TTL, when it
//     expires. An expired lease counts as free: the next Lock takes its
//     environments (with a higher token), and the expired lease can no longer
//     be validated or unlocked.
//
// Unlock releases only the lease it is given and only while that lease is
// current; a stale, expired or already released lease gives ErrNotHeld. A
// holder calls Validate right before it commits, so a promotion commits only
// while its lease is still valid.
//
// State reports an environment as unlocked, locking, locked, unlocking or
// error (the values of the AIC promotion lock API) with the holder's lease.
// The in-between states appear only with backends that take a set one
// environment at a time; see gitlock.
//
// Backends: memlock (in memory) and gitlock (leases as files in a
// store.Repo, one branch per environment, shareable by several processes).
// Both pass the conformance suite locktest.Run. A new backend uses NewLease
// to validate a request and ValidateEnvironment to check a name, so that
// every backend accepts and rejects the same input.
package lock
