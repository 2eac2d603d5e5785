package store

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func mustNew(t testing.TB, files map[string]string) *Snapshot {
	t.Helper()
	m := map[string][]byte{}
	for p, s := range files {
		m[p] = []byte(s)
	}
	s, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// contents reads every file of s into a map.
func contents(t testing.TB, s *Snapshot) map[string]string {
	t.Helper()
	out := map[string]string{}
	var last string
	s.Walk(func(p string, data []byte) error {
		if p <= last {
			t.Errorf("Walk out of order: %q after %q", p, last)
		}
		last = p
		out[p] = string(data)
		return nil
	})
	return out
}

func TestValidatePath(t *testing.T) {
	tests := []struct {
		path string
		why  string // "" = valid
	}{
		{"a.json", ""},
		{"realms/alpha/journeys/Login - x/Login.json", ""},
		{"unicode/日本語.json", ""},
		{".hidden/file", ""},
		{"", "empty"},
		{"/abs", "leading /"},
		{"a/", "empty element"},
		{"a//b", "empty element"},
		{"./a", `element "."`},
		{"a/../b", `element ".."`},
		{"..", `element ".."`},
		{"a/.git/config", "element .git is reserved"},
		{".GIT/x", "element .git is reserved"},
		{"a\x00b", "contains NUL"},
		{`a\b`, "backslash"},
		{"bad\xffutf8", "not valid UTF-8"},
		{strings.Repeat("x", MaxPathLen+1), "longer than"},
	}
	for _, tc := range tests {
		err := ValidatePath(tc.path)
		if tc.why == "" {
			if err != nil {
				t.Errorf("ValidatePath(%q) = %v, want nil", tc.path, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ValidatePath(%q) = %v, want ErrInvalidPath saying %q", tc.path, err, tc.why)
		}
		if _, err := New(map[string][]byte{tc.path: nil}); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("New with path %q: %v, want ErrInvalidPath", tc.path, err)
		}
	}
}

// TestHashIsGitTreeID proves the content address is Git's: the root hash
// equals what `git write-tree` computes for the same files.
func TestHashIsGitTreeID(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	files := map[string]string{
		"a.b": "1", "a/b": "2", "a0": "3", "a-b/c": "4", "empty": "",
		"realms/alpha/journeys/Login/Login.json": `{"_id":"Login"}`,
		"日本/語.txt":                               "unicode",
	}
	dir := t.TempDir()
	if err := mustNew(t, files).WriteDir(filepath.Join(dir, "w")); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = filepath.Join(dir, "w")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "-A")
	if got, want := mustNew(t, files).Hash().String(), git("write-tree"); got != want {
		t.Fatalf("Hash() = %s, git write-tree = %s", got, want)
	}
}

func TestFS(t *testing.T) {
	s := mustNew(t, map[string]string{
		"a.json": "{}", "a/b/c.txt": "c", "a/d": "d", "z": "", "a-1/x": "x",
	})
	if err := fstest.TestFS(s, "a.json", "a/b/c.txt", "a/d", "z", "a-1/x"); err != nil {
		t.Fatal(err)
	}
	sub, err := fs.Sub(s, "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(sub, "b/c.txt", "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadFile("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want ErrNotExist", err)
	}
	var empty *Snapshot
	if err := fstest.TestFS(empty); err != nil {
		t.Errorf("nil snapshot is not an empty fs.FS: %v", err)
	}
}

func TestDiff(t *testing.T) {
	base := map[string]string{"a/x": "1", "a/y": "2", "b/z": "3", "c": "4", "d/e/f": "5"}
	tests := []struct {
		name string
		edit func(b *Builder) error
		want []Change
	}{
		{"equal", func(*Builder) error { return nil }, nil},
		{"modified", func(b *Builder) error { return b.Put("a/y", []byte("22")) },
			[]Change{{"a/y", Modified}}},
		{"added and deleted in order", func(b *Builder) error {
			return errors.Join(b.Put("a/w", nil), b.Delete("c"), b.Put("aa", nil), b.Put("0", nil))
		}, []Change{{"0", Added}, {"a/w", Added}, {"aa", Added}, {"c", Deleted}}},
		{"whole directory deleted", func(b *Builder) error { return b.Delete("a") },
			[]Change{{"a/x", Deleted}, {"a/y", Deleted}}},
		{"file replaced by directory", func(b *Builder) error {
			return errors.Join(b.Delete("c"), b.Put("c/inner", []byte("i")))
		}, []Change{{"c", Deleted}, {"c/inner", Added}}},
		{"directory replaced by file", func(b *Builder) error {
			return errors.Join(b.Delete("d"), b.Put("d", []byte("file")))
		}, []Change{{"d", Added}, {"d/e/f", Deleted}}},
		{"same bytes rewritten is no change", func(b *Builder) error { return b.Put("b/z", []byte("3")) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := mustNew(t, base)
			b := NewBuilder(a)
			if err := tc.edit(b); err != nil {
				t.Fatal(err)
			}
			got, err := Diff(a, b.Snapshot())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
			if !slices.IsSortedFunc(got, func(x, y Change) int { return strings.Compare(x.Path, y.Path) }) {
				t.Errorf("Diff not sorted by path: %v", got)
			}
			_ = DiffFunc(a, b.Snapshot(), func(dir, name string, _ Op) {
				want := strings.TrimSuffix(dir, "/")
				if want == "" {
					want = "."
				}
				if path.Dir(dir+name) != want || strings.Contains(name, "/") {
					t.Errorf("DiffFunc gave %q + %q: not a file's directory and its name", dir, name)
				}
			})
		})
	}
	if got, _ := Diff(nil, mustNew(t, map[string]string{"x": "1"})); !slices.Equal(got, []Change{{"x", Added}}) {
		t.Errorf("Diff(nil, {x}) = %v", got)
	}
}

func TestFilesListsTheRootsFilesInOrder(t *testing.T) {
	s := mustNew(t, map[string]string{"b": "2", "a/x": "1", "c": "3", "a0": "0"})
	files, err := s.Files()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for e := range files {
		got = append(got, e.Name+"="+string(e.Data))
	}
	if want := []string{"a0=0", "b=2", "c=3"}; !slices.Equal(got, want) {
		t.Errorf("Files = %v, want %v", got, want)
	}
	for e := range files {
		if e.Name != "a0" {
			t.Fatalf("Files went on after the loop stopped, at %q", e.Name)
		}
		break
	}
}

// TestDerivingSharesUntouchedSubtrees checks the structural sharing that
// makes With and Diff cost the size of the change.
func TestDerivingSharesUntouchedSubtrees(t *testing.T) {
	s := mustNew(t, map[string]string{"a/x": "1", "b/y/z": "2", "c": "3"})
	s2, err := s.With("a/x", []byte("changed"))
	if err != nil {
		t.Fatal(err)
	}
	child := func(s *Snapshot, name string) *node {
		i, ok := find(s.root.entries, name)
		if !ok {
			t.Fatalf("no entry %q", name)
		}
		return s.root.entries[i].n
	}
	if child(s, "b") != child(s2, "b") || child(s, "c") != child(s2, "c") {
		t.Error("With copied untouched subtrees instead of sharing them")
	}
	if child(s, "a") == child(s2, "a") {
		t.Error("With reused the changed directory")
	}
	if got := contents(t, s)["a/x"]; got != "1" {
		t.Errorf("original snapshot changed: a/x = %q", got)
	}
}

func TestBuilder(t *testing.T) {
	t.Run("parent is a file", func(t *testing.T) {
		_, err := mustNew(t, map[string]string{"a": "1"}).With("a/b", nil)
		if !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), `"a" is a file`) {
			t.Errorf("Put under a file: %v", err)
		}
	})
	t.Run("path is a directory", func(t *testing.T) {
		_, err := mustNew(t, map[string]string{"a/b": "1"}).With("a", nil)
		if !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("Put over a directory: %v", err)
		}
	})
	t.Run("data is copied", func(t *testing.T) {
		data := []byte("original")
		s, _ := (*Snapshot)(nil).With("f", data)
		data[0] = 'X'
		if got, _ := s.ReadFile("f"); string(got) != "original" {
			t.Errorf("snapshot changed with its input: %q", got)
		}
		got, _ := s.ReadFile("f")
		got[0] = 'Y'
		if again, _ := s.ReadFile("f"); string(again) != "original" {
			t.Errorf("snapshot changed through ReadFile's result: %q", again)
		}
	})
	t.Run("empty directories vanish", func(t *testing.T) {
		s, _ := mustNew(t, map[string]string{"a/b/c": "1", "x": "2"}).Without("a/b/c")
		if s.Hash() != mustNew(t, map[string]string{"x": "2"}).Hash() {
			t.Errorf("deleting the last file left an empty directory: %v", contents(t, s))
		}
		if _, err := s.Stat("a"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(a) = %v", err)
		}
	})
	t.Run("delete missing is a no-op", func(t *testing.T) {
		s := mustNew(t, map[string]string{"a": "1"})
		for _, p := range []string{"b", "a/b", "x/y/z"} {
			if s2, err := s.Without(p); err != nil || !s2.Equal(s) {
				t.Errorf("Without(%q) = %v, %v", p, contents(t, s2), err)
			}
		}
	})
	t.Run("usable after Snapshot", func(t *testing.T) {
		b := NewBuilder(nil)
		b.Put("a", []byte("1"))
		s1 := b.Snapshot()
		b.Put("b", []byte("2"))
		s2 := b.Snapshot()
		if s1.Len() != 1 || s2.Len() != 2 {
			t.Errorf("Len = %d, %d; want 1, 2", s1.Len(), s2.Len())
		}
	})
	t.Run("order of puts does not matter", func(t *testing.T) {
		paths := []string{"b", "a.b", "a/b", "a0", "a-b/c", "a/c/d"}
		want := NewBuilder(nil)
		for _, p := range paths {
			want.Put(p, []byte(p))
		}
		got := NewBuilder(nil)
		for _, p := range slices.Backward(paths) {
			got.Put(p, []byte(p))
		}
		if w, g := want.Snapshot(), got.Snapshot(); !w.Equal(g) {
			t.Errorf("insertion order changed the tree: %v vs %v", contents(t, w), contents(t, g))
		}
	})
}

