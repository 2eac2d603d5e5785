package gitstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/envpromote/envpromote/store"
)

var (
	_ store.Transactor = (*Repo)(nil)
	_ store.Namer      = (*Repo)(nil)
	_ store.Driver     = driver{}
)

// cacheCommits sizes the commit cache: off when the object cache is, else
// room for the recent history of many branches (a commit is a few hundred
// bytes).
func cacheCommits(cacheBytes int64) int64 {
	if cacheBytes < 0 {
		return -1
	}
	return 4096
}

// Options configures a Repo. The zero value is ready to use: a local
// repository stamping commits with time.Now.
type Options struct {
	// Clock stamps commits whose CommitInfo.Time is zero; nil means time.Now.
	Clock func() time.Time
	// Remote is the URL of a Git repository shared by several machines
	// (git://, https://, ssh://, or a path served by a Git server). When set,
	// the local repository is a cache of its objects and the remote is the
	// authority for branch heads: Commit pushes, Head and Log read the
	// remote's head first. See the package documentation.
	Remote string
	// Auth authenticates to Remote; nil means none.
	Auth transport.AuthMethod
	// MaxStaleness lets Head and Log answer from a listing of the remote's
	// heads at most this old instead of asking the remote on every read: 0
	// (the default) asks every time, so reads see every commit that
	// succeeded before them. A Repo always sees its own commits at once, and
	// a Commit that loses a race drops the listing, so a retry after
	// store.ErrConflict reads the winner.
	MaxStaleness time.Duration
	// CacheBytes bounds the memory of the loaded trees and file contents
	// a Repo keeps for reuse, by object id (see "Reading" in the package
	// documentation): 0 means DefaultCacheBytes, a negative value disables
	// the cache. Contents get a thirty-second of it, trees the rest: a
	// snapshot's directories are read through it each time a method looks
	// inside them, contents are read once per promotion.
	CacheBytes int64
	// Maintenance configures Maintain and when commits start it.
	Maintenance Maintenance
	// ListTimeout bounds the silence of the remote during a listing of its
	// refs, which concurrent reads share (with the fetch of the heads they
	// need): when the remote sends nothing for this long, the listing
	// fails every read waiting on it with an error wrapping
	// ErrListTimeout, instead of holding them, and the reads queued behind
	// it, until each caller gives up. 0 means DefaultListTimeout; a
	// negative value sets no bound.
	ListTimeout time.Duration
	// StaleRefLock is the age from which a ref lock file that no process
	// holds counts as left by a crash and is taken over (see
	// RefLockError); 0 means DefaultStaleRefLock.
	StaleRefLock time.Duration
}

// Repo is a store.Repo kept in a Git repository through go-git: the
// store.Checked over this package's driver, which checks every call before
// the driver sees it, plus what only Git has (Maintain, Close). It is safe
// for concurrent use; commits of one Repo are serialised, and so are reads
// where go-git's storages are not safe for concurrent use. Several Repos
// (in one or many processes) may share an on-disk repository: branch
// updates are compare-and-set under Git's own ref lock files.
type Repo struct {
	*store.Checked // Head, Snapshot, Log, Commit, Apply and aliases

	remote *remote // nil for a local repository

	mu      sync.Mutex // serialises commits, and reads that need it: see readLock
	st      storage.Storer
	trees   *lru[*store.Snapshot]
	blobs   *lru[[]byte]
	commits *lru[store.Commit] // without Branch, which the reader supplies
	src     source             // reads this Repo's lazy snapshots

	maint maintenance
}

// Init creates a bare Git repository at path and returns it. The directory
// may exist but must not already hold a repository. Inspect it with the git
// CLI as any bare repository: git -C path log dev, git -C path show
// dev:realms/alpha/realm.json, or git clone path.
func Init(path string, opts Options) (*Repo, error) {
	if _, err := git.PlainInit(path, true); err != nil {
		return nil, fmt.Errorf("gitstore: init %s: %w", path, err)
	}
	return Open(path, opts)
}

// Open opens the Git repository at path: a bare repository or a working
// tree with a .git directory. A path holding no repository yields an error
// wrapping fs.ErrNotExist.
func Open(path string, opts Options) (*Repo, error) {
	dir := path
	if fi, err := os.Stat(filepath.Join(path, ".git")); err == nil && fi.IsDir() {
		dir = filepath.Join(path, ".git")
	}
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("gitstore: open %s: not a Git repository (no %s): %w", path, name, fs.ErrNotExist)
		}
	}
	// go-git's own object cache stays small: the Repo caches the trees and
	// contents it decodes (Options.CacheBytes) and commits.
	st := &diskStorage{
		Storage:    filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(cache.MiByte)),
		dir:        dir,
		db:         newObjectDB(dir),
		staleAfter: cmp.Or(opts.StaleRefLock, DefaultStaleRefLock),
	}
	return newRepo(st, opts), nil
}

