// Package gitstore is the Git backend of store.Repo, built on go-git: the
// config repo of every environment is a real Git repository that the git
// CLI, clones and code review tools read as usual.
//
// # Layout
//
// Each branch is a Git ref: a single-segment branch "dev" is the Git branch
// refs/heads/dev; a namespaced one "locks/dev" is refs/locks/dev, kept out
// of refs/heads/ so "dev" and "dev/reports" cannot collide. A commit's tree
// is the snapshot (regular files, mode 100644), its author and time are the
// CommitInfo's (to the second), and its metadata is a trailer paragraph at
// the end of the message, one "Envpromote-Meta-<key>: <value>" line per key.
//
// Init creates a bare repository, since nothing here uses a working tree.
// Inspect it with the git CLI:
//
//	git -C /path/to/repo log dev                        # history of dev
//	git -C /path/to/repo show dev:realms/alpha/realm.json
//	git -C /path/to/repo for-each-ref                   # every branch, namespaced ones too
//	git clone /path/to/repo tenant && cd tenant && git checkout dev
//
// # Writing
//
// Commit writes blobs, trees and the commit with go-git's object layer,
// skipping any tree or blob the repository already holds: a subtree equal
// to one already stored is not even visited, so a commit costs what changed,
// not the tenant size. Only then does the branch move, by one
// compare-and-set of the ref. Objects of a commit that loses are left
// unreferenced, invisible to every reader, and removed by git gc.
//
// On disk the compare-and-set follows Git's own protocol: take
// <ref>.lock with O_EXCL, check the current value, rename the lock file over
// the ref. It excludes every other writer, in this process or another, go-git
// or the git CLI, and readers see the old head or the new one, never a
// partial ref, even across a crash. (go-git's own filesystem
// CheckAndSetReference flocks and rewrites the ref in place, which neither
// the git CLI honours nor survives a crash mid-write; see diskStorage.)
//
// # Reading
//
// Snapshot loads trees level by level and keeps the most recently used ones
// by tree id, so loading a commit that differs from a loaded one in a
// single file reads only the trees on that file's path. The snapshot is
// lazy (see store.Source): its files' contents are read from the object
// store when asked for, through the same cache, which Options.CacheBytes
// bounds in bytes. A process's memory therefore follows the directories of
// the snapshots it holds and the cache, not the tenant's bytes. A content
// that cannot be read (the repository lost an object a commit reaches, or
// the disk failed) is an error of the snapshot method that asked for it:
// ReadFile, Walk, Open, Stat, ReadDir or store.Entry.ReadData.
//
// # Several machines
//
// With Options.Remote, the local repository (on disk or in memory) is a
// cache of a shared remote, which is the single authority for branch heads:
//
//   - Commit pushes the new commit with the expected old head; the server
//     applies the update under its ref lock only if the head has not moved,
//     else Commit returns store.ErrConflict. Exactly one of several machines
//     committing on the same parent wins.
//   - Head and Log ask the remote for the current head first, fetching what
//     is missing, so they see every commit that succeeded before the call.
//   - Snapshot reads immutable objects, fetching them if they are unknown.
//
// The model is therefore linearizable per branch, as long as every writer
// goes through the remote. The remote must be a real Git server (git daemon,
// git http-backend, a hosting service) whose receive-pack checks old values,
// as git's does.
//
// A Repo serialises its own calls (go-git's storages are not safe for
// concurrent use), and holds its lock during remote round trips.
package gitstore
