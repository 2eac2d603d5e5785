package gitstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

// gitServer is a git daemon on loopback serving bare repositories under base,
// with push enabled: the stand-in for a shared remote in the tests.
type gitServer struct {
	base, url string
	n         atomic.Int64
}

func startGitDaemon(t *testing.T) *gitServer {
	t.Helper()
	needGitT(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &gitServer{base: t.TempDir(), url: fmt.Sprintf("git://127.0.0.1:%d/", port)}
	cmd := exec.Command("git", "daemon", "--export-all", "--enable=receive-pack", "--reuseaddr",
		"--base-path="+s.base, "--listen=127.0.0.1", "--port="+strconv.Itoa(port), s.base)
	if err := cmd.Start(); err != nil {
		t.Skipf("git daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatal("git daemon did not start listening")
		}
	}
}

// newRemote creates an empty bare repository on the server and returns its URL.
func (s *gitServer) newRemote(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("r%d.git", s.n.Add(1))
	git(t, s.base, "init", "-q", "--bare", name)
	return s.url + name
}

func TestConformanceRemote(t *testing.T) {
	srv := startGitDaemon(t)
	t.Run("DiskCache", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Repo { return initRepo(t, gitstore.Options{Remote: srv.newRemote(t)}) })
	})
	t.Run("MemoryCache", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Repo { return gitstore.NewMemory(gitstore.Options{Remote: srv.newRemote(t)}) })
	})
}

// Two machines, each with its own cache, share one remote.
func TestRule_MachinesSharingARemoteOneWinnerPerParent(t *testing.T) {
	srv := startGitDaemon(t)
	url := srv.newRemote(t)
	ctx := context.Background()
	a := initRepo(t, gitstore.Options{Remote: url})
	b := gitstore.NewMemory(gitstore.Options{Remote: url})

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
	git(t, t.TempDir(), "clone", "-q", url, clone)
	if got := git(t, clone, "show", "origin/dev:x"); got != "b" {
		t.Fatalf("git show origin/dev:x in a clone = %q", got)
	}
}

// Machines racing at once: the server's ref lock, not any client, decides.
func TestRule_MachinesRacingOnARemoteOneWinner(t *testing.T) {
	srv := startGitDaemon(t)
	url := srv.newRemote(t)
	machines := make([]*gitstore.Repo, 4)
	for i := range machines {
		machines[i] = gitstore.NewMemory(gitstore.Options{Remote: url})
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
}
