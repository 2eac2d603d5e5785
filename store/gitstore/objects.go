package gitstore

import (
	"compress/zlib"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// EncodedObject reads an object through the objectDB: concurrent reads
// need no lock, and a pack written by anyone else (git gc, a fetch,
// Maintain in another process) is found by a rescan on a miss.
func (s *diskStorage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	ot, data, err := s.db.read(h)
	if err != nil {
		return nil, err
	}
	if t != plumbing.AnyObject && t != ot {
		return nil, plumbing.ErrObjectNotFound
	}
	return &rawObject{hash: h, typ: ot, data: data}, nil
}

// DeltaObject is EncodedObject: go-git's push asks for deltas it could
// reuse, and the objectDB hands out whole objects.
func (s *diskStorage) DeltaObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	return s.EncodedObject(t, h)
}

// HasEncodedObject reports plumbing.ErrObjectNotFound for an absent object.
func (s *diskStorage) HasEncodedObject(h plumbing.Hash) error {
	if !s.db.has(h, true) {
		return plumbing.ErrObjectNotFound
	}
	return nil
}

// EncodedObjectSize returns the size of object h's content.
func (s *diskStorage) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	return s.db.size(h)
}

// batch collects the objects one commit adds, so that they are written
// together: on disk as one pack (a lone object, such as a lock lease's
// commit, as one loose object: one file either way).
type batch struct {
	r         *Repo
	objs      []*rawObject
	added     map[plumbing.Hash]bool
	rescanned bool
	keep      string // the .keep file of the batch's pack, if any
}

func (r *Repo) newBatch() *batch { return &batch{r: r, added: map[plumbing.Hash]bool{}} }

// has reports whether h is stored or already in the batch. On disk a miss
// rescans the packs once per batch, so that a git gc since the last look
// does not make the commit write everything again; a "no" that is wrong
// only costs a duplicate object.
func (b *batch) has(h plumbing.Hash) bool {
	if b.added[h] {
		return true
	}
	db := b.r.db()
	if db == nil {
		return b.r.st.HasEncodedObject(h) == nil
	}
	if db.has(h, !b.rescanned) {
		return true
	}
	b.rescanned = true
	return false
}

// add queues o unless the batch holds it already.
func (b *batch) add(o plumbing.EncodedObject) error {
	if b.added[o.Hash()] {
		return nil
	}
	obj, ok := o.(*rawObject)
	if !ok {
		rd, err := o.Reader()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(rd)
		rd.Close()
		if err != nil {
			return err
		}
		obj = &rawObject{hash: o.Hash(), typ: o.Type(), data: data}
	}
	b.added[obj.hash] = true
	b.objs = append(b.objs, obj)
	return nil
}

// flush stores the batch's objects. Fast compression keeps a first commit
// of a large tenant quick; Maintain compresses again, with deltas.
func (b *batch) flush() error {
	db := b.r.db()
	if db == nil || len(b.objs) < 2 {
		// One by one, entries before the trees that name them: a stored
		// tree means its entries are stored (see writeTree).
		for _, o := range slices.Backward(b.objs) {
			if _, err := b.r.st.SetEncodedObject(o); err != nil {
				return err
			}
		}
		return nil
	}
	pw, err := newPackWriter(db.packDir(), len(b.objs), zlib.BestSpeed)
	if err != nil {
		return err
	}
	for _, o := range b.objs {
		if err := pw.add(o.hash, o.typ, o.data, 0, nil); err != nil {
			pw.abort()
			return err
		}
	}
	name, err := pw.finish(true)
	if err != nil {
		return err
	}
	b.keep = name + ".keep"
	return db.addPack(name)
}

// done releases the batch's pack to maintenance, once the commit moved its
// branch or failed. Until then its .keep file, as git receive-pack's, makes
// Maintain and git repack -a -d leave the pack alone, although no branch
// reaches it yet.
func (b *batch) done() {
	if b.keep != "" {
		os.Remove(b.keep)
	}
}

// storeFetched stores a pack fetched from the remote and makes it
// readable. go-git writes a pack's index in place, so a process sharing
// this cache that fetched the same pack (same name) would truncate the
// index under readers, who then miss objects a branch reaches: the pack is
// indexed in a directory of its own and moved into place, pack then index,
// each move atomic, as packWriter.finish does.
func (db *objectDB) storeFetched(pack io.Reader) error {
	tmp, err := os.MkdirTemp(db.packDir(), "tmp_fetch_")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := packfile.UpdateObjectStorage(filesystem.NewStorage(osfs.New(tmp), cache.NewObjectLRU(0)), pack); err != nil {
		return err
	}
	idxs, _ := filepath.Glob(filepath.Join(tmp, "objects", "pack", "pack-*.idx"))
	for _, idx := range idxs {
		base := strings.TrimSuffix(idx, ".idx")
		name := filepath.Join(db.packDir(), filepath.Base(base))
		if err := os.Rename(base+".pack", name+".pack"); err != nil {
			return err
		}
		if err := os.Rename(idx, name+".idx"); err != nil {
			return err
		}
		if err := db.addPack(name); err != nil {
			return err
		}
	}
	return nil
}

// addPack makes a pack this process just wrote readable at once.
func (db *objectDB) addPack(name string) error {
	p, err := openPack(name)
	if errors.Is(err, os.ErrNotExist) {
		// Maintain elsewhere already folded it into another pack.
		db.rescan()
		return nil
	}
	if err != nil {
		return err
	}
	db.scan.Lock()
	defer db.scan.Unlock()
	packs := append([]*pack{p}, *db.packs.Load()...)
	db.packs.Store(&packs)
	return nil
}

// db is the on-disk object reader, nil for an in-memory repository.
func (r *Repo) db() *objectDB {
	if d, ok := r.st.(*diskStorage); ok {
		return d.db
	}
	return nil
}
