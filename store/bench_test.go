package store_test

import (
	"sync"
	"testing"

	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/store"
)

var large = sync.OnceValues(func() (*store.Snapshot, error) {
	return store.New(tenantgen.Generate(tenantgen.Large).Files)
})

func largeSnapshot(b *testing.B) (*store.Snapshot, string) {
	b.Helper()
	s, err := large()
	if err != nil {
		b.Fatal(err)
	}
	_, changed := tenantgen.Generate(tenantgen.Large).Edit(1, 1)
	return s, changed[0]
}

// BenchmarkNew builds the large tenant (10,000 files, ~30 MB) from scratch.
func BenchmarkNew(b *testing.B) {
	files := tenantgen.Generate(tenantgen.Large).Files
	var size int64
	for _, d := range files {
		size += int64(len(d))
	}
	b.SetBytes(size)
	for b.Loop() {
		if _, err := store.New(files); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWithOneFile derives a snapshot of the large tenant with one file
// changed (target ≤ 1 ms).
func BenchmarkWithOneFile(b *testing.B) {
	s, p := largeSnapshot(b)
	data := []byte(`{"changed":true}`)
	for b.Loop() {
		if _, err := s.With(p, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiffOneFile diffs two large snapshots that differ in one file
// (target ≤ 1 ms).
func BenchmarkDiffOneFile(b *testing.B) {
	s, p := largeSnapshot(b)
	s2, err := s.With(p, []byte(`{"changed":true}`))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if d, err := store.Diff(s, s2); err != nil || len(d) != 1 {
			b.Fatalf("Diff = %v, want one change", d)
		}
	}
}
