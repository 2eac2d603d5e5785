package gitlock

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/testclock"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

// faultyRepo is a real Repo whose next Commits on one branch fail with err,
// so a test can cut a Lock short at a chosen environment.
type faultyRepo struct {
	store.Repo
	mu     sync.Mutex
	branch string
	err    error
	times  int
}

func (r *faultyRepo) Commit(ctx context.Context, branch string, parent store.Revision, snap *store.Snapshot, info store.CommitInfo) (store.Commit, error) {
	r.mu.Lock()
	fail := branch == r.branch && r.times > 0
	if fail {
		r.times--
	}
	r.mu.Unlock()
	if fail {
		return store.Commit{}, fmt.Errorf("commit %s: %w", branch, r.err)
	}
	return r.Repo.Commit(ctx, branch, parent, snap, info)
}

// history lists the type and token of each commit on env's lock branch,
// oldest first.
func history(t *testing.T, repo store.Repo, env string) []string {
	t.Helper()
	log, err := repo.Log(t.Context(), branchName(env), store.LogOptions{})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range slices.Backward(log) {
		out = append(out, c.Metadata["type"]+" "+c.Metadata["token"])
	}
	return out
}

func wantState(t *testing.T, l *Locker, env string, want lock.State, leaseID string) {
	t.Helper()
	st, err := l.State(t.Context(), env)
	if err != nil {
		t.Fatalf("State(%q): %v", env, err)
	}
	if st.State != want || st.Lease.ID != leaseID {
		t.Fatalf("State(%q) = %q with lease %q (%s), want %q with lease %q", env, st.State, st.Lease.ID, st.Detail, want, leaseID)
	}
}

var errDiskFull = errors.New("disk full")

func TestRule_FailedLockRollsBack(t *testing.T) {
	tests := []struct {
		name      string
		failEnv   string
		err       error
		wantErr   bool
		wantToken uint64              // of the lease taken afterwards
		history   map[string][]string // per environment, oldest first
	}{
		{"first write fails", "a", errDiskFull, true, 1, map[string][]string{"a": nil, "b": nil, "c": nil}},
		{"second write fails", "b", errDiskFull, true, 2, map[string][]string{"a": {"lock 1", "unlock 1"}, "b": nil, "c": nil}},
		{"last write fails", "c", errDiskFull, true, 2, map[string][]string{"a": {"lock 1", "unlock 1"}, "b": {"lock 1", "unlock 1"}, "c": nil}},
		{"second write loses a race", "b", store.ErrConflict, false, 2, map[string][]string{"a": {"lock 1", "unlock 1", "lock 2"}, "b": {"lock 2"}, "c": {"lock 2"}}},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			repo := &faultyRepo{Repo: memstore.New(memstore.Options{}), branch: branchName(tt.failEnv), err: tt.err, times: 1}
			l := New(repo, Options{})
			lease, err := l.Lock(t.Context(), []string{"c", "a", "b"}, "alice", lock.Options{})
			if tt.wantErr {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Lock = %v, want the write error %v", err, tt.err)
				}
				for _, env := range []string{"a", "b", "c"} {
					wantState(t, l, env, lock.StateUnlocked, "")
				}
				if lease, err = l.Lock(t.Context(), []string{"a", "b", "c"}, "alice", lock.Options{}); err != nil {
					t.Fatalf("Lock after the failure: %v", err)
				}
			} else if err != nil {
				t.Fatalf("Lock = %v, want it to retry and succeed", err)
			}
			if lease.Token != tt.wantToken {
				t.Errorf("lease token = %d, want %d", lease.Token, tt.wantToken)
			}
			for env, want := range tt.history {
				got := history(t, repo, env)
				if tt.wantErr && want != nil { // the retry's lock commit comes last
					want = append(want, fmt.Sprintf("lock %d", tt.wantToken))
				} else if tt.wantErr {
					want = []string{fmt.Sprintf("lock %d", tt.wantToken)}
				}
				if !slices.Equal(got, want) {
					t.Errorf("history of %s = %q, want %q", env, got, want)
				}
			}
		})
	}
}

