package promotion

import (
	"cmp"
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

// diffFiles returns the changes from a to b. Like store.Diff it skips
// subtrees with equal hashes without reading them.
func diffFiles(a, b *store.Snapshot) *changes {
	c := &changes{}
	c.diff(a, b, "")
	return c
}

func (c *changes) diff(a, b *store.Snapshot, prefix string) {
	if a.Hash() == b.Hash() {
		return
	}
	ae, be := a.Entries(), b.Entries()
	for i, j := 0, 0; i < len(ae) || j < len(be); {
		var o int
		switch {
		case i == len(ae):
			o = 1
		case j == len(be):
			o = -1
		default:
			o = gitCompare(ae[i], be[j])
		}
		switch {
		case o < 0:
			c.all(ae[i], prefix, store.Deleted)
			i++
		case o > 0:
			c.all(be[j], prefix, store.Added)
			j++
		default:
			switch {
			case ae[i].Hash == be[j].Hash:
			case ae[i].Dir != nil:
				c.diff(ae[i].Dir, be[j].Dir, prefix+ae[i].Name+"/")
			default:
				c.add(prefix, ae[i].Name, store.Modified)
			}
			i, j = i+1, j+1
		}
	}
}

// all adds every file at or below e as op.
func (c *changes) all(e store.Entry, prefix string, op store.Op) {
	if e.Dir == nil {
		c.add(prefix, e.Name, op)
		return
	}
	p := prefix + e.Name + "/"
	for _, f := range e.Dir.Entries() {
		c.all(f, p, op)
	}
}

func (c *changes) add(dir, name string, op store.Op) {
	if n := len(c.dirs); n == 0 || c.dirs[n-1].path != dir {
		c.dirs = append(c.dirs, dirRun{dir, len(c.names)})
	}
	c.names = append(c.names, name)
	c.ops = append(c.ops, op)
}

// gitCompare orders two entries of a directory as Git trees do: by name,
// a directory's name followed by "/". The order of full paths is then that
// of their strings, which is how Diff sorts them.
func gitCompare(a, b store.Entry) int {
	n := min(len(a.Name), len(b.Name))
	if o := strings.Compare(a.Name[:n], b.Name[:n]); o != 0 {
		return o
	}
	next := func(e store.Entry) int {
		switch {
		case n < len(e.Name):
			return int(e.Name[n])
		case e.Dir != nil:
			return '/'
		}
		return -1
	}
	return cmp.Compare(next(a), next(b))
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
