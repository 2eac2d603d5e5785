package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"

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

// readTree returns tree h with its entries loaded and lazy: its
// subdirectories and files are read when a snapshot method looks inside
// them (see source), so loading a commit reads one tree, and a snapshot
// holds only what its caller derived from it. Loaded trees stay in the
// Repo's cache, by tree id, within its budget. The caller holds readLock.
func (r *Repo) readTree(h plumbing.Hash) (*store.Snapshot, error) {
	if s, ok := r.trees.get(h); ok {
		return s, nil
	}
	body, err := r.treeBody(h)
	if err != nil {
		return nil, treeErr(h, err)
	}
	es, err := parseTree(body, r.src)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	s, err := store.NewTree(es)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	r.trees.add(h, s, treeCost(len(es)))
	return s, nil
}

// parseTree reads the entries of a Git tree object's body, as lazy files
// and directories read through src.
func parseTree(body []byte, src source) ([]store.Entry, error) {
	var es []store.Entry
	for len(body) > 0 {
		// "<octal mode> <name>\x00<20-byte id>"
		sp := bytes.IndexByte(body, ' ')
		nul := bytes.IndexByte(body, 0)
		if sp < 0 || nul < sp || nul+21 > len(body) {
			return nil, errors.New("malformed entry")
		}
		mode, err := filemode.New(string(body[:sp]))
		e := store.Entry{Name: string(body[sp+1 : nul]), Hash: store.Hash(body[nul+1 : nul+21])}
		body = body[nul+21:]
		switch {
		case err != nil:
			return nil, fmt.Errorf("entry %q: %w", e.Name, err)
		case mode == filemode.Dir:
			e = store.Entry{Name: e.Name, Dir: store.LazyTree(e.Hash, src)}
		case mode.IsFile():
			e.Source = src
		default:
			return nil, fmt.Errorf("entry %q has mode %s, which a snapshot cannot hold", e.Name, mode)
		}
		es = append(es, e)
	}
	return es, nil
}

// treeBody returns the content of tree object h, which callers only read.
func (r *Repo) treeBody(h plumbing.Hash) ([]byte, error) {
	o, err := r.st.EncodedObject(plumbing.TreeObject, h)
	if err != nil {
		return nil, err
	}
	if raw, ok := o.(*rawObject); ok {
		return raw.data, nil
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// source reads the files and directories of a Repo's lazy snapshots from
// the object store, through the Repo's caches.
type source struct{ r *Repo }

var (
	_ store.Source     = source{}
	_ store.TreeSource = source{}
)

func (src source) ReadTree(h store.Hash) (*store.Snapshot, error) {
	r := src.r
	defer r.readLock()()
	return r.readTree(plumbing.Hash(h))
}

// rawTree returns tree object h's body as the Repo stores it.
func (src source) rawTree(h plumbing.Hash) ([]byte, error) {
	r := src.r
	defer r.readLock()()
	body, err := r.treeBody(h)
	if err != nil {
		return nil, treeErr(h, err)
	}
	return body, nil
}

func (src source) ReadBlob(h store.Hash) ([]byte, error) {
	r := src.r
	defer r.readLock()()
	if data, ok := r.blobs.get(plumbing.Hash(h)); ok {
		return data, nil
	}
	o, err := r.st.EncodedObject(plumbing.BlobObject, plumbing.Hash(h))
	if err != nil {
		return nil, blobErr(h, err)
	}
	var data []byte
	if raw, ok := o.(*rawObject); ok {
		// Shared, as a Source's contents are: no copy.
		data = raw.data
	} else {
		rd, err := o.Reader()
		if err != nil {
			return nil, blobErr(h, err)
		}
		defer rd.Close()
		data = make([]byte, o.Size())
		if _, err := io.ReadFull(rd, data); err != nil {
			return nil, blobErr(h, err)
		}
	}
	r.blobs.add(plumbing.Hash(h), data, int64(len(data)))
	return data, nil
}

func (src source) BlobSize(h store.Hash) (int64, error) {
	r := src.r
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
	return objectErr("blob", plumbing.Hash(h), err)
}

// treeErr is blobErr for a directory.
func treeErr(h plumbing.Hash, err error) error {
	return objectErr("tree", h, err)
}

func objectErr(kind string, h plumbing.Hash, err error) error {
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return fmt.Errorf("gitstore: %s %s, which a commit reaches, is missing from the repository: %w", kind, h, err)
	}
	return fmt.Errorf("gitstore: %s %s: %w", kind, h, err)
}
