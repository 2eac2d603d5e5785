package gitstore

import (
	"bufio"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Defaults of Maintenance's zero value.
const (
	// DefaultPruneGrace keeps unreachable objects this long: far longer
	// than any commit takes between writing its objects and moving its
	// branch, which is what the grace protects.
	DefaultPruneGrace = time.Hour
	// DefaultAutoPacks is the number of packs at which a commit starts
	// maintenance in the background (git's gc.autoPackLimit).
	DefaultAutoPacks = 50
	// DefaultAutoLoose is the estimated number of loose objects at which a
	// commit starts maintenance in the background (git's gc.auto).
	DefaultAutoLoose = 6700
)

// maxDeltaDepth bounds delta chains in the packs Maintain writes, as
// git's pack.depth does, so reading an old version inflates at most this
// many deltas.
const maxDeltaDepth = 50

// Maintenance configures Maintain and the automatic policy. The zero value
// is git's policy with a one-hour grace.
type Maintenance struct {
	// PruneGrace is how long an unreachable object is kept after it was
	// written: 0 means DefaultPruneGrace.
	PruneGrace time.Duration
	// AutoPacks and AutoLoose start Maintain in the background after a
	// commit once the repository holds that many packs or about that many
	// loose objects: 0 means the default, a negative value never.
	AutoPacks, AutoLoose int
	// OnError receives the errors of automatic runs, which leave every
	// object in place; nil drops them (the next commit past the limits
	// tries again).
	OnError func(error)
}

// maintenance is a Repo's maintenance state.
type maintenance struct {
	opts Maintenance
	// writers is held shared by every commit from its first object write
	// to its branch update, and exclusively by Maintain while it lists the
	// files it may delete and reads the branches whose objects it keeps:
	// so no commit of this process is ever half-seen.
	writers sync.RWMutex
	running sync.Mutex // one Maintain per Repo at a time
	// again is set by a commit that asks for automatic maintenance; a run
	// that was busy then starts another once it ends.
	again atomic.Bool
	// closed stops automatic maintenance (see Close).
	closed atomic.Bool
}

var _ io.Closer = (*Repo)(nil)

// Close waits for a background maintenance run to end and starts no more,
// so that nothing writes to the repository once it returns (a test's
// temporary directory can then be removed). The Repo stays usable: reads,
// commits and Maintain work as before. Close is safe to call more than once.
func (r *Repo) Close() error {
	r.maint.closed.Store(true)
	r.maint.running.Lock()
	defer r.maint.running.Unlock()
	return nil
}

// Maintain consolidates the repository's packs and loose objects into one
// pack, with deltas between the versions of each file, and drops the
// objects that no branch, tag, reflog or index reaches and that are older
// than Maintenance.PruneGrace. It is safe while this and other processes,
// and the git CLI, read and write the repository; see the package
// documentation. An in-memory repository has nothing to maintain.
func (r *Repo) Maintain(ctx context.Context) error {
	r.maint.running.Lock()
	defer r.maint.running.Unlock()
	if err := r.maintain(ctx, false); err != nil {
		return fmt.Errorf("gitstore: maintain: %w", err)
	}
	return nil
}

// autoMaintain starts Maintain in the background when the repository has
// accumulated enough packs or loose objects, unless one is running.
func (r *Repo) autoMaintain() {
	if r.db() == nil || r.maint.closed.Load() {
		return
	}
	// Ask first, then try: a run that is busy now looks at the request
	// once it has let go (see below), so no commit past the limits is
	// left without a run after it.
	r.maint.again.Store(true)
	if !r.maint.running.TryLock() {
		return
	}
	r.maint.again.Store(false)
	if !r.overLimits() {
		r.maint.running.Unlock()
		return
	}
	go func() {
		failed := false
		defer func() {
			r.maint.running.Unlock()
			if !failed && r.maint.again.Load() {
				r.autoMaintain()
			}
		}()
		// Until under the limits again, as commits may go on meanwhile,
		// but a bounded number of passes, so that writers faster than
		// maintenance cannot keep one run going. A failure leaves every
		// object in place; the next commit past the limits tries again.
		for pass := 0; pass < maxAutoPasses && r.overLimits(); pass++ {
			if err := r.maintain(context.Background(), true); err != nil {
				failed = true
				if r.maint.opts.OnError != nil {
					r.maint.opts.OnError(fmt.Errorf("gitstore: automatic maintenance: %w", err))
				}
				return
			}
		}
	}()
}

// maxAutoPasses bounds the passes of one automatic maintenance run.
const maxAutoPasses = 4

func (r *Repo) overLimits() bool {
	db, o := r.db(), r.maint.opts
	return len(*db.packs.Load()) >= limit(o.AutoPacks, DefaultAutoPacks) || db.looseEstimate() >= limit(o.AutoLoose, DefaultAutoLoose)
}

func limit(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return int(^uint(0) >> 1)
	}
	return v
}

