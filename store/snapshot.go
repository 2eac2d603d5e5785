package store

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"iter"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Hash is the content address of a file or directory. It is the Git object
// id of the equivalent blob or tree (SHA-1 over Git's object encoding), so a
// Snapshot's directory hash is exactly the tree id Git would compute and the
// Git backend can skip every subtree it already stores. SHA-1 is used for
// that compatibility, not as a security boundary.
type Hash [sha1.Size]byte

// String returns the hash in lowercase hex, as Git prints it.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero hash (no object).
func (h Hash) IsZero() bool { return h == Hash{} }

// Snapshot is an immutable tree of configuration files: slash-separated
// paths mapped to bytes. Every directory carries the hash of its entries, so
// equal subtrees compare in O(1), Diff skips them, and deriving a snapshot
// (With, Without, Builder) copies only the directories on the changed paths.
//
// A nil *Snapshot is the valid empty snapshot. Snapshots are safe for
// concurrent use. Byte slices they hand out (Walk, Entry.Data,
// Entry.ReadData) are shared and must not be modified; ReadFile returns a
// copy.
//
// A backend may build a lazy snapshot: its files hold only their hash and
// their content is read when asked for (see Source), and its directories
// may too, their entries read when a method first looks inside them (see
// TreeSource and LazyTree). Nothing read that way is kept by the snapshot,
// so holding one costs its loaded directories, not the tenant: the
// backend's cache, bounded in bytes, decides what stays in memory.
//
// Methods that may look inside a directory or a file return an error,
// which for a lazy snapshot is the Source's, wrapped with the path. Hash,
// Equal, Empty and String never do I/O; Len and Size count every file of
// a lazy snapshot and return -1 if a directory or size cannot be read.
// Methods that compare or select (Diff, Select, Filter) skip equal or
// wholly kept subtrees by hash, so they read only the directories that
// differ or are visited.
type Snapshot struct {
	root *node
}

// node is a file (dir == false) or a directory. Nodes are never mutated
// after construction, which is what lets snapshots share them.
type node struct {
	hash    Hash
	dir     bool
	data    []byte     // file content; nil when src is set
	src     Source     // a lazy file: its content is src.ReadBlob(hash)
	trees   TreeSource // a lazy directory: its entries are trees.ReadTree(hash)
	entries []entry    // directory entries in Git order (see cmpEntry)
	files   int        // number of files at or below this node; -1 if some are in lazy directories
	size    int64      // total file bytes at or below this node; -1 if some are lazy
}

// Source reads the files of a lazy snapshot by hash, for backends that
// keep contents elsewhere (gitstore reads them from the object store,
// through a cache bounded in bytes). It must be safe for concurrent use.
type Source interface {
	// ReadBlob returns the content of the file whose hash is h. The caller
	// does not modify it, so it may be shared.
	ReadBlob(h Hash) ([]byte, error)
	// BlobSize returns the size in bytes of the file whose hash is h.
	BlobSize(h Hash) (int64, error)
}

// TreeSource reads the directories of a lazy snapshot by hash (gitstore
// reads them from its object store, through a cache bounded in bytes). It
// must be safe for concurrent use.
type TreeSource interface {
	// ReadTree returns the directory whose hash is h, with its entries
	// loaded; they may be lazy files and lazy directories themselves. The
	// caller does not modify it, so it may be shared. Its own Hash may
	// differ from h where the backend stores what a snapshot cannot hold
	// (gitstore reads an executable file as a plain one): the lazy
	// directory keeps h, the backend's address of what it holds.
	ReadTree(h Hash) (*Snapshot, error)
}

// LazyTree returns the snapshot of the directory whose hash is h, whose
// entries src reads each time a method looks inside it: for backends that
// keep directories elsewhere. h is trusted as src's address of the
// directory, and is taken to hold at least one file unless it is the
// empty directory's hash, as every tree Git commits from files does; a
// tree built by Git's plumbing that holds only empty directories is then
// a directory Empty calls non-empty and Len counts 0 files in.
func LazyTree(h Hash, src TreeSource) *Snapshot {
	if h == emptyDir.hash {
		return &Snapshot{root: emptyDir} // not nil: an Entry's Dir must be set
	}
	return &Snapshot{root: &node{hash: h, dir: true, trees: src, files: -1, size: -1}}
}

