package gitstore

import (
	"compress/zlib"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/envpromote/envpromote/store"
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

// Tree objects are parsed without trusting them: a damaged body yields an
// error, never a panic, and a tree Git encodes parses back to the tree a
// snapshot of its entries would give.
func FuzzParseTree(f *testing.F) {
	f.Add([]byte("100644 a.json\x00aaaaaaaaaaaaaaaaaaaa40000 dir\x00bbbbbbbbbbbbbbbbbbbb"))
	f.Add([]byte("100755 run.sh\x00cccccccccccccccccccc"))
	f.Add([]byte("120000 link\x00dddddddddddddddddddd"))
	f.Add([]byte("100644 short\x00eeee"))
	f.Fuzz(func(t *testing.T, body []byte) {
		es, err := parseTree(body, source{})
		if err != nil {
			return
		}
		for _, e := range es {
			if e.Dir == nil && e.Source == nil {
				t.Fatalf("entry %q is neither a lazy directory nor a lazy file", e.Name)
			}
		}
		s, err := store.NewTree(es)
		if err != nil {
			return // names a snapshot refuses, or a repeated name
		}
		var t2 object.Tree
		entries, _ := s.Entries()
		for _, e := range entries {
			mode := filemode.Regular
			if e.Dir != nil {
				mode = filemode.Dir
			}
			t2.Entries = append(t2.Entries, object.TreeEntry{Name: e.Name, Mode: mode, Hash: plumbing.Hash(e.Hash)})
		}
		obj := &plumbing.MemoryObject{}
		if err := t2.Encode(obj); err != nil {
			t.Fatal(err)
		}
		if obj.Hash() != plumbing.Hash(s.Hash()) {
			t.Fatalf("snapshot hash %s, Git's tree of the same entries %s", s.Hash(), obj.Hash())
		}
	})
}
