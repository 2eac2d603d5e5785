// Package memstore is the in-memory store.Repo: the fastest backend, for
// tests and for programs that keep history only while they run.
//
// New returns a store.Checked over a Driver, which keeps branches, commits
// and aliases in maps under one lock and checks nothing: the Checked has
// checked every call before it reaches the Driver. Snapshots are immutable
// and shared, so a commit stores a pointer, not a copy. Revisions are SHA-1
// ids over the commit's content, shaped like Git commit ids. Both are safe
// for concurrent use.
package memstore
