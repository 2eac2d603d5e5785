package promotion

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/envpromote/envpromote/internal/retry"
	"github.com/envpromote/envpromote/store"
)

// Report says what a promotion or rollback changed (or, for a dry run or a
// provisional report, would change), in the shape of AIC's promotionReport.
//
// The report of a promotion or rollback is derived from its commit (the
// commit's metadata and its diff against its parent), so the commit and its
// report exist together or not at all. Dry-run reports are stored as files
// on the branch "reports/<upper>".
type Report struct {
	ReportID    string    `json:"reportId"`
	ReportName  string    `json:"reportName,omitempty"`
	PromotionID string    `json:"promotionId,omitempty"`
	CreatedDate time.Time `json:"createdDate"`
	DryRun      bool      `json:"dryRun"`
	Type        Type      `json:"type"`
	Promoter    string    `json:"promoter,omitempty"`
	Description string    `json:"promotionDescription,omitempty"`
	// TicketReference is the request's zendeskTicketReference.
	TicketReference string `json:"ticketReference,omitempty"`
	// MissingESVs is set on dry runs a missing ESV would block.
	MissingESVs []string `json:"missingESVs,omitempty"`
	// EncryptedSecrets lists, on dry runs, the encrypted secrets that would
	// block the promotion, by location.
	EncryptedSecrets []string `json:"encryptedSecrets,omitempty"`
	// PreviouslyIgnoredEncryptedSecrets lists, by location, the encrypted
	// secrets the request chose to ignore.
	PreviouslyIgnoredEncryptedSecrets []string `json:"previouslyIgnoredEncryptedSecrets,omitempty"`
	Changes                           Changes  `json:"report"`

	Lower string `json:"lowerEnvironment,omitempty"`
	Upper string `json:"upperEnvironment"`
	// Revision is the commit of a promotion or rollback; empty for dry runs
	// and provisional reports.
	Revision store.Revision `json:"revision,omitempty"`
	// Source is the revision the static config came from.
	Source store.Revision `json:"sourceRevision,omitempty"`
}

// Meta returns the report's entry in a list of reports.
func (r *Report) Meta() ReportMeta {
	return ReportMeta{ReportID: r.ReportID, PromotionID: r.PromotionID, CreatedDate: r.CreatedDate, DryRun: r.DryRun, Type: r.Type, Promoter: r.Promoter}
}

// clone returns a deep copy: reports are cached, and each caller gets one it
// may change without affecting the others.
func (r *Report) clone() *Report {
	c := *r
	c.MissingESVs = slices.Clone(r.MissingESVs)
	c.EncryptedSecrets = slices.Clone(r.EncryptedSecrets)
	c.PreviouslyIgnoredEncryptedSecrets = slices.Clone(r.PreviouslyIgnoredEncryptedSecrets)
	c.Changes = Changes{AMConfig: cloneItems(r.Changes.AMConfig), IDMConfig: cloneItems(r.Changes.IDMConfig)}
	return &c
}

func cloneItems(items []ItemChanges) []ItemChanges {
	out := slices.Clone(items)
	for i := range out {
		cc := &out[i].ConfigChange
		cc.Added, cc.Deleted, cc.Modified = slices.Clone(cc.Added), slices.Clone(cc.Deleted), slices.Clone(cc.Modified)
	}
	return out
}

// ReportMeta is one entry of Reports, in the shape of AIC's
// promotionReportMeta.
type ReportMeta struct {
	ReportID    string    `json:"reportId"`
	PromotionID string    `json:"promotionId,omitempty"`
	CreatedDate time.Time `json:"createdDate"`
	DryRun      bool      `json:"dryRun"`
	Type        Type      `json:"type"`
	Promoter    string    `json:"promoter,omitempty"`
}

// Changes groups a report's changes by product and config item. Items of
// products other than AM go under IDMConfig.
type Changes struct {
	AMConfig  []ItemChanges `json:"AMConfig,omitempty"`
	IDMConfig []ItemChanges `json:"IDMConfig,omitempty"`
}

// Len returns the number of items changed.
func (c Changes) Len() int {
	n := 0
	for _, ic := range slices.Concat(c.AMConfig, c.IDMConfig) {
		n += len(ic.ConfigChange.Added) + len(ic.ConfigChange.Deleted) + len(ic.ConfigChange.Modified)
	}
	return n
}

// ItemChanges is the changes to one config item, such as
// "Authentication > Journeys".
type ItemChanges struct {
	ConfigItem   string       `json:"configItem"`
	ConfigChange ConfigChange `json:"configChange"`
}