// NewMemory returns a Repo whose objects and refs live in memory (go-git's
// memory storage, guarded by the Repo's mutex since it has no locking of its
// own). With Options.Remote it is an in-memory cache of a shared remote.
func NewMemory(opts Options) *Repo {
	return newRepo(memory.NewStorage(), opts)
}

func newRepo(st storage.Storer, opts Options) *Repo {
	r := &Repo{st: st, trees: newLRU[*store.Snapshot](treeBudget(opts.CacheBytes)), blobs: newLRU[[]byte](blobBudget(opts.CacheBytes)), commits: newLRU[store.Commit](cacheCommits(opts.CacheBytes))}
	r.Checked = store.NewChecked(driver{r}, store.CheckedOptions{Clock: opts.Clock})
	r.src = source{r}
	r.maint.opts = opts.Maintenance
	if opts.Remote != "" {
		r.remote = newRemote(opts.Remote, opts)
	}
	return r
}

// driver is a Repo as the store.Driver under its store.Checked, which has
// checked every argument (see store.Driver).
type driver struct{ r *Repo }

// Head returns branch's newest commit. With a remote, it reads the remote's
// head and fetches the commits it lacks.
func (d driver) Head(ctx context.Context, branch string) (store.Commit, error) {
	r := d.r
	h, err := r.headHash(ctx, branch)
	if err != nil {
		return store.Commit{}, err
	}
	defer r.readLock()()
	return r.readCommit(h, branch)
}

// readLock takes r.mu for reads that need it: go-git's memory storage is
// not safe for concurrent use, and a remote's fetch writes. A local
// repository on disk reads without it (objectDB and ref files are safe for
// concurrent use), so no read waits for another's I/O or for a commit.
// It is never held over a network call (see remote).
func (r *Repo) readLock() (unlock func()) {
	if r.remote == nil && r.db() != nil {
		return func() {}
	}
	r.mu.Lock()
	return r.mu.Unlock
}

// headHash returns the hash branch points to, or an error wrapping
// store.ErrNotFound. With a remote, the cache then holds its history. It
// takes readLock itself, so that a remote's network calls run without it.
func (r *Repo) headHash(ctx context.Context, branch string) (plumbing.Hash, error) {
	if r.remote != nil {
		return r.remoteHead(ctx, refName(branch))
	}
	unlock := r.readLock()
	ref, err := r.st.Reference(refName(branch))
	unlock()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, store.ErrNotFound
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return ref.Hash(), nil
}

// Snapshot returns the tree committed at rev. A rev that is no Git commit
// id names no commit.
func (d driver) Snapshot(ctx context.Context, rev store.Revision) (*store.Snapshot, error) {
	r := d.r
	if !plumbing.IsHash(string(rev)) {
		return nil, fmt.Errorf("not a commit id (want 40 hex digits): %w", store.ErrNotFound)
	}
	h := plumbing.NewHash(string(rev))
	if r.remote != nil && !r.hasLocked(h) {
		// Another machine's commit: fetch every branch, then look again.
		if _, err := r.sync(ctx); err != nil {
			return nil, err
		}
	}
	defer r.readLock()()
	c, err := r.commitObject(h)
	if err != nil {
		return nil, err
	}
	return r.readTree(c.TreeHash)
}

