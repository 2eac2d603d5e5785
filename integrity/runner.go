package integrity

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sync"

	"github.com/envpromote/envpromote/store"
	"github.com/hashicorp/go-multierror"
	"golang.org/x/sync/errgroup"
)

// Runner runs checks and keeps what it scanned, keyed by content hash, so
// a later run rescans only files whose content it has not seen and does
// not even walk a directory whose tree hash it knows. The zero value is
// ready to use; a Runner is safe for concurrent use (scans of different
// snapshots take turns).
//
// The cache holds the scans of the snapshots checked; when it grows past
// twice what the most recent snapshot needs, it is cut back to that
// snapshot's, so memory follows the tenant size. (When the ESV references
// it has numbered outgrow the latest snapshot's that much, it is emptied
// and the next run scans afresh.)
type Runner struct {
	mu     sync.Mutex
	files  map[fileKey]*file
	dirs   map[store.Hash]*node
	usages []usage          // usage numbers, in the order first seen
	ids    map[usage]uint32 // the inverse of usages
	gen    int              // bumped when usage numbers are dropped
	esvs   esvsSeen         // the ESVs map validated last

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

// node is the scan of a directory.
type node struct {
	sum     summary
	entries []child
	hash    store.Hash
	nodes   int // files and directories at or below this one, counting shared ones again
}

// child is a directory entry: a subdirectory (dir set) or a file.
type child struct {
	name string
	dir  *node
	file *file // nil for a directory
	key  fileKey
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
	run.idx = &lazyIndex{r: r, snap: in.Static}

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
	root   *node
	usages []usage // what the usage numbers in root's summaries stand for
	gen    int     // the Runner's numbering of usages
}

// lazyIndex scans a run's snapshot once, when the first check asks.
type lazyIndex struct {
	r    *Runner
	snap *store.Snapshot
	once sync.Once
	x    *index
	err  error
}

// tree returns the scan of in.Static: the run's shared one, or, for a check
// called outside a Runner, a fresh one.
func (in *Input) tree(ctx context.Context) (*index, error) {
	if in.idx == nil {
		return new(Runner).index(ctx, in.Static)
	}
	l := in.idx
	l.once.Do(func() { l.x, l.err = l.r.index(ctx, l.snap) })
	return l.x, l.err
}

// index returns the scan of snap, reusing every file and directory already
// scanned. Unknown directories are planned first (a walk that stops at
// known tree hashes), their unknown files are then scanned in parallel, and
// the new directories are summarised bottom-up and cached only when all
// of that succeeded.
func (r *Runner) index(ctx context.Context, snap *store.Snapshot) (*index, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dirs == nil {
		r.files, r.dirs, r.usages, r.ids = map[fileKey]*file{}, map[store.Hash]*node{}, nil, map[usage]uint32{}
	}
	p := planner{r: r, newFiles: map[fileKey]*file{}, newDirs: map[store.Hash]*node{}}
	root := p.dir(snap)
	if err := p.scan(ctx); err != nil {
		return nil, err
	}
	for _, j := range p.todo {
		p.newFiles[j.key] = j.f
	}
	for _, d := range p.pending {
		for i := range d.entries {
			if c := &d.entries[i]; c.dir == nil && c.file == nil {
				c.file = p.newFiles[c.key]
			}
		}
		d.summarise()
	}
	r.scans += len(p.todo)
	r.walks += len(p.pending)
	for k, f := range p.newFiles {
		r.files[k] = f
	}
	for h, n := range p.newDirs {
		r.dirs[h] = n
	}
	x := &index{root: root, usages: r.usages, gen: r.gen}
	switch {
	case len(r.usages) > 2*len(root.sum.usages)+pruneSlack:
		r.files, r.dirs, r.usages, r.ids = nil, nil, nil, nil // the scans' usage numbers go with the table
		r.gen++
	case len(r.files)+len(r.dirs) > 2*root.nodes+pruneSlack:
		r.files, r.dirs = map[fileKey]*file{}, map[store.Hash]*node{}
		r.keep(root)
	}
	return x, nil
}

// pruneSlack keeps tiny snapshots from pruning on every run.
const pruneSlack = 1024

// keep caches n and everything below it.
func (r *Runner) keep(n *node) {
	if _, ok := r.dirs[n.hash]; ok {
		return
	}
	r.dirs[n.hash] = n
	for _, c := range n.entries {
		if c.dir != nil {
			r.keep(c.dir)
		} else {
			r.files[c.key] = c.file
		}
	}
}

// planner collects what a snapshot needs that the cache lacks.
type planner struct {
	r        *Runner
	newFiles map[fileKey]*file // nil until scanned
	newDirs  map[store.Hash]*node
	todo     []job   // files to scan
	pending  []*node // new directories, children before parents
	numbers  sync.Mutex
}

// job is a file to scan; its content is read when scanned (a lazy
// snapshot's files are not in memory until then).
type job struct {
	key fileKey
	e   store.Entry
	f   *file // the result
}

func (p *planner) dir(s *store.Snapshot) *node {
	h := s.Hash()
	if n := p.r.dirs[h]; n != nil {
		return n
	}
	if n := p.newDirs[h]; n != nil {
		return n
	}
	es := s.Entries()
	n := &node{hash: h, entries: make([]child, len(es))}
	for i, e := range es {
		c := child{name: e.Name}
		if e.Dir != nil {
			c.dir = p.dir(e.Dir)
		} else {
			c.key, c.file = p.file(e)
		}
		n.entries[i] = c
	}
	p.newDirs[h] = n
	p.pending = append(p.pending, n)
	return n
}

// file returns e's key and its scan, nil if it is yet to be scanned.
func (p *planner) file(e store.Entry) (fileKey, *file) {
	k := fileKey{e.Hash, isJSON(e.Name)}
	if f := p.r.files[k]; f != nil {
		return k, f
	}
	if _, ok := p.newFiles[k]; !ok {
		p.newFiles[k] = nil
		p.todo = append(p.todo, job{key: k, e: e})
	}
	return k, nil
}

// number returns u's usage number, numbering it if it is new. It is called
// from the scanning goroutines, while index holds r.mu.
func (p *planner) number(u usage) uint32 {
	p.numbers.Lock()
	defer p.numbers.Unlock()
	r := p.r
	id, ok := r.ids[u]
	if !ok {
		id = uint32(len(r.usages))
		r.usages = append(r.usages, u)
		r.ids[u] = id
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
		for i := range f.refs {
			r := &f.refs[i]
			out.refs[i] = ref{usage: p.number(usageOf(r)), line: uint32(r.Line), column: uint32(r.Column), jsonPath: r.JSONPath}
		}
	}
	return out
}

// lazyFileSize is what a file whose size is unknown until it is read
// counts for towards scanBatch.
const lazyFileSize = 4 << 10

// scanBatch is how many bytes one goroutine scans before the next one
// takes over: large enough to amortise scheduling, small enough to
// balance the load.
const scanBatch = 1 << 20

// scan scans the planned files, GOMAXPROCS at a time.
func (p *planner) scan(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for start := 0; start < len(p.todo); {
		end, size := start, 0
		for end < len(p.todo) && (end == start || size < scanBatch) {
			if e := p.todo[end].e; e.Source != nil && e.Data == nil {
				size += lazyFileSize
			} else {
				size += len(e.Data)
			}
			end++
		}
		batch := p.todo[start:end]
		start = end
		g.Go(func() error {
			for i := range batch {
				if err := ctx.Err(); err != nil {
					return err
				}
				j := &batch[i]
				data, err := j.e.ReadData()
				if err != nil {
					return err
				}
				j.f = p.compact(scan(j.e.Name, data))
			}
			return nil
		})
	}
	return g.Wait()
}
