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

// Options configures New. The zero value is ready to use.
type Options struct {
	// Clock stamps commits whose CommitInfo.Time is zero; nil means time.Now.
	Clock func() time.Time
}

// New returns an empty in-memory repo: a Driver under store.Checked.
func New(opts Options) *store.Checked {
	return store.NewChecked(NewDriver(), store.CheckedOptions{Clock: opts.Clock})
}

// Driver is the in-memory store.Driver: maps under one lock, assuming what
// store.Driver says it may. Use New for a Repo; a Driver alone is for
// building one over it, wrapped (to record or to fail calls, say).
type Driver struct {
	mu      sync.RWMutex
	heads   map[string]store.Revision
	commits map[store.Revision]commit
	aliases map[string]string
}

var _ store.Driver = (*Driver)(nil)

type commit struct {
	store.Commit
	snap *store.Snapshot
}

// NewDriver returns an empty Driver.
func NewDriver() *Driver {
	return &Driver{heads: map[string]store.Revision{}, commits: map[store.Revision]commit{}, aliases: map[string]string{}}
}

// Head implements store.Driver.
func (d *Driver) Head(_ context.Context, branch string) (store.Commit, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	rev, ok := d.heads[branch]
	if !ok {
		return store.Commit{}, store.ErrNotFound
	}
	return clone(d.commits[rev].Commit), nil
}

// Snapshot implements store.Driver.
func (d *Driver) Snapshot(_ context.Context, rev store.Revision) (*store.Snapshot, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	c, ok := d.commits[rev]
	if !ok {
		return nil, store.ErrNotFound
	}
	return c.snap, nil
}

// Apply implements store.Driver, under one lock: all or nothing.
func (d *Driver) Apply(_ context.Context, updates []store.Update) ([]store.Commit, error) {
	cs := make([]store.Commit, len(updates))
	for i, u := range updates {
		cs[i] = store.Commit{Parent: u.Parent, Branch: u.Branch, Tree: u.Snapshot.Hash(), CommitInfo: u.Info}
		cs[i].Revision = revision(cs[i]) // names the replaced head too, so a Replace commit is new
		if u.Replace {
			cs[i].Parent = ""
		}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	for _, u := range updates {
		if head := d.heads[u.Branch]; head != u.Parent {
			return nil, fmt.Errorf("%w: %s is at %q, not %q", store.ErrConflict, u.Branch, head, u.Parent)
		}
	}
	for i, u := range updates {
		d.commits[cs[i].Revision] = commit{Commit: cs[i], snap: u.Snapshot}
		d.heads[u.Branch] = cs[i].Revision
		cs[i] = clone(cs[i])
	}
	return cs, nil
}

// Log implements store.Driver.
func (d *Driver) Log(_ context.Context, branch string, opts store.LogOptions) ([]store.Commit, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	rev, ok := d.heads[branch]
	if !ok {
		return nil, store.ErrNotFound
	}
	var out []store.Commit
	for ; rev != "" && (opts.Limit == 0 || len(out) < opts.Limit); rev = d.commits[rev].Parent {
		out = append(out, clone(d.commits[rev].Commit))
	}
	return out, nil
}

// SetAlias implements store.Driver.
func (d *Driver) SetAlias(_ context.Context, alias, branch string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.aliases[alias] = branch
	return nil
}

// DeleteAlias implements store.Driver.
func (d *Driver) DeleteAlias(_ context.Context, alias string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.aliases, alias)
	return nil
}

// Aliases implements store.Driver.
func (d *Driver) Aliases(context.Context) (map[string]string, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return maps.Clone(d.aliases), nil
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