func TestNewTree(t *testing.T) {
	sub := mustNew(t, map[string]string{"y": "2"})
	s, err := NewTree([]Entry{{Name: "x", Data: []byte("1")}, {Name: "d", Dir: sub}, {Name: "empty", Dir: nil, Data: nil}})
	if err != nil {
		t.Fatal(err)
	}
	want := mustNew(t, map[string]string{"x": "1", "d/y": "2", "empty": ""})
	if !s.Equal(want) {
		t.Errorf("NewTree = %v, want %v", contents(t, s), contents(t, want))
	}
	if got, _ := s.Entries(); len(got) != 3 || got[0].Name != "d" || got[0].Hash != sub.Hash() {
		t.Errorf("Entries() = %+v", got)
	}
	for _, bad := range [][]Entry{
		{{Name: "x"}, {Name: "x", Dir: sub}},
		{{Name: "a/b"}},
		{{Name: ".."}},
	} {
		if _, err := NewTree(bad); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("NewTree(%+v) = %v, want ErrInvalidPath", bad, err)
		}
	}
}

func TestDirRoundTrip(t *testing.T) {
	files := map[string]string{"a/b.json": "{}", "c": "", "d/e/f": "bin\x00ary"}
	dir := filepath.Join(t.TempDir(), "export")
	s := mustNew(t, files)
	if err := s.WriteDir(dir + string(filepath.Separator)); err != nil { // as shells complete a directory
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".git", "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte("skipped"), 0o644)
	// A worktree or submodule has a .git file instead.
	if err := os.MkdirAll(filepath.Join(dir, "d", "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "d", ".git"), []byte("gitdir: ../.git/modules/d\n"), 0o644)
	got, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(files, contents(t, got)); diff != "" {
		t.Errorf("LoadDir(WriteDir(s)) (-want +got):\n%s", diff)
	}
	if err := s.WriteDir(dir); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteDir into a non-empty dir: %v, want ErrExist", err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDir(dir); !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), "link") {
		t.Errorf("LoadDir with a symlink: %v, want ErrInvalidPath naming it", err)
	}
}

func TestTarRoundTrip(t *testing.T) {
	files := map[string]string{"a/b.json": "{}", "c": "", "日本/x": "y"}
	s := mustNew(t, files)
	var buf, again bytes.Buffer
	if err := s.WriteTar(&buf); err != nil {
		t.Fatal(err)
	}
	s.WriteTar(&again)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("WriteTar is not deterministic")
	}
	got, err := ReadTar(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(s) {
		t.Errorf("ReadTar(WriteTar(s)) = %v", contents(t, got))
	}
}

// git archive starts its tar with a pax global header holding the commit id.
func TestReadTarSkipsGlobalHeader(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header",
		PAXRecords: map[string]string{"comment": "0123456789abcdef0123456789abcdef01234567"}})
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "a/b.json", Mode: 0o644, Size: 2})
	tw.Write([]byte("{}"))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTar(&buf)
	if err != nil || !got.Equal(mustNew(t, map[string]string{"a/b.json": "{}"})) {
		t.Fatalf("ReadTar with a pax global header = %v, %v; want the one file", got, err)
	}
}

