package gitstore_test

import (
	"path/filepath"
	"testing"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Run("Disk", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Repo { return initRepo(t, gitstore.Options{}) })
	})
	t.Run("Memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Repo { return gitstore.NewMemory(gitstore.Options{}) })
	})
	t.Run("DiskNoCache", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Repo { return initRepo(t, gitstore.Options{CacheBytes: -1}) })
	})
}

func initRepo(t testing.TB, opts gitstore.Options) *gitstore.Repo {
	t.Helper()
	r, err := gitstore.Init(filepath.Join(t.TempDir(), "repo.git"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
