package promotion_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
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
	fresh, err := promotion.New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
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
	other, err := promotion.New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
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
