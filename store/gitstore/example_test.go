package gitstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

func Example() {
	dir, _ := os.MkdirTemp("", "gitstore-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	repo, err := gitstore.Init(filepath.Join(dir, "tenant.git"), gitstore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	v1, _ := store.New(map[string][]byte{"realms/alpha/realm.json": []byte(`{"name":"alpha"}`)})
	info := store.CommitInfo{
		Author:   "Ada <ada@example.com>",
		Time:     time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Message:  "import the tenant",
		Metadata: map[string]string{"type": "edit"},
	}
	c1, _ := repo.Commit(ctx, "dev", "", v1, info)

	// A commit on a stale parent loses.
	v2, _ := v1.With("realms/alpha/realm.json", []byte(`{"name":"alpha","active":true}`))
	c2, _ := repo.Commit(ctx, "dev", c1.Revision, v2, store.CommitInfo{Author: "Ada", Message: "activate"})
	_, err = repo.Commit(ctx, "dev", c1.Revision, v2, store.CommitInfo{Message: "stale"})
	fmt.Println("stale parent:", errors.Is(err, store.ErrConflict))

	log, _ := repo.Log(ctx, "dev", store.LogOptions{})
	for _, c := range log {
		fmt.Printf("%t %q by %s %v\n", c.Revision == c2.Revision, c.Message, c.Author, c.Metadata)
	}
	snap, _ := repo.Snapshot(ctx, c2.Revision)
	data, _ := snap.ReadFile("realms/alpha/realm.json")
	fmt.Println(string(data))
	// Output:
	// stale parent: true
	// true "activate" by Ada map[]
	// false "import the tenant" by Ada <ada@example.com> map[type:edit]
	// {"name":"alpha","active":true}
}

// Maintain folds a repository's packs and loose objects into one pack; a
// Repo also starts it in the background as packs accumulate (see
// Maintenance). Nothing a branch reaches is ever dropped.
func ExampleRepo_Maintain() {
	dir, _ := os.MkdirTemp("", "gitstore-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	path := filepath.Join(dir, "tenant.git")

	repo, _ := gitstore.Init(path, gitstore.Options{})
	var head store.Revision
	for i := range 3 {
		snap, _ := store.New(map[string][]byte{"realms/alpha/realm.json": fmt.Appendf(nil, `{"version":%d}`, i)})
		c, _ := repo.Commit(ctx, "dev", head, snap, store.CommitInfo{Message: "edit"})
		head = c.Revision
	}
	packs := func() int { p, _ := filepath.Glob(filepath.Join(path, "objects", "pack", "*.pack")); return len(p) }
	fmt.Println("packs before:", packs())
	if err := repo.Maintain(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("packs after:", packs())
	log, _ := repo.Log(ctx, "dev", store.LogOptions{})
	fmt.Println("commits:", len(log))
	// Output:
	// packs before: 3
	// packs after: 1
	// commits: 3
}

// An alias names a branch for people: `git log names/staging` reads the
// branch 0a7bd927 (an environment id).
func ExampleRepo_SetAlias() {
	dir, _ := os.MkdirTemp("", "gitstore-alias")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	repo, _ := gitstore.Init(filepath.Join(dir, "tenant.git"), gitstore.Options{})
	snap, _ := store.New(map[string][]byte{"f": []byte("x")})
	repo.Commit(ctx, "0a7bd927", "", snap, store.CommitInfo{Author: "Ada", Message: "import"})

	if err := repo.SetAlias(ctx, "staging", "0a7bd927"); err != nil {
		fmt.Println(err)
	}
	ref, _ := os.ReadFile(filepath.Join(dir, "tenant.git", "refs", "names", "staging"))
	fmt.Print(string(ref))
	aliases, _ := repo.Aliases(ctx)
	fmt.Println(aliases)
	// Output:
	// ref: refs/heads/0a7bd927
	// map[staging:0a7bd927]
}
