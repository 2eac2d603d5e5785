package memlock_test

import (
	"testing"
	"time"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/locktest"
	"github.com/envpromote/envpromote/lock/memlock"
)

func TestConformance(t *testing.T) {
	locktest.Run(t, func(_ *testing.T, now func() time.Time) lock.Locker {
		return memlock.New(memlock.Options{Now: now})
	})
}

func BenchmarkLockUnlock(b *testing.B) {
	locktest.Benchmark(b, memlock.New(memlock.Options{}))
}
