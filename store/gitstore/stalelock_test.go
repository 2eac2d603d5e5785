package gitstore_test

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

// long reports whether the long crash campaigns run (ENVPROMOTE_LONG=1).
func long() bool { return os.Getenv("ENVPROMOTE_LONG") != "" }

func initDev(t *testing.T, opts gitstore.Options) (string, *gitstore.Repo, store.Commit) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return dir, r, commit(t, r, "dev", "", storetest.Snapshot(t, map[string]string{"a": "1"}), store.CommitInfo{})
}

// age sets the modification time of path d in the past.
func age(t *testing.T, path string, d time.Duration) {
	t.Helper()
	old := time.Now().Add(-d)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func TestRule_FreshRefLockIsNamedAndNotAConflict(t *testing.T) {
	dir, r, c := initDev(t, gitstore.Options{})
	lock := filepath.Join(dir, "refs", "heads", "dev.lock")
	if err := os.WriteFile(lock, nil, 0o644); err != nil { // as git update-ref holds it
		t.Fatal(err)
	}
	_, err := r.Commit(t.Context(), "dev", c.Revision, storetest.Snapshot(t, map[string]string{"a": "2"}), store.CommitInfo{})
	var lerr *gitstore.RefLockError
	if !errors.Is(err, gitstore.ErrRefLocked) || !errors.As(err, &lerr) || lerr.Path != lock || errors.Is(err, store.ErrConflict) {
		t.Fatalf("Commit while %s exists = %v, want a RefLockError naming it, not ErrConflict", lock, err)
	}
	if lerr.Age <= 0 || lerr.Held || !strings.Contains(err.Error(), "old") {
		t.Fatalf("RefLockError = %+v, want its age and not held", lerr)
	}
	if h, _ := r.Head(t.Context(), "dev"); h.Revision != c.Revision {
		t.Fatalf("head moved to %s while locked", h.Revision)
	}
}

func TestRule_StaleRefLockIsTakenOver(t *testing.T) {
	tests := []struct {
		name       string
		staleAfter time.Duration
		age        time.Duration
		wantTaken  bool
	}{
		{"default bound, older", 0, gitstore.DefaultStaleRefLock + time.Second, true},
		{"default bound, younger", 0, gitstore.DefaultStaleRefLock - 5*time.Second, false},
		{"configured bound, older", time.Minute, 2 * time.Minute, true},
		{"configured bound, younger", time.Minute, 30 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			dir, r, c := initDev(t, gitstore.Options{StaleRefLock: tt.staleAfter})
			lock := filepath.Join(dir, "refs", "heads", "dev.lock")
			if err := os.WriteFile(lock, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			age(t, lock, tt.age)
			_, err := r.Commit(t.Context(), "dev", c.Revision, storetest.Snapshot(t, map[string]string{"a": "2"}), store.CommitInfo{})
			if tt.wantTaken && err != nil {
				t.Fatalf("Commit over a lock file %v old: %v, want it taken over", tt.age, err)
			}
			if !tt.wantTaken && !errors.Is(err, gitstore.ErrRefLocked) {
				t.Fatalf("Commit over a lock file %v old: %v, want ErrRefLocked", tt.age, err)
			}
			if _, serr := os.Stat(lock); tt.wantTaken != errors.Is(serr, os.ErrNotExist) {
				t.Fatalf("lock file present = %v after the commit, want %v", serr == nil, !tt.wantTaken)
			}
			fsck(t, dir, "a ref lock crash")
		})
	}
}

// TestHelperRefLock is the child of the ref-lock crash tests. In mode
// "hold" it takes the lock of dev, says "held" and waits to be killed; in
// mode "commit" it commits on dev in a loop until it is killed.
func TestHelperRefLock(t *testing.T) {
	dir, mode := os.Getenv("GITSTORE_LOCK_REPO"), os.Getenv("GITSTORE_LOCK_MODE")
	if dir == "" {
		t.Skip("only run as a child of the ref-lock crash tests")
	}
	switch mode {
	case "hold":
		if err := gitstore.HoldRefLock(dir, "dev"); err != nil {
			t.Fatal(err)
		}
		fmt.Println("held")
		time.Sleep(time.Hour)
	case "commit":
		r, err := gitstore.Open(dir, gitstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("started")
		for i := 0; ; i++ {
			h, err := r.Head(t.Context(), "dev")
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Commit(t.Context(), "dev", h.Revision, storetest.Snapshot(t, map[string]string{"a": strconv.Itoa(i)}), store.CommitInfo{})
			if err != nil && !errors.Is(err, store.ErrConflict) {
				t.Fatal(err)
			}
		}
	}
}

func startHelper(t *testing.T, dir, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRefLock$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GITSTORE_LOCK_REPO="+dir, "GITSTORE_LOCK_MODE="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper %s: %v", mode, err)
	}
	if want := map[string]string{"hold": "held\n", "commit": "started\n"}[mode]; line != want {
		t.Fatalf("helper %s said %q, want %q", mode, line, want)
	}
	return cmd
}

