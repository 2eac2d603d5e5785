package gitstore_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/memstore"
	"github.com/envpromote/envpromote/store/storetest"
)

func transactors(t *testing.T) map[string]store.Transactor {
	disk, err := gitstore.Init(filepath.Join(t.TempDir(), "repo.git"), gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]store.Transactor{"disk": disk, "memory": gitstore.NewMemory(gitstore.Options{}), "memstore": memstore.New(memstore.Options{})}
}

func TestRule_ApplyMovesEveryBranchOrNone(t *testing.T) {
	for name, r := range transactors(t) {
		t.Run(name, func(t *testing.T) {
			a := commit(t, r, "dev", "", storetest.Snapshot(t, map[string]string{"a": "1"}), store.CommitInfo{})
			l := commit(t, r, "locks/dev", "", nil, store.CommitInfo{Metadata: map[string]string{"n": "1"}})
			next := storetest.Snapshot(t, map[string]string{"a": "2"})
			// The lock branch moved since it was read: neither branch moves.
			_, err := r.Apply(t.Context(), []store.Update{
				{Branch: "locks/dev", Parent: a.Revision, Info: store.CommitInfo{Metadata: map[string]string{"n": "2"}}, Replace: true},
				{Branch: "dev", Parent: a.Revision, Snapshot: next},
			})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("Apply with a stale lock head = %v, want ErrConflict", err)
			}
			for branch, want := range map[string]store.Revision{"dev": a.Revision, "locks/dev": l.Revision} {
				if h, _ := r.Head(t.Context(), branch); h.Revision != want {
					t.Fatalf("%s moved to %s by a failed Apply", branch, h.Revision)
				}
			}
			cs, err := r.Apply(t.Context(), []store.Update{
				{Branch: "locks/dev", Parent: l.Revision, Info: store.CommitInfo{Metadata: map[string]string{"n": "2"}}, Replace: true},
				{Branch: "dev", Parent: a.Revision, Snapshot: next},
			})
			if err != nil {
				t.Fatal(err)
			}
			if cs[0].Parent != "" || cs[1].Parent != a.Revision {
				t.Fatalf("parents %q, %q; want none for the Replace and %q", cs[0].Parent, cs[1].Parent, a.Revision)
			}
			for i, branch := range []string{"locks/dev", "dev"} {
				if h, _ := r.Head(t.Context(), branch); h.Revision != cs[i].Revision {
					t.Fatalf("%s at %s after Apply, want %s", branch, h.Revision, cs[i].Revision)
				}
			}
			log, err := r.Log(t.Context(), "locks/dev", store.LogOptions{})
			if err != nil || len(log) != 1 {
				t.Fatalf("a Replace branch has %d commits (%v), want 1", len(log), err)
			}
			_, err = r.Apply(t.Context(), []store.Update{{Branch: "dev", Parent: cs[1].Revision}, {Branch: "dev", Parent: cs[1].Revision}})
			if !errors.Is(err, store.ErrInvalidBranch) {
				t.Fatalf("Apply naming a branch twice = %v, want ErrInvalidBranch", err)
			}
		})
	}
}

// A Replace commit is no fast-forward: on a remote it is pushed with the
// expected old head (force-with-lease), so it lands on that head only.
func TestRule_ReplaceOverRemoteIsCompareAndSet(t *testing.T) {
	url := gittest.Daemon(t).NewRepo(t)
	r := gitstore.NewMemory(gitstore.Options{Remote: url})
	other := gitstore.NewMemory(gitstore.Options{Remote: url})
	first := commit(t, r, "locks/dev", "", nil, store.CommitInfo{Metadata: map[string]string{"n": "1"}})
	cs, err := r.Apply(t.Context(), []store.Update{{Branch: "locks/dev", Parent: first.Revision, Info: store.CommitInfo{Metadata: map[string]string{"n": "2"}}, Replace: true}})
	if err != nil {
		t.Fatalf("Replace over the remote: %v", err)
	}
	if h, err := other.Head(t.Context(), "locks/dev"); err != nil || h.Revision != cs[0].Revision {
		t.Fatalf("another machine sees %s (%v), want %s", h.Revision, err, cs[0].Revision)
	}
	_, err = other.Apply(t.Context(), []store.Update{{Branch: "locks/dev", Parent: first.Revision, Info: store.CommitInfo{Metadata: map[string]string{"n": "3"}}, Replace: true}})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Replace on a stale head over the remote = %v, want ErrConflict", err)
	}
	// Several branches at once are one atomic push.
	cs, err = r.Apply(t.Context(), []store.Update{{Branch: "a", Snapshot: storetest.Snapshot(t, map[string]string{"f": "1"})}, {Branch: "b", Snapshot: storetest.Snapshot(t, map[string]string{"f": "2"})}})
	if err != nil {
		t.Fatalf("two branches at once on a remote: %v", err)
	}
	for i, b := range []string{"a", "b"} {
		if h, err := other.Head(t.Context(), b); err != nil || h.Revision != cs[i].Revision {
			t.Fatalf("another machine sees %s at %s (%v), want %s", b, h.Revision, err, cs[i].Revision)
		}
	}
}
