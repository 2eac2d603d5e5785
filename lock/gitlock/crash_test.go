package gitlock

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/testclock"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/memstore"
)

func TestRule_UnreadableRecordIsStateError(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, s *Store, repo store.Repo)
	}{
		{"garbage lease", func(t *testing.T, _ *Store, repo store.Repo) {
			put(t, repo, "dev", map[string]string{metaLease: "{"})
		}},
		{"no lease", func(t *testing.T, _ *Store, repo store.Repo) {
			put(t, repo, "dev", map[string]string{"type": "lock"})
		}},
		{"sibling unreadable", func(t *testing.T, s *Store, repo store.Repo) {
			lease := lock.Lease{ID: "x", Envs: []string{"dev", "uat"}, Owner: "o", Token: 1, Acquired: t0, TTL: time.Hour, Expires: t0.Add(time.Hour)}
			if _, err := s.Swap(t.Context(), "dev", "", lock.Record{Lease: lease}); err != nil {
				t.Fatal(err)
			}
			put(t, repo, "uat", map[string]string{metaLease: "[]"})
		}},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			repo := memstore.New(memstore.Options{})
			s := NewStore(repo, nil)
			l := lock.New(s, lock.ManagerOptions{Now: testclock.New(t0).Now})
			tt.setup(t, s, repo)
			st, err := l.State(t.Context(), "dev")
			if err != nil || st.State != lock.StateError || st.Detail == "" {
				t.Fatalf("State = %+v, %v; want StateError with a detail", st, err)
			}
			if _, err := l.Lock(t.Context(), []string{"dev", "uat"}, "alice", lock.Options{}); err == nil {
				t.Fatal("Lock over an unreadable record succeeded")
			}
		})
	}
}

// put commits a hand-made record: metadata as a foreign writer left it.
func put(t *testing.T, repo store.Repo, env string, metadata map[string]string) {
	t.Helper()
	if _, err := repo.Commit(t.Context(), branchName(env), "", nil, store.CommitInfo{Author: "someone", Metadata: metadata}); err != nil {
		t.Fatal(err)
	}
}

// Issue 13: lock records used to chain forever, three commits per lock and
// unlock of a pair. Each lock branch now holds one commit.
func TestRule_LockHistoryIsBounded(t *testing.T) {
	dir := t.TempDir()
	repo, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := New(repo, Options{})
	for range 20 {
		lease, err := l.Lock(t.Context(), []string{"dev", "uat"}, "alice", lock.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Renew(t.Context(), lease); err != nil {
			t.Fatal(err)
		}
		if err := l.Unlock(t.Context(), lease); err != nil {
			t.Fatal(err)
		}
	}
	for _, env := range []string{"dev", "uat"} {
		log, err := repo.Log(t.Context(), branchName(env), store.LogOptions{})
		if err != nil || len(log) != 1 {
			t.Fatalf("%s: %d commits on its lock branch (%v), want 1", env, len(log), err)
		}
		if _, err := exec.LookPath("git"); err == nil {
			out, err := exec.Command("git", "-C", dir, "rev-list", "--count", "refs/"+branchName(env)).Output()
			if err != nil || strings.TrimSpace(string(out)) != "1" {
				t.Fatalf("git rev-list --count refs/%s = %q (%v), want 1", branchName(env), out, err)
			}
		}
	}
	if lease, err := l.Lock(t.Context(), []string{"dev"}, "bob", lock.Options{}); err != nil || lease.Token != 21 {
		t.Fatalf("Lock after 20 rounds: token %d (%v), want 21: tokens survive the bounded history", lease.Token, err)
	}
}

// stealingRepo runs steal once, just before the first Apply that moves the
// branch "dev": another process taking the lease over between the
// promoter's check and its commit.
type stealingRepo struct {
	*gitstore.Repo
	once  sync.Once
	steal func()
}

func (r *stealingRepo) Apply(ctx context.Context, updates []store.Update) ([]store.Commit, error) {
	if updates[len(updates)-1].Branch == "dev" {
		r.once.Do(r.steal)
	}
	return r.Repo.Apply(ctx, updates)
}

// The fence is atomic with the commit: a lease that expires and is taken
// over after the check cannot commit. (With Validate before Commit, as
// before, it did.)
func TestRule_FencedCommitLandsOnlyUnderTheCurrentLease(t *testing.T) {
	gs, err := gitstore.Init(filepath.Join(t.TempDir(), "repo.git"), gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clock := testclock.New(t0)
	repo := &stealingRepo{Repo: gs}
	l := New(repo, Options{Now: clock.Now})
	lease, err := l.Lock(t.Context(), []string{"dev"}, "alice", lock.Options{TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var thief lock.Lease
	repo.steal = func() {
		clock.Advance(time.Minute)
		other := New(gs, Options{Now: clock.Now})
		if thief, err = other.Lock(context.Background(), []string{"dev"}, "mallory", lock.Options{}); err != nil {
			t.Error(err)
		}
	}
	snap, err := (*store.Snapshot)(nil).With("f", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Commit(t.Context(), lease, repo, store.Update{Branch: "dev", Snapshot: snap})
	if !errors.Is(err, lock.ErrNotHeld) {
		t.Fatalf("Commit after the lease was taken over = %v, want ErrNotHeld", err)
	}
	if _, err := gs.Head(t.Context(), "dev"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the superseded lease committed (head: %v)", err)
	}
	// The current holder commits, and its lease is renewed in the same step.
	clock.Advance(time.Second)
	c, err := l.Commit(t.Context(), thief, repo, store.Update{Branch: "dev", Snapshot: snap})
	if err != nil {
		t.Fatalf("Commit by the current holder: %v", err)
	}
	st, err := l.State(t.Context(), "dev")
	if err != nil || !st.Lease.Expires.Equal(clock.Now().Add(lock.DefaultTTL)) {
		t.Fatalf("lease after the fenced commit expires %v (%v), want renewed to %v", st.Lease.Expires, err, clock.Now().Add(lock.DefaultTTL))
	}
	if h, _ := gs.Head(t.Context(), "dev"); h.Revision != c.Revision {
		t.Fatalf("head %s, want %s", h.Revision, c.Revision)
	}
}
