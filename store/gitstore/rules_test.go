package gitstore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func needGitT(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not installed")
	}
}

// git runs the git CLI in dir and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=cli", "GIT_AUTHOR_EMAIL=cli@example.com", "GIT_COMMITTER_NAME=cli", "GIT_COMMITTER_EMAIL=cli@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func commit(t testing.TB, r store.Repo, branch string, parent store.Revision, s *store.Snapshot, info store.CommitInfo) store.Commit {
	t.Helper()
	if info.Time.IsZero() {
		info.Time = t0
	}
	c, err := r.Commit(context.Background(), branch, parent, s, info)
	if err != nil {
		t.Fatalf("Commit(%s, %q): %v", branch, parent, err)
	}
	return c
}

func TestRule_BranchMapsToRef(t *testing.T) {
	needGitT(t)
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := storetest.Snapshot(t, map[string]string{"a": "1"})
	for _, tc := range []struct{ branch, ref string }{
		{"dev", "refs/heads/dev"},
		{"locks/dev", "refs/locks/dev"},
		{"dev/reports", "refs/dev/reports"},
	} {
		c := commit(t, r, tc.branch, "", s, store.CommitInfo{Author: "tester"})
		if got := git(t, dir, "rev-parse", "--verify", tc.ref); got != string(c.Revision) {
			t.Errorf("branch %s: %s = %q, want %s", tc.branch, tc.ref, got, c.Revision)
		}
	}
}

