package memstore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/envpromote/envpromote/store"
)

var _ store.Repo = (*Repo)(nil)

// Repo is an in-memory store.Repo. The zero value is not usable; call New.
type Repo struct {
	now func() time.Time

	mu      sync.RWMutex
	heads   map[string]store.Revision
	commits map[store.Revision]commit
}

type commit struct {
	store.Commit
	snap *store.Snapshot
}

// Options configures a Repo. The zero value is ready to use.
type Options struct {
	// Clock stamps commits whose CommitInfo.Time is zero; nil means time.Now.
	Clock func() time.Time
}

// New returns an empty in-memory repo.
func New(opts Options) *Repo {
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	return &Repo{now: now, heads: map[string]store.Revision{}, commits: map[store.Revision]commit{}}
}

// Head returns branch's newest commit; ErrNotFound if it has none.
func (r *Repo) Head(ctx context.Context, branch string) (store.Commit, error) {
	if err := check(ctx, branch); err != nil {
		return store.Commit{}, fmt.Errorf("head %s: %w", branch, err)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	rev, ok := r.heads[branch]
	if !ok {
		return store.Commit{}, fmt.Errorf("head %s: %w", branch, store.ErrNotFound)
	}
	return clone(r.commits[rev].Commit), nil
}

// Snapshot returns the snapshot committed at rev; ErrNotFound if unknown.
func (r *Repo) Snapshot(ctx context.Context, rev store.Revision) (*store.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", rev, err)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.commits[rev]
	if !ok {
		return nil, fmt.Errorf("snapshot %s: %w", rev, store.ErrNotFound)
	}
	return c.snap, nil
}

// Commit adds snap to branch if parent is its head (zero: branch must not
// exist); otherwise it returns ErrConflict and changes nothing.
func (r *Repo) Commit(ctx context.Context, branch string, parent store.Revision, snap *store.Snapshot, info store.CommitInfo) (store.Commit, error) {
	cs, err := r.Apply(ctx, []store.Update{{Branch: branch, Parent: parent, Snapshot: snap, Info: info}})
	if err != nil {
		return store.Commit{}, err
	}
	return cs[0], nil
}

var _ store.Transactor = (*Repo)(nil)

// Apply implements store.Transactor, under one lock: all or nothing.
func (r *Repo) Apply(ctx context.Context, updates []store.Update) ([]store.Commit, error) {
	cs := make([]store.Commit, len(updates))
	for i, u := range updates {
		fail := func(err error) ([]store.Commit, error) {
			return nil, fmt.Errorf("commit %s: %w", u.Branch, err)
		}
		if err := check(ctx, u.Branch); err != nil {
			return fail(err)
		}
		if err := u.Info.Validate(); err != nil {
			return fail(err)
		}
		if slices.ContainsFunc(updates[:i], func(o store.Update) bool { return o.Branch == u.Branch }) {
			return fail(fmt.Errorf("%w: branch updated twice", store.ErrInvalidBranch))
		}
		info := u.Info
		if info.Time.IsZero() {
			info.Time = r.now()
		}
		info.Time = info.Time.Truncate(time.Second)
		info.Metadata = maps.Clone(info.Metadata)
		cs[i] = store.Commit{Parent: u.Parent, Branch: u.Branch, Tree: u.Snapshot.Hash(), CommitInfo: info}
		cs[i].Revision = revision(cs[i]) // names the replaced head too, so a Replace commit is new
		if u.Replace {
			cs[i].Parent = ""
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range updates {
		if head := r.heads[u.Branch]; head != u.Parent {
			return nil, fmt.Errorf("commit %s: %w: head is %q, not %q", u.Branch, store.ErrConflict, head, u.Parent)
		}
	}
	for i, u := range updates {
		r.commits[cs[i].Revision] = commit{Commit: cs[i], snap: u.Snapshot}
		r.heads[u.Branch] = cs[i].Revision
		cs[i] = clone(cs[i])
	}
	return cs, nil
}

// Log lists branch's commits newest first.
func (r *Repo) Log(ctx context.Context, branch string, opts store.LogOptions) ([]store.Commit, error) {
	if err := check(ctx, branch); err != nil {
		return nil, fmt.Errorf("log %s: %w", branch, err)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	rev, ok := r.heads[branch]
	if !ok {
		return nil, fmt.Errorf("log %s: %w", branch, store.ErrNotFound)
	}
	var out []store.Commit
	for ; rev != "" && (opts.Limit <= 0 || len(out) < opts.Limit); rev = r.commits[rev].Parent {
		out = append(out, clone(r.commits[rev].Commit))
	}
	return out, nil
}

func check(ctx context.Context, branch string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return store.ValidateBranch(branch)
}

// clone copies the metadata map so callers cannot change stored history.
func clone(c store.Commit) store.Commit {
	c.Metadata = maps.Clone(c.Metadata)
	return c
}

// revision derives a Git-shaped id from everything that identifies the
// commit, so equal histories get equal ids.
func revision(c store.Commit) store.Revision {
	h := sha1.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d\x00%s", c.Tree, c.Parent, c.Branch, c.Author, c.Time.Unix(), c.Message)
	for _, k := range slices.Sorted(maps.Keys(c.Metadata)) {
		fmt.Fprintf(h, "\x00%s=%s", k, c.Metadata[k])
	}
	return store.Revision(hex.EncodeToString(h.Sum(nil)))
}
