package gitstore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

// lazyFixture commits files to dev in a repository on disk and returns the
// repository's path, the commit and the snapshot committed. The git CLI
// writes them, as loose objects, so that a test can lose one by deleting
// its file (gitstore writes packs).
func lazyFixture(t *testing.T, files map[string]string) (string, store.Commit, *store.Snapshot) {
	t.Helper()
	gittest.NeedGit(t)
	dir, work := filepath.Join(t.TempDir(), "repo.git"), t.TempDir()
	s := storetest.Snapshot(t, files)
	if err := s.WriteDir(work); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, "", "init", "-q", "--bare", dir)
	tree := func(args ...string) string {
		return strings.TrimSpace(gittest.Git(t, work, append([]string{"--git-dir=" + dir, "--work-tree=" + work}, args...)...))
	}
	tree("add", "-A")
	tree("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "fixture")
	tree("update-ref", "refs/heads/dev", "HEAD")
	r, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Head(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	return dir, c, s
}

// removeObject deletes the loose object h, as a damaged repository lacks it.
func removeObject(t *testing.T, dir string, h store.Hash) {
	t.Helper()
	hex := h.String()
	if err := os.Remove(filepath.Join(dir, "objects", hex[:2], hex[2:])); err != nil {
		t.Fatal(err)
	}
}

func loadFresh(t *testing.T, dir string, rev store.Revision, opts gitstore.Options) *store.Snapshot {
	t.Helper()
	r, err := gitstore.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Snapshot(context.Background(), rev)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hashOf returns the hash of the file or directory at p in s.
func hashOf(t *testing.T, s *store.Snapshot, p string) store.Hash {
	t.Helper()
	dir, name := filepath.Dir(p), filepath.Base(p)
	sub, err := s.SubSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := sub.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name == name {
			return e.Hash
		}
	}
	t.Fatalf("no %s in %v", p, s)
	return store.Hash{}
}

// A snapshot reads no content until asked, and a content it cannot read is
// an error of the method that asked, naming the file; everything that looks
// at hashes and directories keeps working.
func TestRule_SnapshotReadsContentOnDemand(t *testing.T) {
	dir, c, want := lazyFixture(t, map[string]string{"a/lost.json": "lost", "a/kept.json": "kept", "b/c.json": "c"})
	s := loadFresh(t, dir, c.Revision, gitstore.Options{})
	lost := hashOf(t, want, "a/lost.json")
	removeObject(t, dir, lost) // after loading: the snapshot never read it

	if d, err := store.Diff(s, want); !s.Equal(want) || s.Len() != 3 || len(d) != 0 || err != nil {
		t.Fatalf("methods that read no content: Equal %v, Len %d, Diff %v, %v", s.Equal(want), s.Len(), d, err)
	}
	if data, err := s.ReadFile("a/kept.json"); err != nil || string(data) != "kept" {
		t.Fatalf("ReadFile(a/kept.json) = %q, %v", data, err)
	}
	wantErr := func(what string, err error) {
		t.Helper()
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Path != "a/lost.json" || !strings.Contains(err.Error(), lost.String()) {
			t.Errorf("%s: err = %v, want a *fs.PathError for a/lost.json naming blob %s", what, err, lost)
		}
	}
	_, err := s.ReadFile("a/lost.json")
	wantErr("ReadFile", err)
	_, err = s.Open("a/lost.json")
	wantErr("Open", err)
	_, err = s.Stat("a/lost.json")
	wantErr("Stat", err)
	_, err = s.ReadDir("a")
	wantErr("ReadDir", err)
	wantErr("Walk", s.Walk(func(string, []byte) error { return nil }))
	if s.Size() != -1 {
		t.Errorf("Size() = %d, want -1 when a file's size cannot be read", s.Size())
	}
	sub, _ := s.SubSnapshot("a")
	entries, err := sub.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := e.ReadData(); (err != nil) != (e.Name == "lost.json") {
			t.Errorf("Entry %s: ReadData err = %v", e.Name, err)
		}
	}
}

