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

// Any principal id can make changes; Git sees it as a valid author.
func TestAuthorFromAnyPrincipalID(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"Ada <ada@example.com>", "Ada <ada@example.com>"},
		{"service-account", "service-account"},
		{" spaced ", "spaced"},
		{"<evil>\nline", "_evil__line"},
		{"x <y> <z>", "x _y_ <z>"},
		{"", ""},
	} {
		t.Run(tc.id, func(t *testing.T) {
			repo := gitstore.NewMemory(gitstore.Options{})
			s := newStore(t, repo)
			err := s.Apply(t.Context(), environment.Batch{Actor: tc.id, Message: "m", Writes: []environment.Write{{Key: "environments/a", Data: []byte("{}")}}})
			if err != nil {
				t.Fatal(err)
			}
			head, err := repo.Head(t.Context(), gitenv.DefaultBranch)
			if err != nil {
				t.Fatal(err)
			}
			if head.Author != tc.want {
				t.Fatalf("author = %q, want %q", head.Author, tc.want)
			}
		})
	}
}
