package gitstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/envpromote/envpromote/store"
)

// Reads of a local repository on disk take no repository-wide lock: with
// r.mu held, as by a commit in the middle of writing its objects, Head,
// Log and Snapshot still complete (were they to wait, the test would
// deadlock).
func TestRule_ReadsTakeNoRepositoryLock(t *testing.T) {
	ctx := context.Background()
	r, err := Init(filepath.Join(t.TempDir(), "repo.git"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.New(map[string][]byte{"a/b": []byte("1"), "c": []byte("2")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Commit(ctx, "dev", "", s, store.CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, err := r.Head(ctx, "dev"); err != nil || h.Revision != c.Revision {
		t.Fatalf("Head = %v, %v", h.Revision, err)
	}
	if log, err := r.Log(ctx, "dev", store.LogOptions{}); err != nil || len(log) != 1 {
		t.Fatalf("Log = %d commits, %v", len(log), err)
	}
	if got, err := r.Snapshot(ctx, c.Revision); err != nil || !got.Equal(s) {
		t.Fatalf("Snapshot = %v, %v", got, err)
	}
}