// ConfigChange lists the entries of a config item added, deleted and
// modified, each sorted by realm and name.
type ConfigChange struct {
	Added    []Entry `json:"added,omitempty"`
	Deleted  []Entry `json:"deleted,omitempty"`
	Modified []Entry `json:"modified,omitempty"`
}

// Entry names one changed entry of a config item (AIC's promotionCIMeta).
type Entry struct {
	Name  string `json:"name,omitempty"`
	Realm string `json:"realm,omitempty"`
	UID   string `json:"uid,omitempty"`
}

// describe groups the changes from before to after by the layout's items
// (see describer).
func describe(layout Layout, before, after *store.Snapshot) (Changes, error) {
	changes, err := diffFiles(before, after)
	if err != nil {
		return Changes{}, err
	}
	return newDescriber(layout, changes).finish(before, after), nil
}

// describer groups a report's changes by the layout's items. Several files
// of one item (a journey and its nodes) make one entry: it is added or
// deleted with the item's own file, and modified otherwise. Files may be
// described in any order and from several goroutines (read), so that a
// promotion's integrity scan, which reads the new files anyway, describes
// them as it goes; finish reads the rest.
type describer struct {
	layout  Layout
	changes *changes

	mu     sync.Mutex
	found  map[itemKey]*itemAcc
	done   []bool            // changes described
	common map[string]string // config item names and realms, kept once
}

type itemKey struct {
	prod              Product
	item, realm, name string
}

// itemAcc is what the files of one item decided so far. The first file in
// path order decides the uid and, among the item's own files, the op;
// files arrive out of that order, so it remembers where its picks came
// from.
type itemAcc struct {
	uid     string
	uidAt   int32
	wholeAt int32 // the item's own file that decided op; -1 if none
	op      store.Op
}

func newDescriber(layout Layout, changes *changes) *describer {
	return &describer{layout: layout, changes: changes, found: map[itemKey]*itemAcc{}, done: make([]bool, changes.Len()), common: map[string]string{}}
}

// once returns s, or an equal string kept before: a few config item names
// and realms repeat over thousands of items, and s may be part of a path
// built for one call.
func (d *describer) once(s string) string {
	if c, ok := d.common[s]; ok {
		return c
	}
	c := strings.Clone(s)
	d.common[c] = c
	return c
}

// read describes the file at path, holding data, if it is the new side of
// a change (added or modified); otherwise it does nothing. It has the
// signature of integrity.Input.Read.
func (d *describer) read(path string, data []byte) {
	i, ok := d.changes.find(path)
	if !ok || d.changes.ops[i] == store.Deleted {
		return
	}
	it := d.layout.Describe(path, data)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.add(i, it)
}

// add records that change i is part of it, once; d.mu is held.
func (d *describer) add(i int, it Item) {
	if d.done[i] {
		return
	}
	d.done[i] = true
	if it.Product != AM {
		it.Product = IDM
	}
	k := itemKey{it.Product, it.ConfigItem, it.Realm, it.Name}
	a := d.found[k]
	if a == nil {
		// The name may be part of a path built for this call: keep only
		// its bytes. (The map is not written again for k, which would
		// replace the key with this call's strings.)
		k = itemKey{k.prod, d.once(k.item), d.once(k.realm), strings.Clone(k.name)}
		a = &itemAcc{op: store.Modified, uidAt: -1, wholeAt: -1}
		d.found[k] = a
	}
	at := int32(i)
	if it.UID != "" && (a.uidAt < 0 || at < a.uidAt) {
		a.uid, a.uidAt = it.UID, at
	}
	if !it.Part && (a.wholeAt < 0 || at < a.wholeAt) {
		a.op, a.wholeAt = d.changes.ops[i], at
	}
}

