package gitstore

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/envpromote/envpromote/store"
)

// Commits past Maintenance.AutoPacks start maintenance in the background,
// which keeps the number of packs under the limit and the repository
// clean for git fsck.
func TestRule_CommitsStartMaintenancePastTheLimit(t *testing.T) {
	const limit, commits = 4, 30
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := Init(dir, Options{Maintenance: Maintenance{AutoPacks: limit}})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for i := range 20 {
		files[fmt.Sprintf("d%d/f%d", i%4, i)] = fmt.Append(nil, i)
	}
	var head store.Revision
	for i := range commits {
		files[fmt.Sprintf("d%d/f%d", i%4, i%20)] = fmt.Append(nil, "v", i)
		s, err := store.New(files)
		if err != nil {
			t.Fatal(err)
		}
		c, err := r.Commit(context.Background(), "dev", head, s, store.CommitInfo{})
		if err != nil {
			t.Fatal(err)
		}
		head = c.Revision
	}
	// Wait for the background runs, including one asked for while another
	// was busy. Holding the lock here can make a run's hand-over fail, as
	// a Maintain call would; then ask again, as the next commit would.
	for {
		r.maint.running.Lock()
		if !r.maint.again.Load() {
			break
		}
		r.maint.running.Unlock()
		r.autoMaintain()
		runtime.Gosched()
	}
	defer r.maint.running.Unlock()
	packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
	if len(packs) > limit {
		t.Errorf("%d commits left %d packs, want at most %d", commits, len(packs), limit)
	}
	if log, err := r.Log(context.Background(), "dev", store.LogOptions{}); err != nil || len(log) != commits {
		t.Fatalf("Log = %d commits, %v", len(log), err)
	}
	if _, err := exec.LookPath("git"); err == nil {
		if out, err := exec.Command("git", "-C", dir, "fsck", "--strict").CombinedOutput(); err != nil {
			t.Fatalf("git fsck --strict: %v\n%s", err, out)
		}
	}
}

// After Close, commits start no maintenance: nothing writes to the
// repository but the caller.
func TestRule_CloseStopsAutomaticMaintenance(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := Init(dir, Options{Maintenance: Maintenance{AutoPacks: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	var head store.Revision
	for i := range 6 {
		s, err := store.New(map[string][]byte{"a": fmt.Append(nil, i), "b": fmt.Append(nil, "b", i)})
		if err != nil {
			t.Fatal(err)
		}
		c, err := r.Commit(context.Background(), "dev", head, s, store.CommitInfo{})
		if err != nil {
			t.Fatalf("commit after Close: %v", err)
		}
		head = c.Revision
	}
	r.maint.running.Lock() // would wait for a run, had one started
	defer r.maint.running.Unlock()
	if packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack")); len(packs) != 6 {
		t.Fatalf("%d packs after 6 commits on a closed Repo, want 6 (no maintenance)", len(packs))
	}
}