// TreeSource returns the TreeSource of a lazy snapshot whose root is not
// loaded, and nil otherwise: a backend writing a snapshot tells its own
// lazy directories, which it holds already, from others'.
func (s *Snapshot) TreeSource() TreeSource { return s.dir().trees }

// list returns a directory's entries, reading a lazy directory from its
// TreeSource.
func (n *node) list() ([]entry, error) {
	if n.trees == nil {
		return n.entries, nil
	}
	s, err := n.trees.ReadTree(n.hash)
	if err != nil {
		return nil, err
	}
	if d := s.dir(); d.trees == nil {
		return d.entries, nil
	}
	return nil, fmt.Errorf("tree source returned directory %s unloaded", n.hash)
}

// content returns a file's bytes, reading a lazy file from its Source.
func (n *node) content() ([]byte, error) {
	if n.src == nil {
		return n.data, nil
	}
	return n.src.ReadBlob(n.hash)
}

// fileSize returns a file's size, asking a lazy file's Source.
func (n *node) fileSize() (int64, error) {
	if n.src == nil {
		return int64(len(n.data)), nil
	}
	return n.src.BlobSize(n.hash)
}

type entry struct {
	name string
	n    *node
}

var emptyDir = newDir(nil)

func (s *Snapshot) dir() *node {
	if s == nil || s.root == nil {
		return emptyDir
	}
	return s.root
}

// Hash returns the root directory's hash: equal snapshots have equal hashes.
func (s *Snapshot) Hash() Hash { return s.dir().hash }

// Len returns the number of files. For a lazy snapshot it reads every
// directory not counted yet, and returns -1 if one cannot be read.
func (s *Snapshot) Len() int {
	n, err := total(s.dir(), func(n *node) int64 { return int64(n.files) }, nil)
	if err != nil {
		return -1
	}
	return int(n)
}

// Empty reports whether s holds no file. It does no I/O: a lazy directory
// holds a file (see LazyTree).
func (s *Snapshot) Empty() bool { return s.dir().files == 0 }

// Size returns the total size of all files in bytes. For a lazy snapshot
// it reads every lazy directory and asks the Source for every lazy file's
// size (not its content), and returns -1 if one cannot be read.
func (s *Snapshot) Size() int64 {
	size, err := total(s.dir(), func(n *node) int64 { return n.size }, (*node).fileSize)
	if err != nil {
		return -1
	}
	return size
}

// total sums what known gives for the nodes at or below n, reading lazy
// directories where it gives -1 (unknown), and asking file for a file's.
func total(n *node, known func(*node) int64, file func(*node) (int64, error)) (int64, error) {
	if v := known(n); v >= 0 {
		return v, nil
	}
	if !n.dir {
		return file(n)
	}
	es, err := n.list()
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, e := range es {
		v, err := total(e.n, known, file)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

// Equal reports whether s and t hold the same files with the same bytes.
func (s *Snapshot) Equal(t *Snapshot) bool { return s.Hash() == t.Hash() }

// ReadFile returns a copy of the file at name (fs.ReadFileFS).
func (s *Snapshot) ReadFile(name string) ([]byte, error) {
	n, err := s.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("is a directory")}
	}
	data, err := n.content()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return slices.Clone(data), nil
}

// Walk calls fn for every file in path order. data is shared with the
// snapshot and must not be modified. Walk stops at the first error fn
// returns and returns it, or at the first lazy file or directory it cannot
// read (a *fs.PathError naming it). A lazy snapshot's contents are read
// one at a time and not kept, so walking costs the largest file in memory,
// not the whole snapshot.
func (s *Snapshot) Walk(fn func(path string, data []byte) error) error {
	return walk(s.dir(), "", fn)
}

