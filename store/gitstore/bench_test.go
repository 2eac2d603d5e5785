package gitstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

// The benchmarks compare gitstore with the git CLI committing the same large
// tenant in the same run: a first commit, and a commit changing one file.
// The CLI runs with gc.auto=0: neither side's automatic maintenance is
// measured (gitstore's runs in the background).

func largeTenant(b *testing.B) (*tenantgen.Tenant, *store.Snapshot) {
	b.Helper()
	t := tenantgen.Generate(tenantgen.Large)
	s, err := store.New(t.Files)
	if err != nil {
		b.Fatal(err)
	}
	return t, s
}

func gitCLI(b *testing.B, dir string, args ...string) {
	b.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "gc.auto=0", "-c", "user.name=bench", "-c", "user.email=bench@example.com"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func needGit(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git CLI not installed")
	}
}

func BenchmarkFirstCommit(b *testing.B) {
	t, snap := largeTenant(b)
	ctx := context.Background()
	b.Run("impl=gitstore", func(b *testing.B) {
		b.SetBytes(snap.Size())
		for range b.N {
			b.StopTimer()
			r, err := gitstore.Init(filepath.Join(b.TempDir(), "repo.git"), gitstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := r.Commit(ctx, "dev", "", snap, store.CommitInfo{Message: "import"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=gitcli", func(b *testing.B) {
		needGit(b)
		b.SetBytes(snap.Size())
		for range b.N {
			b.StopTimer()
			dir := filepath.Join(b.TempDir(), "work")
			if err := t.WriteDir(ctx, dir); err != nil {
				b.Fatal(err)
			}
			gitCLI(b, dir, "init", "-q")
			b.StartTimer()
			gitCLI(b, dir, "add", "-A")
			gitCLI(b, dir, "commit", "-q", "-m", "import")
		}
	})
}

func BenchmarkOneFileCommit(b *testing.B) {
	t, snap := largeTenant(b)
	ctx := context.Background()
	path := t.Paths()[len(t.Files)/2]
	content := func(i int) []byte { return fmt.Appendf(nil, "%s\n// edit %d\n", t.Files[path], i) }
	b.Run("impl=gitstore", func(b *testing.B) {
		r, err := gitstore.Init(filepath.Join(b.TempDir(), "repo.git"), gitstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		head, err := r.Commit(ctx, "dev", "", snap, store.CommitInfo{Message: "import"})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			b.StopTimer()
			next, err := snap.With(path, content(i))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if head, err = r.Commit(ctx, "dev", head.Revision, next, store.CommitInfo{Message: "edit"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=gitcli", func(b *testing.B) {
		needGit(b)
		dir := filepath.Join(b.TempDir(), "work")
		if err := t.WriteDir(ctx, dir); err != nil {
			b.Fatal(err)
		}
		gitCLI(b, dir, "init", "-q")
		gitCLI(b, dir, "add", "-A")
		gitCLI(b, dir, "commit", "-q", "-m", "import")
		b.ResetTimer()
		for i := range b.N {
			b.StopTimer()
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(path)), content(i), 0o644); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			gitCLI(b, dir, "add", "-A")
			gitCLI(b, dir, "commit", "-q", "-m", "edit")
		}
	})
}

// importedRepo returns a repository holding the Large tenant on dev, as a
// first commit left it or, with maintained, after ten more commits of one
// changed file each and Maintain; snap is dev's head.
func importedRepo(b *testing.B, maintained bool) (dir string, t *tenantgen.Tenant, snap *store.Snapshot) {
	b.Helper()
	ctx := context.Background()
	t, snap = largeTenant(b)
	dir = filepath.Join(b.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	head, err := r.Commit(ctx, "dev", "", snap, store.CommitInfo{Message: "import"})
	if err != nil {
		b.Fatal(err)
	}
	if !maintained {
		return dir, t, snap
	}
	paths := t.Paths()
	for i := range 10 {
		p := paths[i*len(paths)/10]
		if snap, err = snap.With(p, fmt.Appendf(nil, "%s\n// edit %d\n", t.Files[p], i)); err != nil {
			b.Fatal(err)
		}
		if head, err = r.Commit(ctx, "dev", head.Revision, snap, store.CommitInfo{Message: "edit"}); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Maintain(ctx); err != nil {
		b.Fatal(err)
	}
	return dir, t, snap
}

// TestHelperNewProcess is the child of the new-process benchmarks: it
// opens the repository and reads dev's head and every file of it, or does
// gitstore's share of a promotion (see BenchmarkNewProcessPromote).
func TestHelperNewProcess(t *testing.T) {
	dir := os.Getenv("GITSTORE_BENCH_REPO")
	if dir == "" {
		t.Skip("only run as a child of the NewProcess benchmarks")
	}
	ctx := context.Background()
	r, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	branches := []string{"dev"}
	if os.Getenv("GITSTORE_BENCH_OP") == "promote" {
		branches = append(branches, "staging")
	}
	var heads [2]store.Commit
	var snaps [2]*store.Snapshot
	for i, br := range branches {
		if heads[i], err = r.Head(ctx, br); err != nil {
			t.Fatal(err)
		}
		if snaps[i], err = r.Snapshot(ctx, heads[i].Revision); err != nil {
			t.Fatal(err)
		}
	}
	switch os.Getenv("GITSTORE_BENCH_OP") {
	case "read":
		// The parent passes the size to expect: asking the snapshot would
		// add work git archive does not do.
		var n int64
		snaps[0].Walk(func(_ string, data []byte) error { n += int64(len(data)); return nil })
		if want := os.Getenv("GITSTORE_BENCH_SIZE"); fmt.Sprint(n) != want {
			t.Fatalf("read %d bytes, want %s", n, want)
		}
	case "promote":
		if _, err := r.Commit(ctx, "staging", heads[1].Revision, snaps[0], store.CommitInfo{Message: "promote"}); err != nil {
			t.Fatal(err)
		}
	}
}

// newProcess runs TestHelperNewProcess on the repository at dir, whose
// dev branch holds snap.
func newProcess(b *testing.B, dir, op string, snap *store.Snapshot) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNewProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GITSTORE_BENCH_REPO="+dir, "GITSTORE_BENCH_OP="+op, fmt.Sprint("GITSTORE_BENCH_SIZE=", snap.Size()))
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s in a new process: %v\n%s", op, err, out)
	}
}

// BenchmarkNewProcessReadAll starts a process that opens the repository,
// reads dev's head and every file of it. Peer: git archive of the same
// commit, on the same repository, run alternately with it: each iteration
// runs both, so that the load of a shared machine, which drifts over
// seconds, weighs on both alike. It reports each side's time and their
// ratio (gitstore/git-archive); ns/op is the two together.
func BenchmarkNewProcessReadAll(b *testing.B) {
	needGit(b)
	for _, state := range []string{"imported", "maintained"} {
		dir, _, snap := importedRepo(b, state == "maintained")
		b.Run("state="+state, func(b *testing.B) {
			var own, peer time.Duration
			for b.Loop() {
				start := time.Now()
				newProcess(b, dir, "read", snap)
				own += time.Since(start)
				// Stdout nil is the null device: no pipe for the
				// parent to drain on the cores git runs on.
				start = time.Now()
				if err := exec.Command("git", "-C", dir, "archive", "--format=tar", "dev").Run(); err != nil {
					b.Fatal(err)
				}
				peer += time.Since(start)
			}
			b.ReportMetric(own.Seconds()/float64(b.N), "gitstore-s/op")
			b.ReportMetric(peer.Seconds()/float64(b.N), "git-archive-s/op")
			b.ReportMetric(float64(own)/float64(peer), "ratio")
		})
	}
}

// BenchmarkNewProcessPromote is gitstore's share of a full promotion of
// the Large tenant in a new process: start it, open the repository, read
// both branches' heads and snapshots, commit dev's tree onto staging, which
// held only the dynamic config. Peer: git add -A && git commit of the same tree
// from files on disk into a fresh index, in the same run.
func BenchmarkNewProcessPromote(b *testing.B) {
	ctx := context.Background()
	dir, ten, snap := importedRepo(b, false)
	dynamic := store.NewBuilder(nil)
	for p, k := range ten.Kinds {
		if k != tenantgen.Static {
			dynamic.Put(p, ten.Files[p])
		}
	}
	setup, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := setup.Commit(ctx, "staging", "", dynamic.Snapshot(), store.CommitInfo{Message: "dynamic"}); err != nil {
		b.Fatal(err)
	}
	b.Run("impl=gitstore", func(b *testing.B) {
		b.SetBytes(snap.Size())
		for b.Loop() {
			b.StopTimer()
			h, err := setup.Head(ctx, "staging")
			if err == nil {
				_, err = setup.Commit(ctx, "staging", h.Revision, dynamic.Snapshot(), store.CommitInfo{Message: "reset"})
			}
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			newProcess(b, dir, "promote", snap)
		}
	})
	b.Run("impl=gitcli", func(b *testing.B) {
		needGit(b)
		work := filepath.Join(b.TempDir(), "work")
		if err := ten.WriteDir(ctx, work); err != nil {
			b.Fatal(err)
		}
		gitCLI(b, work, "init", "-q")
		gitCLI(b, work, "add", "-A")
		gitCLI(b, work, "commit", "-q", "-m", "import")
		b.SetBytes(snap.Size())
		for b.Loop() {
			b.StopTimer()
			os.Remove(filepath.Join(work, ".git", "index"))
			b.StartTimer()
			gitCLI(b, work, "add", "-A")
			gitCLI(b, work, "commit", "-q", "--allow-empty", "-m", "promote")
		}
	})
}
