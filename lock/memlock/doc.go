// Package memlock is an in-memory lock.Locker for one process: tests,
// examples and single-binary deployments.
//
// A set of environments is granted or released under one mutex, so its
// environments are only ever unlocked or locked, never locking or
// unlocking. Fencing tokens come from one counter for the whole Locker,
// which makes them strictly increasing per environment as lock.Lease
// requires. Waiting Lock calls wake when any lease is released, and poll
// (every 10ms at most) while the holder has an expiry, so they notice
// expiry on an injected clock too. State is lost when the process ends;
// use gitlock to share locks between processes.
package memlock