func walk(d *node, prefix string, fn func(string, []byte) error) error {
	es, err := d.list()
	if err != nil {
		return dirErr("read", prefix, err)
	}
	for _, e := range es {
		p := prefix + e.name
		var err error
		if e.n.dir {
			err = walk(e.n, p+"/", fn)
		} else if data, rerr := e.n.content(); rerr != nil {
			err = &fs.PathError{Op: "read", Path: p, Err: rerr}
		} else {
			err = fn(p, data)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Sub returns the snapshot rooted at directory dir (fs.SubFS). It shares
// every node with s. A dir that does not exist yields fs.ErrNotExist.
func (s *Snapshot) Sub(dir string) (fs.FS, error) {
	sub, err := s.SubSnapshot(dir)
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// SubSnapshot is Sub with a concrete result type.
func (s *Snapshot) SubSnapshot(dir string) (*Snapshot, error) {
	n, err := s.lookup("sub", dir)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: "sub", Path: dir, Err: fmt.Errorf("not a directory")}
	}
	return &Snapshot{root: n}, nil
}

// lookup finds the node at name; "." is the root.
func (s *Snapshot) lookup(op, name string) (*node, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n := s.dir()
	if name == "." {
		return n, nil
	}
	for elem := range strings.SplitSeq(name, "/") {
		if !n.dir {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		es, err := n.list()
		if err != nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
		i, ok := find(es, elem)
		if !ok {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		n = es[i].n
	}
	return n, nil
}

// dirErr names the directory at prefix ("" or a path ending in "/") that
// could not be read.
func dirErr(op, prefix string, err error) error {
	dir := strings.TrimSuffix(prefix, "/")
	if dir == "" {
		dir = "."
	}
	return &fs.PathError{Op: op, Path: dir, Err: err}
}

// Entry is one name in a directory of a Snapshot, as seen by backends that
// store trees themselves (see Entries and NewTree).
type Entry struct {
	Name string
	Hash Hash
	// Dir is the subdirectory; nil for a file.
	Dir *Snapshot
	// Data is the file content; shared, must not be modified. Nil for a
	// directory and for a lazy file (Source set): use ReadData, which
	// serves both.
	Data []byte
	// Source, for a lazy file, reads its content by Hash; nil otherwise.
	Source Source
}

// ReadData returns a file entry's content: Data, or what Source reads for
// a lazy file. It is shared and must not be modified.
func (e Entry) ReadData() ([]byte, error) {
	if e.Source == nil || e.Data != nil {
		return e.Data, nil
	}
	data, err := e.Source.ReadBlob(e.Hash)
	if err != nil {
		return nil, fmt.Errorf("read %s (%s): %w", e.Name, e.Hash, err)
	}
	return data, nil
}

// Entries lists the root directory's entries in Git tree order. It reads
// no content: a lazy file's entry has Source set and Data nil, and a lazy
// directory's Dir is lazy. Only a lazy root can fail to be read.
func (s *Snapshot) Entries() ([]Entry, error) {
	es, err := s.dir().list()
	if err != nil {
		return nil, dirErr("readdir", "", err)
	}
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{Name: e.name, Hash: e.n.hash}
		if e.n.dir {
			out[i].Dir = &Snapshot{root: e.n}
		} else {
			out[i].Data, out[i].Source = e.n.data, e.n.src
		}
	}
	return out, nil
}

// Files returns the files directly in the root directory (not in its
// subdirectories), in Git tree order, as Entries does, but as a sequence
// that builds no list: for a caller that looks at a few files of a wide
// directory. Only a lazy root can fail to be read.
func (s *Snapshot) Files() (iter.Seq[Entry], error) {
	es, err := s.dir().list()
	if err != nil {
		return nil, dirErr("readdir", "", err)
	}
	return func(yield func(Entry) bool) {
		for _, e := range es {
			if !e.n.dir && !yield(Entry{Name: e.name, Hash: e.n.hash, Data: e.n.data, Source: e.n.src}) {
				return
			}
		}
	}, nil
}

// NewTree builds a directory from its entries, for backends that load trees
// one level at a time. A directory entry's Dir may be lazy (LazyTree): it is
// not read. A file entry with a Source and no Data is lazy: its Hash is
// trusted, as the Source's address of the content, and nothing is read.
// Otherwise Entry.Hash is ignored and recomputed; file data is not copied,
// so the caller must not modify it afterwards. Names must be single valid
// path elements and unique; an empty directory entry is dropped, as Git
// drops it.
func NewTree(entries []Entry) (*Snapshot, error) {
	es := make([]entry, 0, len(entries))
	for _, e := range entries {
		if err := validName(e.Name); err != nil {
			return nil, err
		}
		switch {
		case e.Dir != nil:
			if e.Dir.Empty() {
				continue
			}
			es = append(es, entry{e.Name, e.Dir.dir()})
		case e.Source != nil && e.Data == nil:
			if e.Hash.IsZero() {
				return nil, fmt.Errorf("%w: lazy file %q has no hash", ErrInvalidPath, e.Name)
			}
			es = append(es, entry{e.Name, &node{hash: e.Hash, src: e.Source, files: 1, size: -1}})
		default:
			es = append(es, entry{e.Name, newFile(e.Data)})
		}
	}
	slices.SortFunc(es, func(a, b entry) int { return cmpEntry(a.name, a.n.dir, b.name, b.n.dir) })
	for i := 1; i < len(es); i++ {
		if es[i].name == es[i-1].name {
			return nil, fmt.Errorf("%w: duplicate entry %q", ErrInvalidPath, es[i].name)
		}
	}
	return &Snapshot{root: newDir(es)}, nil
}

// New returns a snapshot holding files. It copies the data.
func New(files map[string][]byte) (*Snapshot, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths) // sorted input makes every Put an append
	b := NewBuilder(nil)
	for _, p := range paths {
		if err := b.Put(p, files[p]); err != nil {
			return nil, err
		}
	}
	return b.Snapshot(), nil
}

// With returns a snapshot like s with the file at p set to data (copied).
func (s *Snapshot) With(p string, data []byte) (*Snapshot, error) {
	b := NewBuilder(s)
	if err := b.Put(p, data); err != nil {
		return nil, err
	}
	return b.Snapshot(), nil
}

// Without returns a snapshot like s without the file or directory at p.
// Removing a path that does not exist is not an error.
func (s *Snapshot) Without(p string) (*Snapshot, error) {
	b := NewBuilder(s)
	if err := b.Delete(p); err != nil {
		return nil, err
	}
	return b.Snapshot(), nil
}

// MaxPathLen bounds a file path in bytes.
const MaxPathLen = 4096

// ValidatePath reports whether p can name a file in a Snapshot: a clean,
// relative, slash-separated path of valid UTF-8, at most MaxPathLen bytes,
// whose elements are not empty, ".", ".." or ".git" and contain no NUL or
// backslash. The error wraps ErrInvalidPath and names p and the rule broken.
// The last two rules keep every snapshot writable as a Git tree and as a
// directory on any OS.
func ValidatePath(p string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s (want a clean relative slash path like \"realms/alpha/x.json\")", ErrInvalidPath, p, why)
	}
	switch {
	case p == "":
		return bad("empty")
	case len(p) > MaxPathLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxPathLen))
	case !utf8.ValidString(p):
		return bad("not valid UTF-8")
	case p[0] == '/':
		return bad("leading /")
	}
	for elem := range strings.SplitSeq(p, "/") {
		if err := validName(elem); err != nil {
			return bad(strings.TrimPrefix(err.Error(), ErrInvalidPath.Error()+": "))
		}
	}
	return nil
}

