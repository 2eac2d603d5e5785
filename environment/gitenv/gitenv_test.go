package gitenv_test

import (
	"testing"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/envtest"
	"github.com/envpromote/envpromote/environment/gitenv"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/memstore"
)

func newStore(t *testing.T, repo store.Repo) environment.Store {
	s, err := gitenv.New(repo, gitenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceMemstore(t *testing.T) {
	envtest.Run(t, func(t *testing.T) environment.Store { return newStore(t, memstore.New(memstore.Options{})) })
}

func TestConformanceGitstoreOnDisk(t *testing.T) {
	envtest.Run(t, func(t *testing.T) environment.Store {
		repo, err := gitstore.Init(t.TempDir(), gitstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return newStore(t, repo)
	})
}
