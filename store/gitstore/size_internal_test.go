package gitstore

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/store"
)

// BenchmarkRepoSize promotes the Large tenant n times, 1 to 10 changed
// files each (a commit on dev, then the same tree on staging), with the
// automatic maintenance policy, and compares the size of objects/ with the
// same repository after git gc --aggressive. n is 100, or 1,000 with
// ENVPROMOTE_LONG=1. Run it with -benchtime 1x.
func BenchmarkRepoSize(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git CLI not installed")
	}
	n := 100
	if os.Getenv("ENVPROMOTE_LONG") != "" {
		n = 1000
	}
	ctx := context.Background()
	for b.Loop() {
		dir := filepath.Join(b.TempDir(), "repo.git")
		r, err := Init(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		ten := tenantgen.Generate(tenantgen.Large)
		snap, err := store.New(ten.Files)
		if err != nil {
			b.Fatal(err)
		}
		var heads [2]store.Revision
		for i := range n {
			if i > 0 {
				next, changed := ten.Edit(int64(i), 1+i%10)
				bld := store.NewBuilder(snap)
				for _, p := range changed {
					if err := bld.Put(p, next.Files[p]); err != nil {
						b.Fatal(err)
					}
				}
				ten, snap = next, bld.Snapshot()
			}
			for j, br := range []string{"dev", "staging"} {
				c, err := r.Commit(ctx, br, heads[j], snap, store.CommitInfo{Message: "promote"})
				if err != nil {
					b.Fatal(err)
				}
				heads[j] = c.Revision
			}
		}
		r.maint.running.Lock() // once the automatic maintenance has finished
		auto := objectsSize(b, dir)
		packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
		gc := filepath.Join(b.TempDir(), "gc.git")
		out, err := exec.Command("cp", "-a", dir, gc).CombinedOutput()
		r.maint.running.Unlock()
		if err != nil {
			b.Fatalf("cp: %v\n%s", err, out)
		}
		if out, err := exec.Command("git", "-C", gc, "gc", "-q", "--aggressive", "--prune=now").CombinedOutput(); err != nil {
			b.Fatalf("git gc: %v\n%s", err, out)
		}
		aggressive := objectsSize(b, gc)

		if err := r.Maintain(ctx); err != nil {
			b.Fatal(err)
		}
		maintained := objectsSize(b, dir)
		b.ReportMetric(float64(n), "promotions")
		b.ReportMetric(float64(len(packs)), "packs-auto")
		b.ReportMetric(float64(auto)/1e6, "MB-auto")
		b.ReportMetric(float64(maintained)/1e6, "MB-Maintain")
		b.ReportMetric(float64(aggressive)/1e6, "MB-gc-aggressive")
		b.ReportMetric(float64(auto)/float64(aggressive), "auto/gc-aggressive")
		b.ReportMetric(float64(maintained)/float64(aggressive), "Maintain/gc-aggressive")
	}
}

func objectsSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(filepath.Join(dir, "objects"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