func TestReadTarRejects(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar not installed")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "src", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "src", "sub", "f"), []byte("x"), 0o644)
	ok := filepath.Join(dir, "ok.tar")
	if out, err := exec.Command("tar", "-C", filepath.Join(dir, "src"), "-cf", ok, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	f, _ := os.Open(ok)
	defer f.Close()
	s, err := ReadTar(f)
	if err != nil || !s.Equal(mustNew(t, map[string]string{"sub/f": "x"})) {
		t.Fatalf("ReadTar of `tar -C dir -c .` = %v, %v", s, err)
	}
	os.Symlink("sub/f", filepath.Join(dir, "src", "link"))
	bad := filepath.Join(dir, "bad.tar")
	exec.Command("tar", "-C", filepath.Join(dir, "src"), "-cf", bad, ".").Run()
	f2, _ := os.Open(bad)
	defer f2.Close()
	if _, err := ReadTar(f2); !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), "link") {
		t.Errorf("ReadTar with a symlink: %v, want ErrInvalidPath naming it", err)
	}
}

// FuzzValidatePath: the validator never panics and accepts only paths that
// are clean, relative, and valid for io/fs.
func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"a", "a/b", "/a", "a/../b", "a//b", ".git", "a\x00", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if ValidatePath(p) != nil {
			return
		}
		if !fs.ValidPath(p) || path.Clean(p) != p || p == "." || strings.ContainsAny(p, "\x00\\") {
			t.Fatalf("ValidatePath accepted %q", p)
		}
		if _, err := (*Snapshot)(nil).With(p, []byte("x")); err != nil {
			t.Fatalf("valid path %q rejected by With: %v", p, err)
		}
	})
}