// A snapshot reads a directory only when a method looks inside it, and a
// directory it cannot read is an error of that method naming the
// directory, never a smaller tree; a commit from such a snapshot fails and
// writes nothing.
func TestRule_SnapshotReadsDirectoriesOnDemand(t *testing.T) {
	dir, c, want := lazyFixture(t, map[string]string{"a/b/lost.json": "lost", "a/kept.json": "kept", "c.json": "c"})
	s := loadFresh(t, dir, c.Revision, gitstore.Options{})
	lost := hashOf(t, want, "a/b")
	removeObject(t, dir, lost) // after loading: the snapshot never read a/b

	if data, err := s.ReadFile("a/kept.json"); err != nil || string(data) != "kept" || !s.Equal(want) {
		t.Fatalf("ReadFile(a/kept.json) = %q, %v; Equal %v", data, err, s.Equal(want))
	}
	other := storetest.Snapshot(t, map[string]string{"c.json": "c"})
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"ReadFile", func() error { _, err := s.ReadFile("a/b/lost.json"); return err }},
		{"Walk", func() error { return s.Walk(func(string, []byte) error { return nil }) }},
		{"Diff", func() error { _, err := store.Diff(s, other); return err }},
		{"Select", func() error { _, err := s.Select(func(string, bool) store.Choice { return store.Visit }); return err }},
		{"Put", func() error { return store.NewBuilder(s).Put("a/b/new.json", nil) }},
	} {
		if err := tc.err(); !errors.Is(err, fs.ErrNotExist) && !strings.Contains(fmt.Sprint(err), lost.String()) || !strings.Contains(fmt.Sprint(err), "a/b") {
			t.Errorf("%s: err = %v, want an error naming a/b and tree %s", tc.name, err, lost)
		}
	}
	if s.Len() != -1 {
		t.Errorf("Len() = %d, want -1 when a directory cannot be read", s.Len())
	}
}

// Contents and trees stay in the Repo's caches only within
// Options.CacheBytes (a thirty-second of it for contents), and a snapshot
// keeps neither itself: a file or directory read before its object
// vanished is read again only if the cache could hold it.
func TestRule_CachesAreBoundedInBytes(t *testing.T) {
	content := func(s *store.Snapshot) bool { _, err := s.ReadFile("big/x"); return err == nil }
	trees := func(s *store.Snapshot) bool { return s.Len() == 2 } // reads every tree
	for _, tc := range []struct {
		name   string
		bytes  int64
		lose   string // the object removed after the first read
		read   func(*store.Snapshot) bool
		cached bool
	}{
		{"content, default", 0, "big/x", content, true},
		{"content, disabled", -1, "big/x", content, false},
		{"content, smaller than the file", 32 * 32 << 10, "big/x", content, false},
		{"content, room for the file", 32 * 128 << 10, "big/x", content, true},
		{"tree, default", 0, "big", trees, true},
		{"tree, disabled", -1, "big", trees, false},
		{"tree, smaller than a tree", 100, "big", trees, false},
		{"tree, room for the tree", 32 << 10, "big", trees, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, c, want := lazyFixture(t, map[string]string{"big/x": strings.Repeat("x", 64<<10), "c.json": "c"})
			s := loadFresh(t, dir, c.Revision, gitstore.Options{CacheBytes: tc.bytes})
			if !tc.read(s) {
				t.Fatal("first read failed")
			}
			removeObject(t, dir, hashOf(t, want, tc.lose))
			if got := tc.read(s); got != tc.cached {
				t.Fatalf("second read succeeded: %v, want served from the cache: %v", got, tc.cached)
			}
		})
	}
}

// A lazy snapshot of one repository commits into another: its contents are
// read from the first and written to the second.
func TestRule_LazySnapshotCommitsIntoAnotherRepo(t *testing.T) {
	dir, c, want := lazyFixture(t, map[string]string{"a/x.json": "x", "b.json": "b"})
	s := loadFresh(t, dir, c.Revision, gitstore.Options{})
	other := initRepo(t, gitstore.Options{})
	c2 := commit(t, other, "dev", "", s, store.CommitInfo{})
	got, err := other.Snapshot(context.Background(), c2.Revision)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := got.ReadFile("a/x.json"); err != nil || string(data) != "x" || !got.Equal(want) {
		t.Fatalf("copy: ReadFile = %q, %v; equal %v", data, err, got.Equal(want))
	}
}