// validName checks one path element.
func validName(name string) error {
	why := ""
	switch {
	case name == "":
		why = "empty element"
	case name == "." || name == "..":
		why = fmt.Sprintf("element %q", name)
	case strings.EqualFold(name, ".git"):
		why = "element .git is reserved"
	case strings.ContainsAny(name, "\x00\\/"):
		why = fmt.Sprintf("element %q contains NUL, backslash or slash", name)
	case !utf8.ValidString(name):
		why = "not valid UTF-8"
	default:
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidPath, why)
}

// cmpEntry orders entries the way Git orders tree entries: by name, with a
// directory compared as if its name ended in '/'. Walking in this order
// yields full paths in plain byte order.
func cmpEntry(a string, aDir bool, b string, bDir bool) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	ac, bc := tail(a, n, aDir), tail(b, n, bDir)
	return int(ac) - int(bc)
}

// tail is the byte after position n of a name in Git's ordering (0 at end).
func tail(name string, n int, dir bool) uint16 {
	switch {
	case n < len(name):
		return uint16(name[n]) + 1
	case dir:
		return '/' + 1
	}
	return 0
}

// find returns the index of the entry called name, whether a file or a
// directory. The two kinds sort at different places, so both are searched.
func find(es []entry, name string) (int, bool) {
	for _, dir := range [2]bool{false, true} {
		i, ok := slices.BinarySearchFunc(es, name, func(e entry, name string) int {
			return cmpEntry(e.name, e.n.dir, name, dir)
		})
		if ok {
			return i, true
		}
	}
	return 0, false
}

