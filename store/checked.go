package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/envpromote/envpromote/errkind"
)

// Driver is a backend under Checked: it keeps branches, commits, snapshots
// and aliases, and applies no rules of its own. Checked calls it only with
// input that passed every check, so a Driver may assume:
//
//   - the context had not ended when the call began (a Driver still stops
//     long work when it ends, and returns its error);
//   - every branch passes ValidateBranch and every alias ValidateAlias;
//   - Apply gets at least one update, the updates name distinct branches,
//     and each Info passed CommitInfo.Validate, has its Time set (to the
//     second) and Metadata the Driver may keep; a nil Snapshot is the empty
//     snapshot, as everywhere;
//   - Log's Limit is not negative (0: the whole history);
//   - Snapshot's rev is not the zero Revision.
//
// What only the backend knows stays its own to check (gitstore refuses a
// parent that is no Git commit id, or an atomic push to a server without
// one). A Driver returns the sentinels of Repo (ErrNotFound, ErrConflict),
// errors.ErrUnsupported where Transactor allows it, and its own errors,
// without naming the operation or the branch: Checked does, once. It
// returns commits whose Metadata the caller may change. It is safe for
// concurrent use; under Checked, it passes storetest.Run.
type Driver interface {
	// Head returns branch's newest commit, or ErrNotFound.
	Head(ctx context.Context, branch string) (Commit, error)
	// Snapshot returns the tree committed at rev, or ErrNotFound.
	Snapshot(ctx context.Context, rev Revision) (*Snapshot, error)
	// Log lists branch's commits newest first, at most opts.Limit of them
	// unless it is 0, or returns ErrNotFound.
	Log(ctx context.Context, branch string, opts LogOptions) ([]Commit, error)
	// Apply makes every update or none, as Transactor.Apply (Commit is
	// an Apply of one update).
	Apply(ctx context.Context, updates []Update) ([]Commit, error)
	// SetAlias, DeleteAlias and Aliases keep aliases, as Namer's.
	SetAlias(ctx context.Context, alias, branch string) error
	DeleteAlias(ctx context.Context, alias string) error
	Aliases(ctx context.Context) (map[string]string, error)
}

// CheckedOptions configures a Checked. The zero value stamps commits with
// time.Now.
type CheckedOptions struct {
	// Clock stamps commits whose CommitInfo.Time is zero; nil means time.Now.
	Clock func() time.Time
}

// Checked is the Repo over a Driver: it writes the rules of Repo,
// Transactor and Namer once, for every backend. Each call checks the
// context and its input before the Driver sees it (branch and alias names,
// commit metadata and author, updates naming distinct branches, the Log
// limit), stamps and truncates commit times, and wraps what fails once, in
// the form "store: commit to dev: conflict: branch head moved". It is safe
// for concurrent use if its Driver is.
type Checked struct {
	d   Driver
	now func() time.Time
}

var (
	_ Repo       = (*Checked)(nil)
	_ Transactor = (*Checked)(nil)
	_ Namer      = (*Checked)(nil)
)

