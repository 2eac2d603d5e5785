// Package memstore is the in-memory store.Repo: the fastest backend, for
// tests and for programs that keep history only while they run.
//
// Snapshots are immutable and shared, so a commit stores a pointer, not a
// copy. Revisions are SHA-1 ids over the commit's content, shaped like Git
// commit ids. A Repo is safe for concurrent use.
package memstore
