package gitstore_test

import (
	"context"
	"maps"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

// An alias is a symbolic ref the git CLI follows: log and show by alias
// read the branch, also after the alias is moved, and not after it is
// deleted.
func TestRule_AliasIsASymbolicRefGitFollows(t *testing.T) {
	needGitT(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const a, b = "0a7bd927-5f0e-4d8c-9d55-4f5d1b2c3e4f", "4b92cdec-1111-4222-8333-944455556666"
	commit(t, r, a, "", snap(t, map[string]string{"f": "in a"}), store.CommitInfo{Author: "ada", Message: "First of a"})
	commit(t, r, b, "", snap(t, map[string]string{"f": "in b"}), store.CommitInfo{Author: "ada", Message: "First of b"})

	if err := r.SetAlias(ctx, "development", a); err != nil {
		t.Fatal(err)
	}
	if got := git(t, dir, "symbolic-ref", "refs/names/development"); got != "refs/heads/"+a {
		t.Errorf("symbolic-ref = %q, want refs/heads/%s", got, a)
	}
	if got := git(t, dir, "log", "--format=%s", "names/development"); got != "First of a" {
		t.Errorf("log names/development = %q", got)
	}
	if err := r.SetAlias(ctx, "development", b); err != nil {
		t.Fatal(err)
	}
	if got := git(t, dir, "show", "names/development:f"); got != "in b" {
		t.Errorf("show names/development:f after the move = %q, want in b", got)
	}
	if err := r.SetAlias(ctx, "locks", "locks/"+a); err != nil {
		t.Fatal(err)
	}
	got, err := r.Aliases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"development": b, "locks": "locks/" + a}; !maps.Equal(got, want) {
		t.Errorf("Aliases = %v, want %v", got, want)
	}
	git(t, dir, "pack-refs", "--all") // moves the branches, never a symbolic ref
	if got := git(t, dir, "log", "--format=%s", "names/development"); got != "First of b" {
		t.Errorf("log after pack-refs = %q", got)
	}
	for _, alias := range []string{"development", "development", "never-set", "locks"} {
		if err := r.DeleteAlias(ctx, alias); err != nil {
			t.Fatalf("DeleteAlias(%s): %v", alias, err)
		}
	}
	if exec.Command("git", "-C", dir, "rev-parse", "--verify", "-q", "names/development").Run() == nil {
		t.Error("names/development still resolves after DeleteAlias")
	}
	if got := git(t, dir, "log", "--format=%s", b); got != "First of b" {
		t.Errorf("the branch itself changed: %q", got)
	}
	if out, err := exec.Command("git", "-C", dir, "fsck", "--strict").CombinedOutput(); err != nil {
		t.Errorf("git fsck fails with aliases: %v\n%s", err, out)
	}
}

func snap(t *testing.T, files map[string]string) *store.Snapshot {
	t.Helper()
	m := make(map[string][]byte, len(files))
	for k, v := range files {
		m[k] = []byte(v)
	}
	s, err := store.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// With a remote an alias lives in the machine's cache, where it reads the
// shared history, another machine's commits included; the remote gets none.
func TestRule_AliasWithARemoteIsLocal(t *testing.T) {
	needGitT(t)
	ctx := context.Background()
	srv := gittest.Daemon(t)
	url := srv.NewRepo(t)
	a := machine(t, url, gitstore.Options{})
	dir := filepath.Join(t.TempDir(), "cache.git")
	b, err := gitstore.Init(dir, gitstore.Options{Remote: url})
	if err != nil {
		t.Fatal(err)
	}
	c := commit(t, a, "dev", "", snap(t, map[string]string{"f": "from a"}), store.CommitInfo{Author: "ada", Message: "Made on a"})
	if _, err := b.Head(ctx, "dev"); err != nil { // fetches a's commit into b's cache
		t.Fatal(err)
	}
	if err := b.SetAlias(ctx, "development", "dev"); err != nil {
		t.Fatal(err)
	}
	if got := git(t, dir, "log", "--format=%s", "names/development"); got != "Made on a" {
		t.Errorf("log names/development in b's cache = %q", got)
	}
	if got, _ := a.Aliases(ctx); len(got) != 0 {
		t.Errorf("a sees aliases %v; they are local to b", got)
	}
	if _, err := b.Commit(ctx, "dev", c.Revision, snap(t, map[string]string{"f": "from b"}), store.CommitInfo{Author: "ada", Message: "Made on b"}); err != nil {
		t.Fatal(err)
	}
	if got := git(t, dir, "show", "names/development:f"); got != "from b" {
		t.Errorf("show names/development:f after b's push = %q", got)
	}
}
