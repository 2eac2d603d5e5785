// Package memlock keeps leases in memory, for one process: tests, examples
// and single-binary deployments. Store is a lock.Store (one record per
// environment, compare-and-set under a mutex); New wraps it in a
// lock.Manager, which applies every rule. State is lost when the process
// ends; use gitlock to share locks between processes.
package memlock