// finish describes the changes not described yet, reading their files
// from before (deleted ones) or after (the others), and returns the report's
// changes. Contents are read one at a time and not kept. A file that
// cannot be read (a lazy snapshot's I/O error) is described by its path
// alone: the operation is done by now, and its report must still be
// written.
func (d *describer) finish(before, after *store.Snapshot) Changes {
	d.mu.Lock()
	defer d.mu.Unlock()
	describeEach := func(s *store.Snapshot, deleted bool) {
		_ = eachFile(s, d.changes, func(i int) bool { return !d.done[i] && (d.changes.ops[i] == store.Deleted) == deleted }, func(i int, data []byte) {
			d.add(i, d.layout.Describe(d.changes.Path(i), data))
		})
	}
	describeEach(after, false)
	describeEach(before, true)
	for i := range d.changes.Len() {
		if !d.done[i] {
			d.add(i, d.layout.Describe(d.changes.Path(i), nil))
		}
	}
	keys := make([]itemKey, 0, len(d.found))
	for k := range d.found {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b itemKey) int {
		return cmp.Or(cmp.Compare(a.prod, b.prod), cmp.Compare(a.item, b.item), cmp.Compare(a.realm, b.realm), cmp.Compare(a.name, b.name))
	})
	var out Changes
	for _, k := range keys {
		list := &out.IDMConfig
		if k.prod == AM {
			list = &out.AMConfig
		}
		if n := len(*list); n == 0 || (*list)[n-1].ConfigItem != k.item {
			*list = append(*list, ItemChanges{ConfigItem: k.item})
		}
		cc := &(*list)[len(*list)-1].ConfigChange
		a := d.found[k]
		e := Entry{Name: k.name, Realm: k.realm, UID: a.uid}
		switch a.op {
		case store.Added:
			cc.Added = append(cc.Added, e)
		case store.Deleted:
			cc.Deleted = append(cc.Deleted, e)
		default:
			cc.Modified = append(cc.Modified, e)
		}
	}
	return out
}

// buildReport makes the report of pl, which changed what changes says.
func (p *Promoter) buildReport(pl *plan, id, promotionID string, created time.Time, h header, changes Changes) *Report {
	r := &Report{
		ReportID:                          id,
		PromotionID:                       promotionID,
		CreatedDate:                       created.UTC().Truncate(time.Second),
		Type:                              pl.typ,
		Promoter:                          h.Promoter,
		Description:                       h.Description,
		TicketReference:                   h.Ticket,
		MissingESVs:                       h.MissingESVs,
		PreviouslyIgnoredEncryptedSecrets: h.IgnoredSecrets,
		Changes:                           changes,
		Upper:                             pl.upper,
		Source:                            pl.source,
	}
	if pl.typ == TypePromotion {
		r.Lower = pl.lower
	}
	return r
}

// fromCommit derives the report of a promotion or rollback commit c of
// upper, caching it by revision.
func (p *Promoter) fromCommit(ctx context.Context, upper string, c store.Commit) (*Report, error) {
	p.mu.Lock()
	r := p.reports.get(c.Revision)
	p.mu.Unlock()
	if r != nil {
		return r.clone(), nil
	}
	var h header
	if err := json.Unmarshal([]byte(c.Metadata[MetaReport]), &h); err != nil {
		return nil, fmt.Errorf("report header of commit %s: %w", c.Revision, err)
	}
	before, err := p.snapshot(ctx, c.Parent)
	if err != nil {
		return nil, err
	}
	after, err := p.repo.Snapshot(ctx, c.Revision)
	if err != nil {
		return nil, err
	}
	changes, err := describe(p.layout, before, after)
	if err != nil {
		return nil, fmt.Errorf("report of commit %s: %w", c.Revision, err)
	}
	pl := &plan{typ: Type(c.Metadata[MetaType]), lower: c.Metadata[MetaLower], upper: upper, source: store.Revision(c.Metadata[MetaSource])}
	r = p.buildReport(pl, c.Metadata[MetaReportID], c.Metadata[MetaPromotionID], c.Time, h, changes)
	r.Revision = c.Revision
	r.ReportName = reportName(r)
	p.cache(r)
	return r, nil
}

// cache keeps a copy of r, so the caller may change r (see reportCache for
// the bound).
func (p *Promoter) cache(r *Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reports.add(r.clone())
}

// reportsBranch is where upper's dry-run reports are kept.
func reportsBranch(upper string) string { return "reports/" + upper }

// saveDryRun stores r as a file of upper's reports branch, retrying when
// another report was stored meanwhile, within the library's retry policy.
func (p *Promoter) saveDryRun(ctx context.Context, r *Report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	// The metadata holds the report's list entry, so listing reports
	// reads commits, not report files.
	hjson, err := json.Marshal(header{Promoter: r.Promoter})
	if err != nil {
		return err
	}
	meta := map[string]string{MetaType: string(r.Type), MetaReportID: r.ReportID, MetaPromotionID: r.PromotionID, MetaReport: string(hjson)}
	branch := reportsBranch(r.Upper)
	for loop := retry.Default.Start(); ; {
		head, snap, err := p.head(ctx, branch)
		if err != nil {
			return fmt.Errorf("store dry-run report: %w", err)
		}
		next, err := snap.With(r.ReportID+".json", data)
		if err != nil {
			return err
		}
		_, err = p.repo.Commit(ctx, branch, head.Revision, next, store.CommitInfo{
			Author:   cmp.Or(store.Author(r.Promoter), "envpromote"),
			Time:     r.CreatedDate,
			Message:  "Dry-run report " + r.ReportName,
			Metadata: meta,
		})
		if !errors.Is(err, store.ErrConflict) {
			if err != nil {
				return fmt.Errorf("store dry-run report: %w", err)
			}
			return nil
		}
		if err := loop.Wait(ctx, err); err != nil {
			return fmt.Errorf("store dry-run report: %w", err)
		}
	}
}

