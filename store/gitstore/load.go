package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/envpromote/envpromote/store"
)

// DefaultCacheBytes is the memory a Repo's caches of loaded trees and
// contents may hold when Options.CacheBytes is zero: room for every
// directory of a 100,000-file tenant (a tree costs about treeEntryCost per
// entry, its files' contents excluded) and 1 MiB of contents.
const DefaultCacheBytes = 32 << 20

func treeBudget(cacheBytes int64) int64 {
	if cacheBytes == 0 {
		cacheBytes = DefaultCacheBytes
	}
	return cacheBytes - max(cacheBytes/32, 0)
}

func blobBudget(cacheBytes int64) int64 {
	if cacheBytes == 0 {
		cacheBytes = DefaultCacheBytes
	}
	if cacheBytes < 0 {
		return -1
	}
	return cacheBytes / 32
}

// treeEntryCost approximates the memory of one loaded tree entry: its node,
// its entry and its name.
const treeEntryCost = 160

func treeCost(entries int) int64 { return int64(entries) * treeEntryCost }

// loadTree returns the lazy snapshot of tree h: its directories are loaded
// now, reusing cached subtrees so that loading a commit reads only the
// trees that differ from those seen before; its files are read when asked
// for (blobs). The caller holds readLock.
func (r *Repo) loadTree(ctx context.Context, h plumbing.Hash) (*store.Snapshot, error) {
	if s, ok := r.trees.get(h); ok {
		return s, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t, err := object.GetTree(r.st, h)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	es := make([]store.Entry, len(t.Entries))
	for i, e := range t.Entries {
		es[i].Name = e.Name
		switch {
		case e.Mode == filemode.Dir:
			es[i].Dir, err = r.loadTree(ctx, e.Hash)
		case e.Mode.IsFile():
			es[i].Hash, es[i].Source = store.Hash(e.Hash), r.src
		default:
			err = fmt.Errorf("tree %s: entry %q has mode %s, which a snapshot cannot hold", h, e.Name, e.Mode)
		}
		if err != nil {
			return nil, err
		}
	}
	s, err := store.NewTree(es)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	r.trees.add(h, s, treeCost(len(es)))
	return s, nil
}

// blobs is the store.Source of a Repo's lazy snapshots: it reads file
// contents from the object store through the Repo's cache.
type blobs struct{ r *Repo }

var _ store.Source = blobs{}

func (b blobs) ReadBlob(h store.Hash) ([]byte, error) {
	r := b.r
	defer r.readLock()()
	if data, ok := r.blobs.get(plumbing.Hash(h)); ok {
		return data, nil
	}
	o, err := r.st.EncodedObject(plumbing.BlobObject, plumbing.Hash(h))
	if err != nil {
		return nil, blobErr(h, err)
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, blobErr(h, err)
	}
	defer rd.Close()
	data := make([]byte, o.Size())
	if _, err := io.ReadFull(rd, data); err != nil {
		return nil, blobErr(h, err)
	}
	r.blobs.add(plumbing.Hash(h), data, int64(len(data)))
	return data, nil
}

func (b blobs) BlobSize(h store.Hash) (int64, error) {
	r := b.r
	defer r.readLock()()
	if data, ok := r.blobs.get(plumbing.Hash(h)); ok {
		return int64(len(data)), nil
	}
	size, err := r.st.EncodedObjectSize(plumbing.Hash(h))
	if err != nil {
		return 0, blobErr(h, err)
	}
	return size, nil
}

// blobErr says a snapshot's file is missing or unreadable: the repository
// lost an object a commit reaches (or the disk failed), never a caller's
// mistake.
func blobErr(h store.Hash, err error) error {
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return fmt.Errorf("gitstore: blob %s, which a loaded snapshot holds, is missing from the repository: %w", h, err)
	}
	return fmt.Errorf("gitstore: blob %s: %w", h, err)
}
