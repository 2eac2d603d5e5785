package gitlock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/store"
)

// author signs every lock commit; the owner, which need not be a valid Git
// identity, is in the message and metadata.
const author = "envpromote gitlock"

// Options configure the Locker New returns. The zero value uses the
// system clock and the default polling intervals.
type Options struct {
	// Now is the clock leases are stamped and expired by; nil means
	// time.Now. Processes sharing a repository should have synchronised
	// clocks, since each judges expiry by its own.
	Now func() time.Time
	// Poll and MaxPoll pace a waiting Lock (lock.ManagerOptions).
	Poll, MaxPoll time.Duration
}

// New returns a lock.Manager keeping its leases in repo. Use the Repo that
// holds the environments' configuration, so promotion commits are fenced
// atomically (Store.FencedCommit).
func New(repo store.Repo, opts Options) *lock.Manager {
	return lock.New(NewStore(repo, opts.Now), lock.ManagerOptions{Now: opts.Now, Poll: opts.Poll, MaxPoll: opts.MaxPoll})
}

// Store is a lock.Store and lock.Fencer keeping one record per environment
// as the head commit of a branch of a store.Repo. It is safe for concurrent
// use, and any number of Stores, in any number of processes, may share a
// Repo.
type Store struct {
	repo store.Repo
	now  func() time.Time
}

var _ lock.Fencer = (*Store)(nil)

// NewStore returns a Store over repo, stamping commits by now (nil:
// time.Now).
func NewStore(repo store.Repo, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{repo: repo, now: now}
}

// Load implements lock.Store; the version is the branch head.
func (s *Store) Load(ctx context.Context, env string) (lock.Record, lock.Version, error) {
	branch := branchName(env)
	head, err := s.repo.Head(ctx, branch)
	if errors.Is(err, store.ErrNotFound) {
		return lock.Record{}, "", nil
	}
	if err != nil {
		return lock.Record{}, "", err
	}
	data, ok := head.Metadata[metaLease]
	if !ok {
		return lock.Record{}, "", fmt.Errorf("environment %q: %w: the head of branch %s has no %s metadata", env, lock.ErrCorrupt, branch, metaLease)
	}
	rec, err := decodeRecord(env, []byte(data))
	if err != nil {
		return lock.Record{}, "", fmt.Errorf("environment %q: branch %s: %w", env, branch, err)
	}
	return lock.Record{Lease: rec.Lease, Released: rec.Released}, lock.Version(head.Revision), nil
}

// Swap implements lock.Store: one commit on env's branch, which replaces
// the head when the Repo is a store.Transactor, so a lock branch holds one
// commit however often it is locked.
func (s *Store) Swap(ctx context.Context, env string, old lock.Version, rec lock.Record) (lock.Version, error) {
	u, err := s.update(env, old, rec)
	if err != nil {
		return "", err
	}
	var c store.Commit
	if tx, ok := s.repo.(store.Transactor); ok {
		var cs []store.Commit
		if cs, err = tx.Apply(ctx, []store.Update{u}); err == nil {
			c = cs[0]
		}
	} else {
		c, err = s.repo.Commit(ctx, u.Branch, u.Parent, u.Snapshot, u.Info)
	}
	if errors.Is(err, store.ErrConflict) {
		return "", fmt.Errorf("%w: %w", lock.ErrConflict, err)
	}
	if err != nil {
		return "", err
	}
	return lock.Version(c.Revision), nil
}

// FencedCommit implements lock.Fencer when repo is the Store's own Repo and
// a store.Transactor: one Apply moves the lock branches and u's branch.
func (s *Store) FencedCommit(ctx context.Context, repo store.Repo, u store.Update, swaps []lock.Swap) (store.Commit, error) {
	tx, ok := s.repo.(store.Transactor)
	if !ok || repo != s.repo {
		return store.Commit{}, fmt.Errorf("gitlock: fencing a commit on another repository: %w", errors.ErrUnsupported)
	}
	updates := make([]store.Update, 0, len(swaps)+1)
	for _, sw := range swaps {
		lu, err := s.update(sw.Env, sw.Old, sw.Record)
		if err != nil {
			return store.Commit{}, err
		}
		updates = append(updates, lu)
	}
	// The lock branches first: a process killed between the renames has
	// renewed its lease, not committed without it.
	cs, err := tx.Apply(ctx, append(updates, u))
	if errors.Is(err, store.ErrConflict) {
		return store.Commit{}, fmt.Errorf("%w: %w", lock.ErrConflict, err)
	}
	if err != nil {
		return store.Commit{}, err
	}
	return cs[len(cs)-1], nil
}

// update is the branch move that stores rec for env over version old.
func (s *Store) update(env string, old lock.Version, rec lock.Record) (store.Update, error) {
	r := record{Env: env, Lease: rec.Lease, Released: rec.Released}
	data, err := r.encode()
	if err != nil {
		return store.Update{}, fmt.Errorf("%w: %v", lock.ErrInvalid, err)
	}
	verb := "lock"
	if r.Released {
		verb = "unlock"
	}
	meta := map[string]string{
		"type":    verb,
		"leaseId": r.Lease.ID,
		"token":   strconv.FormatUint(r.Lease.Token, 10),
		metaLease: string(data),
	}
	if old != "" {
		// The head replaced: each record commit differs from every
		// earlier head, so no writer that read an old head wins a swap.
		meta["replaces"] = string(old)
	}
	return store.Update{
		Branch: branchName(env),
		Parent: store.Revision(old),
		Info: store.CommitInfo{
			Author: author,
			Time:   s.now(),
			Message: fmt.Sprintf("%s %s for %s\n\nLease %s on %s, until %s.", verb, env, r.Lease.Owner, r.Lease.ID,
				strings.Join(r.Lease.Envs, ", "), r.Lease.Expires.UTC().Format(time.RFC3339)),
			Metadata: meta,
		},
		Replace: true,
	}, nil
}