// NewChecked returns the Repo over d.
func NewChecked(d Driver, opts CheckedOptions) *Checked {
	c := &Checked{d: d, now: opts.Clock}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Head implements Repo.
func (c *Checked) Head(ctx context.Context, branch string) (Commit, error) {
	if err := ValidateBranch(branch); err != nil {
		return Commit{}, fmt.Errorf("store: head: %w", err)
	}
	return call(ctx, func() (Commit, error) { return c.d.Head(ctx, branch) }, "head of %s", branch)
}

// Snapshot implements Repo. The zero Revision names no commit
// (ErrNotFound).
func (c *Checked) Snapshot(ctx context.Context, rev Revision) (*Snapshot, error) {
	if rev == "" {
		return nil, fmt.Errorf("store: snapshot: the zero revision names no commit: %w", ErrNotFound)
	}
	return call(ctx, func() (*Snapshot, error) { return c.d.Snapshot(ctx, rev) }, "snapshot %s", briefly(string(rev)))
}

// Log implements Repo. A negative opts.Limit is refused (errkind.Invalid).
func (c *Checked) Log(ctx context.Context, branch string, opts LogOptions) ([]Commit, error) {
	if err := ValidateBranch(branch); err != nil {
		return nil, fmt.Errorf("store: log: %w", err)
	}
	if opts.Limit < 0 {
		return nil, fmt.Errorf("store: log of %s: %w: limit %d is negative (allowed: 0 for the whole history, or a count)", branch, errkind.Invalid, opts.Limit)
	}
	return call(ctx, func() ([]Commit, error) { return c.d.Log(ctx, branch, opts) }, "log of %s", branch)
}

// Commit implements Repo, as an Apply of one update.
func (c *Checked) Commit(ctx context.Context, branch string, parent Revision, snap *Snapshot, info CommitInfo) (Commit, error) {
	cs, err := c.Apply(ctx, []Update{{Branch: branch, Parent: parent, Snapshot: snap, Info: info}})
	if err != nil {
		return Commit{}, err
	}
	return cs[0], nil
}

// Apply implements Transactor. Applying no updates does nothing.
func (c *Checked) Apply(ctx context.Context, updates []Update) ([]Commit, error) {
	own := make([]Update, len(updates))
	for i, u := range updates {
		if err := ValidateBranch(u.Branch); err != nil {
			return nil, fmt.Errorf("store: commit: %w", err)
		}
		if slices.ContainsFunc(own[:i], func(o Update) bool { return o.Branch == u.Branch }) {
			return nil, fmt.Errorf("store: commit: %w: branch %s is updated twice (allowed: one update per branch)", ErrInvalidBranch, u.Branch)
		}
		if err := u.Info.Validate(); err != nil {
			return nil, fmt.Errorf("store: commit to %s: %w", u.Branch, err)
		}
		if u.Info.Time.IsZero() {
			u.Info.Time = c.now()
		}
		u.Info.Time = u.Info.Time.Truncate(time.Second)
		u.Info.Metadata = maps.Clone(u.Info.Metadata)
		own[i] = u
	}
	if err := ctx.Err(); err != nil {
		return nil, commitError(own, err)
	}
	if len(updates) == 0 {
		return nil, nil
	}
	cs, err := c.d.Apply(ctx, own)
	if err != nil {
		return nil, commitError(own, err)
	}
	return cs, nil
}

// commitError names the branches of a failed Apply.
func commitError(updates []Update, err error) error {
	names := make([]string, len(updates))
	for i, u := range updates {
		names[i] = u.Branch
	}
	return fmt.Errorf("store: commit to %s: %w", strings.Join(names, ", "), err)
}

// SetAlias implements Namer.
func (c *Checked) SetAlias(ctx context.Context, alias, branch string) error {
	if err := ValidateAlias(alias); err != nil {
		return fmt.Errorf("store: set alias: %w", err)
	}
	if err := ValidateBranch(branch); err != nil {
		return fmt.Errorf("store: set alias %s: %w", alias, err)
	}
	_, err := call(ctx, func() (any, error) { return nil, c.d.SetAlias(ctx, alias, branch) }, "set alias %s to %s", alias, branch)
	return err
}

// DeleteAlias implements Namer.
func (c *Checked) DeleteAlias(ctx context.Context, alias string) error {
	if err := ValidateAlias(alias); err != nil {
		return fmt.Errorf("store: delete alias: %w", err)
	}
	_, err := call(ctx, func() (any, error) { return nil, c.d.DeleteAlias(ctx, alias) }, "delete alias %s", alias)
	return err
}

// Aliases implements Namer.
func (c *Checked) Aliases(ctx context.Context) (map[string]string, error) {
	return call(ctx, func() (map[string]string, error) { return c.d.Aliases(ctx) }, "aliases")
}

// call runs a driver operation once its arguments are checked: it checks
// ctx first, and names the operation (format and args) in any error, the
// context's or the driver's, once.
func call[T any](ctx context.Context, op func() (T, error), format string, args ...any) (T, error) {
	err := ctx.Err()
	var v T
	if err == nil {
		v, err = op()
	}
	if err != nil {
		return v, fmt.Errorf("store: "+format+": %w", append(args, err)...)
	}
	return v, nil
}

// briefly defers brief to when an error is formatted.
type briefly string

func (b briefly) String() string { return brief(string(b)) }

// brief quotes s for an error, cut short: a caller's bad input is named,
// not echoed whole.
func brief(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
