package promotion

import (
	"cmp"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/envpromote/envpromote/store"
)

// index is what a Promoter knows of one environment's history: the
// reports of its promotions, rollbacks and dry runs, newest first, by id,
// and (for the development environment) every commit's time. It is derived
// from the environment's branch and its reports branch, so it can never
// disagree with them: a commit and its entry exist together or not at
// all. It is caught up incrementally, reading only the commits made since
// it was last current (a small multiple of them, see since), so a lookup costs
// what it returns, not the length of the history. The first lookup of a
// Promoter starts from the repository's checkpoint of the index (see
// checkpoint.go) and reads the commits made since.
type index struct {
	env    string
	points bool // keep every commit's time, for RevertDevelopment

	// catchUp lets one caller at a time read new commits. It is held
	// across that I/O, never by readers of an index that is current.
	catchUp sync.Mutex
	loaded  bool // whether the checkpoint was read; guarded by catchUp
	unread  int  // commits read since the last checkpoint; guarded by catchUp

	mu      sync.RWMutex
	config  branchLog // the environment's branch
	dryRuns branchLog // reports/<env>
	// reports, oldest first: by creation time; in one second, dry runs
	// before promotions and rollbacks, each in commit order. Listing
	// backwards gives newest first.
	reports []*entry
	byID    map[string]*entry
	seq     uint64 // order of indexing, for ties within a second
	last    *entry // the newest promotion or rollback in history order
}

// branchLog is how far an index has read one branch.
type branchLog struct {
	head store.Revision // newest commit read; zero: none
	// revs and minAfter are kept when index.points is set: every commit,
	// oldest first, and the earliest commit time from each one on.
	revs     []store.Revision
	minAfter []time.Time
}

// entry is one report in an index.
type entry struct {
	meta ReportMeta
	// commit is the promotion or rollback commit, or for a dry run the
	// commit that stored its file on the reports branch.
	commit store.Commit
	seq    uint64
}

func (e *entry) compare(f *entry) int {
	return cmp.Or(e.meta.CreatedDate.Compare(f.meta.CreatedDate), -boolCmp(e.meta.DryRun, f.meta.DryRun), cmp.Compare(e.seq, f.seq))
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// indexOf returns env's index, making an empty one the first time.
func (p *Promoter) indexOf(env string) *index {
	p.mu.Lock()
	defer p.mu.Unlock()
	ix := p.indexes[env]
	if ix == nil {
		ix = &index{env: env, points: env == p.group.Members[0].ID, byID: map[string]*entry{}}
		p.indexes[env] = ix
	}
	return ix
}

// current brings env's index up to the heads of its branch and, with
// dryRuns set, of its reports branch, and returns it.
func (p *Promoter) current(ctx context.Context, env string, dryRuns bool) (*index, error) {
	ix := p.indexOf(env)
	branches := []string{env}
	if dryRuns {
		branches = append(branches, reportsBranch(env))
	}
	heads := make([]store.Revision, len(branches))
	for i, b := range branches {
		h, err := p.repo.Head(ctx, b)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		heads[i] = h.Revision
	}
	if ix.at(heads) {
		return ix, nil
	}
	ix.catchUp.Lock()
	defer ix.catchUp.Unlock()
	if !ix.loaded {
		ix.loaded = true
		p.load(ctx, ix)
	}
	for i, b := range branches {
		ix.mu.RLock()
		bl := ix.branch(i)
		known, done := bl.head, bl.head == heads[i]
		ix.mu.RUnlock()
		if done {
			continue
		}
		log, reset, err := p.since(ctx, b, known)
		if err != nil {
			return nil, err
		}
		var add []*entry
		if i == 0 {
			add = configEntries(log)
		} else if add, err = p.dryRunEntries(ctx, log); err != nil {
			return nil, err
		}
		ix.mu.Lock()
		ix.apply(i, log, reset, add)
		ix.mu.Unlock()
		ix.unread += len(log)
	}
	ix.mu.RLock()
	size := len(ix.reports) + len(ix.config.revs)
	ix.mu.RUnlock()
	if ix.unread >= max(checkpointEvery, size/4) {
		p.save(ctx, ix)
		ix.unread = 0
	}
	return ix, nil
}

// at reports whether the index has read exactly heads (config, then dry
// runs).
func (ix *index) at(heads []store.Revision) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for i, h := range heads {
		if ix.branch(i).head != h {
			return false
		}
	}
	return true
}

func (ix *index) branch(i int) *branchLog {
	if i == 0 {
		return &ix.config
	}
	return &ix.dryRuns
}