// FuzzBuilder applies a random sequence of puts and deletes to a Builder and
// to a plain map, and checks the snapshot holds exactly the map's files and
// hashes like a snapshot built from scratch.
func FuzzBuilder(f *testing.F) {
	f.Add([]byte("\x00a\x01x\x00a/b\x02"))
	f.Add([]byte("\x00a/b/c\x00a.b\x01a/b\x00a0"))
	f.Fuzz(func(t *testing.T, ops []byte) {
		model := map[string]string{}
		b := NewBuilder(mustNew(t, map[string]string{"a/b/c": "base", "z": "z"}))
		model["a/b/c"], model["z"] = "base", "z"
		names := []string{"a", "b", "c", "a.b", "a0", "x"}
		for i := 0; i+1 < len(ops); i += 2 {
			op, n := ops[i]%3, int(ops[i+1])
			p := names[n%len(names)]
			for k := n / len(names); k > 0 && len(p) < 12; k /= len(names) {
				p += "/" + names[k%len(names)]
			}
			switch op {
			case 0, 1:
				data := fmt.Sprint(i)
				err := b.Put(p, []byte(data))
				if conflicts(model, p) {
					if !errors.Is(err, ErrInvalidPath) {
						t.Fatalf("Put(%q) over a file/dir conflict = %v", p, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Put(%q): %v", p, err)
				}
				model[p] = data
			case 2:
				if err := b.Delete(p); err != nil {
					t.Fatal(err)
				}
				for k := range model {
					if k == p || strings.HasPrefix(k, p+"/") {
						delete(model, k)
					}
				}
			}
			if i%7 == 0 {
				b.Snapshot() // interleave freezing with edits
			}
		}
		got := b.Snapshot()
		if diff := cmp.Diff(model, contents(t, got)); diff != "" {
			t.Fatalf("snapshot differs from model (-model +got):\n%s", diff)
		}
		if fresh := mustNew(t, model); !fresh.Equal(got) {
			t.Fatalf("hash %s differs from a fresh build's %s", got.Hash(), fresh.Hash())
		}
	})
}

// conflicts reports whether putting a file at p clashes with the model:
// p is a directory there, or one of its parents is a file.
func conflicts(model map[string]string, p string) bool {
	for k := range maps.Keys(model) {
		if strings.HasPrefix(k, p+"/") || strings.HasPrefix(p, k+"/") {
			return true
		}
	}
	return false
}

func TestFilter(t *testing.T) {
	s := mustNew(t, map[string]string{
		"realms/alpha/journeys/Login.json": "j", "realms/alpha/agents/a.json": "dyn",
		"service-objects/user/1.json": "u", "email/x.json": "e",
	})
	visited := map[string]bool{}
	got, err := s.Filter(func(p string, dir bool) bool {
		visited[p] = true
		return p != "service-objects" && !strings.HasSuffix(p, "/agents")
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"realms/alpha/journeys/Login.json": "j", "email/x.json": "e"}
	if diff := cmp.Diff(want, contents(t, got)); diff != "" {
		t.Errorf("Filter (-want +got):\n%s", diff)
	}
	if visited["service-objects/user"] || visited["realms/alpha/agents/a.json"] {
		t.Errorf("Filter descended into a rejected directory: %v", visited)
	}
	if !got.Equal(mustNew(t, want)) {
		t.Error("filtered snapshot hashes differently from one built with the same files")
	}
	emailOf := func(s *Snapshot) *node { i, _ := find(s.root.entries, "email"); return s.root.entries[i].n }
	if emailOf(s) != emailOf(got) {
		t.Error("Filter copied an untouched subtree instead of sharing it")
	}
	if all, _ := s.Filter(func(string, bool) bool { return true }); all.root != s.root {
		t.Error("keeping everything did not return the same tree")
	}
}

// FuzzAuthor: whatever text names a promoter, Author makes a valid author.
func FuzzAuthor(f *testing.F) {
	for _, s := range []string{"", "ada", "Ada <ada@example.com>", "Ada <>", "<x>", " a<b> ", "a\nb", "John Doe <j <d>>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, who string) {
		a := Author(who)
		if err := (CommitInfo{Author: a}).Validate(); err != nil {
			t.Fatalf("Author(%q) = %q, which Validate refuses: %v", who, a, err)
		}
		if err := (CommitInfo{Author: who}).Validate(); err == nil && utf8.ValidString(who) && Author(who) != who {
			t.Fatalf("Author changed the already valid %q to %q", who, Author(who))
		}
	})
}

func TestSelect_KeepAllTakesADirectoryWithoutVisitingIt(t *testing.T) {
	s := mustNew(t, map[string]string{
		"realms/alpha/journeys/Login.json": "j", "realms/alpha/agents/a.json": "dyn",
		"service-objects/user/1.json": "u", "email/x.json": "e", "email/y/z.json": "z",
	})
	var visited []string
	got, err := s.Select(func(p string, dir bool) Choice {
		visited = append(visited, p)
		switch p {
		case "email", "realms/alpha/journeys":
			return KeepAll
		case "service-objects", "realms/alpha/agents":
			return Drop
		}
		return Visit
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"realms/alpha/journeys/Login.json": "j", "email/x.json": "e", "email/y/z.json": "z"}
	if diff := cmp.Diff(want, contents(t, got)); diff != "" {
		t.Errorf("Select (-want +got):\n%s", diff)
	}
	wantVisited := []string{"email", "realms", "realms/alpha", "realms/alpha/agents", "realms/alpha/journeys", "service-objects"}
	if diff := cmp.Diff(wantVisited, visited); diff != "" {
		t.Errorf("Select visited (-want +got):\n%s", diff)
	}
	if !got.Equal(mustNew(t, want)) {
		t.Error("selected snapshot hashes differently from one built with the same files")
	}
}

// mapSource serves a lazy snapshot's contents and directories from maps;
// missing hashes fail, as a lost object would. It counts the directories
// it reads.
type mapSource struct {
	blobs map[Hash][]byte
	trees map[Hash]*Snapshot
	reads int
}

func newMapSource() *mapSource {
	return &mapSource{blobs: map[Hash][]byte{}, trees: map[Hash]*Snapshot{}}
}

func (m *mapSource) ReadBlob(h Hash) ([]byte, error) {
	if d, ok := m.blobs[h]; ok {
		return d, nil
	}
	return nil, fs.ErrNotExist
}

func (m *mapSource) BlobSize(h Hash) (int64, error) {
	d, err := m.ReadBlob(h)
	return int64(len(d)), err
}

func (m *mapSource) ReadTree(h Hash) (*Snapshot, error) {
	m.reads++
	if s, ok := m.trees[h]; ok {
		return s, nil
	}
	return nil, fs.ErrNotExist
}

// lazyCopy returns s as a lazy snapshot served by m, as a backend that
// stores objects by hash would load it: every directory and file is lazy.
func (m *mapSource) lazyCopy(t testing.TB, s *Snapshot) *Snapshot {
	t.Helper()
	entries, err := s.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var es []Entry
	for _, e := range entries {
		if e.Dir != nil {
			es = append(es, Entry{Name: e.Name, Dir: LazyTree(e.Hash, m)})
			m.lazyCopy(t, e.Dir)
		} else {
			m.blobs[e.Hash] = e.Data
			es = append(es, Entry{Name: e.Name, Hash: e.Hash, Source: m})
		}
	}
	level, err := NewTree(es)
	if err != nil {
		t.Fatal(err)
	}
	m.trees[level.Hash()] = level
	return LazyTree(level.Hash(), m)
}

// A lazy snapshot keeps the Source's hashes, reads nothing until asked,
// and derives like any other.
func TestLazySnapshot_ReadsOnDemandAndDerivesLikeAnyOther(t *testing.T) {
	mem := mustNew(t, map[string]string{"a/x": "xx", "b": "bbb", "c/d/e": "e"})
	src := newMapSource()
	l := src.lazyCopy(t, mem)
	src.reads = 0
	if !l.Equal(mem) || l.Empty() || l.String() != "snapshot "+mem.Hash().String()[:12] || src.reads != 0 {
		t.Fatalf("lazy copy: equal %v, empty %v, %s, %d reads before any was asked for", l.Equal(mem), l.Empty(), l, src.reads)
	}
	if l.Len() != 3 || l.Size() != 6 {
		t.Fatalf("lazy copy: len %d, size %d, want 3 and 6", l.Len(), l.Size())
	}
	if diff := cmp.Diff(contents(t, mem), contents(t, l)); diff != "" {
		t.Errorf("contents (-mem +lazy):\n%s", diff)
	}
	w, err := l.With("a/y", []byte("y"))
	if err != nil || w.Size() != 7 {
		t.Fatalf("With on a lazy snapshot: size %d, %v", w.Size(), err)
	}
	src.reads = 0
	d, err := Diff(l, w)
	if err != nil || !slices.Equal(d, []Change{{"a/y", Added}}) {
		t.Errorf("Diff(lazy, lazy+a/y) = %v, %v", d, err)
	}
	if src.reads != 2 { // the root and a; c is equal in both
		t.Errorf("Diff read %d lazy directories, want 2 (the ones that differ)", src.reads)
	}
	if kept, err := l.Select(func(p string, _ bool) Choice { return map[bool]Choice{true: KeepAll}[p == "c"] }); err != nil || kept.Len() != 1 {
		t.Errorf("Select kept %d files, %v; want c/d/e", kept.Len(), err)
	}
	if _, err := NewTree([]Entry{{Name: "z", Source: src}}); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("NewTree(lazy file without hash) = %v, want ErrInvalidPath", err)
	}
	if e := LazyTree((*Snapshot)(nil).Hash(), src); !e.Empty() || e.Len() != 0 {
		t.Errorf("LazyTree(empty directory's hash) holds %d files", e.Len())
	}
	// An empty directory is dropped, as Git drops it, even when lazy.
	empty := LazyTree((*Snapshot)(nil).Hash(), src)
	if s, err := NewTree([]Entry{{Name: "d", Dir: empty}, {Name: "f", Data: []byte("f")}}); err != nil || s.Len() != 1 {
		t.Errorf("NewTree with an empty lazy directory: %v, %v; want only f", s, err)
	}
}

// A lazy directory that cannot be read is an error naming it, from every
// method that needs to look inside it, and never a silently smaller tree.
func TestLazySnapshot_UnreadableDirectoryIsAnErrorNamingIt(t *testing.T) {
	mem := mustNew(t, map[string]string{"a/x": "xx", "c/d/e": "e"})
	src := newMapSource()
	l := src.lazyCopy(t, mem)
	d, _ := mem.SubSnapshot("c/d")
	delete(src.trees, d.Hash())
	other := mustNew(t, map[string]string{"a/x": "xx"})
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"ReadFile", func() error { _, err := l.ReadFile("c/d/e"); return err }},
		{"Walk", func() error { return l.Walk(func(string, []byte) error { return nil }) }},
		{"ReadDir", func() error { _, err := l.ReadDir("c/d"); return err }},
		{"Diff", func() error { _, err := Diff(l, other); return err }},
		{"Select", func() error { _, err := l.Select(func(string, bool) Choice { return Visit }); return err }},
		{"Builder.Put", func() error { return NewBuilder(l).Put("c/d/f", nil) }},
		{"Builder.Delete", func() error { return NewBuilder(l).Delete("c/d/e") }},
	} {
		err := tc.err()
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "c/d") {
			t.Errorf("%s: %v, want an error naming c/d", tc.name, err)
		}
	}
	if l.Len() != -1 || l.Size() != -1 {
		t.Errorf("Len, Size = %d, %d; want -1, -1 when a directory cannot be read", l.Len(), l.Size())
	}
}

