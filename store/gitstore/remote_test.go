package gitstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

// servers runs f against each kind of real Git server a remote can be.
func servers(t *testing.T, f func(t *testing.T, srv *gittest.Server)) {
	t.Run("SmartHTTP", func(t *testing.T) { f(t, gittest.HTTP(t)) })
	t.Run("GitDaemon", func(t *testing.T) { f(t, gittest.Daemon(t)) })
}

// machine opens a new on-disk cache of url, as a new machine would.
func machine(t *testing.T, url string, opts gitstore.Options) *gitstore.Repo {
	t.Helper()
	opts.Remote = url
	return initRepo(t, opts)
}

func TestConformanceRemote(t *testing.T) {
	servers(t, func(t *testing.T, srv *gittest.Server) {
		t.Run("DiskCache", func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Repo { return machine(t, srv.NewRepo(t), gitstore.Options{}) })
		})
		t.Run("MemoryCache", func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Repo { return gitstore.NewMemory(gitstore.Options{Remote: srv.NewRepo(t)}) })
		})
	})
}

// Two machines, each with its own on-disk cache, share one remote.
func TestRule_MachinesSharingARemoteOneWinnerPerParent(t *testing.T) {
	servers(t, func(t *testing.T, srv *gittest.Server) {
		url := srv.NewRepo(t)
		ctx := context.Background()
		a, b := machine(t, url, gitstore.Options{}), machine(t, url, gitstore.Options{})

		base := commit(t, a, "dev", "", storetest.Snapshot(t, map[string]string{"x": "base"}), store.CommitInfo{Message: "base"})
		if _, err := b.Commit(ctx, "dev", "", storetest.Snapshot(t, map[string]string{"x": "b"}), store.CommitInfo{Time: t0}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("creating a branch that exists on the remote: %v, want ErrConflict", err)
		}
		if h, err := b.Head(ctx, "dev"); err != nil || h.Revision != base.Revision || h.Message != "base" {
			t.Fatalf("b sees %+v, %v; want a's commit", h, err)
		}

		// Both commit on base: one wins, the other conflicts and sees the winner.
		ca, errA := a.Commit(ctx, "dev", base.Revision, storetest.Snapshot(t, map[string]string{"x": "a"}), store.CommitInfo{Time: t0})
		_, errB := b.Commit(ctx, "dev", base.Revision, storetest.Snapshot(t, map[string]string{"x": "b"}), store.CommitInfo{Time: t0})
		if errA != nil || !errors.Is(errB, store.ErrConflict) {
			t.Fatalf("a: %v, b: %v; want a to win and b to conflict", errA, errB)
		}
		h, err := b.Head(ctx, "dev")
		if err != nil || h.Revision != ca.Revision {
			t.Fatalf("b's head after losing = %+v, %v; want %s", h, err, ca.Revision)
		}
		s, err := b.Snapshot(ctx, ca.Revision)
		if got, _ := s.ReadFile("x"); err != nil || string(got) != "a" {
			t.Fatalf("b reads a's snapshot: %q, %v", got, err)
		}
		cb := commit(t, b, "dev", ca.Revision, storetest.Snapshot(t, map[string]string{"x": "b"}), store.CommitInfo{})
		log, err := a.Log(ctx, "dev", store.LogOptions{})
		if err != nil || len(log) != 3 || log[0].Revision != cb.Revision {
			t.Fatalf("a's log = %d commits, %v; want 3 with b's on top", len(log), err)
		}

		// What the remote holds is an ordinary Git repository.
		clone := filepath.Join(t.TempDir(), "clone")
		gittest.Git(t, t.TempDir(), "clone", "-q", url, clone)
		if got := gittest.Git(t, clone, "show", "origin/dev:x"); got != "b" {
			t.Fatalf("git show origin/dev:x in a clone = %q", got)
		}
		gittest.Git(t, srv.Path(url), "fsck", "--strict") // fails the test on any error
	})
}

// The failure: a machine lacking a branch locally failed its next
// read after every commit by another machine.
func TestRule_FreshMachineReadsEveryCommit(t *testing.T) {
	servers(t, func(t *testing.T, srv *gittest.Server) {
		url := srv.NewRepo(t)
		ctx := context.Background()
		a := machine(t, url, gitstore.Options{})
		b := machine(t, url, gitstore.Options{})
		heads := map[string]store.Revision{}
		for i := range 10 {
			branch := []string{"dev", "locks/dev"}[i%2] // a namespaced branch too
			c := commit(t, a, branch, heads[branch], storetest.Snapshot(t, map[string]string{"n": fmt.Sprint(i)}), store.CommitInfo{})
			heads[branch] = c.Revision
			fresh := machine(t, url, gitstore.Options{})
			for name, m := range map[string]*gitstore.Repo{"b": b, "fresh": fresh} {
				h, err := m.Head(ctx, branch)
				if err != nil || h.Revision != c.Revision {
					t.Fatalf("commit %d: %s's Head(%s) = %s, %v; want %s", i, name, branch, h.Revision, err, c.Revision)
				}
				s, err := m.Snapshot(ctx, c.Revision)
				if got, _ := s.ReadFile("n"); err != nil || string(got) != fmt.Sprint(i) {
					t.Fatalf("commit %d: %s's snapshot reads %q, %v", i, name, got, err)
				}
				if log, err := m.Log(ctx, branch, store.LogOptions{}); err != nil || len(log) != i/2+1 {
					t.Fatalf("commit %d: %s's log has %d commits, %v; want %d", i, name, len(log), err, i/2+1)
				}
			}
		}
	})
}

