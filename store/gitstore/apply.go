package gitstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage"

	"github.com/envpromote/envpromote/store"
)

// Apply implements store.Driver. On disk it takes the lock file of
// every ref it moves (in ref-name order, so two Applies cannot deadlock),
// checks every old value, then renames the lock files over the refs in the
// order of updates: no other writer can move any of the refs in between,
// which is what fences a commit with a lock ref. With a remote, one update
// is one push, several are one atomic push (git push --atomic): the remote
// moves every ref, each only from its expected old value, or none. Objects
// of an Apply that fails stay unreferenced, invisible to readers.
func (d driver) Apply(ctx context.Context, updates []store.Update) ([]store.Commit, error) {
	r := d.r
	moves := make([]refUpdate, len(updates))
	for i, u := range updates {
		moves[i].name = refName(u.Branch)
		if u.Parent != "" {
			if !plumbing.IsHash(string(u.Parent)) {
				return nil, fmt.Errorf("parent %q of %s is not a commit id: %w", u.Parent, u.Branch, store.ErrConflict)
			}
			moves[i].old = plumbing.NewHash(string(u.Parent))
		}
	}

	out, err := r.write(ctx, moves, updates)
	if err == nil && r.remote != nil {
		err = r.push(ctx, moves...)
	}
	if errors.Is(err, storage.ErrReferenceHasChanged) {
		err = fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	if err != nil {
		return nil, err
	}
	r.autoMaintain()
	return out, nil
}

// write stores the updates' objects in one batch and, locally, moves their
// refs. With a remote the caller pushes them: no network call runs under
// r.mu.
func (r *Repo) write(ctx context.Context, moves []refUpdate, updates []store.Update) ([]store.Commit, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.remote == nil {
		// Fail a stale update before writing objects; the ref locks
		// below are what make it safe.
		if err := r.checkHeads(moves); err != nil {
			return nil, err
		}
	}
	r.maint.writers.RLock() // until the branches move: see Maintain
	defer r.maint.writers.RUnlock()
	b := r.newBatch()
	defer b.done()
	out := make([]store.Commit, len(updates))
	for i, u := range updates {
		h, c, err := r.writeCommit(ctx, b, u)
		if err != nil {
			return nil, err
		}
		moves[i].new, out[i] = h, c
	}
	if err := b.flush(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.remote != nil {
		return out, nil
	}
	if ds, ok := r.st.(*diskStorage); ok {
		return out, ds.moveRefs(ctx, moves)
	}
	// Memory storage has no writer but this one, under r.mu.
	if err := r.checkHeads(moves); err != nil {
		return nil, err
	}
	for _, m := range moves {
		if err := r.st.SetReference(plumbing.NewHashReference(m.name, m.new)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkHeads returns an error wrapping store.ErrConflict unless every ref
// holds its old value. The caller holds r.mu.
func (r *Repo) checkHeads(moves []refUpdate) error {
	for _, m := range moves {
		cur := plumbing.ZeroHash
		ref, err := r.st.Reference(m.name)
		switch {
		case err == nil:
			cur = ref.Hash()
		case !errors.Is(err, plumbing.ErrReferenceNotFound):
			return err
		}
		if cur != m.old {
			return fmt.Errorf("%s is at %s, not %s: %w", m.name, revision(cur), revision(m.old), store.ErrConflict)
		}
	}
	return nil
}

// writeCommit adds u's tree and commit objects to b. The caller holds r.mu.
func (r *Repo) writeCommit(ctx context.Context, b *batch, u store.Update) (plumbing.Hash, store.Commit, error) {
	sig, msg, err := encodeInfo(u.Info)
	if err != nil {
		return plumbing.ZeroHash, store.Commit{}, err
	}
	if err := r.writeTree(ctx, b, u.Snapshot); err != nil {
		return plumbing.ZeroHash, store.Commit{}, err
	}
	co := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: plumbing.Hash(u.Snapshot.Hash())}
	parent := u.Parent
	if u.Replace {
		parent = ""
	}
	if parent != "" {
		co.ParentHashes = []plumbing.Hash{plumbing.NewHash(string(parent))}
	}
	obj := r.st.NewEncodedObject()
	if err := co.Encode(obj); err != nil {
		return plumbing.ZeroHash, store.Commit{}, err
	}
	h := obj.Hash()
	if err := b.add(obj); err != nil {
		return plumbing.ZeroHash, store.Commit{}, err
	}
	return h, store.Commit{Revision: revision(h), Parent: parent, Branch: u.Branch, Tree: u.Snapshot.Hash(), CommitInfo: u.Info}, nil
}

// moveRefs applies moves under the refs' lock files (see Apply). A failure
// before the first rename moves nothing; storage.ErrReferenceHasChanged
// means a ref did not hold its old value.
func (s *diskStorage) moveRefs(ctx context.Context, moves []refUpdate) error {
	order := slices.Clone(moves)
	slices.SortFunc(order, func(a, b refUpdate) int { return strings.Compare(a.name.String(), b.name.String()) })
	locks := map[plumbing.ReferenceName]*refLock{}
	abort := func() {
		for _, l := range locks {
			l.abort()
		}
	}
	for _, m := range order {
		l, err := s.lockRef(ctx, m.name)
		if err != nil {
			abort()
			return err
		}
		locks[m.name] = l
		cur, err := l.current()
		if err != nil {
			abort()
			return err
		}
		if cur != m.old {
			abort()
			return fmt.Errorf("%s is at %s, not %s: %w", m.name, revision(cur), revision(m.old), storage.ErrReferenceHasChanged)
		}
	}
	for _, m := range moves {
		l := locks[m.name]
		delete(locks, m.name)
		if err := l.commit(m.new); err != nil {
			abort()
			return err
		}
	}
	return nil
}
