// Package gitstore is the Git backend of store.Repo, built on go-git: the
// config repo of every environment is a real Git repository that the git
// CLI, clones and code review tools read as usual.
//
// A Repo is the store.Checked over this package's store.Driver: the
// Checked checks every call (context, names, commit metadata and author,
// distinct branches) and wraps its errors; the driver checks only what Git
// alone knows, such as a parent that is no commit id (a conflict, since no
// head can be it), a message that would read back as other metadata, or a
// remote that cannot push several refs atomically.
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
// Aliases (store.Namer) are symbolic refs refs/names/<alias> pointing at a
// branch's ref, written like git symbolic-ref writes them (through the ref's
// lock file and a rename); the envpromote front door names each environment
// so, and `git log names/staging` reads the branch. With a remote they are
// kept in the local cache only: Git's protocol cannot push a symbolic ref.
//
// Init creates a bare repository, since nothing here uses a working tree.
// Inspect it with the git CLI:
//
//	git -C /path/to/repo log dev                        # history of dev
//	git -C /path/to/repo log names/staging              # history of the branch an alias names
//	git -C /path/to/repo show dev:realms/alpha/realm.json
//	git -C /path/to/repo for-each-ref                   # every branch, namespaced ones too
//	git clone /path/to/repo tenant && cd tenant && git checkout dev
//
// # Writing
//
// Commit writes the blobs, trees and commit the repository lacks, skipping
// any tree or blob it already holds: a subtree equal to one already stored
// is not even visited, so a commit costs what changed, not the tenant size.
// On disk they go into one new pack (objects/pack/pack-<sha>.pack and its
// .idx, compressed fast; a commit of a single object, such as a lock
// lease's, writes it loose: one file either way). Only then does the branch
// move, by one compare-and-set of the ref. Until it has, the pack carries a
// .keep file, as git receive-pack's do, so that neither Maintain nor git
// repack -a -d drops objects no branch reaches yet. Objects of a commit
// that loses are left unreferenced, invisible to every reader, and dropped
// by maintenance once their grace period is over.
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
// Objects are read by gitstore itself, not go-git's object storage: pack
// indexes are parsed once, packs read with pread, deltas resolved through a
// cache of recent bases bounded in bytes. Reads take no lock while doing
// I/O, so Head, Log and Snapshot of a local repository on disk run in
// parallel with each other and with commits. A read that misses rescans
// objects/pack, so packs written by anyone else (git gc, a fetch, Maintain
// in another process) are found; a pack deleted meanwhile stays readable
// through the file this process holds open. Reading objects in pack order
// (a snapshot is written, and repacked, in the order Snapshot reads it)
// reads the pack in large chunks and inflates the next objects of the same
// type ahead on another core, with gitstore's own zlib decoder for whole
// objects in memory, faster than compress/flate's streams.
//
// Snapshot reads the commit's root tree and nothing else: the snapshot is
// lazy (see store.LazyTree and store.Source). A directory's entries and a
// file's content are read from the object store when a snapshot method
// looks inside them, through caches keyed by object id that
// Options.CacheBytes bounds in bytes, and the snapshot keeps none of it. A
// one-file promotion therefore reads the trees on that file's path, and a
// process's memory follows the cache and what callers derive, not the
// tenant. Reading a directory or file that cannot be read (the repository
// lost an object a commit reaches, or the disk failed) is an error of the
// snapshot method that asked, naming the path.
//
// A snapshot reads a Git tree's executable files as plain files, the only
// kind it holds. A directory a commit leaves unchanged is written back as
// the tree Git stored (into another Repo too, object by object), so its
// modes survive; one it changes is written with plain files. Such a
// directory keeps Git's tree id as its hash, which the same files built in
// memory do not give: compare snapshots with store.Diff, not Equal, to ask
// whether their files differ.
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
//     that succeeded before the call. Concurrent reads of one Repo share
//     listings, but only one that starts after they ask: one listing runs
//     at a time, and whoever asks meanwhile joins the next, so a burst of
//     reads costs two listings, not one each (and waits behind the running
//     one). Options.MaxStaleness trades that for
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
// trips: a listing per environment read, and the push's two. A push that
// moves a ref from the same old value as a push of the same Repo in flight
// waits for it, and if that one landed fails with store.ErrConflict without
// a round trip: racing callers of one process do not race to the remote.
//
// Errors name the remote by its URL with the password masked
// (https://user:xxxxx@host/…), and over HTTP(S) a user name without a
// password too, where hosts take a token (https://xxxxx@host/…); an SSH
// user name such as git stays.
// Options.ListTimeout bounds the remote's silence only while a listing
// waits on it: a fetch whose pack keeps arriving may take any time, and
// waiting for the cache's lock does not count.
//
// # Maintenance
//
// Repo.Maintain writes everything worth keeping into one pack and deletes
// the packs and loose objects it replaces. It walks every ref, reflog entry
// and index entry, each commit's history newest first, so that a path's
// newest version is stored whole and older ones as deltas of newer ones
// (chains at most 50 deep, as git's). It drops an unreachable object only
// once its file is older than Maintenance.PruneGrace (one hour by default;
// git's gc.pruneExpire is two weeks) and nothing recent reaches it, and
// keeps whatever a recent object reaches, as git prune does, so no object
// kept has a broken link. Packs with a .keep file are left alone (a .keep of
// envpromote's older than an hour was left by a crash and is removed).
//
// Commits start maintenance in the background once the repository holds
// Maintenance.AutoPacks packs (50) or about AutoLoose loose objects (6,700),
// git's gc.auto defaults. These runs are incremental, as git repack
// --geometric=2: while the largest pack outweighs all the others twice over,
// they fold only the others into one pack, keeping all their objects;
// otherwise they run a full Maintain. So the cost of maintenance follows
// what was written since, and the repository stays within a small factor
// of git gc --aggressive (see BENCHMARKS.md).
//
// Why it is safe while others read and write the repository:
//
//   - Readers: a new pack is complete before its index appears; old packs
//     are deleted index last, and a reader that loses one finds the objects
//     in the new pack on its rescan.
//   - Commits in flight: their pack carries a .keep until the branch moved.
//     Objects a commit reuses rather than writes are, but for a rare case,
//     reachable from its parent, which is the branch head when the commit
//     succeeds, so Maintain, which reads the refs after listing the files
//     it may delete, keeps them. The rare case is content equal to an
//     unreachable object past its grace period, deleted between the
//     commit's check and its branch update: the window git gc has too. A
//     lone loose object is protected by the grace period; within one
//     process Maintain lists files and reads refs with no commit in flight.
//     A file changed since it was listed is not deleted.
//   - Other maintainers: one Maintain runs at a time per repository, under
//     the lock file envpromote-maintain.lock in the Git directory. Running
//     git gc at the same moment is as safe as two git gc's: don't.
//   - The git CLI: what git derives from objects and packs and that may
//     name dropped ones is deleted (the commit-graph after a run that
//     dropped objects, the multi-pack-index after one that deleted packs;
//     git rebuilds them) or rewritten (objects/info/packs, if present).
//
// Commits are serialised within a Repo, and reads of an in-memory
// repository or a remote's cache take the Repo's lock, since go-git's
// storages are not safe for concurrent use.
package gitstore
