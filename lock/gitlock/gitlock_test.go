package gitlock_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/internal/gittest/machine"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/lock/locktest"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/memstore"
)

func TestConformance_Memstore(t *testing.T) {
	locktest.Run(t, func(_ *testing.T, now func() time.Time) lock.Locker {
		return gitlock.New(memstore.New(memstore.Options{}), gitlock.Options{Now: now})
	})
}

func TestConformance_GitstoreOnDisk(t *testing.T) {
	locktest.Run(t, func(t *testing.T, now func() time.Time) lock.Locker {
		repo, err := gitstore.Init(t.TempDir(), gitstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return gitlock.New(repo, gitlock.Options{Now: now})
	})
}

func BenchmarkLockUnlock(b *testing.B) {
	b.Run("memstore", func(b *testing.B) {
		locktest.Benchmark(b, gitlock.New(memstore.New(memstore.Options{}), gitlock.Options{}))
	})
	b.Run("gitstore-disk", func(b *testing.B) {
		repo, err := gitstore.Init(b.TempDir(), gitstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		locktest.Benchmark(b, gitlock.New(repo, gitlock.Options{}))
	})
	// An on-disk cache of a smart HTTP remote on loopback: every round
	// trip is a git process on the server.
	b.Run("gitstore-remote-http", func(b *testing.B) {
		locktest.Benchmark(b, gitlock.New(machine.New(b, gittest.HTTP(b).NewRepo(b)), gitlock.Options{}))
	})
}

// BenchmarkGitstoreLeaseCommit is the floor under gitlock on disk: one
// compare-and-set commit carrying a lease-sized record, of which a
// Lock+Unlock of n environments makes 2n.
func BenchmarkGitstoreLeaseCommit(b *testing.B) {
	repo, err := gitstore.Init(b.TempDir(), gitstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var parent store.Revision
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		lease := fmt.Sprintf(`{"environment":"dev","token":%d,"pad":"%0280d"}`, i, 0)
		c, err := repo.Commit(b.Context(), "locks/dev", parent, nil, store.CommitInfo{Author: "bench", Message: "lock", Metadata: map[string]string{"lease": lease}})
		if err != nil {
			b.Fatal(err)
		}
		parent = c.Revision
	}
}
