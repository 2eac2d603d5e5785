package promotion

import (
	"fmt"

	"github.com/envpromote/envpromote/store"
)

// StaticView returns snap without its dynamic paths under layout: what
// promotion carries from one environment to the next. Dynamic directories
// are dropped whole and every other directory is shared with snap, so
// unchanged subtrees keep their hashes (and the integrity cache keyed by
// them).
func StaticView(layout Layout, snap *store.Snapshot) *store.Snapshot {
	return snap.Filter(func(p string, _ bool) bool { return !layout.Dynamic(p) })
}

// mergeStatic returns the snapshot holding src's static files and base's
// dynamic files, and the (static) changes from base to it. It is built by
// grafting whole subtrees of src and base, never copying a file, and
// descends only where the two differ (equal subtrees have equal hashes), so
// it costs what changed, not the tenant size.
func mergeStatic(layout Layout, base, src *store.Snapshot) (*store.Snapshot, []store.Change, error) {
	target, err := merge(layout, "", base, src)
	if err != nil {
		return nil, nil, fmt.Errorf("build target: %w", err)
	}
	return target, store.Diff(base, target), nil
}

// merge is mergeStatic for the directories base and src at prefix.
func merge(layout Layout, prefix string, base, src *store.Snapshot) (*store.Snapshot, error) {
	if base.Hash() == src.Hash() {
		return base, nil
	}
	inBase := map[string]store.Entry{}
	for _, e := range base.Entries() {
		inBase[e.Name] = e
	}
	var out []store.Entry
	for _, s := range src.Entries() {
		p := prefix + s.Name
		b, ok := inBase[s.Name]
		delete(inBase, s.Name)
		switch {
		case layout.Dynamic(p):
			if ok {
				out = append(out, b)
			}
		case ok && b.Dir != nil && s.Dir != nil:
			m, err := merge(layout, p+"/", b.Dir, s.Dir)
			if err != nil {
				return nil, err
			}
			out = append(out, store.Entry{Name: s.Name, Dir: m})
		default:
			if ok && b.Dir != nil && dynamicPart(layout, p, b.Dir).Len() > 0 {
				return nil, fmt.Errorf("%w: %s is a file in the source but a directory holding dynamic config in the target", store.ErrInvalidPath, p)
			}
			if s.Dir != nil {
				s.Dir = s.Dir.Filter(func(q string, _ bool) bool { return !layout.Dynamic(p + "/" + q) })
			}
			out = append(out, s)
		}
	}
	for _, b := range inBase { // only in base: keep its dynamic part
		p := prefix + b.Name
		switch {
		case layout.Dynamic(p):
			out = append(out, b)
		case b.Dir != nil:
			out = append(out, store.Entry{Name: b.Name, Dir: dynamicPart(layout, p, b.Dir)})
		}
	}
	return store.NewTree(out)
}

// dynamicPart returns the dynamic files of dir, the directory at p.
func dynamicPart(layout Layout, p string, dir *store.Snapshot) *store.Snapshot {
	return dir.Filter(func(q string, isDir bool) bool { return isDir || layout.Dynamic(p+"/"+q) })
}

// walkAbove is the number of files above which files walks the snapshot
// once rather than reading them one by one: reading copies each file,
// walking shares them but visits every file.
const walkAbove = 256

// files returns the data of the files of s that changes name (in path
// order), shared with s when there are many.
func files(s *store.Snapshot, changes []store.Change) (map[string][]byte, error) {
	out := make(map[string][]byte, len(changes))
	if len(changes) <= walkAbove {
		for _, c := range changes {
			data, err := s.ReadFile(c.Path)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", c.Path, err)
			}
			out[c.Path] = data
		}
		return out, nil
	}
	i := 0
	err := s.Walk(func(p string, data []byte) error {
		for i < len(changes) && changes[i].Path < p {
			i++
		}
		if i < len(changes) && changes[i].Path == p {
			out[p] = data
		}
		return nil
	})
	return out, err
}
