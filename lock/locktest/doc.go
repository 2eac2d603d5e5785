// Package locktest is the conformance suite every lock.Locker passes. A
// backend's test calls Run with a constructor that builds an empty Locker
// on the clock the suite provides:
//
//	func TestConformance(t *testing.T) {
//		locktest.Run(t, func(t *testing.T, now func() time.Time) lock.Locker {
//			return memlock.New(memlock.Options{Now: now})
//		})
//	}
//
// The subtests are named after the rules they check (all or none, the
// LockedError names the holder, fencing tokens increase per environment,
// expiry, stale and double unlock, waiting and its cancellation, one
// holder at a time, no deadlock on sets given in different orders, Unlock
// of the granted set, Renew, KeepAlive, Commit only under a held lease),
// run in parallel, and are meant for -race. Benchmark measures a Locker's
// Lock+Unlock, alone and contended, so backends compare on equal terms.
package locktest
