//go:build linux

package promotion_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

// TestHelperPromoteProcess is the child of BenchmarkNewProcessPromote: a
// new process that opens the repository and promotes dev to staging in
// full, with the ESVs the parent wrote beside the repository.
func TestHelperPromoteProcess(t *testing.T) {
	dir := os.Getenv("PROMOTION_BENCH_REPO")
	if dir == "" {
		t.Skip("only run as a child of BenchmarkNewProcessPromote")
	}
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "esvs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]integrity.ESV
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	if f := os.Getenv("PROMOTION_BENCH_HEAPPROFILE"); f != "" {
		defer profilePeak(t, f)()
	}
	repo, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := benchConfig(repo, meta)
	p, err := promotion.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Lock(ctx, dev, staging, "bench"); err != nil {
		t.Fatal(err)
	}
	rep, err := p.Promote(ctx, promotion.Request{Upper: staging, IgnoreEncryptedSecrets: true, UnlockAfter: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changes.Len() == 0 {
		t.Fatal("nothing promoted")
	}
	// The peak RSS of this process image: getrusage's maxrss would count
	// the parent's pages, which the child shares until it execs.
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Println("peak-rss-kb", strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")))
		}
	}
}

// profilePeak writes a heap profile to file each time the live heap (as
// of the last GC) reaches a new peak, until the returned function is
// called: what was live when the process needed the most memory.
func profilePeak(t *testing.T, file string) (stop func()) {
	done, finished := make(chan struct{}), make(chan error)
	go func() {
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak uint64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				finished <- nil
				return
			case <-tick.C:
			}
			if metrics.Read(s); s[0].Value.Uint64() <= peak {
				continue
			}
			peak = s[0].Value.Uint64()
			f, err := os.Create(file)
			if err == nil {
				err = errors.Join(pprof.Lookup("heap").WriteTo(f, 0), f.Close())
			}
			if err != nil {
				<-done
				finished <- err
				return
			}
		}
	}()
	return func() {
		close(done)
		if err := <-finished; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkNewProcessPromote measures a new process (the test binary run
// as TestHelperPromoteProcess) opening a gitstore repository on disk and
// promoting the whole tenant into a staging holding only its dynamic
// config: wall time per process, and its peak RSS (VmHWM) as peak-RSS-MB.
// Peer for the time: BenchmarkGitCLI_CommitTree_Large.
func BenchmarkNewProcessPromote(b *testing.B) {
	for _, size := range []string{"Large", "Huge"} {
		b.Run("size="+size, func(b *testing.B) {
			dir := b.TempDir()
			repoDir := filepath.Join(dir, "repo.git")
			repo, err := gitstore.Init(repoDir, gitstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			_, dynamic := benchSetup(b, repo, size)
			ten, _ := benchTenants[size]()
			raw, err := json.Marshal(esvMeta(ten))
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "esvs.json"), raw, 0o644); err != nil {
				b.Fatal(err)
			}
			var peak int64
			for b.Loop() {
				b.StopTimer()
				h, _ := repo.Head(ctx, staging)
				if _, err := repo.Commit(ctx, staging, h.Revision, dynamic, store.CommitInfo{Author: "bench", Message: "reset"}); err != nil {
					b.Fatal(err)
				}
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPromoteProcess$", "-test.count=1")
				cmd.Env = append(os.Environ(), "PROMOTION_BENCH_REPO="+repoDir)
				b.StartTimer()
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("child: %v\n%s", err, out)
				}
				_, kb, _ := strings.Cut(string(out), "peak-rss-kb ")
				kb, _, _ = strings.Cut(kb, "\n")
				n, err := strconv.ParseInt(kb, 10, 64)
				if err != nil {
					b.Fatalf("child printed no peak RSS:\n%s", out)
				}
				peak = max(peak, n)
			}
			b.ReportMetric(float64(peak)/1000, "peak-RSS-MB")
		})
	}
}
