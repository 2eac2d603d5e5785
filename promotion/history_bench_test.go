package promotion_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/memstore"
	"github.com/envpromote/envpromote/store/storetest"
)

// earlierCommits is the history the "10000" variants of BenchmarkHistory
// put before what the lookups return.
const earlierCommits = 10_000

// BenchmarkHistory measures the lookups that used to read a branch's whole
// history, on a repository whose dev and staging branches start with
// earlierCommits edits (".../10000") and on a fresh one (".../0"), with the
// same three promotions of staging on top, in the same run:
//
//   - Reports: the list of staging's reports;
//   - Report: the newest report by id, and an id no environment has;
//   - RollbackLookup: the provisional report of rolling staging back,
//     which finds its most recent promotion;
//   - Revert: RevertDevelopment to the latest dev commit before a time;
//   - FirstReports: Reports from a new Promoter, which reads the history
//     once (the one cost that still follows it).
func BenchmarkHistory(b *testing.B) {
	for _, backend := range []string{"Memory", "Gitstore"} {
		// Both repositories first, so each lookup's two variants run
		// back to back, under the same load of the machine.
		type variant struct {
			earlier int
			cfg     promotion.Config
			p       *promotion.Promoter
			newest  string
			recent  time.Time
		}
		var vs []*variant
		for _, earlier := range []int{earlierCommits, 0} {
			var repo store.Repo = memstore.New(memstore.Options{})
			if backend == "Gitstore" {
				r, err := gitstore.Init(b.TempDir(), gitstore.Options{})
				if err != nil {
					b.Fatal(err)
				}
				repo = r
			}
			v := &variant{earlier: earlier}
			v.cfg, v.newest, v.recent = historySetup(b, repo, earlier)
			var err error
			if v.p, err = promotion.New(v.cfg); err != nil {
				b.Fatal(err)
			}
			// Warm up: the Promoter reads the history once.
			if _, err := v.p.Reports(ctx, staging); err != nil {
				b.Fatal(err)
			}
			if _, err := v.p.RevertDevelopment(ctx, dev, v.recent); err != nil {
				b.Fatal(err)
			}
			vs = append(vs, v)
		}
		ops := []struct {
			name string
			run  func(*variant) error
		}{
			{"Reports", func(v *variant) error {
				list, err := v.p.Reports(ctx, staging)
				if err == nil && len(list) != 3 {
					err = fmt.Errorf("%d reports, want 3", len(list))
				}
				return err
			}},
			{"Report", func(v *variant) error { _, err := v.p.Report(ctx, v.newest); return err }},
			{"ReportUnknown", func(v *variant) error {
				if _, err := v.p.Report(ctx, "no-such-report"); !errors.Is(err, promotion.ErrReportNotFound) {
					return fmt.Errorf("Report(unknown) = %v", err)
				}
				return nil
			}},
			{"RollbackLookup", func(v *variant) error { _, err := v.p.ProvisionalRollbackReport(ctx, staging); return err }},
			{"Revert", func(v *variant) error { _, err := v.p.RevertDevelopment(ctx, dev, v.recent); return err }},
			{"FirstReports", func(v *variant) error {
				p, err := promotion.New(v.cfg)
				if err == nil {
					_, err = p.Reports(ctx, staging)
				}
				return err
			}},
		}
		for _, op := range ops {
			for _, v := range vs {
				b.Run(fmt.Sprintf("%s/%s/%d", op.name, backend, v.earlier), func(b *testing.B) {
					for b.Loop() {
						if err := op.run(v); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// historySetup commits earlier edits to dev and staging, then a small
// tenant to both and three promotions of staging. It returns the config,
// the newest report's id and the time of the last promotion, just after
// dev's last edit.
func historySetup(b *testing.B, repo store.Repo, earlier int) (promotion.Config, string, time.Time) {
	b.Helper()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	empty := storetest.Snapshot(b, map[string]string{"realms/alpha/realm.json": `{"v":0}`})
	for _, env := range []string{dev, staging} {
		var parent store.Revision
		for i := range earlier {
			c, err := repo.Commit(ctx, env, parent, empty, store.CommitInfo{
				Author: "bench", Time: t0.Add(time.Duration(i) * time.Second), Message: fmt.Sprintf("edit %d", i),
				Metadata: map[string]string{promotion.MetaType: string(promotion.TypeEdit)},
			})
			if err != nil {
				b.Fatal(err)
			}
			parent = c.Revision
		}
	}
	now := t0.Add(time.Duration(earlier+10) * time.Second)
	cfg := promotion.Config{
		Group:  testGroup,
		Repo:   repo,
		Locker: memlock.New(memlock.Options{}),
		ESVs:   esvsFunc(func(context.Context, string) (map[string]integrity.ESV, error) { return nil, nil }),
		Clock:  func() time.Time { return now },
	}
	p, err := promotion.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	edit := func(env, v string) {
		if _, err := p.Edit(ctx, env, func(bl *store.Builder) error {
			return bl.Put("realms/alpha/journeys/A/A.json", []byte(`{"v":`+v+`}`))
		}, store.CommitInfo{Author: "bench", Message: "edit"}); err != nil {
			b.Fatal(err)
		}
	}
	edit(staging, "0")
	var newest string
	for i := range 3 {
		now = now.Add(time.Second)
		edit(dev, fmt.Sprint(i+1))
		now = now.Add(time.Second)
		if _, err := p.Lock(ctx, dev, staging, "bench"); err != nil {
			b.Fatal(err)
		}
		rep, err := p.Promote(ctx, promotion.Request{Upper: staging, UnlockAfter: true})
		if err != nil {
			b.Fatal(err)
		}
		newest = rep.ReportID
	}
	return cfg, newest, now
}
