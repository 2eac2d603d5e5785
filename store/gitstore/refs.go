package gitstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// refName maps a branch to its Git ref: "dev" → refs/heads/dev, so the git
// CLI and clones see environments as branches; "locks/dev" →
// refs/locks/dev, out of refs/heads/ so that "dev" and "dev/reports" never
// collide as a file and a directory (see store.ValidateBranch).
func refName(branch string) plumbing.ReferenceName {
	if strings.Contains(branch, "/") {
		return plumbing.ReferenceName("refs/" + branch)
	}
	return plumbing.NewBranchReferenceName(branch)
}

// diskStorage is go-git's filesystem storage with its ref writes replaced by
// Git's own lock-file protocol (the one git update-ref uses):
//
//  1. create <ref>.lock with O_CREATE|O_EXCL: exactly one writer, go-git or
//     the git CLI, in any process, holds it;
//  2. read the current value (loose ref, else packed-refs) and compare it
//     with the expected old one, a zero hash meaning "must not exist";
//  3. write the new value into the lock file and rename it over the ref.
//
// go-git's own CheckAndSetReference cannot be used as is: it flocks the ref
// file, which the git CLI does not honour; it truncates and rewrites the ref
// in place, so a concurrent reader can see an empty ref (a branch that
// seems not to exist) and a crash can leave one; and it has no "must not
// exist" case, since a nil old ref writes unconditionally. The rename makes
// the update atomic for readers and across crashes: the ref holds the old
// head or the new one, never neither.
type diskStorage struct {
	*filesystem.Storage
	dir        string        // the Git directory
	db         *objectDB     // reads every object; see objects.go
	staleAfter time.Duration // Options.StaleRefLock
}

// CheckAndSetReference sets ref if the stored one equals old: a nil old is
// refused, a zero-hash old requires that the ref not exist. A mismatch
// returns storage.ErrReferenceHasChanged.
func (s *diskStorage) CheckAndSetReference(ref, old *plumbing.Reference) error {
	if old == nil || ref.Type() != plumbing.HashReference {
		return errors.New("gitstore: compare-and-set needs a hash ref and an old value")
	}
	return s.setRef(ref, old)
}

// SetReference writes ref unconditionally. Only go-git's fetch calls it, to
// mirror a remote's refs into a cache; it still goes through the lock file so
// that readers never see a partial write.
func (s *diskStorage) SetReference(ref *plumbing.Reference) error {
	if ref.Type() != plumbing.HashReference {
		return s.Storage.SetReference(ref) // symbolic refs (HEAD) are go-git's business
	}
	return s.setRef(ref, nil)
}

// setRef writes the hash ref ref, first checking it holds old unless old is nil.
func (s *diskStorage) setRef(ref, old *plumbing.Reference) error {
	l, err := s.lockRef(context.Background(), ref.Name())
	if err != nil {
		return err
	}
	if old != nil {
		cur, err := l.current()
		if err != nil {
			l.abort()
			return err
		}
		if cur != old.Hash() {
			l.abort()
			return storage.ErrReferenceHasChanged
		}
	}
	return l.commit(ref.Hash())
}

// refLock is a held <ref>.lock: the ref cannot change until commit or abort.
type refLock struct {
	s    *diskStorage
	name plumbing.ReferenceName
	path string // the ref file; the lock file is path+".lock"
	f    *os.File
}

// lockRef takes name's lock file (see takeLock).
func (s *diskStorage) lockRef(ctx context.Context, name plumbing.ReferenceName) (*refLock, error) {
	path := filepath.Join(s.dir, filepath.FromSlash(name.String()))
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, err
	}
	f, err := s.takeLock(ctx, path+".lock")
	if err != nil {
		return nil, err
	}
	return &refLock{s: s, name: name, path: path, f: f}, nil
}

// current returns the ref's value (loose ref, else packed-refs); zero if it
// does not exist.
func (l *refLock) current() (plumbing.Hash, error) {
	r, err := l.s.Storage.Reference(l.name)
	switch {
	case err == nil:
		return r.Hash(), nil
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		return plumbing.ZeroHash, nil
	}
	return plumbing.ZeroHash, err
}

// commit sets the ref to h by renaming the lock file over it, and releases
// the lock. On failure the lock is released and the ref unchanged.
func (l *refLock) commit(h plumbing.Hash) error { return l.write(h.String()) }

// write sets the ref file's content to value (a hash, or "ref: <target>"
// for a symbolic ref) as commit does.
func (l *refLock) write(value string) error {
	_, err := l.f.WriteString(value + "\n")
	if err == nil {
		err = l.f.Close() // drops the flock for the rename's microseconds; a taker also needs the file old

	}
	if err == nil {
		err = os.Rename(l.f.Name(), l.path)
	}
	if err != nil {
		l.abort()
	}
	return err
}

// abort releases the lock, leaving the ref as it was.
func (l *refLock) abort() {
	l.f.Close()
	os.Remove(l.f.Name())
}
