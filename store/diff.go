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
	diff(a.dir(), b.dir(), "", &out)
	return out
}

func diff(a, b *node, prefix string, out *[]Change) {
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
			all(a.entries[i], prefix, Deleted, out)
			i++
		case c > 0:
			all(b.entries[j], prefix, Added, out)
			j++
		default:
			ea, eb := a.entries[i], b.entries[j]
			switch {
			case ea.n.hash == eb.n.hash: // checked here to spare the path
			case ea.n.dir:
				diff(ea.n, eb.n, prefix+ea.name+"/", out)
			default:
				*out = append(*out, Change{prefix + ea.name, Modified})
			}
			i, j = i+1, j+1
		}
	}
}

// all reports every file at or below e as op.
func all(e entry, prefix string, op Op, out *[]Change) {
	if !e.n.dir {
		*out = append(*out, Change{prefix + e.name, op})
		return
	}
	for _, c := range e.n.entries {
		all(c, prefix+e.name+"/", op, out)
	}
}
