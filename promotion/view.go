package promotion

import (
	"fmt"

	"github.com/envpromote/envpromote/store"
)

// StaticView returns snap without its dynamic paths under layout: what
// promotion carries from one environment to the next. Dynamic directories
// are dropped whole and every other directory is shared with snap, so
// unchanged subtrees keep their hashes (and the integrity cache keyed by
// them). With a StaticLayout it visits only the directories holding both
// kinds, so its cost does not grow with the static config. It fails only if
// a lazy snapshot's directory cannot be read.
func StaticView(layout Layout, snap *store.Snapshot) (*store.Snapshot, error) {
	return snap.Select(staticChoice(layout, ""))
}

// staticChoice selects the static paths below prefix.
func staticChoice(layout Layout, prefix string) func(string, bool) store.Choice {
	static := isStatic(layout)
	return func(q string, dir bool) store.Choice {
		p := prefix + q
		switch {
		case layout.Dynamic(p):
			return store.Drop
		case dir && static(p):
			return store.KeepAll
		}
		return store.Visit
	}
}

// dynamicChoice selects the dynamic paths below prefix.
func dynamicChoice(layout Layout, prefix string) func(string, bool) store.Choice {
	static := isStatic(layout)
	return func(q string, dir bool) store.Choice {
		p := prefix + q
		switch {
		case layout.Dynamic(p):
			return store.KeepAll
		case dir && !static(p):
			return store.Visit
		}
		return store.Drop
	}
}

// isStatic returns layout's StaticLayout.Static, or a function that never
// knows.
func isStatic(layout Layout) func(dir string) bool {
	if sl, ok := layout.(StaticLayout); ok {
		return sl.Static
	}
	return func(string) bool { return false }
}

// mergeStatic returns the snapshot holding src's static files and base's
// dynamic files, and the (static) changes from base to it. It is built by
// grafting whole subtrees of src and base, never copying a file, and
// descends only where the two differ (equal subtrees have equal hashes) and
// below directories that hold both kinds, so it costs what changed, not the
// tenant size. It reads no file content.
func mergeStatic(layout Layout, base, src *store.Snapshot) (*store.Snapshot, *changes, error) {
	target, err := merge(layout, isStatic(layout), "", base, src)
	if err != nil {
		return nil, nil, fmt.Errorf("build target: %w", err)
	}
	changes, err := diffFiles(base, target)
	if err != nil {
		return nil, nil, fmt.Errorf("build target: %w", err)
	}
	return target, changes, nil
}

// merge is mergeStatic for the directories base and src at prefix.
func merge(layout Layout, static func(string) bool, prefix string, base, src *store.Snapshot) (*store.Snapshot, error) {
	if base.Hash() == src.Hash() {
		return base, nil
	}
	baseEntries, err := base.Entries()
	if err != nil {
		return nil, err
	}
	srcEntries, err := src.Entries()
	if err != nil {
		return nil, err
	}
	inBase := map[string]store.Entry{}
	for _, e := range baseEntries {
		inBase[e.Name] = e
	}
	var out []store.Entry
	for _, s := range srcEntries {
		p := prefix + s.Name
		b, ok := inBase[s.Name]
		delete(inBase, s.Name)
		switch {
		case layout.Dynamic(p):
			if ok {
				out = append(out, b)
			}
		case s.Dir != nil && static(p): // nothing of base's is kept here
			out = append(out, s)
		case ok && b.Dir != nil && s.Dir != nil:
			m, err := merge(layout, static, p+"/", b.Dir, s.Dir)
			if err != nil {
				return nil, err
			}
			out = append(out, store.Entry{Name: s.Name, Dir: m})
		default:
			if ok && b.Dir != nil {
				dyn, err := dynamicPart(layout, p, b.Dir)
				if err != nil {
					return nil, err
				}
				if !dyn.Empty() {
					return nil, fmt.Errorf("%w: %s is a file in the source but a directory holding dynamic config in the target", store.ErrInvalidPath, p)
				}
			}
			if s.Dir != nil {
				if s.Dir, err = s.Dir.Select(staticChoice(layout, p+"/")); err != nil {
					return nil, err
				}
			}
			out = append(out, s)
		}
	}
	for _, b := range inBase { // only in base: keep its dynamic part
		p := prefix + b.Name
		switch {
		case layout.Dynamic(p):
			out = append(out, b)
		case b.Dir != nil && !static(p):
			dyn, err := dynamicPart(layout, p, b.Dir)
			if err != nil {
				return nil, err
			}
			out = append(out, store.Entry{Name: b.Name, Dir: dyn})
		}
	}
	return store.NewTree(out)
}

// dynamicPart returns the dynamic files of dir, the directory at p.
func dynamicPart(layout Layout, p string, dir *store.Snapshot) (*store.Snapshot, error) {
	return dir.Select(dynamicChoice(layout, p+"/"))
}

// eachFile calls fn with the index in changes and the content of each file
// of s that changes names and want accepts, in path order; changes are
// sorted by path, as Diff returns them. Each file is looked up by its path,
// so the cost follows the changes, not the size of the directories they
// sit in; a lazy snapshot reads only those files, one at a time, so memory
// does not grow with the number of changes. It stops at the first file it
// cannot read and returns the error.
func eachFile(s *store.Snapshot, changes *changes, want func(i int) bool, fn func(i int, data []byte)) error {
	for i := range changes.Len() {
		if !want(i) {
			continue
		}
		data, err := s.ReadFile(changes.Path(i))
		if err != nil {
			return err
		}
		fn(i, data)
	}
	return nil
}
