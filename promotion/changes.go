package promotion

import (
	"strings"

	"github.com/envpromote/envpromote/store"
)

// changes is what store.Diff returns, the files that differ between two
// snapshots in path order, held compactly: each directory's path once and
// each file by its name (the snapshot's string), so a promotion of a whole
// tenant does not hold a path per file. Change i is dirs' run holding i,
// plus names[i].
type changes struct {
	dirs  []dirRun
	names []string
	ops   []store.Op
}

// dirRun is a run of changes in one directory, from index start on. path
// ends in "/" unless it is the root's "".
type dirRun struct {
	path  string
	start int
}

// diffFiles returns the changes from a to b (store.DiffFunc).
func diffFiles(a, b *store.Snapshot) (*changes, error) {
	c := &changes{}
	if err := store.DiffFunc(a, b, c.add); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *changes) add(dir, name string, op store.Op) {
	if n := len(c.dirs); n == 0 || c.dirs[n-1].path != dir {
		c.dirs = append(c.dirs, dirRun{dir, len(c.names)})
	}
	c.names = append(c.names, name)
	c.ops = append(c.ops, op)
}

// Len returns the number of changes.
func (c *changes) Len() int { return len(c.names) }

// run returns the directory run holding change i.
func (c *changes) run(i int) dirRun {
	lo, hi := 0, len(c.dirs)
	for hi-lo > 1 { // the last run starting at or before i
		if m := (lo + hi) / 2; c.dirs[m].start <= i {
			lo = m
		} else {
			hi = m
		}
	}
	return c.dirs[lo]
}

// Path returns change i's path.
func (c *changes) Path(i int) string { return c.run(i).path + c.names[i] }

// find returns the index of the change at path.
func (c *changes) find(path string) (int, bool) {
	lo, hi := 0, len(c.names)
	for lo < hi { // the first change at or after path
		m := (lo + hi) / 2
		if comparePath(c.run(m).path, c.names[m], path) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(c.names) && comparePath(c.run(lo).path, c.names[lo], path) == 0
}

// comparePath compares dir+name with path without building the former.
func comparePath(dir, name, path string) int {
	if len(path) < len(dir) {
		if o := strings.Compare(dir[:len(path)], path); o != 0 {
			return o
		}
		return 1
	}
	if o := strings.Compare(dir, path[:len(dir)]); o != 0 {
		return o
	}
	return strings.Compare(name, path[len(dir):])
}

// list returns the changes as store.Diff would.
func (c *changes) list() []store.Change {
	out := make([]store.Change, c.Len())
	for i := range out {
		out[i] = store.Change{Path: c.Path(i), Op: c.ops[i]}
	}
	return out
}
