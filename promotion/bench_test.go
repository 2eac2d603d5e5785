package promotion_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/memstore"
)

// benchTenants are the generated tenants, each built once per test binary.
var benchTenants = map[string]func() (*tenantgen.Tenant, *store.Snapshot){
	"Small": tenantOnce(tenantgen.Small),
	"Large": tenantOnce(tenantgen.Large),
	"Huge":  tenantOnce(tenantgen.Huge),
}

func tenantOnce(o tenantgen.Options) func() (*tenantgen.Tenant, *store.Snapshot) {
	return sync.OnceValues(func() (*tenantgen.Tenant, *store.Snapshot) {
		t := tenantgen.Generate(o)
		s, err := store.New(t.Files)
		if err != nil {
			panic(err)
		}
		return t, s
	})
}

func large() (*tenantgen.Tenant, *store.Snapshot) { return benchTenants["Large"]() }

// benchSetup puts the tenant of the given size in dev and only its dynamic
// part in staging, and returns a Config whose staging defines every ESV.
func benchSetup(b *testing.B, repo store.Repo, size string) (promotion.Config, *store.Snapshot) {
	ten, snap := benchTenants[size]()
	dynamic := store.NewBuilder(nil)
	for p, k := range ten.Kinds {
		if k != tenantgen.Static {
			dynamic.Put(p, ten.Files[p])
		}
	}
	for env, s := range map[string]*store.Snapshot{dev: snap, staging: dynamic.Snapshot()} {
		if _, err := repo.Commit(ctx, env, "", s, store.CommitInfo{Author: "bench", Message: "import"}); err != nil {
			b.Fatal(err)
		}
	}
	return benchConfig(repo, esvMeta(ten)), dynamic.Snapshot()
}

// benchConfig is a Config over repo whose staging defines the ESVs meta.
func benchConfig(repo store.Repo, meta map[string]integrity.ESV) promotion.Config {
	return promotion.Config{
		Group:  testGroup,
		Repo:   repo,
		Locker: memlock.New(memlock.Options{}),
		ESVs:   esvsFunc(func(context.Context, string) (map[string]integrity.ESV, error) { return meta, nil }),
	}
}

// esvMeta defines every ESV the tenant references.
func esvMeta(ten *tenantgen.Tenant) map[string]integrity.ESV {
	meta := map[string]integrity.ESV{}
	for n, typ := range ten.Vars {
		meta[n] = integrity.ESV{Type: esv.ExpressionType(typ)}
	}
	for n := range ten.Secrets {
		meta[n] = integrity.ESV{Secret: true, UseInPlaceholders: true}
	}
	return meta
}

// benchFull measures promoting the whole Large tenant into a staging that
// holds only its dynamic config, with a new Promoter (cold integrity cache)
// each time.
func benchFull(b *testing.B, repo store.Repo) {
	cfg, dynamic := benchSetup(b, repo, "Large")
	b.SetBytes(large2Size())
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		h, _ := repo.Head(ctx, staging)
		if _, err := repo.Commit(ctx, staging, h.Revision, dynamic, store.CommitInfo{Author: "bench", Message: "reset"}); err != nil {
			b.Fatal(err)
		}
		p, err := promotion.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Lock(ctx, dev, staging, "bench"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := p.Promote(ctx, promotion.Request{Upper: staging, IgnoreEncryptedSecrets: true, UnlockAfter: true})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Changes.Len() == 0 {
			b.Fatal("nothing promoted")
		}
	}
}

func large2Size() int64 { t, _ := large(); return t.Size() }

func BenchmarkPromoteFull_Large_Memory(b *testing.B) {
	benchFull(b, memstore.New(memstore.Options{}))
}

func BenchmarkPromoteFull_Large_Gitstore(b *testing.B) {
	repo, err := gitstore.Init(b.TempDir(), gitstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchFull(b, repo)
}

// BenchmarkGitCLI_CommitTree_Large is the peer of the gitstore benchmarks:
// the git CLI committing the same target tree from files already on disk
// into a repository that already holds their objects, as a promotion's
// repository holds dev's (add to a fresh index, write the tree, commit,
// move the branch).
func BenchmarkGitCLI_CommitTree_Large(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git not installed")
	}
	_, snap := large()
	dir := b.TempDir()
	work, gitDir := filepath.Join(dir, "work"), filepath.Join(dir, "repo.git")
	if err := snap.WriteDir(work); err != nil {
		b.Fatal(err)
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"--git-dir=" + gitDir, "--work-tree=" + work}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_INDEX_FILE="+filepath.Join(dir, "index"),
			"GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=b@x", "GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=b@x")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "init", "-q", "--bare", gitDir).CombinedOutput(); err != nil {
		b.Fatalf("git init: %v\n%s", err, out)
	}
	git("add", "-A", ".") // the objects, written once
	b.SetBytes(large2Size())
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		os.Remove(filepath.Join(dir, "index"))
		b.StartTimer()
		git("add", "-A", ".")
		tree := git("write-tree")
		commit := git("commit-tree", tree, "-m", "promote")
		git("update-ref", "refs/heads/staging", commit)
	}
}

// BenchmarkPromoteOneFile measures a promotion where one static file
// changed in dev since the last one, with the Promoter warm, for each tenant
// size and backend. Its cost should follow the change, not the tenant:
// compare Huge with Small in the same run.
func BenchmarkPromoteOneFile(b *testing.B) {
	for _, size := range []string{"Small", "Large", "Huge"} {
		b.Run("size="+size+"/backend=memory", func(b *testing.B) {
			benchOneFile(b, memstore.New(memstore.Options{}), size)
		})
		b.Run("size="+size+"/backend=gitstore", func(b *testing.B) {
			repo, err := gitstore.Init(b.TempDir(), gitstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			benchOneFile(b, repo, size)
		})
	}
}

func benchOneFile(b *testing.B, repo store.Repo, size string) {
	cfg, _ := benchSetup(b, repo, size)
	p, err := promotion.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.Lock(ctx, dev, staging, "bench"); err != nil {
		b.Fatal(err)
	}
	if _, err := p.Promote(ctx, promotion.Request{Upper: staging, IgnoreEncryptedSecrets: true}); err != nil {
		b.Fatal(err)
	}
	ten, _ := benchTenants[size]()
	edited, paths := ten.Edit(1, 1)
	versions := [2][]byte{ten.Files[paths[0]], edited.Files[paths[0]]}
	i := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		i++
		h, _ := repo.Head(ctx, dev)
		s, _ := repo.Snapshot(ctx, h.Revision)
		s, _ = s.With(paths[0], versions[i%2])
		if _, err := repo.Commit(ctx, dev, h.Revision, s, store.CommitInfo{Author: "bench", Message: "edit"}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := p.Promote(ctx, promotion.Request{Upper: staging, IgnoreEncryptedSecrets: true})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Changes.Len() != 1 {
			b.Fatalf("%d changes, want 1", rep.Changes.Len())
		}
	}
}