// looseEstimate estimates the loose objects from one of the 256 fan-out
// directories, as git gc --auto does.
func (db *objectDB) looseEstimate() int {
	es, _ := os.ReadDir(filepath.Join(db.dir, "17"))
	return len(es) * 256
}

// listed is a pack or loose object file Maintain found, with its time.
type listed struct {
	path  string
	mtime time.Time
	pack  *pack         // nil for a loose object
	loose plumbing.Hash // the loose object's id
}

func (f listed) hashes() []plumbing.Hash {
	if f.pack != nil {
		return f.pack.hashes()
	}
	return []plumbing.Hash{f.loose}
}

// geometricBase returns the largest pack if it outweighs the other files
// twice over, else nil: an incremental run then leaves it alone, so that
// it costs what accumulated since the last run, and a full run comes once
// that has grown to half the repository (geometric repacking, as git's
// --geometric=2), which bounds the amortised cost per byte written.
func geometricBase(files []listed) *pack {
	var base *pack
	for _, f := range files {
		if f.pack != nil && (base == nil || f.pack.size > base.size) {
			base = f.pack
		}
	}
	var rest int64
	for _, f := range files {
		if f.pack != base {
			rest += 200 // a loose object, roughly
			if f.pack != nil {
				rest += f.pack.size
			}
		}
	}
	if base == nil || base.size < 2*rest {
		return nil
	}
	return base
}

// maintain does Maintain's work, or with incremental, the automatic
// policy's: see geometricBase.
func (r *Repo) maintain(ctx context.Context, incremental bool) (err error) {
	db := r.db()
	if db == nil {
		return nil
	}
	unlock, err := maintainLock(filepath.Dir(db.dir))
	if err != nil {
		return err
	}
	defer unlock()

	// List the candidates and read the roots with no commit of this
	// process in flight; later commits write new files, never listed.
	r.maint.writers.Lock()
	db.rescan()
	files, err := db.list()
	var roots []plumbing.Hash
	if err == nil {
		roots, err = r.roots()
	}
	r.maint.writers.Unlock()
	if err != nil {
		return err
	}

	var base *pack
	if incremental {
		base = geometricBase(files)
	}
	m := &repacker{db: db, base: base, seen: map[plumbing.Hash]bool{}}
	for _, h := range roots {
		if err := m.walk(ctx, h); err != nil {
			return fmt.Errorf("reachable %w", err)
		}
	}
	var stale []listed
	for _, f := range files {
		if base == nil || f.pack != base {
			stale = append(stale, f)
		}
	}
	// Beyond what the roots reach, an incremental run keeps every object
	// of the files it replaces; a full one those still in their grace
	// period, with what they reach (as git prune keeps what recent objects
	// reach), so that no object kept has a broken link.
	grace := r.maint.opts.PruneGrace
	if grace <= 0 {
		grace = DefaultPruneGrace
	}
	young := time.Now().Add(-grace)
	for _, f := range stale {
		for _, h := range f.hashes() {
			switch {
			case base != nil:
				m.visit(h, "")
			case f.mtime.Before(young):
			default:
				if err := m.walk(ctx, h); err != nil && ctx.Err() != nil {
					return err
				} // else a link already broken, which keeping cannot mend
			}
		}
	}
	if len(stale) == 0 || len(stale) == 1 && stale[0].pack != nil && len(m.items) == len(stale[0].pack.offs) {
		return nil // already one pack
	}
	var name string // the new pack's
	if len(m.items) > 0 {
		if name, err = m.write(ctx); err != nil {
			return err
		}
		if err := db.addPack(name); err != nil {
			return err
		}
	}

	pruned, deletedPack := false, false
	for _, f := range stale {
		// A file touched since it was listed (git freshens what it
		// writes again) may hold an object a writer now relies on.
		// The new pack may be byte for byte an old one, renamed over it.
		if fi, err := os.Stat(f.path); err != nil || !fi.ModTime().Equal(f.mtime) || f.pack != nil && f.pack.name == name {
			continue
		}
		if f.pack != nil {
			for _, h := range f.pack.hashes() {
				pruned = pruned || !m.seen[h]
			}
			removePack(f.pack.name)
			deletedPack = true
		} else {
			pruned = pruned || !m.seen[f.loose]
			os.Remove(f.path)
		}
	}
	db.rescan()
	db.dropStaleCaches(pruned, deletedPack)
	return nil
}

