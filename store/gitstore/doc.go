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
// A lock file held by another writer, or left by a crashed one, makes a
// write fail after a short bounded wait with a *RefLockError (ErrRefLocked)
// naming the file and its age, never store.ErrConflict, so no caller
// retries it as a lost race. A lock file that no process holds (envpromote
// writers flock theirs; the kernel drops the flock when a process dies) and
// that is older than Options.StaleRefLock is taken over: see RefLockError.
//
// Apply (store.Transactor) moves several refs under their lock files at
// once; the Promoter uses it to land a commit only while its lease, kept on
// a lock ref, is current.
//
// # Reading
//
// Snapshot loads trees level by level and keeps the most recently used ones
// by tree id (Options.CacheTrees), so loading a commit that differs from a
// loaded one in a single file reads only the trees on that file's path.
//
// # Several machines
//
// With Options.Remote, the local repository (on disk or in memory) is a
// cache of a shared remote, which is the single authority for branch heads.
// Any number of machines, each with its own cache, and any number of
// processes sharing one on-disk cache, may use the same remote:
//
//   - Commit pushes the new commit with the expected old head; the server
//     applies the update under its ref lock only if the head has not moved,
//     else Commit returns store.ErrConflict. Exactly one of several machines
//     committing on the same parent wins, even when they make the very same
//     commit. The push carries only the trees and blobs that neither the
//     parent's tree nor the remote's environment branches hold at the same
//     path, so a promotion sends what it mixes anew, not the files it takes
//     from the lower environment.
//   - Head and Log ask the remote for the current head first (one listing
//     of its refs), fetching what the cache lacks, so they see every commit
//     that succeeded before the call. Options.MaxStaleness trades that for
//     fewer round trips: a read may then miss other machines' commits of the
//     last MaxStaleness, never this Repo's own, and a Commit that loses a
//     race makes the next read ask the remote.
//   - Snapshot reads immutable objects, fetching them if they are unknown.
//   - A machine with an empty cache reads like any other: the cache's refs
//     only mirror the remote's (for the git CLI, and to tell the remote
//     what the cache holds), and nothing trusts them.
//
// The model is therefore linearizable per branch, as long as every writer
// goes through the remote. The remote must be a real Git server (git daemon,
// git http-backend, a hosting service) whose receive-pack checks old values,
// as git's does.
//
// A Repo serialises its own access to the cache (go-git's storages are not
// safe for concurrent use) but holds no lock over a network call: a fetch
// downloads its pack before storing it, a push encodes its pack between the
// remote's advertisement and the upload, so one slow remote round trip never
// blocks reads the cache can answer. A one-file promotion costs four round
// trips: a listing per environment read, and the push's two.
package gitstore
