package integrity

import (
	"context"
	"fmt"
	"maps"
	"math/bits"
	"reflect"
	"runtime"
	"slices"
	"sync"

	"github.com/envpromote/envpromote/store"
	"github.com/hashicorp/go-multierror"
	"golang.org/x/sync/errgroup"
)

// Runner runs checks and keeps what it scanned, so a later run does not
// even walk a directory whose tree hash it knows, and in a directory that
// changed since the last run rescans only the files whose content differs
// from that directory's then. The zero value is ready to use; a Runner is
// safe for concurrent use (scans of different snapshots take turns).
//
// The cache holds the scans of the snapshots checked; when it grows past
// twice what the most recent snapshot needs, it is cut back to that
// snapshot's, so memory follows the tenant size. (When the ESV usages or
// JSON paths it has numbered outgrow the latest snapshot's that much, it is
// emptied and the next run scans afresh.)
type Runner struct {
	mu           sync.Mutex
	dirs         map[store.Hash]*node
	last         *node             // the root of the last snapshot scanned
	usages       numbering[usage]  // ESV usages by number
	paths        numbering[string] // the JSON paths of references by number
	pathsCounted int               // len(paths.list) when tooManyPaths last counted
	gen          int               // bumped when usage and path numbers are dropped
	esvs         esvsSeen          // the ESVs map validated last

	judged sync.Map // check name → *verdicts, see Input.offending

	scans int // files scanned so far, for tests of the cache
	walks int // directories summarised so far, for tests of the cache
}

// fileKey names a file's scan: equal bytes scan alike unless one name ends
// in .json and the other does not.
type fileKey struct {
	hash store.Hash
	json bool
}

// node is the scan of a directory. Its subdirectories and files are each
// in their order among the directory's entries; files' names are the
// snapshot's to give (see node.each), so that a Runner does not keep every
// name of a tenant.
type node struct {
	sum   summary
	dirs  []dirChild
	files []fileChild
	hash  store.Hash
	nodes int // directories at or below this one, counting shared ones again
}

// dirChild is a subdirectory.
type dirChild struct {
	name string
	n    *node
}

// fileChild is a file of a directory.
type fileChild struct {
	key  fileKey
	file *file
}

// Run runs checks over in with a new Runner: nothing is cached across
// calls. See Runner.Run.
func Run(ctx context.Context, checks []Check, in *Input) (*Result, error) {
	return new(Runner).Run(ctx, checks, in)
}

// Run runs every check on in, in parallel (at most GOMAXPROCS at a time),
// and returns their findings sorted by location, with ignored ones apart.
//
// The error is nil when every check ran and nothing blocks. Otherwise it
// is an error per check that could not run and, if some finding blocks, an
// *Error carrying them all (errors.Is(err, ErrFailed)); two or more are
// aggregated in a *multierror.Error, which errors.Is and errors.As see
// through. A failing check does not hide the others' findings: the
// Result holds all that ran. Invalid input gives an error wrapping
// ErrInvalidInput and a nil Result.
func (r *Runner) Run(ctx context.Context, checks []Check, in *Input) (*Result, error) {
	if err := r.validate(in); err != nil {
		return nil, err
	}
	run := *in
	run.idx = &lazyIndex{r: r, snap: in.Static, read: in.Read}

	found := make([][]Finding, len(checks))
	errs := make([]error, len(checks))
	var g errgroup.Group // not WithContext: one check failing must not cancel the rest
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, c := range checks {
		g.Go(func() error {
			found[i], errs[i] = runCheck(ctx, c, &run)
			return nil
		})
	}
	_ = g.Wait() // every goroutine returns nil; errors are in errs

	res := &Result{}
	var merr *multierror.Error
	for i, fs := range found {
		if errs[i] != nil {
			merr = multierror.Append(merr, fmt.Errorf("integrity: check %s: %w", checks[i].Name(), errs[i]))
		}
		for _, f := range fs {
			if f.Severity == Ignored {
				res.Ignored = append(res.Ignored, f)
			} else {
				res.Findings = append(res.Findings, f)
			}
		}
	}
	slices.SortFunc(res.Findings, compareFindings)
	slices.SortFunc(res.Ignored, compareFindings)
	if err := res.Err(); err != nil {
		merr = multierror.Append(merr, err)
	}
	if merr != nil && len(merr.Errors) == 1 {
		return res, merr.Errors[0] // the error itself reads better than a list of one
	}
	return res, merr.ErrorOrNil()
}