// dropStaleCaches deletes what git derives from the objects and packs and
// that may name some dropped: the commit-graph after objects were dropped,
// the multi-pack-index after packs were deleted (git rebuilds both), and
// rewrites the dumb-HTTP pack list if there is one.
func (db *objectDB) dropStaleCaches(pruned, deletedPack bool) {
	info := filepath.Join(db.dir, "info")
	if pruned {
		os.Remove(filepath.Join(info, "commit-graph"))
		os.RemoveAll(filepath.Join(info, "commit-graphs"))
	}
	if !deletedPack {
		return
	}
	midx, _ := filepath.Glob(filepath.Join(db.packDir(), "multi-pack-index*"))
	for _, f := range midx {
		os.Remove(f)
	}
	if _, err := os.Stat(filepath.Join(info, "packs")); err == nil {
		var b strings.Builder
		for _, p := range *db.packs.Load() {
			fmt.Fprintf(&b, "P %s.pack\n", filepath.Base(p.name))
		}
		b.WriteString("\n")
		os.WriteFile(filepath.Join(info, "packs"), []byte(b.String()), 0o666)
	}
}

// maintainLock excludes other maintainers of the repository, in any
// process, through a lock file; one older than an hour was left by a crash.
func maintainLock(gitDir string) (func(), error) {
	name := filepath.Join(gitDir, "envpromote-maintain.lock")
	for range 2 {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			f.Close()
			return func() { os.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.Remove(name)
			continue
		}
		break
	}
	return nil, fmt.Errorf("another maintenance holds %s (remove it if none is running)", name)
}

// removePack deletes a pack, its index last so that no reader finds an
// index without its pack, and the files git keeps beside it.
func removePack(name string) {
	for _, ext := range []string{".pack", ".rev", ".bitmap", ".mtimes", ".idx"} {
		os.Remove(name + ext)
	}
}

// list returns the packs (but those with a .keep file) and loose objects.
// A commit's .keep older than an hour was left by a crash and is removed.
func (db *objectDB) list() ([]listed, error) {
	var out []listed
	for _, p := range *db.packs.Load() {
		if fi, err := os.Stat(p.name + ".keep"); err == nil {
			b, _ := os.ReadFile(p.name + ".keep")
			if !strings.HasPrefix(string(b), keepMark) || time.Since(fi.ModTime()) < time.Hour || os.Remove(p.name+".keep") != nil {
				continue
			}
		}
		fi, err := os.Stat(p.name + ".pack")
		if err != nil {
			continue // deleted by someone else
		}
		out = append(out, listed{path: p.name + ".pack", mtime: fi.ModTime(), pack: p})
	}
	dirs, err := os.ReadDir(db.dir)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if len(d.Name()) != 2 || !d.IsDir() {
			continue
		}
		es, _ := os.ReadDir(filepath.Join(db.dir, d.Name()))
		for _, e := range es {
			id := d.Name() + e.Name()
			if !plumbing.IsHash(id) {
				continue // a temporary file
			}
			fi, err := e.Info()
			if err != nil {
				continue
			}
			out = append(out, listed{path: filepath.Join(db.dir, d.Name(), e.Name()), mtime: fi.ModTime(), loose: plumbing.NewHash(id)})
		}
	}
	return out, nil
}

// roots returns what Maintain must keep with everything it reaches: every
// ref, the reflogs, the index of a non-bare repository.
func (r *Repo) roots() ([]plumbing.Hash, error) {
	set := map[plumbing.Hash]bool{}
	gitDir := filepath.Dir(r.db().dir)
	// Refs are read here rather than by go-git, which takes the lock
	// files of writers in flight for refs.
	add := func(line string) {
		if id, _, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "^")), " "); plumbing.IsHash(id) {
			set[plumbing.NewHash(id)] = true
		}
	}
	err := filepath.WalkDir(filepath.Join(gitDir, "refs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".lock") {
			return err
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted, or moved to packed-refs
		}
		add(string(b))
		return err
	})
	if err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(gitDir, "packed-refs")); err == nil {
		for line := range strings.Lines(string(b)) {
			add(line)
		}
	}
	if b, err := os.ReadFile(filepath.Join(gitDir, "HEAD")); err == nil {
		add(string(b)) // a detached HEAD
	}
	filepath.WalkDir(filepath.Join(gitDir, "logs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return nil
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			for _, id := range strings.Fields(sc.Text())[:min(2, len(strings.Fields(sc.Text())))] {
				if h := plumbing.NewHash(id); plumbing.IsHash(id) && !h.IsZero() {
					set[h] = true
				}
			}
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(gitDir, "index")); err == nil {
		idx, err := r.st.Index()
		if err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		for _, e := range idx.Entries {
			set[e.Hash] = true
		}
	}
	out := slices.Collect(func(yield func(plumbing.Hash) bool) {
		for h := range set {
			if !yield(h) {
				return
			}
		}
	})
	slices.SortFunc(out, func(a, b plumbing.Hash) int { return strings.Compare(a.String(), b.String()) })
	return out, nil
}

