package promotion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/store"
)

// Request asks for a promotion or rollback. Its fields are those of AIC's
// promotionRequest and rollbackRequest.
type Request struct {
	// Lower and Upper are the pair's environment ids. Lower may be empty:
	// the member before Upper (each upper environment has one lower).
	Lower, Upper string
	// DryRun checks and reports without changing the upper environment; its
	// report is the only thing written.
	DryRun bool
	// IgnoreEncryptedSecrets lets a promotion go ahead although its config
	// holds values encrypted by another environment's keys; the report
	// lists them as previously ignored.
	IgnoreEncryptedSecrets bool
	// UnlockAfter unlocks the pair once a (non-dry-run) operation
	// succeeded.
	UnlockAfter bool
	// KeepLockOnFailure makes PromoteAndUnlock and RollbackAndUnlock keep
	// the pair locked when the operation fails, for inspection; by default
	// they unlock it.
	KeepLockOnFailure bool
	// Promoter names who asked, for the report and commit author; empty
	// means the context's actor (actor.With). Naming no one is refused
	// (actor.ErrMissing).
	Promoter        string
	Description     string
	TicketReference string
}

// header is the part of a report kept in its commit's "report" metadata.
type header struct {
	Promoter       string   `json:"promoter,omitempty"`
	Description    string   `json:"description,omitempty"`
	Ticket         string   `json:"ticket,omitempty"`
	IgnoredSecrets []string `json:"ignoredEncryptedSecrets,omitempty"`
	MissingESVs    []string `json:"missingESVs,omitempty"`
}

// plan is what an operation would do, computed without changing anything.
type plan struct {
	typ          Type
	lower, upper string
	head         store.Commit    // the upper's head the target derives from; zero if none
	before       *store.Snapshot // at head
	target       *store.Snapshot
	changes      *changes       // static changes from before to target
	source       store.Revision // where the static config comes from
}

// plan computes target = static(source) ∪ dynamic(upper head): for a
// promotion the source is the lower's head, for a rollback the parent of
// the upper's last promotion.
func (p *Promoter) plan(ctx context.Context, typ Type, lower, upper string) (*plan, error) {
	pl := &plan{typ: typ, lower: lower, upper: upper}
	var err error
	if pl.head, pl.before, err = p.head(ctx, upper); err != nil {
		return nil, err
	}
	var src *store.Snapshot
	switch typ {
	case TypePromotion:
		var lh store.Commit
		if lh, src, err = p.head(ctx, lower); err != nil {
			return nil, err
		}
		if lh.Revision == "" {
			return nil, fmt.Errorf("%w: the lower environment %s has no configuration to promote", ErrNoHistory, lower)
		}
		pl.source = lh.Revision
	case TypeRollback:
		promo, err := p.lastPromotion(ctx, upper, pl.head.Revision)
		if err != nil {
			return nil, err
		}
		if src, err = p.snapshot(ctx, promo.Parent); err != nil {
			return nil, err
		}
		pl.source = promo.Parent
	}
	if pl.target, pl.changes, err = mergeStatic(p.layout, pl.before, src); err != nil {
		return nil, err
	}
	return pl, nil
}

// Promote promotes the static configuration of req.Lower to req.Upper,
// keeping req.Upper's dynamic configuration, and returns the report. The
// pair must be locked (see Lock). The integrity checks run on the whole
// target; then the target is committed as exactly one compare-and-set commit
// on the upper's branch whose parent is the head the checks saw, while the
// lease is still valid. A promotion with nothing to change commits the
// unchanged tree and has an empty report. A dry run stores its report and
// changes nothing else, and is not stopped by findings: its report lists
// them.
//
// Errors wrap environment.ErrInvalidPair, ErrNotLocked, ErrInProgress,
// ErrIntegrity (with the *integrity.Error), ErrNoHistory when the lower
// environment has no configuration, lock.ErrNotHeld when the lease ran out
// before the commit, store.ErrConflict when the upper environment changed
// meanwhile, or ErrUnlockFailed (a *UnlockError carrying the report: the
// promotion happened, the pair is still locked). Progress shows the outcome.
func (p *Promoter) Promote(ctx context.Context, req Request) (*Report, error) {
	return p.run(ctx, TypePromotion, req)
}

