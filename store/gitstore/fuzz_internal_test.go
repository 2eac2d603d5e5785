package gitstore

import (
	"compress/zlib"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// seedPack writes a small pack with a whole object and a delta of it and
// returns its index and pack bytes.
func seedPack(f *testing.F) (idx, pk []byte) {
	dir := f.TempDir()
	pw, err := newPackWriter(dir, 2, zlib.BestSpeed)
	if err != nil {
		f.Fatal(err)
	}
	base := []byte("the base object, long enough to be worth a delta of it")
	target := append(append([]byte{}, base...), " and more"...)
	bh := plumbing.ComputeHash(plumbing.BlobObject, base)
	if err := pw.add(bh, plumbing.BlobObject, base, 0, nil); err != nil {
		f.Fatal(err)
	}
	if err := pw.add(plumbing.ComputeHash(plumbing.BlobObject, target), plumbing.BlobObject, target, 12, packfile.DiffDelta(base, target)); err != nil {
		f.Fatal(err)
	}
	name, err := pw.finish(false)
	if err != nil {
		f.Fatal(err)
	}
	if idx, err = os.ReadFile(name + ".idx"); err == nil {
		pk, err = os.ReadFile(name + ".pack")
	}
	if err != nil {
		f.Fatal(err)
	}
	return idx, pk
}

// Pack indexes and packs from disk are parsed without trusting them: a
// damaged one yields errors, never a panic or a read out of bounds.
func FuzzPack(f *testing.F) {
	idx, pk := seedPack(f)
	f.Add(idx, pk)
	f.Add(idx[:len(idx)/2], pk[:len(pk)/2])
	f.Fuzz(func(t *testing.T, idx, pk []byte) {
		name := filepath.Join(t.TempDir(), "pack-x")
		if err := os.WriteFile(name+".idx", idx, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name+".pack", pk, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := openPack(name)
		if err != nil {
			return
		}
		defer p.f.Close()
		db := newObjectDB(t.TempDir())
		db.packs.Store(&[]*pack{p})
		for _, h := range p.hashes() {
			db.read(h)
		}
	})
}