func newFile(data []byte) *node {
	n := &node{data: data, files: 1, size: int64(len(data))}
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	h.Sum(n.hash[:0])
	return n
}

// newDir hashes a directory whose entries are already in Git order.
func newDir(es []entry) *node {
	n := &node{dir: true, entries: es}
	body := make([]byte, 0, len(es)*64)
	for _, e := range es {
		if e.n.dir {
			body = append(body, "40000 "...)
		} else {
			body = append(body, "100644 "...)
		}
		body = append(body, e.name...)
		body = append(body, 0)
		body = append(body, e.n.hash[:]...)
		if e.n.files < 0 || n.files < 0 {
			n.files = -1 // a lazy directory below: uncounted until asked
		} else {
			n.files += e.n.files
		}
		if e.n.size < 0 || n.size < 0 {
			n.size = -1 // a lazy file below: unknown until asked
		} else {
			n.size += e.n.size
		}
	}
	h := sha1.New()
	h.Write([]byte("tree " + strconv.Itoa(len(body)) + "\x00"))
	h.Write(body)
	h.Sum(n.hash[:0])
	return n
}

// String summarises the snapshot for logs; it never includes file content
// and does no I/O (what a lazy snapshot would have to read is left out).
func (s *Snapshot) String() string {
	d := s.dir()
	switch {
	case d.files < 0:
		return fmt.Sprintf("snapshot %s", s.Hash().String()[:12])
	case d.size < 0:
		return fmt.Sprintf("snapshot %s (%d files)", s.Hash().String()[:12], d.files)
	}
	return fmt.Sprintf("snapshot %s (%d files, %d bytes)", s.Hash().String()[:12], d.files, d.size)
}

// Filter returns the snapshot of the files keep accepts. keep sees each
// directory (dir true) before its contents; rejecting a directory drops it
// whole without visiting it. Directories in which nothing was dropped are
// shared with s, so filtering out a few subtrees costs what it visits, and
// the result's unchanged subtrees keep their hashes (and any cache keyed by
// them). Select can also keep a directory whole without visiting it. It
// fails only if a lazy directory it visits cannot be read.
func (s *Snapshot) Filter(keep func(path string, dir bool) bool) (*Snapshot, error) {
	return s.Select(func(p string, dir bool) Choice {
		if keep(p, dir) {
			return Visit
		}
		return Drop
	})
}

// Choice is what Select does with a file or directory.
type Choice uint8

const (
	// Drop leaves the file, or the whole directory, out.
	Drop Choice = iota
	// Visit keeps the file; a directory is kept with what Select chooses
	// for each entry below it.
	Visit
	// KeepAll keeps the file, or the whole directory without visiting it.
	KeepAll
)

// Select returns the snapshot of the files choose keeps. choose sees each
// directory (dir true) before its contents, and is not called below a
// directory it drops or keeps whole, so a selection that names a few
// directories costs what it visits, whatever the size of the rest. As with
// Filter, unchanged directories are shared with s and keep their hashes.
// It fails only if a lazy directory it visits cannot be read.
func (s *Snapshot) Select(choose func(path string, dir bool) Choice) (*Snapshot, error) {
	root, err := selectDir(s.dir(), "", choose)
	if err != nil {
		return nil, err
	}
	return &Snapshot{root: root}, nil
}

func selectDir(d *node, prefix string, choose func(string, bool) Choice) (*node, error) {
	all, err := d.list()
	if err != nil {
		return nil, dirErr("select", prefix, err)
	}
	var es []entry // nil while every entry so far is kept unchanged
	for i, e := range all {
		n := e.n
		p := prefix + e.name
		switch c := choose(p, n.dir); {
		case c == Drop:
			n = nil
		case n.dir && c == Visit:
			if n, err = selectDir(n, p+"/", choose); err != nil {
				return nil, err
			}
			if n.files == 0 {
				n = nil
			}
		}
		if n == e.n && es == nil {
			continue
		}
		if es == nil {
			es = append(make([]entry, 0, len(all)), all[:i]...)
		}
		if n != nil {
			es = append(es, entry{e.name, n})
		}
	}
	if es == nil {
		return d, nil
	}
	return newDir(es), nil
}