// writeTree adds to b the tree of s and everything below it that the
// object storage lacks. A subtree already stored is skipped whole: Git
// objects are immutable and stored only once their children are (a batch
// is stored all at once, or entries first), so its children exist too.
// This is what makes a commit cost what changed.
//
// Each tree it writes is cached as readTree would load it, so that loading
// the commit back reads nothing; s itself is not cached, as it may hold its
// files' contents. A cached tree is only ever looked up by the id of a
// stored tree, so it never names a content the repository lacks.
func (r *Repo) writeTree(ctx context.Context, b *batch, s *store.Snapshot) error {
	h := plumbing.Hash(s.Hash())
	if b.has(h) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	switch src := s.TreeSource(); {
	case src == store.TreeSource(r.src):
		// Reading it would take r.mu, which the caller holds.
		return fmt.Errorf("directory %s is no longer in the repository", h)
	case src != nil:
		if other, ok := src.(source); ok {
			return r.copyTree(ctx, b, other, h)
		}
	}
	es, err := s.Entries()
	if err != nil {
		return err
	}
	t := &object.Tree{Entries: make([]object.TreeEntry, len(es))}
	for i, e := range es {
		t.Entries[i] = object.TreeEntry{Name: e.Name, Mode: filemode.Regular, Hash: plumbing.Hash(e.Hash)}
		if e.Dir != nil {
			t.Entries[i].Mode = filemode.Dir
		}
	}
	obj := r.st.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return err
	}
	if obj.Hash() != h {
		return fmt.Errorf("tree %s encoded as %s: snapshot and Git disagree", h, obj.Hash())
	}
	// The tree goes before its entries: the order in which Snapshot
	// reads them, which the pack's read-ahead follows.
	if err := b.add(obj); err != nil {
		return err
	}
	lazy := make([]store.Entry, len(es))
	for i, e := range es {
		lazy[i] = store.Entry{Name: e.Name, Hash: e.Hash, Source: r.src}
		switch {
		case e.Dir != nil:
			if err := r.writeTree(ctx, b, e.Dir); err != nil {
				return err
			}
			lazy[i] = store.Entry{Name: e.Name, Dir: store.LazyTree(e.Hash, r.src)}
		case b.has(t.Entries[i].Hash):
		case e.Source == store.Source(r.src):
			// A lazy file of this repository that it no longer holds.
			return fmt.Errorf("file %s (%s) is no longer in the repository", e.Name, e.Hash)
		default:
			data, err := e.ReadData()
			if err != nil {
				return err
			}
			if err := b.add(&rawObject{hash: t.Entries[i].Hash, typ: plumbing.BlobObject, data: data}); err != nil {
				return err
			}
		}
	}
	if written, err := store.NewTree(lazy); err == nil && written.Hash() == s.Hash() {
		r.trees.add(h, written, treeCost(len(es)))
	}
	return nil
}

// copyTree adds to b tree h of another Repo and everything below it that
// the object storage lacks, object by object as that Repo stores them, so
// that h, which the parent names, stays the id of what is written even
// where it holds what a snapshot cannot (an executable bit).
func (r *Repo) copyTree(ctx context.Context, b *batch, from source, h plumbing.Hash) error {
	if b.has(h) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	body, err := from.rawTree(h)
	if err != nil {
		return err
	}
	es, err := parseTree(body, from)
	if err != nil {
		return fmt.Errorf("tree %s: %w", h, err)
	}
	if err := b.add(&rawObject{hash: h, typ: plumbing.TreeObject, data: body}); err != nil {
		return err
	}
	for _, e := range es {
		switch {
		case e.Dir != nil:
			err = r.copyTree(ctx, b, from, plumbing.Hash(e.Dir.Hash()))
		case !b.has(plumbing.Hash(e.Hash)):
			var data []byte
			if data, err = e.ReadData(); err == nil {
				err = b.add(&rawObject{hash: plumbing.Hash(e.Hash), typ: plumbing.BlobObject, data: data})
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *Repo) has(h plumbing.Hash) bool { return r.st.HasEncodedObject(h) == nil }

// Log lists branch's commits newest first, following first parents.
func (d driver) Log(ctx context.Context, branch string, opts store.LogOptions) ([]store.Commit, error) {
	r := d.r
	h, err := r.headHash(ctx, branch)
	if err != nil {
		return nil, err
	}
	defer r.readLock()()
	var out []store.Commit
	for !h.IsZero() && (opts.Limit == 0 || len(out) < opts.Limit) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := r.readCommit(h, branch)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		h = plumbing.NewHash(string(c.Parent))
	}
	return out, nil
}

func (r *Repo) commitObject(h plumbing.Hash) (*object.Commit, error) {
	c, err := object.GetCommit(r.st, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("no commit %s: %w", h, store.ErrNotFound)
	}
	return c, err
}

func (r *Repo) readCommit(h plumbing.Hash, branch string) (store.Commit, error) {
	out, ok := r.commits.get(h)
	if !ok {
		c, err := r.commitObject(h)
		if errors.Is(err, store.ErrNotFound) {
			// A branch reaches h, so its absence is damage, not "no history":
			// callers such as gitlock take ErrNotFound for a free branch.
			return store.Commit{}, fmt.Errorf("branch %s reaches commit %s, which the repository lacks", branch, h)
		}
		if err != nil {
			return store.Commit{}, err
		}
		out = store.Commit{Revision: revision(h), Tree: store.Hash(c.TreeHash), CommitInfo: decodeInfo(c)}
		if len(c.ParentHashes) > 0 {
			out.Parent = revision(c.ParentHashes[0])
		}
		r.commits.add(h, out, 1)
	}
	out.Branch = branch
	out.Metadata = maps.Clone(out.Metadata) // callers may change theirs
	return out, nil
}

func revision(h plumbing.Hash) store.Revision {
	if h.IsZero() {
		return ""
	}
	return store.Revision(h.String())
}