// repacker walks what Maintain keeps and writes it as one pack.
type repacker struct {
	db    *objectDB
	base  *pack // objects in it are neither walked nor written
	seen  map[plumbing.Hash]bool
	items []item
}

// item is an object to write; key pairs it with the other versions of the
// same path, its delta candidates.
type item struct {
	hash plumbing.Hash
	key  string
}

// visit marks h seen and queues it for the new pack. It reports whether
// h is to be walked: it is new and not in the base pack, whose objects an
// incremental run neither walks nor writes.
func (m *repacker) visit(h plumbing.Hash, key string) bool {
	if m.seen[h] {
		return false
	}
	m.seen[h] = true
	if m.inBase(h) {
		return false
	}
	m.items = append(m.items, item{h, key})
	return true
}

func (m *repacker) inBase(h plumbing.Hash) bool {
	if m.base == nil {
		return false
	}
	_, ok := m.base.offset(h)
	return ok
}

// walk visits h and everything it reaches: a commit's history newest first,
// then the trees of each commit, so that every path's newest version comes
// first: it is stored whole and older ones as deltas of newer ones, as git
// does.
func (m *repacker) walk(ctx context.Context, h plumbing.Hash) error {
	stack := []plumbing.Hash{h}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if m.seen[h] {
			continue
		}
		if m.inBase(h) {
			m.seen[h] = true
			continue
		}
		t, data, err := m.db.read(h)
		if err != nil {
			return fmt.Errorf("object %s: %w", h, err)
		}
		o := &rawObject{hash: h, typ: t, data: data}
		switch t {
		case plumbing.CommitObject:
			m.visit(h, "")
			c := &object.Commit{}
			if err := c.Decode(o); err != nil {
				return err
			}
			if err := m.walkTree(c.TreeHash, "/"); err != nil {
				return err
			}
			for i := len(c.ParentHashes) - 1; i >= 0; i-- {
				stack = append(stack, c.ParentHashes[i])
			}
		case plumbing.TagObject:
			m.visit(h, "")
			tag := &object.Tag{}
			if err := tag.Decode(o); err != nil {
				return err
			}
			stack = append(stack, tag.Target)
		case plumbing.TreeObject:
			if err := m.walkTree(h, "/"); err != nil {
				return err
			}
		default:
			m.visit(h, "")
		}
	}
	return nil
}

func (m *repacker) walkTree(h plumbing.Hash, path string) error {
	if !m.visit(h, "t"+path) {
		return nil
	}
	_, data, err := m.db.read(h)
	if err != nil {
		return fmt.Errorf("tree %s: %w", h, err)
	}
	t := &object.Tree{}
	if err := t.Decode(&rawObject{hash: h, typ: plumbing.TreeObject, data: data}); err != nil {
		return err
	}
	for _, e := range t.Entries {
		switch {
		case e.Mode == filemode.Dir:
			if err := m.walkTree(e.Hash, path+e.Name+"/"); err != nil {
				return err
			}
		case e.Mode == filemode.Submodule:
			// another repository's commit
		default:
			m.visit(e.Hash, "b"+path+e.Name)
		}
	}
	return nil
}

// write writes the items as one pack and returns its name.
func (m *repacker) write(ctx context.Context) (string, error) {
	pw, err := newPackWriter(m.db.packDir(), len(m.items), zlib.DefaultCompression)
	if err != nil {
		return "", err
	}
	type version struct {
		hash  plumbing.Hash
		off   int64
		depth int
	}
	last := map[string]version{}
	for _, it := range m.items {
		if err := ctx.Err(); err != nil {
			pw.abort()
			return "", err
		}
		t, data, err := m.db.read(it.hash)
		if err != nil {
			pw.abort()
			return "", fmt.Errorf("object %s: %w", it.hash, err)
		}
		v := version{hash: it.hash, off: pw.off}
		var delta []byte
		prev, ok := last[it.key]
		if ok && it.key != "" && prev.depth < maxDeltaDepth && len(data) > 0 {
			if _, base, err := m.db.read(prev.hash); err == nil && len(base) > 0 {
				if d := packfile.DiffDelta(base, data); len(d) < len(data)/2 {
					delta, v.depth = d, prev.depth+1
				}
			}
		}
		if err := pw.add(it.hash, t, data, prev.off, delta); err != nil {
			pw.abort()
			return "", err
		}
		if it.key != "" {
			last[it.key] = v
		}
	}
	return pw.finish(false)
}
