package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

// reportsFixture is the group of loadFixture with earlier commits on
// staging's branch (edits, which have no report), then three promotions.
func reportsFixture(b *testing.B, earlier int) *fixture {
	b.Helper()
	ctx := context.Background()
	f := newFixture(b, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 7, Files: 400})})
	staging := f.ids["staging"]
	head, err := f.repo.Head(ctx, staging)
	if err != nil {
		b.Fatal(err)
	}
	snap, err := f.repo.Snapshot(ctx, head.Revision)
	if err != nil {
		b.Fatal(err)
	}
	for i := range earlier {
		head, err = f.repo.Commit(ctx, staging, head.Revision, snap, store.CommitInfo{
			Author: "bench", Message: fmt.Sprintf("edit %d", i),
			Metadata: map[string]string{promotion.MetaType: string(promotion.TypeEdit)},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for range 3 {
		if _, err := f.promoter.Lock(ctx, "", staging, "bench"); err != nil {
			b.Fatal(err)
		}
		if _, err := f.promoter.Promote(ctx, promotion.Request{Upper: staging, UnlockAfter: true, IgnoreEncryptedSecrets: true}); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

// BenchmarkReportsHTTP measures GET reports of staging over loopback HTTP
// by one client, with 10,000 earlier commits on staging's branch and
// without, in the same run (req/s); and the p99 latency of 16 clients
// polling lock/state while one client polls reports of the 10,000-commit
// staging as fast as it can ("lock-state/reports-poller") and while it
// does not ("lock-state/alone").
func BenchmarkReportsHTTP(b *testing.B) {
	fs := map[int]*fixture{}
	for _, earlier := range []int{10_000, 0} {
		fs[earlier] = reportsFixture(b, earlier)
		// The first request of a server reads the history once.
		if _, err := newPoller(fs[earlier].url, http.DefaultTransport).do("GET", "/staging/environment/promotion/reports", "", http.StatusOK); err != nil {
			b.Fatal(err)
		}
	}
	for _, earlier := range []int{10_000, 0} {
		b.Run(fmt.Sprintf("reports/%d", earlier), func(b *testing.B) {
			p := newPoller(fs[earlier].url, &http.Transport{})
			start := time.Now()
			for b.Loop() {
				body, err := p.do("GET", "/staging/environment/promotion/reports", "", http.StatusOK)
				if err != nil {
					b.Fatal(err)
				}
				var list []promotion.ReportMeta
				if err := json.Unmarshal(body, &list); err != nil || len(list) != 3 {
					b.Fatalf("%d reports, %v: %s", len(list), err, body)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
	f := fs[10_000]
	for _, poll := range []bool{true, false} {
		name := "lock-state/alone"
		if poll {
			name = "lock-state/reports-poller"
		}
		b.Run(name, func(b *testing.B) {
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			if poll {
				wg.Go(func() {
					p := newPoller(f.url, &http.Transport{})
					for ctx.Err() == nil {
						if _, err := p.do("GET", "/staging/environment/promotion/reports", "", http.StatusOK); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			benchLockState(b, f.url)
			stop()
			wg.Wait()
		})
	}
}

// benchLockState runs b.N GETs of staging's lock/state from 16 goroutines
// and reports requests/s and the p99 latency.
func benchLockState(b *testing.B, url string) {
	benchParallel(b, url, 16, func(p poller, _ int) error {
		_, err := p.do("GET", "/staging/environment/promotion/lock/state", "", http.StatusOK)
		return err
	})
}