// Machines racing at once: the server's ref lock, not any client, decides.
func TestRule_MachinesRacingOnARemoteOneWinner(t *testing.T) {
	servers(t, func(t *testing.T, srv *gittest.Server) {
		url := srv.NewRepo(t)
		machines := make([]*gitstore.Repo, 4)
		for i := range machines {
			machines[i] = machine(t, url, gitstore.Options{})
		}
		parent := store.Revision("")
		for round := range 3 {
			parent = raceOnce(t, machines, parent, round)
			for i, m := range machines {
				if h, err := m.Head(context.Background(), "dev"); err != nil || h.Revision != parent {
					t.Fatalf("machine %d sees head %s, %v; want %s", i, h.Revision, err, parent)
				}
			}
		}
	})
}

// With MaxStaleness a read may miss another machine's newer commit, never
// this machine's own, and a lost race makes the next read ask the remote.
func TestRule_MaxStalenessBoundsWhatReadsMiss(t *testing.T) {
	srv := gittest.HTTP(t)
	url := srv.NewRepo(t)
	ctx := context.Background()
	a := machine(t, url, gitstore.Options{})
	b := machine(t, url, gitstore.Options{MaxStaleness: 1 << 62}) // never expires within the test
	c1 := commit(t, a, "dev", "", storetest.Snapshot(t, map[string]string{"x": "1"}), store.CommitInfo{})
	if h, err := b.Head(ctx, "dev"); err != nil || h.Revision != c1.Revision {
		t.Fatalf("b's first read = %s, %v; want %s", h.Revision, err, c1.Revision)
	}
	c2 := commit(t, a, "dev", c1.Revision, storetest.Snapshot(t, map[string]string{"x": "2"}), store.CommitInfo{})
	if h, err := b.Head(ctx, "dev"); err != nil || h.Revision != c1.Revision {
		t.Fatalf("b's read within its staleness bound = %s, %v; want the listed %s", h.Revision, err, c1.Revision)
	}
	if _, err := b.Commit(ctx, "dev", c1.Revision, storetest.Snapshot(t, map[string]string{"x": "b"}), store.CommitInfo{}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("b commits on a stale head: %v, want ErrConflict", err)
	}
	if h, err := b.Head(ctx, "dev"); err != nil || h.Revision != c2.Revision {
		t.Fatalf("b's read after a conflict = %s, %v; want the winner %s", h.Revision, err, c2.Revision)
	}
	c3 := commit(t, b, "dev", c2.Revision, storetest.Snapshot(t, map[string]string{"x": "3"}), store.CommitInfo{})
	if h, err := b.Head(ctx, "dev"); err != nil || h.Revision != c3.Revision {
		t.Fatalf("b's read after its own commit = %s, %v; want %s", h.Revision, err, c3.Revision)
	}
}

// A call stuck on the network holds no lock: reads of what the cache holds
// go on meanwhile.
func TestRule_NoLockHeldOverTheNetwork(t *testing.T) {
	stuck, release := make(chan struct{}), make(chan struct{})
	var hang atomic.Bool
	srv := gittest.HTTPWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hang.Load() {
				stuck <- struct{}{}
				<-release
			}
			h.ServeHTTP(w, r)
		})
	})
	r := machine(t, srv.NewRepo(t), gitstore.Options{})
	ctx := context.Background()
	c := commit(t, r, "dev", "", storetest.Snapshot(t, map[string]string{"x": "1"}), store.CommitInfo{})
	hang.Store(true)
	done := make(chan error)
	go func() {
		_, err := r.Commit(ctx, "dev", c.Revision, storetest.Snapshot(t, map[string]string{"x": "2"}), store.CommitInfo{})
		done <- err
	}()
	<-stuck
	if s, err := r.Snapshot(ctx, c.Revision); err != nil || s.Hash() != c.Tree {
		t.Fatalf("Snapshot while a Commit waits on the remote: %v", err)
	}
	hang.Store(false)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the Commit, once the remote answers: %v", err)
	}
}

// Racing writers may make the very same commit (same parent, content,
// metadata and second): still exactly one of them succeeds, as on disk.
func TestRule_IdenticalCommitsRacingOneWinner(t *testing.T) {
	servers(t, func(t *testing.T, srv *gittest.Server) {
		url := srv.NewRepo(t)
		ctx := context.Background()
		base := commit(t, machine(t, url, gitstore.Options{}), "dev", "", storetest.Snapshot(t, map[string]string{"x": "0"}), store.CommitInfo{})
		machines := []*gitstore.Repo{machine(t, url, gitstore.Options{}), machine(t, url, gitstore.Options{}), gitstore.NewMemory(gitstore.Options{Remote: url})}
		var won, lost atomic.Int32
		var wg sync.WaitGroup
		for _, m := range machines {
			wg.Go(func() {
				_, err := m.Commit(ctx, "dev", base.Revision, storetest.Snapshot(t, map[string]string{"x": "same"}), store.CommitInfo{Time: t0, Message: "same"})
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, store.ErrConflict):
					lost.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 || lost.Load() != int32(len(machines)-1) {
			t.Fatalf("%d won, %d conflicted; want 1 and %d", won.Load(), lost.Load(), len(machines)-1)
		}
	})
}
