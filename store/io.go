package store

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadDir reads every regular file below dir into a snapshot, as when
// loading a tenant export. A ".git" directory, or the ".git" file of a
// worktree or submodule, is skipped so a Git checkout loads as its files.
// Symbolic links and other irregular files are an error naming the file:
// following them could read outside dir.
func LoadDir(dir string) (*Snapshot, error) {
	b := NewBuilder(nil)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".git" && d.IsDir() {
			return filepath.SkipDir
		}
		if d.Name() == ".git" || d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !d.Type().IsRegular() {
			return fmt.Errorf("%w %q: not a regular file (%s)", ErrInvalidPath, rel, d.Type())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return b.Put(rel, data)
	})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	return b.Snapshot(), nil
}

// WriteDir writes the snapshot's files to dir, which must not exist or be
// empty. The files are written to a temporary sibling directory that is
// renamed into place, so dir never holds part of the snapshot: it ends up
// complete, or as it was (except that an empty dir may be gone, since it is
// removed just before the rename).
func (s *Snapshot) WriteDir(dir string) (err error) {
	dir = filepath.Clean(dir) // "out/" must not put the temporary directory inside out
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("write %s: %w: directory is not empty", dir, fs.ErrExist)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	err = s.Walk(func(p string, data []byte) error {
		full := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		return os.WriteFile(full, data, 0o644)
	})
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	if err == nil {
		_ = os.Remove(dir) // an empty dir; rename needs it gone on some systems
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	return nil
}

// WriteTar writes the snapshot as a tar stream of regular files in path
// order, with fixed modes and times so equal snapshots give equal bytes.
func (s *Snapshot) WriteTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	err := s.Walk(func(p string, data []byte) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: 0o644, Size: int64(len(data)), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		return fmt.Errorf("write tar: %w", err)
	}
	return nil
}

// ReadTar reads a snapshot from a tar stream. Directory entries and pax
// global headers (git archive writes one) are skipped, and a leading "./"
// is accepted (as `tar -C dir -c .` writes);
// links, devices and invalid paths are an error naming the entry.
func ReadTar(r io.Reader) (*Snapshot, error) {
	tr := tar.NewReader(r)
	b := NewBuilder(nil)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return b.Snapshot(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("read tar: %w", err)
		}
		switch hdr.Typeflag {
		case tar.TypeDir, tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg:
		default:
			return nil, fmt.Errorf("read tar: %w %q: entry type %q is not a regular file", ErrInvalidPath, hdr.Name, hdr.Typeflag)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("read tar %q: %w", hdr.Name, err)
		}
		if err := b.Put(strings.TrimPrefix(hdr.Name, "./"), data); err != nil {
			return nil, fmt.Errorf("read tar: %w", err)
		}
	}
}