// esvsSeen identifies an ESVs map: the same map (not a copy) of the same
// length. It holds the map, so that its address is not reused by another.
type esvsSeen struct {
	m map[string]ESV
	n int
}

func seenOf(m map[string]ESV) esvsSeen { return esvsSeen{m, len(m)} }

func (s esvsSeen) is(t esvsSeen) bool {
	return s.m != nil && s.n == t.n && reflect.ValueOf(s.m).Pointer() == reflect.ValueOf(t.m).Pointer()
}

// validate validates in, skipping the ESV names when in.ESVs is the map it
// validated last: a promoter handing the same map run after run need not
// pay for thousands of names each time (see Input.ESVs).
func (r *Runner) validate(in *Input) error {
	if in == nil {
		return in.validate(true)
	}
	seen := seenOf(in.ESVs)
	r.mu.Lock()
	known := seen.is(r.esvs)
	r.mu.Unlock()
	if err := in.validate(!known); err != nil {
		return err
	}
	r.mu.Lock()
	r.esvs = seen
	r.mu.Unlock()
	return nil
}

// verdicts remembers which usages a check found bad, for one ESVs map and
// one numbering of usages: usages 0 to upto-1 are judged, bad holds those
// found bad.
type verdicts struct {
	mu   sync.Mutex
	esvs esvsSeen
	gen  int
	upto int
	bad  bitset
}

