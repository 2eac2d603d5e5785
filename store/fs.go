package store

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Compile-time checks: a Snapshot is a read-only file system.
var (
	_ fs.FS         = (*Snapshot)(nil)
	_ fs.ReadFileFS = (*Snapshot)(nil)
	_ fs.ReadDirFS  = (*Snapshot)(nil)
	_ fs.StatFS     = (*Snapshot)(nil)
	_ fs.SubFS      = (*Snapshot)(nil)
)

// Open opens the named file or directory ("." is the root).
func (s *Snapshot) Open(name string) (fs.File, error) {
	n, err := s.lookup("open", name)
	if err != nil {
		return nil, err
	}
	info := fileInfo{name: path.Base(name), n: n}
	if n.dir {
		entries, err := dirEntries("open", name, n)
		if err != nil {
			return nil, err
		}
		return &dirFile{info: info, entries: entries}, nil
	}
	data, err := n.content()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	info.size = int64(len(data))
	return &file{info: info, Reader: bytes.NewReader(data)}, nil
}

// Stat describes the named file or directory.
func (s *Snapshot) Stat(name string) (fs.FileInfo, error) {
	n, err := s.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	fi, err := newInfo("stat", name, path.Base(name), n)
	if err != nil {
		return nil, err
	}
	return fi, nil
}

// ReadDir lists the named directory sorted by name.
func (s *Snapshot) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := s.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	return dirEntries("readdir", name, n)
}

// dirEntries lists directory n, at name; a lazy file's size is read here,
// so that FileInfo.Size cannot fail later.
func dirEntries(op, name string, n *node) ([]fs.DirEntry, error) {
	es, err := n.list()
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	out := make([]fs.DirEntry, len(es))
	for i, e := range es {
		fi, err := newInfo(op, path.Join(name, e.name), e.name, e.n)
		if err != nil {
			return nil, err
		}
		out[i] = fs.FileInfoToDirEntry(fi)
	}
	// fs.ReadDir promises name order; Git order differs only where a
	// directory's name is a prefix of a sibling's.
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

type fileInfo struct {
	name string
	n    *node
	size int64 // a file's size; 0 for a directory
}

// newInfo describes n, the node at full, reading a lazy file's size.
func newInfo(op, full, name string, n *node) (fileInfo, error) {
	fi := fileInfo{name: name, n: n}
	if !n.dir {
		size, err := n.fileSize()
		if err != nil {
			return fileInfo{}, &fs.PathError{Op: op, Path: full, Err: err}
		}
		fi.size = size
	}
	return fi, nil
}

func (fi fileInfo) Name() string { return fi.name }
func (fi fileInfo) Size() int64  { return fi.size }
func (fi fileInfo) Mode() fs.FileMode {
	if fi.n.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return fi.n.dir }
func (fi fileInfo) Sys() any           { return nil }

type file struct {
	info fileInfo
	*bytes.Reader
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Close() error               { return nil }

type dirFile struct {
	info    fileInfo
	entries []fs.DirEntry
	off     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: fs.ErrInvalid}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.off += len(rest)
	return rest, nil
}
