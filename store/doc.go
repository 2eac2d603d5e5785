// Package store is envpromote's config repo: versioned, content-addressed
// snapshots of each environment's configuration.
//
// A Snapshot is an immutable tree of files (path → bytes). Every directory
// carries the hash of its entries — the same SHA-1 tree id Git computes — so
// equal subtrees are shared between snapshots and compared in O(1). Deriving
// a snapshot with With, Without or a Builder copies only the directories on
// the changed paths, and Diff skips every subtree whose hash is unchanged:
// both cost what changed, not the size of the tenant.
//
// A backend may hand out lazy snapshots (see Source, TreeSource and
// LazyTree): a directory's entries and a file's content are read only when
// a method looks inside them, and not kept, so holding a snapshot of a
// large tenant costs what its caller derived from it, and a one-file
// change reads the directories on that file's path. The methods that may
// look inside (ReadFile, Walk, Open, Stat, ReadDir, Entries, Files, Diff,
// Select, Filter, a Builder's Put and Delete, Entry.ReadData, WriteDir,
// WriteTar) return the backend's error, naming the path, if it cannot
// read; a snapshot in memory never fails them. Hash, Equal and Empty do
// no I/O.
//
// A Repo keeps snapshots on branches, one per environment, and moves a branch
// only by compare-and-set: Commit succeeds only if the branch head is still
// the parent the caller read, so a promotion is exactly one new commit whose
// parent is the head its checks saw.
//
// The rules of Repo live once, in Checked, over a backend's Driver, as
// gocloud.dev's blob.Bucket over its driver: Checked checks the context,
// branch and alias names, commit metadata and authors, that an Apply moves
// each branch once, and the Log limit, before the Driver sees a call;
// stamps commit times; and wraps what fails once, naming the operation and
// the branch ("store: commit to dev: conflict: branch head moved"). A
// Driver only keeps things and may assume valid input (see Driver);
// what only it can know, it checks itself. Backends: memstore (in memory)
// and gitstore (a real Git repository, on disk, in memory or shared through
// a remote), each a Driver under Checked. Both pass the storetest
// conformance suite.
//
// Paths are clean, relative, slash-separated and valid UTF-8 (ValidatePath);
// anything else is rejected with an error wrapping ErrInvalidPath that names
// the path and the rule it broke.
package store