// since returns branch's commits newer than known, newest first, reading
// the log in growing steps so that it reads at most about five times as
// many commits as are new. reset says known is not in the history (none
// yet, or the branch was rewritten): the log is then the whole history.
func (p *Promoter) since(ctx context.Context, branch string, known store.Revision) ([]store.Commit, bool, error) {
	limit := 1
	if known == "" {
		limit = 0
	}
	for {
		log, err := p.repo.Log(ctx, branch, store.LogOptions{Limit: limit})
		if errors.Is(err, store.ErrNotFound) {
			return nil, true, ctx.Err()
		}
		if err != nil {
			return nil, false, err
		}
		if i := slices.IndexFunc(log, func(c store.Commit) bool { return c.Revision == known }); i >= 0 {
			return log[:i], false, nil
		}
		if limit == 0 || len(log) < limit {
			return log, true, nil
		}
		limit *= 4
	}
}

// apply adds the commits of branch i in log (newest first) and their
// report entries add (in the same order); with reset, the branch's earlier
// entries go first.
func (ix *index) apply(i int, log []store.Commit, reset bool, add []*entry) {
	bl := ix.branch(i)
	if reset {
		dry := i == 1
		ix.reports = slices.DeleteFunc(ix.reports, func(e *entry) bool {
			if e.meta.DryRun == dry {
				delete(ix.byID, e.meta.ReportID)
				return true
			}
			return false
		})
		*bl = branchLog{}
		if i == 0 {
			ix.last = nil
		}
	}
	if len(log) > 0 {
		bl.head = log[0].Revision
	} else if reset {
		bl.head = ""
	}
	if ix.points && i == 0 {
		for _, c := range slices.Backward(log) {
			bl.revs = append(bl.revs, c.Revision)
			bl.minAfter = append(bl.minAfter, c.Time)
			// Keep minAfter the suffix minimum: usually nothing to do,
			// as clocks move forward.
			for j := len(bl.minAfter) - 2; j >= 0 && bl.minAfter[j].After(c.Time); j-- {
				bl.minAfter[j] = c.Time
			}
		}
	}
	if i == 0 && len(add) > 0 {
		ix.last = add[0]
	}
	for _, e := range slices.Backward(add) {
		if ix.byID[e.meta.ReportID] != nil {
			continue // ids are unique; a copied commit must not list twice
		}
		ix.seq++
		e.seq = ix.seq
		at := sort.Search(len(ix.reports), func(j int) bool { return ix.reports[j].compare(e) > 0 })
		ix.reports = slices.Insert(ix.reports, at, e)
		ix.byID[e.meta.ReportID] = e
	}
}

// configEntries returns the report entries of the promotion and rollback
// commits in log.
func configEntries(log []store.Commit) []*entry {
	var out []*entry
	for _, c := range log {
		t := Type(c.Metadata[MetaType])
		if (t != TypePromotion && t != TypeRollback) || c.Metadata[MetaReportID] == "" {
			continue
		}
		var h header
		_ = json.Unmarshal([]byte(c.Metadata[MetaReport]), &h) // a bad header only loses the promoter's name
		out = append(out, &entry{commit: c, meta: ReportMeta{
			ReportID: c.Metadata[MetaReportID], PromotionID: c.Metadata[MetaPromotionID],
			CreatedDate: c.Time.UTC(), Type: t, Promoter: h.Promoter,
		}})
	}
	return out
}

