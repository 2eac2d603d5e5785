package esv_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/internal/tenantgen"
)

var largeTenant = sync.OnceValue(func() *tenantgen.Tenant { return tenantgen.Generate(tenantgen.Large) })

// BenchmarkRefs scans the large tenant (10,000 files, ~30 MB): from memory on
// one goroutine, and from disk with one worker per CPU as ripgrep does.
// Compare with BenchmarkRipgrep in the same run.
func BenchmarkRefs(b *testing.B) {
	tn := largeTenant()
	paths := tn.Paths()
	b.Run("memory-1cpu", func(b *testing.B) {
		b.SetBytes(tn.Size())
		b.ReportAllocs()
		refs := 0
		for b.Loop() {
			refs = 0
			for _, p := range paths {
				r, _ := esv.Refs(p, tn.Files[p])
				refs += len(r)
			}
		}
		b.ReportMetric(float64(refs), "refs")
	})
	b.Run("disk-parallel", func(b *testing.B) {
		dir := writeTenant(b, tn)
		b.SetBytes(tn.Size())
		b.ReportAllocs()
		for b.Loop() {
			var g errgroup.Group
			g.SetLimit(runtime.GOMAXPROCS(0))
			for _, p := range paths {
				g.Go(func() error {
					data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
					if err != nil {
						return err
					}
					_, _ = esv.Refs(p, data)
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRipgrep is the peer: rg searching the same pattern ("esv.",
// fixed string) over the same files on disk, printing line and column of
// every match into a pipe, with one thread and with its default threads.
func BenchmarkRipgrep(b *testing.B) {
	rg, err := exec.LookPath("rg")
	if err != nil {
		b.Skip("ripgrep (rg) is not installed")
	}
	tn := largeTenant()
	dir := writeTenant(b, tn)
	for _, threads := range []int{1, 0} {
		name := "default-threads"
		args := []string{"--no-config", "--fixed-strings", "--line-number", "--column", "--no-heading", "esv.", dir}
		if threads > 0 {
			name = strconv.Itoa(threads) + "-thread"
			args = append([]string{"--threads", strconv.Itoa(threads)}, args...)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(tn.Size())
			for b.Loop() {
				cmd := exec.Command(rg, args...)
				cmd.Stdout = io.Discard // a pipe: rg would stop early writing to /dev/null
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func writeTenant(b *testing.B, tn *tenantgen.Tenant) string {
	dir := filepath.Join(b.TempDir(), "tenant")
	if err := tn.WriteDir(context.Background(), dir); err != nil {
		b.Fatal(err)
	}
	return dir
}
