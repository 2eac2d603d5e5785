package gitstore

import (
	"context"
	"errors"
	"fmt"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/envpromote/envpromote/store"
)

// remoteHead asks the remote where name points; zero if it does not exist.
func (r *Repo) remoteHead(ctx context.Context, name plumbing.ReferenceName) (plumbing.Hash, error) {
	refs, err := r.remote.ListContext(ctx, &git.ListOptions{Auth: r.auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("list remote refs: %w", err)
	}
	for _, ref := range refs {
		if ref.Name() == name {
			return ref.Hash(), nil
		}
	}
	return plumbing.ZeroHash, nil
}

// syncHead returns the remote's head of name, fetching the commits the local
// cache lacks (the fetch also mirrors the ref into the cache). The caller
// holds r.mu.
func (r *Repo) syncHead(ctx context.Context, name plumbing.ReferenceName) (plumbing.Hash, error) {
	h, err := r.remoteHead(ctx, name)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if h.IsZero() {
		return h, fmt.Errorf("no branch %s on the remote: %w", name, store.ErrNotFound)
	}
	if !r.has(h) {
		if err := r.fetch(ctx, config.RefSpec("+"+name+":"+name)); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	return h, nil
}

func (r *Repo) fetch(ctx context.Context, spec config.RefSpec) error {
	err := r.remote.FetchContext(ctx, &git.FetchOptions{RefSpecs: []config.RefSpec{spec}, Auth: r.auth, Tags: git.NoTags})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) && !errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return fmt.Errorf("fetch %s: %w", spec, err)
	}
	return nil
}

// push moves the remote's name from old (zero: absent) to h. Git's
// receive-pack applies the update under the ref's lock only if the ref still
// holds the old value go-git sends, which RequireRemoteRefs pins to old: an
// atomic compare-and-set on the server. Whatever the error, the remote head
// decides the outcome: h means the push landed (a lost reply), anything but
// old means another writer won (store.ErrConflict).
func (r *Repo) push(ctx context.Context, name plumbing.ReferenceName, old, h plumbing.Hash) error {
	opts := &git.PushOptions{
		RefSpecs: []config.RefSpec{config.RefSpec(h.String() + ":" + name.String())},
		Auth:     r.auth,
	}
	if !old.IsZero() {
		opts.RequireRemoteRefs = []config.RefSpec{config.RefSpec(old.String() + ":" + name.String())}
		// Forced, since a store.Update with Replace is no fast-forward;
		// RequireRemoteRefs still pins the old head (force-with-lease).
		opts.RefSpecs[0] = "+" + opts.RefSpecs[0]
	}
	err := r.remote.PushContext(ctx, opts)
	if err != nil {
		cur, lerr := r.remoteHead(ctx, name)
		switch {
		case lerr != nil:
			return fmt.Errorf("push: %w (and reading the remote head: %v)", err, lerr)
		case cur == h:
			err = nil
		case cur != old:
			return fmt.Errorf("%w: remote head is %s: %v", store.ErrConflict, revision(cur), err)
		default:
			return fmt.Errorf("push: %w", err)
		}
	}
	return r.st.SetReference(plumbing.NewHashReference(name, h))
}