// A process killed while it holds a ref lock leaves the lock file behind.
// While the process lives, its lock is never taken, however old; once it is
// dead, the file is taken over as soon as it is older than the bound.
func TestCrash_KilledWriterLeavesRefLockThatIsTakenOver(t *testing.T) {
	dir, _, c := initDev(t, gitstore.Options{})
	lock := filepath.Join(dir, "refs", "heads", "dev.lock")
	cmd := startHelper(t, dir, "hold")
	age(t, lock, time.Hour)
	r, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	next := storetest.Snapshot(t, map[string]string{"a": "2"})
	_, err = r.Commit(t.Context(), "dev", c.Revision, next, store.CommitInfo{})
	var lerr *gitstore.RefLockError
	if !errors.As(err, &lerr) || !lerr.Held {
		t.Fatalf("Commit while a live process holds the lock: %v, want a RefLockError saying it is held", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("the killed process left no lock file: %v", err)
	}
	if _, err := r.Commit(t.Context(), "dev", c.Revision, next, store.CommitInfo{}); err != nil {
		t.Fatalf("Commit after the holder died: %v, want the stale lock taken over", err)
	}
	fsck(t, dir, "a ref lock crash")
}

// TestCrash_KilledCommittersNeverStickTheRepo SIGKILLs a process that
// commits in a loop at random moments (5 times; 100 with ENVPROMOTE_LONG=1).
// After each kill, the repository passes git fsck and a new writer commits
// at once (StaleRefLock is tiny here, so a leftover lock is taken over as
// soon as it is seen; the flock tells it apart from a live writer's).
func TestCrash_KilledCommittersNeverStickTheRepo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	kills := 5
	if long() {
		kills = 100
	}
	dir, _, _ := initDev(t, gitstore.Options{})
	r, err := gitstore.Open(dir, gitstore.Options{StaleRefLock: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	leftovers := 0
	for i := range kills {
		cmd := startHelper(t, dir, "commit")
		time.Sleep(time.Duration(rand.N(20_000)) * time.Microsecond)
		cmd.Process.Kill()
		cmd.Wait()
		if _, err := os.Stat(filepath.Join(dir, "refs", "heads", "dev.lock")); err == nil {
			leftovers++
		}
		fsck(t, dir, "a ref lock crash")
		h, err := r.Head(t.Context(), "dev")
		if err != nil {
			t.Fatalf("kill %d: Head: %v", i, err)
		}
		if _, err := r.Commit(t.Context(), "dev", h.Revision, storetest.Snapshot(t, map[string]string{"after": strconv.Itoa(i)}), store.CommitInfo{}); err != nil {
			t.Fatalf("kill %d: Commit after the kill: %v", i, err)
		}
	}
	t.Logf("%d kills, %d left a ref lock file", kills, leftovers)
}
