package gitstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/envpromote/envpromote/internal/retry"
)

// ErrRefLocked: a ref's lock file is held by another writer, or was left
// behind by one that crashed, and is not (yet) stale. Errors wrapping it are
// a *RefLockError naming the file and its age. It is not store.ErrConflict:
// retrying a compare-and-set cannot help until the lock file goes away.
var ErrRefLocked = errors.New("ref lock file exists")

// DefaultStaleRefLock is Options.StaleRefLock's zero value.
const DefaultStaleRefLock = 10 * time.Second

// refLockWait bounds how long a writer waits for another's ref lock before
// it reports ErrRefLocked. Live writers hold one for microseconds.
var refLockWait = retry.Policy{First: 100 * time.Microsecond, Max: 20 * time.Millisecond, MaxElapsed: 2 * time.Second}

// RefLockError reports a ref lock file that kept a write out.
type RefLockError struct {
	Path string        // the lock file
	Age  time.Duration // since it was last written
	// StaleAfter is the age from which the Repo takes the file over when
	// no process holds it (Options.StaleRefLock).
	StaleAfter time.Duration
	// Held is true when a live envpromote process holds the file.
	Held bool
}

func (e *RefLockError) Error() string {
	if e.Held {
		return fmt.Sprintf("%v: %s, %v old, is held by a running envpromote process", ErrRefLocked, e.Path, e.Age.Round(time.Millisecond))
	}
	return fmt.Sprintf("%v: %s, %v old; it is taken over once %v old, or remove it now if no git process is writing this repository",
		ErrRefLocked, e.Path, e.Age.Round(time.Millisecond), e.StaleAfter)
}

// Is makes errors.Is(err, ErrRefLocked) true.
func (e *RefLockError) Is(target error) bool { return target == ErrRefLocked }

// takeLock creates the lock file name with O_EXCL, waiting within
// refLockWait while another writer holds it, and taking it over when it is
// stale. The returned file is flocked while this process holds it.
//
// Stale-lock policy. A lock file is stale, and taken over, when both hold:
//
//  1. No process holds an flock on it. Every envpromote writer flocks its
//     lock file from creation until the rename, and the kernel drops an
//     flock when its process dies, so a SIGKILLed writer's file is free at
//     once while a live writer's, however slow, is never taken.
//  2. It is older than StaleAfter (Options.StaleRefLock, default 10 s). The
//     git CLI does not flock, but it holds a ref lock only while writing 41
//     bytes and renaming (it gives up on a held one after 100 ms), so a
//     file this old has no git writer either.
//
// The take-over renames the file to a unique name (only one taker can win),
// checks that what it moved is still the stale file and deletes it. If a
// live writer had replaced the file in between, the take-over puts it back
// when it can; otherwise that writer's rename fails and it reports an
// error: a write can be refused, never lost. (On systems without flock,
// only the age counts.)
func (s *diskStorage) takeLock(ctx context.Context, name string) (*os.File, error) {
	for l := refLockWait.Start(); ; {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			if err := flock(f); err != nil {
				f.Close()
				os.Remove(name)
				return nil, err
			}
			return f, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		lerr, err := s.inspect(name)
		if err != nil {
			return nil, err
		}
		if lerr != nil && !lerr.Held && lerr.Age >= lerr.StaleAfter {
			if err := takeOver(name, lerr.StaleAfter); err != nil {
				return nil, err
			}
			continue
		}
		if lerr == nil { // gone meanwhile: try again at once
			continue
		}
		if err := l.Wait(ctx, lerr); err != nil {
			return nil, lerr // its age says more than the retry count
		}
	}
}

// inspect describes the lock file name; nil if it no longer exists.
func (s *diskStorage) inspect(name string) (*RefLockError, error) {
	fi, err := os.Stat(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	held, err := flocked(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &RefLockError{Path: name, Age: time.Since(fi.ModTime()), StaleAfter: s.staleAfter, Held: held}, nil
}

// takeOver removes the stale lock file name (see takeLock).
func takeOver(name string, staleAfter time.Duration) error {
	var b [8]byte
	rand.Read(b[:])
	moved := name + ".stale-" + hex.EncodeToString(b[:])
	if err := os.Rename(name, moved); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // another taker, or its writer, was first
		}
		return err
	}
	fi, err := os.Stat(moved)
	if err == nil && time.Since(fi.ModTime()) < staleAfter {
		// A live writer re-created the file after we judged it: give
		// it back unless yet another writer holds the name now.
		os.Link(moved, name)
	}
	return os.Remove(moved)
}
