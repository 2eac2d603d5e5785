package gitenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/internal/retry"
	"github.com/envpromote/envpromote/store"
)

// DefaultBranch is the branch that holds the documents when
// Options.Branch is empty.
const DefaultBranch = "environments"

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Branch holds the documents; "" means DefaultBranch.
	Branch string
}

// Store is an environment.Store kept as JSON files on one branch of a
// store.Repo: record key k is the file k+".json". Each Apply is one commit
// whose author is the Batch's actor, so the branch's history shows every
// change. Safe for concurrent use, also by several Stores over one shared
// repo: Apply moves the branch by compare-and-set.
type Store struct {
	repo   store.Repo
	branch string
}

var _ environment.Store = (*Store)(nil)

// New returns a Store keeping its documents in repo. It fails with an
// error wrapping store.ErrInvalidBranch if opts.Branch is not a valid name.
func New(repo store.Repo, opts Options) (*Store, error) {
	b := opts.Branch
	if b == "" {
		b = DefaultBranch
	}
	if err := store.ValidateBranch(b); err != nil {
		return nil, fmt.Errorf("gitenv: %w", err)
	}
	return &Store{repo: repo, branch: b}, nil
}

// head returns the branch head and its snapshot; both zero (an empty
// snapshot) before the first commit.
func (s *Store) head(ctx context.Context) (store.Revision, *store.Snapshot, error) {
	c, err := s.repo.Head(ctx, s.branch)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	snap, err := s.repo.Snapshot(ctx, c.Revision)
	return c.Revision, snap, err
}

// Get returns the record under key, or an error wrapping
// environment.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (environment.Record, error) {
	_, snap, err := s.head(ctx)
	if err != nil {
		return environment.Record{}, fmt.Errorf("gitenv: get %s: %w", key, err)
	}
	r, err := read(snap, key)
	if err != nil {
		return environment.Record{}, fmt.Errorf("gitenv: get %s: %w", key, err)
	}
	return r, nil
}

// List returns the records whose key starts with prefix, sorted by key,
// from one commit.
func (s *Store) List(ctx context.Context, prefix string) ([]environment.Record, error) {
	_, snap, err := s.head(ctx)
	if err != nil {
		return nil, fmt.Errorf("gitenv: list %s: %w", prefix, err)
	}
	// Walk only the deepest directory the prefix names.
	dir := path.Dir(prefix + "x")
	if dir != "." {
		if snap, err = snap.SubSnapshot(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("gitenv: list %s: %w", prefix, err)
		}
	}
	var out []environment.Record
	err = snap.Walk(func(p string, data []byte) error {
		if dir != "." {
			p = dir + "/" + p
		}
		if key, ok := strings.CutSuffix(p, ".json"); ok && strings.HasPrefix(key, prefix) {
			out = append(out, environment.Record{Key: key, Version: version(data), Data: append([]byte(nil), data...)})
		}
		return nil
	})
	return out, err
}

// Apply commits the writes of b as one commit, or returns an error wrapping
// environment.ErrConflict when a record is not at the version its write
// names. When another commit moved the branch but left these records as
// expected, Apply rebases onto it and commits again, within the library's
// retry policy.
func (s *Store) Apply(ctx context.Context, b environment.Batch) error {
	for loop := retry.Default.Start(); ; {
		head, snap, err := s.head(ctx)
		if err != nil {
			return fmt.Errorf("gitenv: apply: %w", err)
		}
		next := store.NewBuilder(snap)
		for _, w := range b.Writes {
			cur, err := read(snap, w.Key)
			if err != nil && !errors.Is(err, environment.ErrNotFound) {
				return fmt.Errorf("gitenv: apply: %w", err)
			}
			if cur.Version != w.Version {
				return fmt.Errorf("gitenv: record %s is at version %q, not %q: %w", w.Key, cur.Version, w.Version, environment.ErrConflict)
			}
			if w.Data == nil {
				err = next.Delete(w.Key + ".json")
			} else {
				err = next.Put(w.Key+".json", w.Data)
			}
			if err != nil {
				return fmt.Errorf("gitenv: apply: %w", err)
			}
		}
		info := store.CommitInfo{Author: store.Author(b.Actor), Time: b.Time, Message: b.Message}
		_, err = s.repo.Commit(ctx, s.branch, head, next.Snapshot(), info)
		if !errors.Is(err, store.ErrConflict) {
			if err != nil {
				return fmt.Errorf("gitenv: apply: %w", err)
			}
			return nil
		}
		if err := loop.Wait(ctx, err); err != nil {
			return fmt.Errorf("gitenv: apply: %w", err)
		}
	}
}

func read(snap *store.Snapshot, key string) (environment.Record, error) {
	data, err := snap.ReadFile(key + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return environment.Record{}, fmt.Errorf("record %s: %w", key, environment.ErrNotFound)
	}
	if err != nil {
		return environment.Record{}, err
	}
	return environment.Record{Key: key, Version: version(data), Data: data}, nil
}

// version names a record's content. Content addressing is enough: the
// Registry's organization records carry a revision counter, so a record
// never returns to an earlier content between a read and a write.
func version(data []byte) environment.Version {
	sum := sha256.Sum256(data)
	return environment.Version(hex.EncodeToString(sum[:16]))
}
