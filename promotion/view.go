package promotion

import (
	"fmt"
	"strings"

	"github.com/envpromote/envpromote/store"
)

// StaticView returns snap without its dynamic paths under layout: what
// promotion carries from one environment to the next. Each dynamic
// directory is dropped as a whole and every other directory is shared with
// snap, so the result costs one pass over the file names.
func StaticView(layout Layout, snap *store.Snapshot) (*store.Snapshot, error) {
	var (
		b    *store.Builder
		skip string // a dropped directory, with a trailing slash
	)
	err := snap.Walk(func(p string, _ []byte) error {
		if skip != "" && strings.HasPrefix(p, skip) {
			return nil
		}
		if !layout.Dynamic(p) {
			return nil
		}
		root := dynamicRoot(layout, p)
		if b == nil {
			b = store.NewBuilder(snap)
		}
		skip = root + "/"
		return b.Delete(root)
	})
	if err != nil {
		return nil, fmt.Errorf("static view: %w", err)
	}
	if b == nil {
		return snap, nil
	}
	return b.Snapshot(), nil
}

// dynamicRoot returns the highest dynamic directory holding the dynamic file
// p, or p itself.
func dynamicRoot(layout Layout, p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && layout.Dynamic(p[:i]) {
			return p[:i]
		}
	}
	return p
}

// mergeStatic returns base with the static paths of src: base's dynamic
// config and src's static config. Only the paths where the two differ are
// touched, so the cost follows the change, not the tenant size. It also
// returns the static changes from base to the result.
func mergeStatic(layout Layout, base, src *store.Snapshot) (*store.Snapshot, []store.Change, error) {
	var static, puts []store.Change
	b := store.NewBuilder(base)
	// Deletes go first so a file may replace a deleted directory and the
	// other way round.
	for _, c := range store.Diff(base, src) {
		if layout.Dynamic(c.Path) {
			continue
		}
		static = append(static, c)
		if c.Op != store.Deleted {
			puts = append(puts, c)
		} else if err := b.Delete(c.Path); err != nil {
			return nil, nil, fmt.Errorf("build target: %w", err)
		}
	}
	for _, c := range puts {
		data, err := src.ReadFile(c.Path)
		if err == nil {
			err = b.Put(c.Path, data)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("build target at %s: %w", c.Path, err)
		}
	}
	return b.Snapshot(), static, nil
}
