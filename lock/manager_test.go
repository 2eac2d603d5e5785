package lock_test

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
	"github.com/envpromote/envpromote/lock/memlock"
)

// faultyStore is a real Store whose next Swaps of one environment fail
// with err, so a test can cut a Lock short at a chosen environment.
type faultyStore struct {
	lock.Store
	mu    sync.Mutex
	env   string
	err   error
	times int
	swaps []string // "env released? token" per successful swap
}

func (s *faultyStore) Swap(ctx context.Context, env string, old lock.Version, rec lock.Record) (lock.Version, error) {
	s.mu.Lock()
	fail := env == s.env && s.times > 0
	if fail {
		s.times--
	}
	s.mu.Unlock()
	if fail {
		return "", fmt.Errorf("swap %s: %w", env, s.err)
	}
	v, err := s.Store.Swap(ctx, env, old, rec)
	if err == nil {
		verb := "lock"
		if rec.Released {
			verb = "unlock"
		}
		s.mu.Lock()
		s.swaps = append(s.swaps, fmt.Sprintf("%s %s %d", verb, env, rec.Lease.Token))
		s.mu.Unlock()
	}
	return v, err
}

var errDiskFull = errors.New("disk full")

func wantState(t *testing.T, l lock.Locker, env string, want lock.State, leaseID string) lock.Status {
	t.Helper()
	st, err := l.State(t.Context(), env)
	if err != nil {
		t.Fatalf("State(%q): %v", env, err)
	}
	if st.State != want || st.Lease.ID != leaseID {
		t.Fatalf("State(%q) = %q with lease %q (%s), want %q with lease %q", env, st.State, st.Lease.ID, st.Detail, want, leaseID)
	}
	return st
}

func TestRule_FailedLockReleasesWhatItTook(t *testing.T) {
	tests := []struct {
		name      string
		failEnv   string
		err       error
		wantErr   bool
		wantSwaps string
	}{
		{"first write fails", "a", errDiskFull, true, ""},
		{"second write fails", "b", errDiskFull, true, "lock a 1, unlock a 1"},
		{"last write fails", "c", errDiskFull, true, "lock a 1, lock b 1, unlock b 1, unlock a 1"},
		{"second write loses a race", "b", lock.ErrConflict, false, "lock a 1, unlock a 1, lock a 2, lock b 2, lock c 2"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			s := &faultyStore{Store: memlock.NewStore(), env: tt.failEnv, err: tt.err, times: 1}
			l := lock.New(s, lock.ManagerOptions{})
			_, err := l.Lock(t.Context(), []string{"c", "a", "b"}, "alice", lock.Options{})
			if tt.wantErr != errors.Is(err, tt.err) || !tt.wantErr && err != nil {
				t.Fatalf("Lock = %v, want error %v: %v", err, tt.wantErr, tt.err)
			}
			if got := strings.Join(s.swaps, ", "); got != tt.wantSwaps {
				t.Fatalf("swaps = %q, want %q", got, tt.wantSwaps)
			}
			if tt.wantErr {
				for _, env := range []string{"a", "b", "c"} {
					wantState(t, l, env, lock.StateUnlocked, "")
				}
			}
		})
	}
}

// TestRule_CrashLeavesVisibleClearableLease builds, record by record, what
// a process that died inside Lock or Unlock leaves behind, and checks that
// the lease is visible with the way out, blocks its environments, and is
// cleared by Unlock or by expiry.
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
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range tests {
		for _, clear := range []string{"unlock", "expiry"} {
			t.Run(strings.ReplaceAll(tt.name, " ", "_")+"/"+clear, func(t *testing.T) {
				clock := testclock.New(t0)
				s := memlock.NewStore()
				l := lock.New(s, lock.ManagerOptions{Now: clock.Now})
				lease, err := lock.NewLease(envs, "crashed", lock.Options{TTL: time.Hour}, clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				lease.Token = 1
				put := func(env string, released bool) {
					_, ver, err := s.Load(t.Context(), env)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := s.Swap(t.Context(), env, ver, lock.Record{Lease: lease, Released: released}); err != nil {
						t.Fatal(err)
					}
				}
				for _, env := range append(slices.Clone(tt.held), tt.released...) {
					put(env, false)
				}
				for _, env := range tt.released {
					put(env, true)
				}
				for _, env := range envs {
					if !slices.Contains(tt.held, env) {
						wantState(t, l, env, lock.StateUnlocked, "")
						continue
					}
					st := wantState(t, l, env, tt.want, lease.ID)
					for _, part := range []string{strings.Join(tt.held, ", "), "2025-01-02T04:04:05Z", "DELETE lock/" + lease.ID} {
						if !strings.Contains(st.Detail, part) {
							t.Errorf("State(%q).Detail = %q, want it to name %q", env, st.Detail, part)
						}
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
					// Any part still held is released by the lease, even
					// given as the caller's copy naming one environment.
					part := lease
					part.Envs = []string{tt.held[len(tt.held)-1]}
					if err := l.Unlock(t.Context(), part); err != nil {
						t.Fatalf("Unlock(lease) = %v, want nil", err)
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

// pausingStore stops inside every Swap until the test lets it go, so the
// test can look at State between the steps of a Lock or an Unlock.
type pausingStore struct {
	lock.Store
	at   chan string
	next chan struct{}
}

func (s *pausingStore) Swap(ctx context.Context, env string, old lock.Version, rec lock.Record) (lock.Version, error) {
	v, err := s.Store.Swap(ctx, env, old, rec)
	s.at <- env
	<-s.next
	return v, err
}

// A normal Lock and Unlock pass through locking and unlocking, never error.
func TestRule_StatesDuringLockAndUnlockAreNeverError(t *testing.T) {
	s := &pausingStore{Store: memlock.NewStore(), at: make(chan string), next: make(chan struct{})}
	l := lock.New(s, lock.ManagerOptions{})
	envs := []string{"a", "b", "c"}
	done := make(chan lock.Lease)
	go func() {
		lease, err := l.Lock(context.Background(), envs, "alice", lock.Options{})
		if err != nil {
			t.Error(err)
		}
		done <- lease
	}()
	var seen []string
	look := func() {
		for _, env := range envs {
			st, err := l.State(t.Context(), env)
			if err != nil || st.State == lock.StateError {
				t.Fatalf("State(%q) = %+v, %v, want no error", env, st, err)
			}
			seen = append(seen, string(st.State))
		}
	}
	for range envs {
		<-s.at
		look()
		s.next <- struct{}{}
	}
	lease := <-done
	go func() {
		if err := l.Unlock(context.Background(), lease); err != nil {
			t.Error(err)
		}
		close(done)
	}()
	for range envs {
		<-s.at
		look()
		s.next <- struct{}{}
	}
	<-done
	want := "locking unlocked unlocked locking locking unlocked locked locked locked " +
		"unlocking unlocking unlocked unlocking unlocked unlocked unlocked unlocked unlocked"
	if got := strings.Join(seen, " "); got != want {
		t.Fatalf("states of a, b, c after each step:\n got %s\nwant %s", got, want)
	}
}
