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
// size of the change, not of the snapshots. It fails only if a lazy
// directory that differs cannot be read.
func Diff(a, b *Snapshot) ([]Change, error) {
	var out []Change
	err := DiffFunc(a, b, func(dir, name string, op Op) { out = append(out, Change{dir + name, op}) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DiffFunc calls fn for each file that differs from a to b, in Diff's
// order, with the file's directory ("" or a path ending in "/") and its
// name apart: a caller that keeps changes per directory builds no path,
// and each directory's string is made once, however many of its files
// changed. It costs what Diff costs, without the result. If a lazy
// directory cannot be read, DiffFunc stops and returns the error, after
// fn has seen the changes before it.
func DiffFunc(a, b *Snapshot, fn func(dir, name string, op Op)) error {
	return diff(a.dir(), b.dir(), "", fn)
}

func diff(a, b *node, prefix string, fn func(dir, name string, op Op)) error {
	if a.hash == b.hash {
		return nil
	}
	as, err := a.list()
	if err != nil {
		return dirErr("diff", prefix, err)
	}
	bs, err := b.list()
	if err != nil {
		return dirErr("diff", prefix, err)
	}
	i, j := 0, 0
	for i < len(as) || j < len(bs) {
		// Fast path: an entry both share, as most are in a wide directory
		// where little changed. Comparing the nodes first spares reading
		// each one's hash when the snapshots share it, as derived ones do.
		if i < len(as) && j < len(bs) && as[i].name == bs[j].name && (as[i].n == bs[j].n || as[i].n.hash == bs[j].n.hash) {
			i, j = i+1, j+1
			continue
		}
		var c int
		switch {
		case i == len(as):
			c = 1
		case j == len(bs):
			c = -1
		default:
			c = cmpEntry(as[i].name, as[i].n.dir, bs[j].name, bs[j].n.dir)
		}
		var err error
		switch {
		case c < 0:
			err = all(as[i], prefix, Deleted, fn)
			i++
		case c > 0:
			err = all(bs[j], prefix, Added, fn)
			j++
		default:
			if as[i].n.dir {
				err = diff(as[i].n, bs[j].n, prefix+as[i].name+"/", fn)
			} else {
				fn(prefix, as[i].name, Modified)
			}
			i, j = i+1, j+1
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// all reports every file at or below e as op.
func all(e entry, prefix string, op Op, fn func(dir, name string, op Op)) error {
	if !e.n.dir {
		fn(prefix, e.name, op)
		return nil
	}
	p := prefix + e.name + "/"
	es, err := e.n.list()
	if err != nil {
		return dirErr("diff", p, err)
	}
	for _, c := range es {
		if err := all(c, p, op, fn); err != nil {
			return err
		}
	}
	return nil
}
