package integrity_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/store"
)

// The large tenant, all 10,000 files, as one snapshot and its ESVs.
var large = sync.OnceValues(func() (*store.Snapshot, *tenantgen.Tenant) {
	t := tenantgen.Generate(tenantgen.Large)
	s, err := store.New(t.Files)
	if err != nil {
		panic(err)
	}
	return s, t
})

func largeInput() *integrity.Input {
	s, t := large()
	return &integrity.Input{Static: s, Operation: integrity.Promotion, ESVs: tenantESVs(t)}
}

// checkErr fails b on anything but the expected blocking findings.
func checkErr(b *testing.B, err error) {
	if err != nil && !errors.Is(err, integrity.ErrFailed) {
		b.Fatal(err)
	}
}

// BenchmarkRun measures every built-in check over the large tenant: a full
// check (a new Runner, nothing cached) and a re-check after one file
// changed (a warm Runner).
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	in := largeInput()
	b.Run("full", func(b *testing.B) {
		b.SetBytes(in.Static.Size())
		for b.Loop() {
			_, err := integrity.Run(ctx, integrity.Builtin(), in)
			checkErr(b, err)
		}
		b.ReportMetric(float64(in.Static.Len()), "files")
	})
	b.Run("recheck-one-file", func(b *testing.B) {
		var r integrity.Runner
		_, err := r.Run(ctx, integrity.Builtin(), in)
		checkErr(b, err)
		const p = "realms/alpha/journeys/Login/Login.json"
		data, err := in.Static.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		next := *in
		i := 0
		for b.Loop() {
			b.StopTimer()
			i++
			if next.Static, err = in.Static.With(p, strconv.AppendInt(data, int64(i), 10)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			_, err := r.Run(ctx, integrity.Builtin(), &next)
			checkErr(b, err)
		}
	})
}

// BenchmarkRipgrep is the peer: ripgrep searching the same files, written
// to disk, for what the checks look for.
func BenchmarkRipgrep(b *testing.B) {
	rg, err := exec.LookPath("rg")
	if err != nil {
		b.Skip("ripgrep (rg) not installed")
	}
	s, _ := large()
	dir := filepath.Join(b.TempDir(), "tenant")
	if err := s.WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(s.Size())
	for b.Loop() {
		if out, err := exec.Command(rg, "--no-config", "--count", `&\{esv\.|\$crypto`, dir).Output(); err != nil || len(out) == 0 {
			b.Fatalf("rg: %v", err)
		}
	}
}
