package httpapi_test
import ("testing";"time";"sync";"net/http")
func TestDbg(t *testing.T) {
	f := loadFixture(t)
	var transport http.RoundTripper = &http.Transport{MaxIdleConnsPerHost: pollers}
	t0 := time.Now()
	var wg sync.WaitGroup
	for range pollers { wg.Go(func() { p := newPoller(f.url, transport); for i := range pollsPerClient { if err := p.poll(i); err != nil { t.Error(err); return } } }) }
	wg.Wait()
	t.Log(time.Since(t0))
}
