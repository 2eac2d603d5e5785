package store

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Builder derives a new Snapshot from a base by a batch of Put and Delete
// calls. Only directories on the changed paths are copied; everything else
// is shared with the base. The zero Builder starts from the empty snapshot.
// A Builder is not safe for concurrent use; the snapshots it returns are.
type Builder struct {
	base *Snapshot
	root *mdir // nil until the first change
}

// mdir is a directory being edited.
type mdir struct {
	from    *node    // the directory it was opened from; nil for a new one
	entries []mentry // Git order
	changed bool     // an entry was added, replaced or removed
}

// mentry is an entry of a directory being edited: a frozen node, or a
// directory being edited (sub) and the node it was opened from (n).
type mentry struct {
	name string
	n    *node
	sub  *mdir
}

func (e *mentry) isDir() bool { return e.sub != nil || e.n.dir }

// NewBuilder returns a Builder starting from base (nil for empty).
func NewBuilder(base *Snapshot) *Builder { return &Builder{base: base} }

// open starts editing directory n, at path dir, reading it if it is lazy.
func open(n *node, dir string) (*mdir, error) {
	es, err := n.list()
	if err != nil {
		return nil, &fs.PathError{Op: "edit", Path: dir, Err: err}
	}
	m := &mdir{from: n, entries: make([]mentry, len(es))}
	for i, e := range es {
		m.entries[i] = mentry{name: e.name, n: e.n}
	}
	return m, nil
}

// search finds name in m whatever its kind; when absent it returns where an
// entry of kind dir would be inserted.
func (m *mdir) search(name string, dir bool) (int, bool) {
	cmp := func(e mentry, key bool) int { return cmpEntry(e.name, e.isDir(), name, key) }
	for _, k := range [2]bool{!dir, dir} {
		if i, ok := slices.BinarySearchFunc(m.entries, k, cmp); ok {
			return i, true
		}
	}
	// Sorted input, as from New and LoadDir, appends.
	if n := len(m.entries); n == 0 || cmp(m.entries[n-1], dir) < 0 {
		return n, false
	}
	i, _ := slices.BinarySearchFunc(m.entries, dir, cmp)
	return i, false
}

// subdir returns the editable directory of entry i, at path dir.
func (m *mdir) subdir(i int, dir string) (*mdir, error) {
	e := &m.entries[i]
	if e.sub == nil {
		sub, err := open(e.n, dir)
		if err != nil {
			return nil, err
		}
		e.sub = sub
	}
	return e.sub, nil
}

func (b *Builder) rootDir() (*mdir, error) {
	if b.root == nil {
		root, err := open(b.base.dir(), ".")
		if err != nil {
			return nil, err
		}
		b.root = root
	}
	return b.root, nil
}

// Put sets the file at p to a copy of data, creating parent directories.
// It fails with ErrInvalidPath if p is invalid, if p is a directory, or if
// one of its parents is a file, and with the read error of a lazy base's
// directory on the way; either leaves the Builder as it was.
func (b *Builder) Put(p string, data []byte) error {
	if err := ValidatePath(p); err != nil {
		return err
	}
	m, err := b.rootDir()
	if err != nil {
		return err
	}
	elems := strings.Split(p, "/")
	for k, name := range elems[:len(elems)-1] {
		i, ok := m.search(name, true)
		switch {
		case !ok:
			m.entries = slices.Insert(m.entries, i, mentry{name: name, sub: &mdir{}})
			m.changed = true
		case !m.entries[i].isDir():
			return fmt.Errorf("%w %q: %q is a file", ErrInvalidPath, p, strings.Join(elems[:k+1], "/"))
		}
		if m, err = m.subdir(i, strings.Join(elems[:k+1], "/")); err != nil {
			return err
		}
	}
	name := elems[len(elems)-1]
	f := newFile(slices.Clone(data))
	i, ok := m.search(name, false)
	switch {
	case !ok:
		m.entries = slices.Insert(m.entries, i, mentry{name: name, n: f})
	case m.entries[i].isDir():
		return fmt.Errorf("%w %q: is a directory", ErrInvalidPath, p)
	case m.entries[i].n.hash == f.hash:
		return nil // the same content: nothing changes
	default:
		m.entries[i] = mentry{name: name, n: f}
	}
	m.changed = true
	return nil
}

// Delete removes the file or the whole directory at p. Deleting a path that
// does not exist is not an error; an invalid p is (ErrInvalidPath), and so
// is the read error of a lazy base's directory on the way.
func (b *Builder) Delete(p string) error {
	if err := ValidatePath(p); err != nil {
		return err
	}
	m, err := b.rootDir()
	if err != nil {
		return err
	}
	elems := strings.Split(p, "/")
	for k, name := range elems[:len(elems)-1] {
		i, ok := m.search(name, true)
		if !ok || !m.entries[i].isDir() {
			return nil
		}
		if m, err = m.subdir(i, strings.Join(elems[:k+1], "/")); err != nil {
			return err
		}
	}
	if i, ok := m.search(elems[len(elems)-1], false); ok {
		m.entries = slices.Delete(m.entries, i, i+1)
		m.changed = true
	}
	return nil
}

// Snapshot returns the snapshot built so far. The Builder stays usable.
func (b *Builder) Snapshot() *Snapshot {
	if b.root == nil {
		return b.base
	}
	b.base = &Snapshot{root: b.root.freeze()}
	b.root = nil
	return b.base
}

// freeze hashes the edited directory bottom-up, dropping directories left
// empty, since Git cannot represent them. A directory opened but left as it
// was is its original node, hash included: a backend may address it by a
// hash its entries would not give (gitstore keeps an executable file's
// directory as Git stored it).
func (m *mdir) freeze() *node {
	same := m.from != nil && !m.changed
	es := make([]entry, 0, len(m.entries))
	for _, e := range m.entries {
		n := e.n
		if e.sub != nil {
			n = e.sub.freeze()
			same = same && n == e.n
		}
		if n.dir && n.files == 0 {
			continue
		}
		es = append(es, entry{e.name, n})
	}
	if same {
		return m.from
	}
	return newDir(es)
}
