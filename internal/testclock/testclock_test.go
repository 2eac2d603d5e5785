package testclock

import (
	"sync"
	"testing"
	"time"
)

func TestAdvanceIsSeenByEveryReader(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(start)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { c.Advance(time.Hour); _ = c.Now() })
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(start.Add(8 * time.Hour)) {
		t.Fatalf("Now() = %v after 8 one-hour advances from %v", got, start)
	}
}
