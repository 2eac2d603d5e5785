package gitlock_test

import (
	"bufio"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/store/gitstore"
)

// The crash tests' helper: GITLOCK_CRASH names the repository and
// GITLOCK_CRASH_MODE what to do until it is killed.
const (
	envCrash     = "GITLOCK_CRASH"
	envCrashMode = "GITLOCK_CRASH_MODE"
	crashTTL     = time.Hour
)

var crashSet = []string{"dev", "group:main", "staging"}

// stopAfter is a Store that parks its process for good after n Swaps, so
// the parent kills it at a chosen step.
type stopAfter struct {
	lock.Store
	n atomic.Int32
}

func (s *stopAfter) Swap(ctx context.Context, env string, old lock.Version, rec lock.Record) (lock.Version, error) {
	v, err := s.Store.Swap(ctx, env, old, rec)
	if s.n.Add(-1) == 0 {
		os.Stdout.WriteString("parked\n")
		select {}
	}
	return v, err
}

// TestHelperCrash runs in a child process. Modes: "lock" parks after the
// first record of a Lock, "unlock" after the first release of an Unlock,
// "loop" locks and unlocks until killed.
func TestHelperCrash(t *testing.T) {
	dir := os.Getenv(envCrash)
	if dir == "" {
		t.Skip("helper process of the gitlock crash tests")
	}
	repo, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &stopAfter{Store: gitlock.NewStore(repo, nil)}
	l := lock.New(s, lock.ManagerOptions{})
	opts := lock.Options{TTL: crashTTL}
	switch os.Getenv(envCrashMode) {
	case "lock":
		s.n.Store(1)
		l.Lock(t.Context(), crashSet, "crasher", opts)
	case "unlock":
		lease, err := l.Lock(t.Context(), crashSet, "crasher", opts)
		if err != nil {
			t.Fatal(err)
		}
		s.n.Store(1)
		l.Unlock(t.Context(), lease)
	case "loop":
		os.Stdout.WriteString("parked\n") // running, rather
		for {
			lease, err := l.Lock(t.Context(), crashSet, "crasher", opts)
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
	}
	t.Fatal("not parked")
}

func crashRepo(t *testing.T) string {
	dir := t.TempDir()
	if _, err := gitstore.Init(dir, gitstore.Options{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runAndKill starts the helper in mode, waits until it parks (or runs),
// then SIGKILLs it after up to jitter.
func runAndKill(t *testing.T, dir, mode string, jitter time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrash+"="+dir, envCrashMode+"="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "parked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper %s: %q, %v", mode, line, err)
	}
	if jitter > 0 {
		time.Sleep(time.Duration(rand.N(int64(jitter))))
	}
	cmd.Process.Kill()
	cmd.Wait()
}

// checker is what a new process sees: a fresh Repo and Manager, with a
// clock that can be moved past the crashed lease's TTL.
func checker(t *testing.T, dir string, ahead time.Duration) *lock.Manager {
	// StaleRefLock is tiny: a ref lock file the killed process left (no
	// live process holds it) is taken over at once.
	repo, err := gitstore.Open(dir, gitstore.Options{StaleRefLock: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	return gitlock.New(repo, gitlock.Options{Now: func() time.Time { return time.Now().Add(ahead) }})
}

// A process SIGKILLed halfway through a Lock or an Unlock leaves the set
// half held. A new process sees it as locking or unlocking, never error,
// with the way out, and clears it by Unlock with the lease or by its TTL.
func TestCrash_HalfHeldLeaseIsVisibleAndClears(t *testing.T) {
	for _, mode := range []string{"lock", "unlock"} {
		for _, clear := range []string{"unlock", "expiry"} {
			t.Run(mode+"/"+clear, func(t *testing.T) {
				dir := crashRepo(t)
				runAndKill(t, dir, mode, 0)
				l := checker(t, dir, 0)
				st, err := l.State(t.Context(), crashSet[0])
				want := map[string]lock.State{"lock": lock.StateLocking, "unlock": lock.StateUnlocking}[mode]
				if err != nil || st.State != want || !strings.Contains(st.Detail, "DELETE lock/"+st.Lease.ID) {
					t.Fatalf("State after a kill mid-%s = %+v, %v; want %s with the way out", mode, st, err, want)
				}
				if _, err := l.Lock(t.Context(), crashSet, "next", lock.Options{}); !errors.Is(err, lock.ErrLocked) {
					t.Fatalf("Lock over the remains = %v, want ErrLocked", err)
				}
				if clear == "unlock" {
					if err := l.Unlock(t.Context(), st.Lease); err != nil {
						t.Fatalf("Unlock(lease from State) = %v", err)
					}
				} else {
					l = checker(t, dir, crashTTL)
				}
				lease, err := l.Lock(t.Context(), crashSet, "next", lock.Options{})
				if err != nil {
					t.Fatalf("Lock after %s: %v", clear, err)
				}
				if lease.Token <= st.Lease.Token {
					t.Fatalf("token %d after the crashed lease's %d", lease.Token, st.Lease.Token)
				}
			})
		}
	}
}

// TestCrash_KilledLockersNeverStickTheSet SIGKILLs a process that locks,
// renews and unlocks in a loop, at random moments (5 kills; 100 with
// ENVPROMOTE_LONG=1). After each, a new process finds every environment
// unlocked, or held by one lease that Unlock with the lease from State
// clears: no state needs a hand edit; git fsck stays clean.
func TestCrash_KilledLockersNeverStickTheSet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	kills := 5
	if os.Getenv("ENVPROMOTE_LONG") != "" {
		kills = 100
	}
	dir := crashRepo(t)
	var partial, whole int
	for i := range kills {
		runAndKill(t, dir, "loop", 30*time.Millisecond)
		if _, err := exec.LookPath("git"); err == nil {
			if out, err := exec.Command("git", "-C", dir, "fsck", "--strict", "--no-dangling").CombinedOutput(); err != nil {
				t.Fatalf("kill %d: git fsck: %v\n%s", i, err, out)
			}
		}
		l := checker(t, dir, 0)
		for _, env := range crashSet {
			st, err := l.State(t.Context(), env)
			if err != nil || st.State == lock.StateError {
				t.Fatalf("kill %d: State(%s) = %+v, %v", i, env, st, err)
			}
			if st.State == lock.StateUnlocked {
				continue
			}
			if st.State == lock.StateLocked {
				whole++
			} else {
				partial++
			}
			if err := l.Unlock(t.Context(), st.Lease); err != nil {
				t.Fatalf("kill %d: Unlock(%s) = %v", i, st.Lease.ID, err)
			}
			break
		}
		lease, err := l.Lock(t.Context(), crashSet, "checker", lock.Options{})
		if err != nil {
			t.Fatalf("kill %d: Lock after clearing: %v", i, err)
		}
		if err := l.Unlock(t.Context(), lease); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d kills: %d left the set half held, %d wholly held; all cleared by one Unlock", kills, partial, whole)
}
