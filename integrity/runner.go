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
	files  map[fileKey]*node
	dirs   map[store.Hash]*node
	usages []usage       // usage numbers, in the order first seen
	ids    map[usage]int // the inverse of usages
	gen    int           // bumped when usage numbers are dropped
	esvs   esvsSeen      // the ESVs map validated last

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

// node is the scan of a file (facts set) or directory (entries set).
type node struct {
	sum     summary
	facts   *facts
	entries []child
	hash    store.Hash
	json    bool // files: the key's json flag
	nodes   int  // nodes at or below this one, counting shared ones again
}

type child struct {
	name string
	n    *node
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
			v.bad.set(v.upto)
		}
	}
	return v.bad.and(x.root.sum.usages)
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
		r.files, r.dirs, r.usages, r.ids = map[fileKey]*node{}, map[store.Hash]*node{}, nil, map[usage]int{}
	}
	p := planner{r: r, newFiles: map[fileKey]*node{}, newDirs: map[store.Hash]*node{}}
	root := p.dir(snap)
	if err := p.scan(ctx); err != nil {
		return nil, err
	}
	for _, j := range p.todo {
		j.n.sum = r.summarise(j.n.facts)
	}
	for _, d := range p.pending {
		d.summarise()
	}
	r.scans += len(p.todo)
	r.walks += len(p.pending)
	for k, n := range p.newFiles {
		r.files[k] = n
	}
	for h, n := range p.newDirs {
		r.dirs[h] = n
	}
	x := &index{root: root, usages: r.usages, gen: r.gen}
	switch {
	case len(r.usages) > 2*root.sum.usages.count()+pruneSlack:
		r.files, r.dirs, r.usages, r.ids = nil, nil, nil, nil // the nodes' usage numbers go with the table
		r.gen++
	case len(r.files)+len(r.dirs) > 2*root.nodes+pruneSlack:
		r.files, r.dirs = map[fileKey]*node{}, map[store.Hash]*node{}
		r.keep(root)
	}
	return x, nil
}

// summarise returns a scanned file's summary, numbering its usages.
func (r *Runner) summarise(f *facts) summary {
	s := summary{crypto: len(f.crypto), malformed: len(f.malformed)}
	if f.syntax != nil {
		s.syntax = 1
	}
	for i := range f.refs {
		u := usageOf(&f.refs[i])
		id, ok := r.ids[u]
		if !ok {
			id = len(r.usages)
			r.usages = append(r.usages, u)
			r.ids[u] = id
		}
		s.usages.set(id)
	}
	return s
}

// pruneSlack keeps tiny snapshots from pruning on every run.
const pruneSlack = 1024

// keep caches n and everything below it.
func (r *Runner) keep(n *node) {
	if n.facts != nil {
		r.files[fileKey{n.hash, n.json}] = n
		return
	}
	if _, ok := r.dirs[n.hash]; ok {
		return
	}
	r.dirs[n.hash] = n
	for _, c := range n.entries {
		r.keep(c.n)
	}
}

// planner collects what a snapshot needs that the cache lacks.
type planner struct {
	r        *Runner
	newFiles map[fileKey]*node
	newDirs  map[store.Hash]*node
	todo     []job   // files to scan
	pending  []*node // new directories, children before parents
}

// job is a file to scan; its content is read when scanned (a lazy
// snapshot's files are not in memory until then).
type job struct {
	n *node
	e store.Entry
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
		var c *node
		if e.Dir != nil {
			c = p.dir(e.Dir)
		} else {
			c = p.file(e)
		}
		n.entries[i] = child{e.Name, c}
	}
	p.newDirs[h] = n
	p.pending = append(p.pending, n)
	return n
}

func (p *planner) file(e store.Entry) *node {
	k := fileKey{e.Hash, isJSON(e.Name)}
	if n := p.r.files[k]; n != nil {
		return n
	}
	if n := p.newFiles[k]; n != nil {
		return n
	}
	n := &node{hash: e.Hash, json: k.json, nodes: 1}
	p.newFiles[k] = n
	p.todo = append(p.todo, job{n, e})
	return n
}

// summarise sets a new directory's summary from its children's.
func (n *node) summarise() {
	n.nodes = 1
	for _, c := range n.entries {
		n.sum.add(&c.n.sum)
		n.nodes += c.n.nodes
	}
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
			for _, j := range batch {
				if err := ctx.Err(); err != nil {
					return err
				}
				data, err := j.e.ReadData()
				if err != nil {
					return err
				}
				j.n.facts = scan(j.e.Name, data)
			}
			return nil
		})
	}
	return g.Wait()
}