func TestRule_GitCLIReadsHistoryFilesAndMetadata(t *testing.T) {
	needGitT(t)
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c1 := commit(t, r, "dev", "", storetest.Snapshot(t, map[string]string{"realms/alpha/realm.json": `{"v":1}`, "a.b": "x", "a/b": "y"}),
		store.CommitInfo{Author: "Ada <ada@example.com>", Message: "import"})
	c2 := commit(t, r, "dev", c1.Revision, storetest.Snapshot(t, map[string]string{"realms/alpha/realm.json": `{"v":2}`, "a.b": "x", "a/b": "y"}),
		store.CommitInfo{Author: "Ada <ada@example.com>", Message: "promote", Metadata: map[string]string{"type": "promotion", "promotionId": "p-1"}})

	if got, want := git(t, dir, "log", "--format=%H", "dev"), string(c2.Revision)+"\n"+string(c1.Revision); got != want {
		t.Errorf("git log dev = %q, want %q", got, want)
	}
	if got := git(t, dir, "show", "dev:realms/alpha/realm.json"); got != `{"v":2}` {
		t.Errorf("git show dev:realms/alpha/realm.json = %q", got)
	}
	if got := git(t, dir, "log", "-1", "--format=%an <%ae> %at %(trailers:key=Envpromote-Meta-type,valueonly)", "dev"); got != "Ada <ada@example.com> "+
		strconv.FormatInt(t0.Unix(), 10)+" promotion" {
		t.Errorf("git log -1 = %q", got)
	}
	if got := git(t, dir, "rev-parse", "dev^{tree}"); got != c2.Tree.String() {
		t.Errorf("Git tree id %s, snapshot hash %s: they must be equal", got, c2.Tree)
	}
	// Authors without an email, or none at all, still make valid commits.
	commit(t, r, "plain", "", storetest.Snapshot(t, map[string]string{"a": "1"}), store.CommitInfo{Author: "tester"})
	commit(t, r, "anonymous", "", nil, store.CommitInfo{})
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

func TestRule_ReadsAndExtendsHistoryMadeByGitCLI(t *testing.T) {
	needGitT(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	for p, data := range map[string]string{"realms/alpha/x.json": "{}", "bin/run.sh": "#!/bin/sh\n", "top.txt": "top"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", "-A")
	git(t, dir, "update-index", "--chmod=+x", "bin/run.sh")
	git(t, dir, "commit", "-q", "-m", "by the CLI")

	r, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	head, err := r.Head(ctx, "main")
	if err != nil || string(head.Revision) != git(t, dir, "rev-parse", "main") || head.Author != "cli <cli@example.com>" || head.Message != "by the CLI\n" {
		t.Fatalf("Head(main) = %+v, %v", head, err)
	}
	s, err := r.Snapshot(ctx, head.Revision)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ReadFile("bin/run.sh"); string(got) != "#!/bin/sh\n" || s.Len() != 3 {
		t.Fatalf("snapshot of a CLI commit: %d files, bin/run.sh = %q", s.Len(), got)
	}
	next, _ := s.With("top.txt", []byte("changed"))
	c := commit(t, r, "main", head.Revision, next, store.CommitInfo{Author: "tester"})
	if got := git(t, dir, "log", "--format=%H", "-1", "main"); got != string(c.Revision) {
		t.Fatalf("git log after a gitstore commit = %s, want %s", got, c.Revision)
	}
	// A directory the commit did not change is kept as Git stored it.
	if got := git(t, dir, "ls-tree", "main", "bin/run.sh"); !strings.HasPrefix(got, "100755 ") {
		t.Errorf("git ls-tree main bin/run.sh = %q: the untouched executable lost its mode", got)
	}
	// And so it is when the snapshot is committed into another repository.
	otherDir := filepath.Join(t.TempDir(), "other.git")
	other, err := gitstore.Init(otherDir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c2 := commit(t, other, "dev", "", next, store.CommitInfo{Author: "tester"})
	if got := git(t, otherDir, "ls-tree", "dev", "bin/run.sh"); !strings.HasPrefix(got, "100755 ") {
		t.Errorf("other repository: git ls-tree dev bin/run.sh = %q, want the executable's mode kept", got)
	}
	if back, err := other.Snapshot(ctx, c2.Revision); err != nil || !back.Equal(next) || back.Len() != 3 {
		t.Errorf("other repository: Snapshot = %v, %v; want %v", back, err, next)
	}
	git(t, otherDir, "fsck", "--strict", "--no-dangling")
}

// objectIDs lists every object the repository holds, packed or loose.
func objectIDs(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, id := range strings.Fields(git(t, dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")) {
		out[id] = true
	}
	return out
}

func TestRule_CommitWritesOnlyWhatChanged(t *testing.T) {
	needGitT(t)
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"top.json": "top"}
	for i := range 60 {
		files[fmt.Sprintf("realms/r%d/journeys/j%d/node%d.json", i%3, i%5, i)] = fmt.Sprint(i)
	}
	base := storetest.Snapshot(t, files)
	c1 := commit(t, r, "dev", "", base, store.CommitInfo{})
	before := objectIDs(t, dir)
	path := "realms/r1/journeys/j2/node7.json"
	next, err := base.With(path, []byte("changed"))
	if err != nil {
		t.Fatal(err)
	}
	commit(t, r, "dev", c1.Revision, next, store.CommitInfo{})
	var added int
	for h := range objectIDs(t, dir) {
		if !before[h] {
			added++
		}
	}
	// One tree per directory on the path (root included), the blob, the commit.
	if want := strings.Count(path, "/") + 1 + 1 + 1; added != want {
		t.Fatalf("committing a change to %s wrote %d objects, want %d", path, added, want)
	}
}

func TestRule_SnapshotReusesCachedTrees(t *testing.T) {
	needGitT(t)
	dir := filepath.Join(t.TempDir(), "repo.git")
	reader, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	writer, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Blob "4" of v1's file c lives in a pack of its own, which stays.
	commit(t, writer, "other", "", storetest.Snapshot(t, map[string]string{"c": "4"}), store.CommitInfo{})
	before := packFiles(t, dir)
	v1 := storetest.Snapshot(t, map[string]string{"a/x/1": "1", "a/y/2": "2", "b/3": "3", "c": "4"})
	c1 := commit(t, writer, "dev", "", v1, store.CommitInfo{})
	if s, err := reader.Snapshot(ctx, c1.Revision); err != nil || s.Len() != 4 { // Len reads every tree
		t.Fatalf("Snapshot(v1) = %v, %v", s, err)
	}
	v2, _ := v1.With("a/x/1", []byte("changed"))
	c2 := commit(t, writer, "dev", c1.Revision, v2, store.CommitInfo{})

	// Remove the objects of v1, among them those v2 keeps but does not
	// need to read again: trees a/y and b and their blobs. Only a reader
	// that reuses the subtrees it loaded can still load v2.
	removePacks(t, before, packFiles(t, dir), c2.Revision)

	got, err := reader.Snapshot(ctx, c2.Revision)
	if err != nil || !got.Equal(v2) || got.Len() != 4 {
		t.Fatalf("reader with cached trees: Snapshot(v2) = %v, %v, %d files; want %v", got, err, got.Len(), v2)
	}
	fresh, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := fresh.Snapshot(ctx, c2.Revision); err != nil || s.Len() != -1 {
		t.Fatalf("a reader without the cached trees read all of v2 (%d files, %v) although its objects were removed: the test proves nothing", s.Len(), err)
	}
}

// packFiles lists the packs of the repository at dir, without extension.
func packFiles(t *testing.T, dir string) map[string]bool {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[strings.TrimSuffix(n, ".pack")] = true
	}
	return out
}

// removePacks deletes the packs in now but not in before, except the one
// holding object keep (empty: none).
func removePacks(t *testing.T, before, now map[string]bool, keep store.Revision) {
	t.Helper()
	for p := range now {
		if before[p] || keep != "" && packHolds(t, p, string(keep)) {
			continue
		}
		for _, ext := range []string{".idx", ".pack"} {
			if err := os.Remove(p + ext); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func packHolds(t *testing.T, pack, id string) bool {
	t.Helper()
	return strings.Contains(git(t, filepath.Dir(pack), "verify-pack", "-v", pack+".idx"), id)
}

func TestOpenNotARepository(t *testing.T) {
	_, err := gitstore.Open(t.TempDir(), gitstore.Options{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(empty dir) = %v, want fs.ErrNotExist", err)
	}
	dir := filepath.Join(t.TempDir(), "repo.git")
	if _, err := gitstore.Init(dir, gitstore.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := gitstore.Init(dir, gitstore.Options{}); err == nil {
		t.Fatal("Init over an existing repository succeeded")
	}
}

// Separate Repos on one directory share nothing in memory: only the ref
// lock file orders them, as it orders processes.
func TestRule_ReposSharingADirectoryOneWinnerPerParent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo.git")
	if _, err := gitstore.Init(dir, gitstore.Options{}); err != nil {
		t.Fatal(err)
	}
	const racers = 6
	repos := make([]*gitstore.Repo, racers)
	for i := range repos {
		var err error
		if repos[i], err = gitstore.Open(dir, gitstore.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	parent := store.Revision("")
	for round := range 4 {
		parent = raceOnce(t, repos, parent, round)
	}
}

// raceOnce has every repo commit on parent at once and returns the winner's
// revision. Exactly one must win; every other must get ErrConflict.
func raceOnce(t *testing.T, repos []*gitstore.Repo, parent store.Revision, round int) store.Revision {
	t.Helper()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []store.Revision
	)
	for i, r := range repos {
		wg.Go(func() {
			s := storetest.Snapshot(t, map[string]string{"who": fmt.Sprint(round, i)})
			c, err := r.Commit(context.Background(), "dev", parent, s, store.CommitInfo{Time: t0})
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, c.Revision)
				mu.Unlock()
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("round %d repo %d: %v, want nil or ErrConflict", round, i, err)
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("round %d (parent %q): %d winners, want exactly 1", round, parent, len(winners))
	}
	return winners[0]
}

// git gc (run by hand, or automatically by the git CLI) moves objects into
// new packs and deletes the old ones while a Repo is open. The Repo must
// still read every branch and revision, not report them missing.
func TestRule_ReadsHistoryAfterGitGC(t *testing.T) {
	needGitT(t)
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, gitstore.Options{CacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var revs []store.Revision
	parent := store.Revision("")
	for i := range 3 {
		c := commit(t, r, "dev", parent, storetest.Snapshot(t, map[string]string{"a": fmt.Sprint(i), fmt.Sprintf("d%d/f", i): "x"}), store.CommitInfo{})
		revs, parent = append(revs, c.Revision), c.Revision
		// The first gc packs loose objects the Repo has seen; the later
		// ones also delete the packs it had indexed.
		git(t, dir, "gc", "-q", "--prune=now")
		if h, err := r.Head(ctx, "dev"); err != nil || h.Revision != c.Revision {
			t.Fatalf("after gc %d: Head = %s, %v; want %s", i+1, h.Revision, err, c.Revision)
		}
		for _, rev := range revs {
			if _, err := r.Snapshot(ctx, rev); err != nil {
				t.Fatalf("after gc %d: Snapshot(%s): %v", i+1, rev, err)
			}
		}
		if log, err := r.Log(ctx, "dev", store.LogOptions{}); err != nil || len(log) != i+1 {
			t.Fatalf("after gc %d: Log = %d commits, %v; want %d", i+1, len(log), err, i+1)
		}
	}
}

// A branch whose commit is missing is a damaged repository, not an absent
// branch: reporting ErrNotFound would invite a commit with a zero parent
// and make a lock branch look free.
func TestRule_BranchAtMissingCommitIsNotNotFound(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	before := packFiles(t, dir)
	commit(t, r, "dev", "", storetest.Snapshot(t, map[string]string{"a": "1"}), store.CommitInfo{})
	removePacks(t, before, packFiles(t, dir), "")
	// A new process: r would still read the pack it holds open.
	if r, err = gitstore.Open(dir, gitstore.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Head(ctx, "dev"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Head of a branch at a missing commit = %v, want an error other than ErrNotFound", err)
	}
	if _, err := r.Log(ctx, "dev", store.LogOptions{}); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Log of a branch at a missing commit = %v, want an error other than ErrNotFound", err)
	}
}
