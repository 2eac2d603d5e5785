package gitstore_test

import (
	"context"
	"errors"
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

// A snapshot reads no content until asked, and a content it cannot read is
// an error of the method that asked, naming the file; everything that looks
// at hashes keeps working.
func TestRule_SnapshotReadsContentOnDemand(t *testing.T) {
	dir, c, want := lazyFixture(t, map[string]string{"a/lost.json": "lost", "a/kept.json": "kept", "b/c.json": "c"})
	s := loadFresh(t, dir, c.Revision, gitstore.Options{})
	lost := storetest.Snapshot(t, map[string]string{"x": "lost"}).Entries()[0].Hash
	removeObject(t, dir, lost) // after loading: the snapshot never read it

	if !s.Equal(want) || s.Len() != 3 || len(store.Diff(s, want)) != 0 {
		t.Fatalf("hash-only methods: Equal %v, Len %d, Diff %v", s.Equal(want), s.Len(), store.Diff(s, want))
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
	for _, e := range sub.Entries() {
		if _, err := e.ReadData(); (err != nil) != (e.Name == "lost.json") {
			t.Errorf("Entry %s: ReadData err = %v", e.Name, err)
		}
	}
}

// Contents stay in the Repo's cache only within Options.CacheBytes (a
// thirty-second of it for contents): a content read before its object
// vanished is served again only if the cache could hold it.
func TestRule_ContentCacheIsBoundedInBytes(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	for _, tc := range []struct {
		name   string
		bytes  int64
		cached bool
	}{
		{"default", 0, true},
		{"disabled", -1, false},
		{"smaller than the file", 32 * 32 << 10, false},
		{"room for the file", 32 * 128 << 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, c, _ := lazyFixture(t, map[string]string{"big": big})
			s := loadFresh(t, dir, c.Revision, gitstore.Options{CacheBytes: tc.bytes})
			if _, err := s.ReadFile("big"); err != nil {
				t.Fatal(err)
			}
			removeObject(t, dir, s.Entries()[0].Hash)
			_, err := s.ReadFile("big")
			if got := err == nil; got != tc.cached {
				t.Fatalf("second read: err = %v, want served from the cache: %v", err, tc.cached)
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