// dryRunEntries returns the entries of the dry-run reports stored by the
// commits in log (of a reports branch, newest first). Their list entry is
// in the commit's metadata; commits written before it was (no type) have
// their report file read, from the newest commit, which holds them all.
func (p *Promoter) dryRunEntries(ctx context.Context, log []store.Commit) ([]*entry, error) {
	var out []*entry
	var snap *store.Snapshot
	for _, c := range log {
		id := c.Metadata[MetaReportID]
		if id == "" {
			continue
		}
		e := &entry{commit: c}
		if t := Type(c.Metadata[MetaType]); t != "" {
			var h header
			_ = json.Unmarshal([]byte(c.Metadata[MetaReport]), &h)
			e.meta = ReportMeta{ReportID: id, PromotionID: c.Metadata[MetaPromotionID], CreatedDate: c.Time.UTC(), DryRun: true, Type: t, Promoter: h.Promoter}
		} else {
			if snap == nil {
				var err error
				if snap, err = p.repo.Snapshot(ctx, log[0].Revision); err != nil {
					return nil, err
				}
			}
			r, err := readDryRun(snap, id)
			if errors.Is(err, ErrReportNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			e.meta = r.Meta()
		}
		out = append(out, e)
	}
	return out, nil
}

// dryRun reads the dry-run report id from the reports branch at rev.
func (p *Promoter) dryRun(ctx context.Context, rev store.Revision, id string) (*Report, error) {
	snap, err := p.repo.Snapshot(ctx, rev)
	if err != nil {
		return nil, fmt.Errorf("dry-run report %s: %w", id, err)
	}
	return readDryRun(snap, id)
}

func readDryRun(snap *store.Snapshot, id string) (*Report, error) {
	data, err := snap.ReadFile(id + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("dry-run report %s: %w", id, ErrReportNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("dry-run report %s: %w", id, err)
	}
	r := new(Report)
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("dry-run report %s: %w", id, err)
	}
	return r, nil
}

// page returns up to limit report entries (0: all), newest first, after
// the report with id after (empty: from the newest).
func (ix *index) page(after string, limit int) ([]ReportMeta, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	end := len(ix.reports)
	if after != "" {
		e := ix.byID[after]
		if e == nil {
			return nil, fmt.Errorf("%w: %s lists no report %s to page after", ErrReportNotFound, ix.env, after)
		}
		end = sort.Search(len(ix.reports), func(j int) bool { return ix.reports[j].compare(e) >= 0 })
	}
	n := end
	if limit > 0 {
		n = min(n, limit)
	}
	out := make([]ReportMeta, 0, n)
	for j := end - 1; j >= end-n; j-- {
		out = append(out, ix.reports[j].meta)
	}
	return out, nil
}

// lookup returns the entry of report id, if the index holds it, and the
// head of the reports branch it read, which holds every dry run's file:
// reading them all from one revision lets the store's caches serve them.
func (ix *index) lookup(id string) (entry, store.Revision, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	e := ix.byID[id]
	if e == nil {
		return entry{}, "", false
	}
	return *e, ix.dryRuns.head, true
}

// lastPromotion returns upper's most recent promotion commit, or
// ErrNothingToRollback if there is none or it was already rolled back.
// head is the upper's head the caller plans on; if the branch moved since,
// the error wraps store.ErrConflict.
func (p *Promoter) lastPromotion(ctx context.Context, upper string, head store.Revision) (store.Commit, error) {
	ix, err := p.current(ctx, upper, false)
	if err != nil {
		return store.Commit{}, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.config.head != head {
		return store.Commit{}, fmt.Errorf("%w: %s moved to %s", store.ErrConflict, upper, ix.config.head)
	}
	switch e := ix.last; {
	case e == nil:
		return store.Commit{}, fmt.Errorf("%w: %s has never been promoted to", ErrNothingToRollback, upper)
	case e.meta.Type == TypeRollback:
		return store.Commit{}, fmt.Errorf("%w: the last promotion of %s was rolled back by %s", ErrNothingToRollback, upper, e.commit.Revision)
	}
	return ix.last.commit, nil
}

// backupPoint returns the newest commit of the development environment env
// (in history order) made before t, as of head; the error wraps
// ErrNoHistory when there is none, or store.ErrConflict when env moved
// from head.
func (p *Promoter) backupPoint(ctx context.Context, env string, head store.Revision, t time.Time) (store.Revision, time.Time, error) {
	ix, err := p.current(ctx, env, false)
	if err != nil {
		return "", time.Time{}, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	bl := &ix.config
	if bl.head != head {
		return "", time.Time{}, fmt.Errorf("%w: %s moved to %s", store.ErrConflict, env, bl.head)
	}
	// minAfter is sorted, and the newest commit before t is the last one
	// from which on some commit is before t.
	i := sort.Search(len(bl.minAfter), func(j int) bool { return !bl.minAfter[j].Before(t) }) - 1
	if i < 0 {
		return "", time.Time{}, fmt.Errorf("%w: no commit before %s", ErrNoHistory, t.UTC().Format(time.RFC3339))
	}
	return bl.revs[i], bl.minAfter[i], nil
}

// reportCache keeps the most recently read reports derived from commits,
// by revision, so the memory they hold stays bounded.
type reportCache struct {
	max   int
	order *list.List // of *Report, most recently used first
	items map[store.Revision]*list.Element
}

// reportCacheSize bounds the reports a Promoter keeps: a report lists
// every item a promotion changed, so a few hundred cover the reports
// people page through without holding a year of them.
const reportCacheSize = 256

func newReportCache(max int) *reportCache {
	return &reportCache{max: max, order: list.New(), items: map[store.Revision]*list.Element{}}
}

func (c *reportCache) get(rev store.Revision) *Report {
	e := c.items[rev]
	if e == nil {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*Report)
}

func (c *reportCache) add(r *Report) {
	if e := c.items[r.Revision]; e != nil {
		c.order.MoveToFront(e)
		return
	}
	c.items[r.Revision] = c.order.PushFront(r)
	if c.order.Len() > c.max {
		delete(c.items, c.order.Remove(c.order.Back()).(*Report).Revision)
	}
}
