package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/tenantgen"
)

const (
	pollers        = 64 // concurrent clients
	pollsPerClient = 40 // requests each, alternating lock/state and promote
)

// poller is a client that polls the status endpoints of staging.
type poller struct {
	client *http.Client
	url    string
}

func newPoller(url string, transport http.RoundTripper) poller {
	return poller{client: &http.Client{Transport: transport, Timeout: time.Minute}, url: url}
}

// do sends a promotion API request and returns the body of an answer
// with status want.
func (p poller) do(method, path, body string, want int) ([]byte, error) {
	req, err := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+promoterToken)
	req.Header.Set("Accept-API-Version", "protocol=1.0,resource=1.0")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != want {
		err = fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return data, err
}

// poll GETs lock/state (i even) or promote (i odd) and checks the answer.
func (p poller) poll(i int) error {
	path := "/staging/environment/promotion/lock/state"
	if i%2 == 1 {
		path = "/staging/environment/promotion/promote"
	}
	body, err := p.do("GET", path, "", http.StatusOK)
	if err != nil {
		return err
	}
	var v struct{ Result, Status string }
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("GET %s: %w: %s", path, err, body)
	}
	if i%2 == 0 && v.Result != "locked" || i%2 == 1 && !slices.Contains([]string{"READY", "RUNNING", "COMPLETE"}, v.Status) {
		return fmt.Errorf("GET %s while promoting: %s", path, body)
	}
	return nil
}

// promoteLoop promotes staging and rolls it back, over and over, until ctx
// ends, and returns how many runs completed.
func promoteLoop(ctx context.Context, p poller) (int, error) {
	runs := 0
	for i := 0; ctx.Err() == nil; i++ {
		path, body := "/staging/environment/promotion/promote", `{"dryRun":false}`
		if i%2 == 1 {
			path, body = "/staging/environment/promotion/rollback", `{}`
		}
		if _, err := p.do("POST", path, body, http.StatusAccepted); err != nil {
			return runs, err
		}
		for {
			data, err := p.do("GET", "/staging/environment/promotion/promote", "", http.StatusOK)
			if err != nil {
				return runs, err
			}
			var pr progressJSON
			if err := json.Unmarshal(data, &pr); err != nil {
				return runs, err
			}
			if pr.Status == "COMPLETE" {
				break
			}
			if pr.Status != "RUNNING" {
				return runs, fmt.Errorf("run %d: %s", i, data)
			}
			time.Sleep(time.Millisecond)
		}
		runs++
	}
	return runs, nil
}

// loadFixture is a locked staging with promotions to run.
func loadFixture(t testing.TB) *fixture {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 7, Files: 400})})
	f.req("POST", "/staging/environment/promotion/lock", promoterToken, nil).want(http.StatusAccepted)
	return f
}

// TestLoad_PollersDuringPromotion: 64 clients poll lock/state and promote
// status, 40 times each, while promotions and rollbacks run back to back:
// every answer is a 200 that fits the spec and the state.
func TestLoad_PollersDuringPromotion(t *testing.T) {
	f := loadFixture(t)
	transport := &contractTransport{t: t, contract: loadContract(t), base: &http.Transport{MaxIdleConnsPerHost: pollers}}
	ctx, stop := context.WithCancel(context.Background())
	var runs int
	var loopErr error
	done := make(chan struct{})
	go func() { defer close(done); runs, loopErr = promoteLoop(ctx, newPoller(f.url, transport)) }()

	var wg sync.WaitGroup
	var failures atomic.Int64
	for range pollers {
		wg.Go(func() {
			p := newPoller(f.url, transport)
			for i := range pollsPerClient {
				if err := p.poll(i); err != nil {
					failures.Add(1)
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	stop()
	<-done
	if loopErr != nil {
		t.Fatal(loopErr)
	}
	if failures.Load() > 0 || runs == 0 {
		t.Errorf("%d failed polls; %d promotions and rollbacks ran meanwhile", failures.Load(), runs)
	}
}

// BenchmarkPolling measures 64 clients polling staging's lock/state and
// promote status over loopback HTTP, reporting requests/s and the p99
// latency: while promotions and rollbacks of a 400-file tenant run back
// to back on Git backends ("promoting"), with nothing running ("idle"),
// with the in-memory backends ("memory", the cost of this package alone)
// and, as the peer, a net/http handler answering a fixed body of the same
// size ("static").
func BenchmarkPolling(b *testing.B) {
	f := loadFixture(b)
	b.Run("memory", func(b *testing.B) {
		url := startServer(b, memoryServer(b))
		if _, err := newPoller(url, http.DefaultTransport).do("POST", "/staging/environment/promotion/lock", "", http.StatusAccepted); err != nil {
			b.Fatal(err)
		}
		benchPolls(b, url, true)
	})
	b.Run("static", func(b *testing.B) {
		body := f.req("GET", "/staging/environment/promotion/lock/state", promoterToken, nil).body
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}))
		defer srv.Close()
		benchPolls(b, srv.URL, false)
	})
	b.Run("idle", func(b *testing.B) { benchPolls(b, f.url, true) })
	b.Run("promoting", func(b *testing.B) {
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := promoteLoop(ctx, newPoller(f.url, http.DefaultTransport)); done <- err }()
		benchPolls(b, f.url, true)
		stop()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	})
}

// benchPolls runs b.N polls from 64 goroutines and reports requests/s and
// p99 latency. check validates each answer (not for the static peer).
func benchPolls(b *testing.B, url string, check bool) {
	benchParallel(b, url, pollers, func(p poller, i int) error {
		if check {
			return p.poll(i)
		}
		return p.get()
	})
}

// benchParallel runs b.N requests on url from clients goroutines, i
// numbering them from 1, and reports requests/s and the p99 latency.
func benchParallel(b *testing.B, url string, clients int, request func(p poller, i int) error) {
	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		next      atomic.Int64
	)
	b.SetParallelism((clients + 1) / 2) // GOMAXPROCS is 2 on the reference machine
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		p := newPoller(url, transport)
		var mine []time.Duration
		for pb.Next() {
			i := int(next.Add(1))
			t0 := time.Now()
			if err := request(p, i); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}

// get fetches the static peer's body.
func (p poller) get() error {
	resp, err := p.client.Get(p.url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
