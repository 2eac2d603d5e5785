package store

// Op is the kind of a Change.
type Op uint8

// The kinds of change Diff reports.
const (
	Added Op = iota + 1
	Deleted
	Modified
)

func (o Op) String() string {
	switch o {
	case Added:
		return "added"
	case Deleted:
		return "deleted"
	case Modified:
		return "modified"
	}
	return "unknown"
}

// Change is one file that differs between two snapshots.
type Change struct {
	Path string
	Op   Op
}

// Diff returns the files that differ from a to b, sorted by path. Subtrees
// with equal hashes are skipped without being read, so the cost follows the
// size of the change, not of the snapshots.
func Diff(a, b *Snapshot) []Change {
	var out []Change
	DiffFunc(a, b, func(dir, name string, op Op) { out = append(out, Change{dir + name, op}) })
	return out
}

// DiffFunc calls fn for each file that differs from a to b, in Diff's
// order, with the file's directory ("" or a path ending in "/") and its
// name apart: a caller that keeps changes per directory builds no path,
// and each directory's string is made once, however many of its files
// changed. It costs what Diff costs, without the result.
func DiffFunc(a, b *Snapshot, fn func(dir, name string, op Op)) {
	diff(a.dir(), b.dir(), "", fn)
}

func diff(a, b *node, prefix string, fn func(dir, name string, op Op)) {
	if a.hash == b.hash {
		return
	}
	i, j := 0, 0
	for i < len(a.entries) || j < len(b.entries) {
		// Fast path: an entry both share, as most are in a wide directory
		// where little changed.
		if i < len(a.entries) && j < len(b.entries) && a.entries[i].n == b.entries[j].n && a.entries[i].name == b.entries[j].name {
			i, j = i+1, j+1
			continue
		}
		var c int
		switch {
		case i == len(a.entries):
			c = 1
		case j == len(b.entries):
			c = -1
		default:
			ea, eb := a.entries[i], b.entries[j]
			c = cmpEntry(ea.name, ea.n.dir, eb.name, eb.n.dir)
		}
		switch {
		case c < 0:
			all(a.entries[i], prefix, Deleted, fn)
			i++
		case c > 0:
			all(b.entries[j], prefix, Added, fn)
			j++
		default:
			ea, eb := a.entries[i], b.entries[j]
			switch {
			case ea.n.hash == eb.n.hash: // checked here to spare the path
			case ea.n.dir:
				diff(ea.n, eb.n, prefix+ea.name+"/", fn)
			default:
				fn(prefix, ea.name, Modified)
			}
			i, j = i+1, j+1
		}
	}
}

// all reports every file at or below e as op.
func all(e entry, prefix string, op Op, fn func(dir, name string, op Op)) {
	if !e.n.dir {
		fn(prefix, e.name, op)
		return
	}
	p := prefix + e.name + "/"
	for _, c := range e.n.entries {
		all(c, p, op, fn)
	}
}
