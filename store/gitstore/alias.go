package gitstore

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/envpromote/envpromote/store"
)

// aliasPrefix holds the aliases' symbolic refs; store.ValidateBranch
// reserves the namespace, so no branch lands there.
const aliasPrefix = "refs/names/"

// SetAlias writes the symbolic ref refs/names/<alias> pointing at branch's
// ref, so that `git log names/<alias>` and `git show names/<alias>:path`
// read the branch. On disk it is written as git symbolic-ref does, through
// the ref's lock file and a rename, so readers see the old target or the
// new one.
//
// With a remote, aliases live in the local cache only: Git's protocol
// cannot push a symbolic ref, and the cache mirrors the remote's branches,
// so an alias in the cache reads the shared history. Each machine keeps its
// own (the envpromote front door rewrites them when it opens).
func (d driver) SetAlias(ctx context.Context, alias, branch string) error {
	r := d.r
	name, target := plumbing.ReferenceName(aliasPrefix+alias), refName(branch)
	if ds, ok := r.st.(*diskStorage); ok {
		l, err := ds.lockRef(ctx, name)
		if err != nil {
			return err
		}
		return l.write("ref: " + target.String())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.SetReference(plumbing.NewSymbolicReference(name, target))
}

// DeleteAlias removes refs/names/<alias>, under its lock file on disk.
func (d driver) DeleteAlias(ctx context.Context, alias string) error {
	r := d.r
	name := plumbing.ReferenceName(aliasPrefix + alias)
	if ds, ok := r.st.(*diskStorage); ok {
		// Git never packs a symbolic ref, so the loose file is all there is.
		l, err := ds.lockRef(ctx, name)
		if err != nil {
			return err
		}
		defer l.abort()
		if err := os.Remove(l.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.RemoveReference(name)
}

// Aliases returns every alias under refs/names/ and the branch it names;
// a ref there that is not a symbolic ref to a branch is skipped.
func (d driver) Aliases(context.Context) (map[string]string, error) {
	r := d.r
	r.mu.Lock() // go-git's iteration is not safe against its own writes
	defer r.mu.Unlock()
	it, err := r.st.IterReferences()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	err = it.ForEach(func(ref *plumbing.Reference) error {
		alias, ok := strings.CutPrefix(ref.Name().String(), aliasPrefix)
		if !ok || ref.Type() != plumbing.SymbolicReference {
			return nil
		}
		if b, ok := branchOf(ref.Target()); ok {
			out[alias] = b
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// branchOf inverts refName.
func branchOf(ref plumbing.ReferenceName) (string, bool) {
	if b, ok := strings.CutPrefix(ref.String(), "refs/heads/"); ok {
		return b, store.ValidateBranch(b) == nil
	}
	b, ok := strings.CutPrefix(ref.String(), "refs/")
	return b, ok && strings.Contains(b, "/") && store.ValidateBranch(b) == nil
}
