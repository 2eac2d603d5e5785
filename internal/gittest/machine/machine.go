// Package machine opens on-disk gitstore caches of a shared remote, one per
// simulated machine, for the tests of the stores kept in Git. It is apart
// from gittest because gitstore's own tests use gittest.
package machine

import (
	"testing"

	"github.com/envpromote/envpromote/store/gitstore"
)

// New opens a new on-disk cache of the remote url, as a new machine would.
func New(t testing.TB, url string) *gitstore.Repo {
	t.Helper()
	repo, err := gitstore.Init(t.TempDir(), gitstore.Options{Remote: url})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}