// A Builder keeps every directory it opened but did not change, hash and
// all, even where a backend addresses a directory by a hash its entries
// would not give (gitstore keeps the tree Git stored for a directory with
// an executable file): an edit that changes nothing changes no hash.
func TestBuilder_DirectoriesLeftAsTheyWereKeepTheirHash(t *testing.T) {
	src := newMapSource()
	bin := mustNew(t, map[string]string{"run.sh": "#!/bin/sh\n"})
	addr := Hash{0xb1} // as if Git stored bin with run.sh executable
	src.trees[addr] = bin
	root, err := NewTree([]Entry{{Name: "bin", Dir: LazyTree(addr, src)}, {Name: "top", Data: []byte("top")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Builder) error
		same bool // the root keeps its hash
	}{
		{"delete a file that is not there", func(b *Builder) error { return b.Delete("bin/absent") }, true},
		{"put a file's own content again", func(b *Builder) error { return b.Put("bin/run.sh", []byte("#!/bin/sh\n")) }, true},
		{"change a file beside the directory", func(b *Builder) error { return b.Put("top", []byte("changed")) }, false},
		{"add a file to the directory", func(b *Builder) error { return b.Put("bin/new", nil) }, false},
	} {
		b := NewBuilder(root)
		if err := tc.edit(b); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := b.Snapshot()
		if got.Equal(root) != tc.same {
			t.Errorf("%s: root hash kept: %v, want %v", tc.name, got.Equal(root), tc.same)
		}
		if tc.name == "change a file beside the directory" {
			if sub, err := got.SubSnapshot("bin"); err != nil || sub.Hash() != addr {
				t.Errorf("%s: bin's hash became %s, %v; want the backend's %s", tc.name, sub.Hash(), err, addr)
			}
		}
	}
}
