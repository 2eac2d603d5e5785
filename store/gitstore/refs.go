package gitstore

import (
	"errors"
	"fmt"
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

// errRefLocked: another writer held a ref's lock file for longer than
// lockTimeout, or a crashed one left it behind.
var errRefLocked = errors.New("ref is locked")

// lockTimeout bounds the wait for another writer's ref lock. Writers hold it
// for microseconds; a lock older than this is most likely stale.
const lockTimeout = 2 * time.Second

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
	dir string    // the Git directory
	db  *objectDB // reads every object; see objects.go
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
func (s *diskStorage) setRef(ref, old *plumbing.Reference) (err error) {
	path := filepath.Join(s.dir, filepath.FromSlash(ref.Name().String()))
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	lock, err := createLock(path + ".lock")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			lock.Close()
			os.Remove(lock.Name())
		}
	}()
	if old != nil {
		cur := plumbing.ZeroHash
		switch r, err := s.Storage.Reference(ref.Name()); {
		case err == nil:
			cur = r.Hash()
		case !errors.Is(err, plumbing.ErrReferenceNotFound):
			return err
		}
		if cur != old.Hash() {
			return storage.ErrReferenceHasChanged
		}
	}
	if _, err := lock.WriteString(ref.Hash().String() + "\n"); err != nil {
		return err
	}
	if err := lock.Close(); err != nil {
		return err
	}
	return os.Rename(lock.Name(), path)
}

// createLock creates the lock file, waiting with backoff while another
// writer holds it.
func createLock(name string) (*os.File, error) {
	deadline := time.Now().Add(lockTimeout)
	for wait := 100 * time.Microsecond; ; wait = min(2*wait, 20*time.Millisecond) {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, os.ErrExist) {
			return f, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %s exists for over %v; if no writer is running, a crash left it: remove it", errRefLocked, name, lockTimeout)
		}
		time.Sleep(wait)
	}
}
