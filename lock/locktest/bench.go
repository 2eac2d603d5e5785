package locktest

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/envpromote/envpromote/lock"
)

// Contenders is the number of goroutines of the contended benchmark.
const Contenders = 8

// Benchmark measures Lock+Unlock of a two-environment set on l: alone
// ("uncontended"), and with Contenders goroutines competing for the same
// set with Options.Wait ("contended-8", where ns/op is wall time per
// completed Lock+Unlock, all goroutines together).
func Benchmark(b *testing.B, l lock.Locker) {
	envs := []string{"dev", "uat"}
	cycle := func(b *testing.B, owner string) {
		lease, err := l.Lock(b.Context(), envs, owner, lock.Options{Wait: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Unlock(b.Context(), lease); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("uncontended", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cycle(b, "bench")
		}
	})
	b.Run("contended-8", func(b *testing.B) {
		b.ReportAllocs()
		var done atomic.Int64
		var wg sync.WaitGroup
		for range Contenders {
			wg.Go(func() {
				for done.Add(1) <= int64(b.N) {
					cycle(b, "bench")
				}
			})
		}
		wg.Wait()
	})
}