// Rollback restores the upper environment's static configuration to what it
// was before its most recent promotion, keeping its current dynamic
// configuration, as a new commit (history is never rewritten), and returns
// the report. Like Promote it needs the pair locked, runs the integrity
// checks (missing ESVs included) and honours DryRun and UnlockAfter.
//
// Errors are those of Promote, and ErrNothingToRollback when the upper
// environment has no promotion or its last one was already rolled back.
func (p *Promoter) Rollback(ctx context.Context, req Request) (*Report, error) {
	return p.run(ctx, TypeRollback, req)
}

func (p *Promoter) run(ctx context.Context, typ Type, req Request) (*Report, error) {
	lower, upper, err := p.pair(req.Lower, req.Upper)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	if req.Promoter, err = actor.Resolve(ctx, req.Promoter, fmt.Sprintf("%s %s → %s", typ, lower, upper)); err != nil {
		return nil, err
	}
	if err := p.admitted(ctx, upper); err != nil {
		return nil, fmt.Errorf("%s %s → %s: %w", typ, lower, upper, err)
	}
	what := fmt.Sprintf("%s %s → %s", typ, lower, upper)
	if !p.begin(upper) {
		return nil, fmt.Errorf("%s: %w", what, ErrInProgress)
	}
	defer p.end(upper)
	lease, err := p.currentLease(ctx, lower, upper)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ev := Event{Op: string(typ), Lower: lower, Upper: upper, PromotionID: lease.ID}
	p.record(ev, Progress{Status: StatusRunning, Message: strings.ToUpper(what[:1]) + what[1:] + " running"})

	// Keep the lease while the operation runs, however long it takes.
	keep := lock.KeepAlive(ctx, p.locker, lease)
	rep, res, err := p.execute(ctx, typ, lower, upper, lease, req)
	lease = keep.Stop()
	if err != nil {
		pr := Progress{Status: StatusError, Message: err.Error(), Err: err}
		if res != nil && errors.Is(err, ErrIntegrity) {
			pr.BlockingError = true
			pr.MissingESVs = res.MissingESVs()
			pr.EncryptedSecrets = res.EncryptedSecrets()
			pr.Findings = res.Blocking()
		}
		ev.Err = err
		p.record(ev, pr)
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	done := Progress{Status: StatusComplete, ReportID: rep.ReportID, Message: fmt.Sprintf("%s complete: %d change(s)", what, rep.Changes.Len())}
	if rep.DryRun {
		done.Message = fmt.Sprintf("Dry run of %s complete: %d change(s)", what, rep.Changes.Len())
		if len(rep.MissingESVs)+len(rep.EncryptedSecrets) > 0 {
			done.Message += "; the real run would be blocked"
			done.BlockingError, done.MissingESVs, done.EncryptedSecrets = true, rep.MissingESVs, rep.EncryptedSecrets
		}
	}
	if req.UnlockAfter && !req.DryRun {
		if err := p.locker.Unlock(ctx, lease); err != nil {
			uerr := &UnlockError{Report: rep, Lease: lease, Err: err}
			// Pollers read the message: the cause and the lease go to the
			// caller in uerr, not to everyone who may poll.
			done.Message += "; unlocking failed: the environments stay locked until unlocked or the lease expires"
			p.record(ev, done)
			return nil, uerr
		}
		done.Message += "; environments unlocked"
	}
	p.record(ev, done)
	return rep, nil
}

// execute does the work of run; the Result is set when checks ran.
func (p *Promoter) execute(ctx context.Context, typ Type, lower, upper string, lease lock.Lease, req Request) (*Report, *integrity.Result, error) {
	pl, err := p.plan(ctx, typ, lower, upper)
	if err != nil {
		return nil, nil, err
	}
	// The report describes the new files as the integrity scan reads them,
	// so a file is read once.
	d := newDescriber(p.layout, pl.changes)
	res, err := p.check(ctx, pl, req.IgnoreEncryptedSecrets, d.read)
	if err != nil && !(req.DryRun && errors.Is(err, ErrIntegrity)) {
		return nil, res, err
	}
	hdr := header{
		Promoter:       req.Promoter,
		Description:    req.Description,
		Ticket:         req.TicketReference,
		IgnoredSecrets: res.IgnoredEncryptedSecrets(),
	}
	if req.DryRun {
		hdr.MissingESVs = res.MissingESVs()
		rep := p.buildReport(pl, newID(), lease.ID, p.now(), hdr, d.finish(pl.before, pl.target))
		rep.DryRun = true
		rep.EncryptedSecrets = res.EncryptedSecrets()
		rep.ReportName = reportName(rep)
		if err := p.saveDryRun(ctx, rep); err != nil {
			return nil, res, err
		}
		return rep, res, nil
	}

	reportID := newID()
	hjson, err := json.Marshal(hdr)
	if err != nil {
		return nil, res, err
	}
	meta := map[string]string{
		MetaType:        string(typ),
		MetaPromotionID: lease.ID,
		MetaReportID:    reportID,
		MetaReport:      string(hjson),
		MetaUpper:       upper,
	}
	if pl.source != "" {
		meta[MetaSource] = string(pl.source)
	}
	if typ == TypePromotion {
		meta[MetaLower] = lower
	}
	author := store.Author(req.Promoter)
	msg := fmt.Sprintf("Promote %s to %s", p.name(lower), p.name(upper))
	if typ == TypeRollback {
		msg = fmt.Sprintf("Roll back the last promotion of %s", p.name(upper))
	}
	if d := strings.TrimSpace(req.Description); d != "" {
		msg += "\n\n" + d
	}
	// Fenced: a lease that expired or was replaced since the checks ran
	// must not commit.
	info := store.CommitInfo{Author: author, Time: p.now(), Message: msg, Metadata: meta}
	c, err := p.locker.Commit(ctx, lease, p.repo, store.Update{Branch: upper, Parent: pl.head.Revision, Snapshot: pl.target, Info: info})
	if err != nil {
		// The commit may have landed although the call failed (a lost
		// reply); then the operation happened.
		if h, herr := p.repo.Head(context.WithoutCancel(ctx), upper); herr == nil && h.Metadata[MetaReportID] == reportID {
			c = h
		} else {
			return nil, res, err
		}
	}
	rep := p.buildReport(pl, reportID, lease.ID, c.Time, hdr, d.finish(pl.before, pl.target))
	rep.Revision = c.Revision
	rep.ReportName = reportName(rep)
	p.cache(rep)
	return rep, res, nil
}

// check runs the integrity checks on the target's static view, passing
// read the files they read (see integrity.Input.Read). Blocking findings
// give an error wrapping ErrIntegrity and the *integrity.Error, returned
// with the Result.
func (p *Promoter) check(ctx context.Context, pl *plan, ignoreSecrets bool, read func(string, []byte)) (*integrity.Result, error) {
	static, err := StaticView(p.layout, pl.target)
	if err != nil {
		return nil, fmt.Errorf("static view of the target: %w", err)
	}
	esvs, err := p.esvs.ESVs(ctx, pl.upper)
	if err != nil {
		return nil, fmt.Errorf("ESVs of %s: %w", pl.upper, err)
	}
	op := integrity.Promotion
	if pl.typ == TypeRollback {
		op = integrity.Rollback
	}
	res, err := p.runner.Run(ctx, p.checks, &integrity.Input{
		Static:                 static,
		Changes:                sync.OnceValue(pl.changes.list),
		Operation:              op,
		ESVs:                   esvs,
		IgnoreEncryptedSecrets: ignoreSecrets,
		Read:                   read,
	})
	if res == nil {
		return nil, err
	}
	if ierr := res.Err(); ierr != nil {
		return res, blockedError{ierr}
	}
	if err != nil { // a check could not run: nothing proves the target safe
		return res, fmt.Errorf("integrity checks could not run: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// begin marks an operation on upper as running, unless one already is.
func (p *Promoter) begin(upper string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running[upper] {
		return false
	}
	p.running[upper] = true
	return true
}

func (p *Promoter) end(upper string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.running, upper)
}

// reportName formats a name like AIC's:
// Report_2022-01-27T15-23+00Z_dryrun=true_<reportId>.
func reportName(r *Report) string {
	return fmt.Sprintf("Report_%s_dryrun=%t_%s", r.CreatedDate.UTC().Format("2006-01-02T15-04+00Z"), r.DryRun, r.ReportID)
}

// blockedError is the error of blocking findings: it reads as the
// *integrity.Error (once, with every finding and its fix) and matches both
// ErrIntegrity and the *integrity.Error.
type blockedError struct{ ierr error }

func (e blockedError) Error() string   { return e.ierr.Error() }
func (e blockedError) Unwrap() []error { return []error{ErrIntegrity, e.ierr} }
