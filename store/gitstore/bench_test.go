package gitstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

// The benchmarks compare gitstore with the git CLI committing the same large
// tenant in the same run: a first commit, and a commit changing one file.
// The CLI runs with gc.auto=0, as gitstore never packs either.

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
