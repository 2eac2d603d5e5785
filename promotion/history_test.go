package promotion_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

// promoteN runs n promotions of staging, each after an edit of dev and a
// minute, and returns their reports, oldest first.
func promoteN(t *testing.T, f *fixture, p *promotion.Promoter, n int, dryRun bool) []*promotion.Report {
	t.Helper()
	var out []*promotion.Report
	for i := range n {
		f.put(dev, map[string]string{"realms/alpha/journeys/Login/Login.json": fmt.Sprintf(`{"_id":"Login","v":%d,"dry":%t}`, i, dryRun)})
		if _, err := p.Lock(ctx, dev, staging, "alice"); err != nil {
			t.Fatal(err)
		}
		rep, err := p.Promote(ctx, promotion.Request{Upper: staging, DryRun: dryRun, UnlockAfter: true, Promoter: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if dryRun {
			if err := p.Unlock(ctx, dev, staging, rep.PromotionID); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, rep)
	}
	return out
}

func TestRule_ReportsArePagedNewestFirst(t *testing.T) {
	f := seeded(t)
	var all []promotion.ReportMeta
	for _, dry := range []bool{false, true, false} {
		for _, r := range promoteN(t, f, f.p, 3, dry) {
			all = append(all, r.Meta())
		}
	}
	slices.Reverse(all)
	// A new Promoter reads the history; the first one kept up with it.
	fresh := f.fresh()
	for _, p := range []*promotion.Promoter{f.p, fresh} {
		for _, limit := range []int{0, 1, 2, 4, 9, 10} {
			var got []promotion.ReportMeta
			after := ""
			for {
				page, err := p.ReportsPage(ctx, staging, promotion.ReportsOptions{Limit: limit, After: after})
				if err != nil {
					t.Fatal(err)
				}
				if limit > 0 && len(page) > limit {
					t.Fatalf("limit %d: page of %d", limit, len(page))
				}
				got = append(got, page...)
				if len(page) == 0 || limit == 0 {
					break
				}
				after = page[len(page)-1].ReportID
			}
			if diff := cmp.Diff(all, got); diff != "" {
				t.Errorf("limit %d: pages differ from every report newest first (-want +got):\n%s", limit, diff)
			}
		}
	}
	if _, err := f.p.ReportsPage(ctx, staging, promotion.ReportsOptions{After: "no-such-report"}); !errors.Is(err, promotion.ErrReportNotFound) {
		t.Errorf("page after an unknown report: %v, want ErrReportNotFound", err)
	}
}

func TestRule_ReportsSeeCommitsOfOtherPromoters(t *testing.T) {
	f := seeded(t)
	if list, err := f.p.Reports(ctx, staging); err != nil || len(list) != 0 {
		t.Fatalf("reports before any promotion: %v, %v", list, err)
	}
	other := f.fresh()
	reps := promoteN(t, f, other, 2, false)
	reps = append(reps, promoteN(t, f, other, 1, true)...)
	list, err := f.p.Reports(ctx, staging)
	if err != nil || len(list) != 3 || list[0].ReportID != reps[2].ReportID || list[2].ReportID != reps[0].ReportID {
		t.Fatalf("reports after another Promoter's promotions = %v, %v", list, err)
	}
	for _, r := range reps {
		got, err := f.p.Report(ctx, r.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("report of another Promoter differs:\n%s", diff)
		}
	}
	// Rollback finds the other Promoter's promotion.
	f.lock(dev, staging)
	rb, err := f.p.Rollback(ctx, promotion.Request{Upper: staging})
	if err != nil || rb.Source == "" {
		t.Fatalf("rollback of another Promoter's promotion: %+v, %v", rb, err)
	}
	if _, err := other.ProvisionalRollbackReport(ctx, staging); !errors.Is(err, promotion.ErrNothingToRollback) {
		t.Errorf("the other Promoter after the rollback: %v, want ErrNothingToRollback", err)
	}
}

// TestRule_DryRunsOfOlderVersionsAreListed: a reports branch written
// before dry-run commits carried their list entry (only reportId and
// promotionId) is listed from its files.
func TestRule_DryRunsOfOlderVersionsAreListed(t *testing.T) {
	f := seeded(t)
	old := &promotion.Report{
		ReportID: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", PromotionID: "p-1", ReportName: "Report_old",
		CreatedDate: f.clock.Now().UTC(), DryRun: true, Type: promotion.TypePromotion, Promoter: "bob",
		Lower: dev, Upper: staging,
	}
	data, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	snap := storetest.Snapshot(t, map[string]string{old.ReportID + ".json": string(data)})
	if _, err := f.repo.Commit(ctx, "reports/"+staging, "", snap, store.CommitInfo{
		Author: "bob", Time: old.CreatedDate, Message: "Dry-run report",
		Metadata: map[string]string{promotion.MetaReportID: old.ReportID, promotion.MetaPromotionID: old.PromotionID},
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	reps := promoteN(t, f, f.p, 1, true)
	list, err := f.p.Reports(ctx, staging)
	if want := []promotion.ReportMeta{reps[0].Meta(), old.Meta()}; err != nil || !cmp.Equal(list, want) {
		t.Fatalf("reports = %v, %v; want %v", list, err, want)
	}
	got, err := f.p.Report(ctx, old.ReportID)
	if err != nil || !cmp.Equal(got, old) {
		t.Errorf("old dry run = %+v, %v", got, err)
	}
}

// TestRule_RewrittenHistoryIsReread: after the git CLI moves staging back
// past a promotion, the promotion is no longer listed, found or rolled
// back, although the Promoter had indexed it.
func TestRule_RewrittenHistoryIsReread(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	repo, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := seeded(t, func(c *promotion.Config) { c.Repo = repo })
	f.repo = repo
	first := promoteN(t, f, f.p, 1, false)[0]
	second := promoteN(t, f, f.p, 1, false)[0]
	if list, err := f.p.Reports(ctx, staging); err != nil || len(list) != 2 {
		t.Fatalf("reports = %v, %v", list, err)
	}
	if out, err := exec.Command("git", "-C", dir, "update-ref", "refs/heads/"+staging, string(first.Revision)).CombinedOutput(); err != nil {
		t.Fatalf("git update-ref: %v\n%s", err, out)
	}
	list, err := f.p.Reports(ctx, staging)
	if err != nil || len(list) != 1 || list[0].ReportID != first.ReportID {
		t.Errorf("reports after the rewrite = %v, %v; want only the first", list, err)
	}
	if _, err := f.p.Report(ctx, second.ReportID); !errors.Is(err, promotion.ErrReportNotFound) {
		t.Errorf("report of the dropped promotion: %v, want ErrReportNotFound", err)
	}
	// Rollback restores what staging held before the first promotion.
	log, err := repo.Log(ctx, staging, store.LogOptions{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rb, err := f.p.ProvisionalRollbackReport(ctx, staging); err != nil || rb.Source != log[1].Revision {
		t.Errorf("rollback after the rewrite: source %v, %v; want %s", rb, err, log[1].Revision)
	}
}

// TestRule_RevertFindsTheNewestCommitBeforeTheTime checks the backup point
// against reading the whole history, on histories whose commit times go
// back as well as forward (an Edit may set its own time).
func TestRule_RevertFindsTheNewestCommitBeforeTheTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for round := range 30 {
		f := newFixture(t)
		for i := range 1 + rng.IntN(12) {
			at := base.Add(time.Duration(rng.IntN(20)) * time.Minute)
			if _, err := f.p.Edit(ctx, dev, func(b *store.Builder) error {
				return b.Put("realms/alpha/journeys/A/A.json", fmt.Appendf(nil, `{"v":%d}`, i))
			}, store.CommitInfo{Author: "t", Time: at, Message: "edit"}); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(3) == 0 { // sometimes the index catches up in between
				_, _ = f.p.RevertDevelopment(ctx, dev, base) // never before base: ErrNoHistory
			}
		}
		for range 5 {
			before := base.Add(time.Duration(rng.IntN(22)) * time.Minute)
			log, err := f.repo.Log(ctx, dev, store.LogOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := slices.IndexFunc(log, func(c store.Commit) bool { return c.Time.Before(before) })
			c, err := f.p.RevertDevelopment(ctx, dev, before)
			switch {
			case want < 0 && !errors.Is(err, promotion.ErrNoHistory):
				t.Fatalf("round %d, before %s: %v, want ErrNoHistory", round, before, err)
			case want >= 0 && (err != nil || c.Metadata[promotion.MetaSource] != string(log[want].Revision)):
				t.Fatalf("round %d, before %s: reverted to %s (%v), want %s", round, before, c.Metadata[promotion.MetaSource], err, log[want].Revision)
			}
		}
	}
}

// countingRepo counts the commits Log returns.
type countingRepo struct {
	store.Repo
	read *int
}

func (r countingRepo) Log(ctx context.Context, branch string, opts store.LogOptions) ([]store.Commit, error) {
	log, err := r.Repo.Log(ctx, branch, opts)
	*r.read += len(log)
	return log, err
}

// TestRule_NewPromotersStartFromTheCheckpoint: once a Promoter has read a
// long history, it leaves a checkpoint of its index in the repository, and
// a new Promoter reads only the commits made since; a checkpoint that
// cannot be read is ignored.
func TestRule_NewPromotersStartFromTheCheckpoint(t *testing.T) {
	f := seeded(t)
	reps := promoteN(t, f, f.p, 2, false)
	edits := func(env string, n int) {
		head, err := f.repo.Head(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		snap := f.snap(env)
		for i := range n {
			if head, err = f.repo.Commit(ctx, env, head.Revision, snap, store.CommitInfo{Author: "t", Message: fmt.Sprint("edit ", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	edits(staging, 300)
	edits(dev, 300)
	backup := f.clock.Now()
	f.clock.Advance(time.Minute)
	want, err := f.p.Reports(ctx, staging)
	if err != nil || len(want) != 2 || want[0].ReportID != reps[1].ReportID {
		t.Fatalf("reports = %v, %v", want, err)
	}
	if _, err := f.p.RevertDevelopment(ctx, dev, backup); err != nil { // reads dev's history
		t.Fatal(err)
	}
	for _, env := range []string{dev, staging} {
		if _, err := f.repo.Head(ctx, "index/"+env); err != nil {
			t.Fatalf("no checkpoint of %s: %v", env, err)
		}
	}
	edits(staging, 5)
	edits(dev, 5)

	read := 0
	cfg := f.cfg
	cfg.Repo = countingRepo{f.repo, &read}
	fresh, err := promotion.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fresh.Reports(ctx, staging)
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("reports of a new Promoter = %v, %v; want %v", got, err, want)
	}
	if r, err := fresh.Report(ctx, reps[0].ReportID); err != nil || !cmp.Equal(r, reps[0]) {
		t.Errorf("report of a new Promoter: %v", err)
	}
	c, err := fresh.RevertDevelopment(ctx, dev, backup)
	if err != nil {
		t.Fatal(err)
	}
	log, err := f.repo.Log(ctx, dev, store.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(log, func(c store.Commit) bool { return c.Time.Before(backup) }); c.Metadata[promotion.MetaSource] != string(log[i].Revision) {
		t.Errorf("a new Promoter reverted to %s, want %s", c.Metadata[promotion.MetaSource], log[i].Revision)
	}
	if read > 100 {
		t.Errorf("a new Promoter read %d commits after a checkpoint 5 commits old", read)
	}

	// A damaged checkpoint only costs reading the history.
	h, _ := f.repo.Head(ctx, "index/"+staging)
	if _, err := f.repo.Commit(ctx, "index/"+staging, h.Revision, storetest.Snapshot(t, map[string]string{"index.json": "{not json"}), store.CommitInfo{Author: "t", Message: "damage"}); err != nil {
		t.Fatal(err)
	}
	fresh = f.fresh()
	if got, err := fresh.Reports(ctx, staging); err != nil || !cmp.Equal(got, want) {
		t.Errorf("reports past a damaged checkpoint = %v, %v", got, err)
	}
}

// TestRule_LookupsAreSafeDuringPromotions reads reports, reports by id
// and the rollback lookup from several goroutines while promotions and
// rollbacks commit; every list is newest first, and at the end the
// Promoter agrees with a new one.
func TestRule_LookupsAreSafeDuringPromotions(t *testing.T) {
	f := seeded(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				list, err := f.p.Reports(ctx, staging)
				if err != nil {
					t.Error(err)
					return
				}
				if !slices.IsSortedFunc(list, func(a, b promotion.ReportMeta) int { return b.CreatedDate.Compare(a.CreatedDate) }) {
					t.Errorf("reports not newest first: %v", list)
				}
				if len(list) > 0 {
					if _, err := f.p.Report(ctx, list[len(list)-1].ReportID); err != nil {
						t.Error(err)
					}
				}
				if _, err := f.p.ProvisionalRollbackReport(ctx, staging); err != nil && !errors.Is(err, promotion.ErrNothingToRollback) && !errors.Is(err, store.ErrConflict) {
					t.Error(err)
				}
			}
		})
	}
	for i := range 10 {
		f.put(dev, map[string]string{"realms/alpha/journeys/Login/Login.json": fmt.Sprintf(`{"_id":"Login","v":%d}`, i)})
		f.lock(dev, staging)
		if _, err := f.p.Promote(ctx, promotion.Request{Upper: staging}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.p.Rollback(ctx, promotion.Request{Upper: staging, UnlockAfter: true}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	fresh := f.fresh()
	want, _ := fresh.Reports(ctx, staging)
	if got, err := f.p.Reports(ctx, staging); err != nil || len(got) != 20 || !cmp.Equal(got, want) {
		t.Errorf("reports after the run = %d, %v; a new Promoter lists %d", len(got), err, len(want))
	}
}