// offending returns the usages of x's root that bad accepts, nil if none.
// In a Runner, a check judges each usage once per ESVs map (bad depends
// only on the usage and in.ESVs), so a run costs the new usages and a pass
// over the root's bitset, not a map lookup per usage of the whole tenant.
func (in *Input) offending(check string, x *index, bad func(usage) bool) bitset {
	v := &verdicts{}
	if in.idx != nil {
		a, _ := in.idx.r.judged.LoadOrStore(check, v)
		v = a.(*verdicts)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if seen := seenOf(in.ESVs); !seen.is(v.esvs) || v.gen != x.gen {
		v.esvs, v.gen, v.upto, v.bad = seen, x.gen, 0, nil
	}
	for ; v.upto < len(x.usages); v.upto++ {
		if bad(x.usages[v.upto]) {
			v.bad.set(uint32(v.upto))
		}
	}
	var out bitset
	for _, id := range x.root.sum.usages {
		if v.bad.has(id) {
			out.set(id)
		}
	}
	return out
}

// runCheck runs c, turning a panic into an error so that one broken check
// cannot take the promoter down with it.
func runCheck(ctx context.Context, c Check, in *Input) (fs []Finding, err error) {
	defer func() {
		if p := recover(); p != nil {
			fs, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return c.Run(ctx, in)
}

// index is a run's scan of its snapshot.
type index struct {
	snap   *store.Snapshot
	root   *node
	usages []usage  // what the usage numbers in root's summaries stand for
	paths  []string // what references' path numbers stand for
	gen    int      // the Runner's numbering of usages
}

// lazyIndex scans a run's snapshot once, when the first check asks.
type lazyIndex struct {
	r    *Runner
	snap *store.Snapshot
	read func(string, []byte)
	once sync.Once
	x    *index
	err  error
}

// tree returns the scan of in.Static: the run's shared one, or, for a check
// called outside a Runner, a fresh one.
func (in *Input) tree(ctx context.Context) (*index, error) {
	if in.idx == nil {
		return new(Runner).index(ctx, in.Static, in.Read)
	}
	l := in.idx
	l.once.Do(func() { l.x, l.err = l.r.index(ctx, l.snap, l.read) })
	return l.x, l.err
}

// index returns the scan of snap, reusing every file and directory already
// scanned. A walk that stops at known tree hashes plans the unknown
// directories and hands their unknown files, as it finds them, to
// GOMAXPROCS goroutines that read and scan them; the new directories are
// then summarised bottom-up and cached only when all of that succeeded.
// read, if not nil, is Input.Read.
func (r *Runner) index(ctx context.Context, snap *store.Snapshot, read func(string, []byte)) (*index, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dirs == nil {
		r.dirs = map[store.Hash]*node{}
	}
	p := planner{r: r, read: read, newDirs: map[store.Hash]*node{}}
	root, err := p.run(ctx, snap)
	if err != nil {
		return nil, err
	}
	for _, d := range p.pending {
		d.summarise()
	}
	r.scans += p.scans
	r.walks += len(p.pending)
	r.dirs = union(r.dirs, p.newDirs)
	r.last = root
	x := &index{snap: snap, root: root, usages: r.usages.list, paths: r.paths.list, gen: r.gen}
	if len(r.usages.list) > 2*len(root.sum.usages)+pruneSlack || r.tooManyPaths(root) {
		r.forget()
		return x, nil
	}
	if len(r.dirs) > 2*root.nodes+pruneSlack {
		r.dirs = map[store.Hash]*node{}
		r.keep(root)
	}
	return x, nil
}

// forget empties the cache: the scans' usage and path numbers go with the
// tables, which are renumbered from scratch rather than changed under an
// index still in use.
func (r *Runner) forget() {
	r.dirs, r.last, r.usages, r.paths, r.pathsCounted = nil, nil, numbering[usage]{}, numbering[string]{}, 0
	r.gen++
}

// tooManyPaths reports whether the numbered JSON paths outgrew twice those
// of root. Counting root's costs a walk of it, so it is done only once the
// table has doubled since the last count.
func (r *Runner) tooManyPaths(root *node) bool {
	if len(r.paths.list) <= 2*r.pathsCounted+pruneSlack {
		return false
	}
	var used bitset
	var walk func(*node)
	walk = func(n *node) {
		for _, d := range n.dirs {
			walk(d.n)
		}
		for _, c := range n.files {
			for _, ref := range c.file.refs {
				used.set(ref.path)
			}
		}
	}
	walk(root)
	n := 0
	for _, w := range used {
		n += bits.OnesCount64(w)
	}
	r.pathsCounted = len(r.paths.list)
	return len(r.paths.list) > 2*n+pruneSlack
}

// union returns a map holding both a's and b's entries: the larger of the
// two with the other's added, so that a first scan does not copy a map
// of every directory.
func union[K comparable, V any](a, b map[K]V) map[K]V {
	if len(a) < len(b) {
		a, b = b, a
	}
	maps.Copy(a, b)
	return a
}

// pruneSlack keeps tiny snapshots from pruning on every run.
const pruneSlack = 1024

// keep caches n and everything below it.
func (r *Runner) keep(n *node) {
	if _, ok := r.dirs[n.hash]; ok {
		return
	}
	r.dirs[n.hash] = n
	for _, d := range n.dirs {
		r.keep(d.n)
	}
}

// planner collects what a snapshot needs that the cache lacks, and scans
// the files it lacks while it walks, so that the walk (which may load
// trees) and the scans overlap and no list of every file to scan is held.
type planner struct {
	r       *Runner
	read    func(string, []byte) // Input.Read; paths are built only for it
	newDirs map[store.Hash]*node
	pending []*node // new directories, children before parents
	scans   int     // files handed to the scanners
	jobs    chan<- job
	ctx     context.Context // the scanners'; done when one fails
	mu      sync.Mutex      // guards the Runner's usage and path numbers
}

// job is a file to scan; its content is read when scanned (a lazy
// snapshot's files are not in memory until then).
type job struct {
	e    store.Entry
	path string     // set for planner.read
	into *fileChild // where the scan goes
}

// run plans snap and scans the files the cache lacks, and returns snap's
// directory.
func (p *planner) run(ctx context.Context, snap *store.Snapshot) (*node, error) {
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan job, 64)
	p.jobs, p.ctx = jobs, gctx
	for range runtime.GOMAXPROCS(0) {
		g.Go(func() error {
			for j := range jobs {
				if err := gctx.Err(); err != nil {
					return err
				}
				data, err := j.e.ReadData()
				if err != nil {
					return err
				}
				if p.read != nil {
					p.read(j.path, data)
				}
				j.into.file = p.compact(scan(j.e.Name, data))
			}
			return nil
		})
	}
	root, err := p.dir(snap, "", p.r.last)
	close(jobs)
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return root, ctx.Err() // the walk stops handing out files when ctx is done
}

// dir plans the directory s at path prefix (which ends in "/" unless it is
// the root; it is built only for p.read). old is the directory at the same
// path in the last snapshot scanned, if any: its files' scans are reused
// for files of the same content. It fails only if a lazy directory
// cannot be read.
func (p *planner) dir(s *store.Snapshot, prefix string, old *node) (*node, error) {
	h := s.Hash()
	if n := p.r.dirs[h]; n != nil {
		return n, nil
	}
	if n := p.newDirs[h]; n != nil {
		return n, nil
	}
	es, err := s.Entries()
	if err != nil {
		return nil, err
	}
	dirs := 0
	for _, e := range es {
		if e.Dir != nil {
			dirs++
		}
	}
	n := &node{hash: h, dirs: make([]dirChild, 0, dirs), files: make([]fileChild, len(es)-dirs)}
	was := old.index()
	files := 0
	for _, e := range es {
		var path string
		if p.read != nil {
			path = prefix + e.Name
		}
		if e.Dir != nil {
			var od *node
			if i, ok := was.dirs[e.Name]; ok {
				od = old.dirs[i].n
			}
			d, err := p.dir(e.Dir, path+"/", od)
			if err != nil {
				return nil, err
			}
			n.dirs = append(n.dirs, dirChild{e.Name, d})
			continue
		}
		c := &n.files[files]
		files++
		c.key = fileKey{e.Hash, isJSON(e.Name)}
		if f := was.files[c.key]; f != nil {
			c.file = f
			continue
		}
		select {
		case p.jobs <- job{e: e, path: path, into: c}:
			p.scans++
		case <-p.ctx.Done(): // a scanner failed: run returns its error
		}
	}
	p.newDirs[h] = n
	p.pending = append(p.pending, n)
	return n, nil
}

// known is what a directory of the last snapshot offers to its new
// version: its subdirectories by name and its files' scans by key.
type known struct {
	dirs  map[string]int
	files map[fileKey]*file
}

// index returns n's subdirectories and files for lookup; nil maps for a
// nil n. The maps are as large as the directory and live while it is
// planned.
func (n *node) index() known {
	if n == nil {
		return known{}
	}
	k := known{dirs: make(map[string]int, len(n.dirs)), files: make(map[fileKey]*file, len(n.files))}
	for i, d := range n.dirs {
		k.dirs[d.name] = i
	}
	for _, f := range n.files {
		k.files[f.key] = f.file
	}
	return k
}

// numbering gives values small numbers, in the order first seen: a
// reference keeps its usage and its JSON path as numbers, smaller than
// the values (Huge: 90,600 references of 1,127 paths).
type numbering[T comparable] struct {
	list []T          // the values by number
	ids  map[T]uint32 // the inverse of list
}

// number returns v's number, numbering it if it is new.
func (n *numbering[T]) number(v T) uint32 {
	id, ok := n.ids[v]
	if !ok {
		if n.ids == nil {
			n.ids = map[T]uint32{}
		}
		id = uint32(len(n.list))
		n.list = append(n.list, v)
		n.ids[v] = id
	}
	return id
}

// compact returns what a Runner keeps of f.
func (p *planner) compact(f *facts) *file {
	if len(f.refs)+len(f.malformed)+len(f.crypto) == 0 && f.syntax == nil {
		return clean
	}
	out := &file{}
	if len(f.malformed)+len(f.crypto) > 0 || f.syntax != nil {
		prob := f.problems
		out.prob = &prob
	}
	if len(f.refs) > 0 {
		out.refs = make([]ref, len(f.refs))
		p.mu.Lock()
		defer p.mu.Unlock()
		for i := range f.refs {
			r := &f.refs[i]
			out.refs[i] = ref{usage: p.r.usages.number(usageOf(r)), path: p.r.paths.number(r.JSONPath), line: uint32(r.Line), column: uint32(r.Column)}
		}
	}
	return out
}