// Report returns the report with id, of a promotion, rollback or dry run
// into any environment of the group. Errors wrap ErrReportNotFound.
//
// It reads the commits made since the Promoter last looked (see
// Reports), not the history.
func (p *Promoter) Report(ctx context.Context, id string) (*Report, error) {
	for _, fresh := range []bool{false, true} {
		for _, m := range p.group.Members[1:] {
			ix := p.indexOf(m.ID)
			if fresh {
				var err error
				if ix, err = p.current(ctx, m.ID, true); err != nil {
					return nil, fmt.Errorf("report %s: %w", id, err)
				}
			}
			e, dryRuns, ok := ix.lookup(id)
			if !ok {
				continue
			}
			if e.meta.DryRun {
				return p.dryRun(ctx, dryRuns, id)
			}
			r, err := p.fromCommit(ctx, m.ID, e.commit)
			if err != nil {
				return nil, fmt.Errorf("report %s: %w", id, err)
			}
			return r, nil
		}
	}
	return nil, fmt.Errorf("report %s: %w", id, ErrReportNotFound)
}

// ReportsOptions pages Reports. The zero value lists every report.
type ReportsOptions struct {
	// Limit is the most reports to return; 0 or less means no limit.
	Limit int
	// After continues a listing after the report with this id, the last
	// one of the previous page; empty starts at the newest.
	After string
}

// Reports lists the reports of upper's promotions, rollbacks and dry runs,
// newest first; of one second, promotions and rollbacks before dry runs,
// each newest first. Errors wrap environment.ErrNotFound for an
// environment outside the group.
func (p *Promoter) Reports(ctx context.Context, upper string) ([]ReportMeta, error) {
	return p.ReportsPage(ctx, upper, ReportsOptions{})
}

// ReportsPage lists one page of Reports. A page costs what it lists: the
// Promoter keeps an index of the reports, derived from the branches and
// caught up with the commits made since it last looked, so a long history
// is read once per Promoter, not per call. Errors are those of Reports,
// and ErrReportNotFound when opts.After names no report of upper.
func (p *Promoter) ReportsPage(ctx context.Context, upper string, opts ReportsOptions) ([]ReportMeta, error) {
	if err := p.member(upper); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	ix, err := p.current(ctx, upper, true)
	if err != nil {
		return nil, fmt.Errorf("reports of %s: %w", upper, err)
	}
	out, err := ix.page(opts.After, opts.Limit)
	if err != nil {
		return nil, fmt.Errorf("reports of %s: %w", upper, err)
	}
	return out, nil
}

// ProvisionalReport says what promoting lower to upper would change now,
// without locking or checking. lower may be empty: the member before
// upper. Errors wrap environment.ErrInvalidPair or ErrNoHistory.
func (p *Promoter) ProvisionalReport(ctx context.Context, lower, upper string) (*Report, error) {
	return p.provisional(ctx, TypePromotion, lower, upper)
}

// ProvisionalRollbackReport says what rolling back upper's last promotion
// would change now, without locking or checking. Errors wrap
// environment.ErrInvalidPair or ErrNothingToRollback.
func (p *Promoter) ProvisionalRollbackReport(ctx context.Context, upper string) (*Report, error) {
	return p.provisional(ctx, TypeRollback, "", upper)
}

func (p *Promoter) provisional(ctx context.Context, typ Type, lower, upper string) (*Report, error) {
	lower, upper, err := p.pair(lower, upper)
	if err != nil {
		return nil, fmt.Errorf("provisional %s report: %w", typ, err)
	}
	pl, err := p.plan(ctx, typ, lower, upper)
	if err != nil {
		return nil, fmt.Errorf("provisional %s report %s → %s: %w", typ, lower, upper, err)
	}
	return p.buildReport(pl, "", "", p.now(), header{}, newDescriber(p.layout, pl.changes).finish(pl.before, pl.target)), nil
}
