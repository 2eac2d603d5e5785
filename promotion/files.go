package promotion

import (
	"context"
	"errors"
	"fmt"

	"github.com/envpromote/envpromote/store"
)

// FileChange is one file a promotion or rollback would change, with its
// contents on both sides, for showing file diffs next to a report.
type FileChange struct {
	Path string
	Op   store.Op
	// Item is the report entry the file belongs to.
	Item Item
	// Before is nil for an added file, After for a deleted one.
	Before, After []byte
}

// ProvisionalFiles returns the files that promoting lower to upper
// (typ TypePromotion) or rolling back upper's last promotion (TypeRollback,
// lower ignored) would change now, sorted by path: the file-level view of
// ProvisionalReport and ProvisionalRollbackReport. Errors are theirs.
func (p *Promoter) ProvisionalFiles(ctx context.Context, typ Type, lower, upper string) ([]FileChange, error) {
	if typ == TypeRollback {
		lower = ""
	}
	lower, upper, err := p.pair(lower, upper)
	if err != nil {
		return nil, fmt.Errorf("provisional %s files: %w", typ, err)
	}
	fail := func(err error) ([]FileChange, error) {
		return nil, fmt.Errorf("provisional %s files %s → %s: %w", typ, lower, upper, err)
	}
	pl, err := p.plan(ctx, typ, lower, upper)
	if err != nil {
		return fail(err)
	}
	out := make([]FileChange, 0, pl.changes.Len())
	for i := range pl.changes.Len() {
		fc := FileChange{Path: pl.changes.Path(i), Op: pl.changes.ops[i]}
		// Both snapshots hold the paths their diff names: an error is a
		// lazy snapshot's that could not read it.
		if fc.Op != store.Added {
			if fc.Before, err = pl.before.ReadFile(fc.Path); err != nil {
				return fail(err)
			}
		}
		if fc.Op != store.Deleted {
			if fc.After, err = pl.target.ReadFile(fc.Path); err != nil {
				return fail(err)
			}
		}
		data := fc.After
		if data == nil {
			data = fc.Before
		}
		fc.Item = p.layout.Describe(fc.Path, data)
		out = append(out, fc)
	}
	return out, nil
}

// Head returns env's newest commit, or a zero Commit when env has no
// history yet. env must be a member of the group.
func (p *Promoter) Head(ctx context.Context, env string) (store.Commit, error) {
	if err := p.member(env); err != nil {
		return store.Commit{}, err
	}
	c, err := p.repo.Head(ctx, env)
	if errors.Is(err, store.ErrNotFound) {
		return store.Commit{}, ctx.Err()
	}
	return c, err
}