// TestRule_CrashLeavesVisibleClearableLease builds, commit by commit, what
// a process that died inside Lock or Unlock leaves behind, and checks that
// the lease is visible, blocks its environments, and is cleared by Unlock
// or by expiry.
func TestRule_CrashLeavesVisibleClearableLease(t *testing.T) {
	envs := []string{"a", "b", "c"}
	tests := []struct {
		name     string
		held     []string // environments still holding the lease
		released []string // environments where it was released
		want     lock.State
	}{
		{"died after locking a", []string{"a"}, nil, lock.StateLocking},
		{"died after locking a and b", []string{"a", "b"}, nil, lock.StateLocking},
		{"died after unlocking c", []string{"a", "b"}, []string{"c"}, lock.StateUnlocking},
		{"died after unlocking c and b", []string{"a"}, []string{"b", "c"}, lock.StateUnlocking},
	}
	for _, tt := range tests {
		for _, clear := range []string{"unlock", "expiry"} {
			t.Run(strings.ReplaceAll(tt.name, " ", "_")+"/"+clear, func(t *testing.T) {
				clock := testclock.New(t0)
				l := New(memstore.New(memstore.Options{}), Options{Now: clock.Now})
				lease, err := lock.NewLease(envs, "crashed", lock.Options{TTL: time.Hour}, clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				lease.Token = 1
				for _, env := range append(slices.Clone(tt.held), tt.released...) {
					commit(t, l, record{Env: env, Lease: lease})
				}
				for _, env := range tt.released {
					commit(t, l, record{Env: env, Lease: lease, Released: true})
				}

				for _, env := range envs {
					if slices.Contains(tt.held, env) {
						wantState(t, l, env, tt.want, lease.ID)
					} else {
						wantState(t, l, env, lock.StateUnlocked, "")
					}
				}
				var le *lock.LockedError
				if _, err := l.Lock(t.Context(), envs, "next", lock.Options{}); !errors.As(err, &le) || le.Holder.ID != lease.ID {
					t.Fatalf("Lock over the remains = %v, want ErrLocked naming lease %s", err, lease.ID)
				}
				if err := l.Validate(t.Context(), lease); !errors.Is(err, lock.ErrNotHeld) {
					t.Errorf("Validate(partial lease) = %v, want ErrNotHeld", err)
				}

				if clear == "unlock" {
					st, _ := l.State(t.Context(), "a")
					if err := l.Unlock(t.Context(), st.Lease); err != nil {
						t.Fatalf("Unlock(lease from State) = %v, want nil", err)
					}
				} else {
					clock.Advance(time.Hour)
				}
				next, err := l.Lock(t.Context(), envs, "next", lock.Options{})
				if err != nil {
					t.Fatalf("Lock after %s: %v", clear, err)
				}
				if next.Token <= lease.Token {
					t.Errorf("token after %s = %d, want > %d", clear, next.Token, lease.Token)
				}
			})
		}
	}
}

// commit writes rec on its environment's branch as Lock and Unlock do.
func commit(t *testing.T, l *Locker, rec record) {
	t.Helper()
	s, err := l.read(t.Context(), rec.Env)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.write(t.Context(), s, rec); err != nil {
		t.Fatal(err)
	}
}

func TestRule_UnreadableOrInconsistentRecordIsStateError(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, l *Locker, repo store.Repo)
		env   string
	}{
		{"garbage lease", func(t *testing.T, _ *Locker, repo store.Repo) {
			put(t, repo, "dev", map[string]string{metaLease: "{"})
		}, "dev"},
		{"no lease", func(t *testing.T, _ *Locker, repo store.Repo) {
			put(t, repo, "dev", map[string]string{"type": "lock"})
		}, "dev"},
		{"sibling unreadable", func(t *testing.T, l *Locker, repo store.Repo) {
			lease := lock.Lease{ID: "x", Envs: []string{"dev", "uat"}, Owner: "o", Token: 1, Acquired: t0}
			commit(t, l, record{Env: "dev", Lease: lease})
			put(t, repo, "uat", map[string]string{metaLease: "[]"})
		}, "dev"},
		{"sibling held by a later lease", func(t *testing.T, l *Locker, _ store.Repo) {
			commit(t, l, record{Env: "dev", Lease: lock.Lease{ID: "x", Envs: []string{"dev", "uat"}, Owner: "o", Token: 1, Acquired: t0}})
			commit(t, l, record{Env: "uat", Lease: lock.Lease{ID: "y", Envs: []string{"uat"}, Owner: "o", Token: 2, Acquired: t0}})
		}, "dev"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			repo := memstore.New(memstore.Options{})
			l := New(repo, Options{})
			tt.setup(t, l, repo)
			st, err := l.State(t.Context(), tt.env)
			if err != nil || st.State != lock.StateError || st.Detail == "" {
				t.Fatalf("State = %+v, %v; want StateError with a detail", st, err)
			}
			if _, err := l.Lock(t.Context(), []string{"dev", "uat"}, "alice", lock.Options{}); err == nil {
				t.Fatalf("Lock over an unreadable or held record succeeded")
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
