package gitstore

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/storetest"
)

// Concurrent reads share ref listings, yet a read never gets a listing
// that started before it did: here a listing is taken before another
// machine's commit and held back until after it; a read that began after
// the commit must see it, not join that listing.
func TestRule_SharedListingStartedAfterTheRead(t *testing.T) {
	held, release := make(chan struct{}), make(chan struct{})
	var hold atomic.Bool
	srv := gittest.HTTPWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("service") != "git-upload-pack" || !hold.CompareAndSwap(true, false) {
				h.ServeHTTP(w, r)
				return
			}
			// Take the listing now, answer with it later.
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			held <- struct{}{}
			<-release
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		})
	})
	free := sync.OnceFunc(func() { close(release) })
	t.Cleanup(free) // before the server's Close, which waits for the held answer
	url := srv.NewRepo(t)
	ctx := context.Background()
	open := func() *Repo {
		r, err := Init(t.TempDir(), Options{Remote: url})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := open(), open()
	snap := func(x string) *store.Snapshot { return storetest.Snapshot(t, map[string]string{"x": x}) }
	first, err := b.Commit(ctx, "dev", "", snap("1"), store.CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}

	hold.Store(true)
	early := make(chan store.Commit, 1)
	go func() {
		c, err := a.Head(ctx, "dev")
		if err != nil {
			t.Error(err)
		}
		early <- c
	}()
	<-held // a's listing is taken: dev is at first
	second, err := b.Commit(ctx, "dev", first.Revision, snap("2"), store.CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	late := make(chan store.Commit, 1)
	go func() {
		c, err := a.Head(ctx, "dev")
		if err != nil {
			t.Error(err)
		}
		late <- c
	}()
	// Wait until the late read is queued behind the held listing.
	waitQueued(t, a, 1, 1)
	free()
	if c := <-early; c.Revision != first.Revision {
		t.Errorf("the read that began before the commit got %s, want %s", c.Revision, first.Revision)
	}
	if c := <-late; c.Revision != second.Revision {
		t.Errorf("the read that began after the commit got %s, want %s (a listing older than the read)", c.Revision, second.Revision)
	}
}

// Readers that ask while a listing runs share the next one: a burst of n
// reads costs at most two listings, not n.
func TestRule_ConcurrentReadsShareListings(t *testing.T) {
	var listings atomic.Int64
	gate := make(chan struct{})
	open := sync.OnceFunc(func() { close(gate) })
	var block atomic.Bool // the next listing waits for gate
	srv := gittest.HTTPWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("service") == "git-upload-pack" {
				listings.Add(1)
				if block.CompareAndSwap(true, false) {
					<-gate
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	t.Cleanup(open)
	r, err := Init(t.TempDir(), Options{Remote: srv.NewRepo(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := r.Commit(ctx, "dev", "", storetest.Snapshot(t, map[string]string{"x": "1"}), store.CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	listings.Store(0)
	block.Store(true)
	const n = 8
	done := make(chan store.Commit, n)
	for range n {
		go func() {
			h, err := r.Head(ctx, "dev")
			if err != nil {
				t.Error(err)
			}
			done <- h
		}()
	}
	waitQueued(t, r, 1, n-1)
	open()
	for range n {
		if h := <-done; h.Revision != c.Revision {
			t.Errorf("read %s, want %s", h.Revision, c.Revision)
		}
	}
	if got := listings.Load(); got > 2 {
		t.Errorf("%d concurrent reads made %d listings, want at most 2", n, got)
	}
}

// waitQueued waits until r's running listing has running callers and the
// next one queued (0: there is no next one). A running listing that more callers join fails the test:
// they asked after it started.
func waitQueued(t *testing.T, r *Repo, running, queued int) {
	t.Helper()
	for {
		r.remote.mu.Lock()
		ran, next := r.remote.running, r.remote.next
		ok := ran != nil && ran.callers == running && (next == nil && queued == 0 || next != nil && next.callers == queued)
		joined := ran != nil && ran.callers > running
		r.remote.mu.Unlock()
		if joined {
			t.Fatal("a read joined a listing that had started before it")
		}
		if ok {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// A caller that gives up on a queued listing does not fail the callers
// that come after it.
func TestRule_AbandonedListingFailsNoLaterRead(t *testing.T) {
	gate := make(chan struct{})
	open := sync.OnceFunc(func() { close(gate) })
	var block atomic.Bool
	srv := gittest.HTTPWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("service") == "git-upload-pack" && block.CompareAndSwap(true, false) {
				<-gate
			}
			h.ServeHTTP(w, r)
		})
	})
	t.Cleanup(open)
	r, err := Init(t.TempDir(), Options{Remote: srv.NewRepo(t)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Commit(context.Background(), "dev", "", storetest.Snapshot(t, map[string]string{"x": "1"}), store.CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	block.Store(true)
	first := make(chan error, 1)
	go func() { _, err := r.Head(context.Background(), "dev"); first <- err }()
	waitQueued(t, r, 1, 0)
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { _, err := r.Head(ctx, "dev"); gaveUp <- err }()
	waitQueued(t, r, 1, 1)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled read = %v, want context.Canceled", err)
	}
	late := make(chan store.Commit, 1)
	go func() {
		h, err := r.Head(context.Background(), "dev")
		if err != nil {
			t.Error(err)
		}
		late <- h
	}()
	waitQueued(t, r, 1, 1)
	open()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if h := <-late; h.Revision != c.Revision {
		t.Errorf("read after an abandoned listing got %q, want %s", h.Revision, c.Revision)
	}
}

// stallingServer accepts connections on loopback and never answers, as a
// remote stuck on the network does; it returns a git:// URL of it.
func stallingServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return "git://" + ln.Addr().String() + "/stuck.git"
}

// A listing stuck on the network fails every read that shares it, and
// every read queued behind it, with ErrListTimeout once the remote has
// been silent for Options.ListTimeout, however long their own contexts
// would have waited.
func TestRule_StuckListingFailsItsReadersAtItsBound(t *testing.T) {
	r := NewMemory(Options{Remote: stallingServer(t), ListTimeout: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // far beyond the bound
	defer cancel()
	errs := make(chan error, 4)
	for _, branch := range []string{"dev", "staging", "prod", "dev"} {
		go func() {
			_, err := r.Head(ctx, branch)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; !errors.Is(err, ErrListTimeout) || !strings.Contains(err.Error(), "Options.ListTimeout") {
			t.Fatalf("Head over a stuck remote = %v; want an error wrapping ErrListTimeout naming the option", err)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("the readers' own context ended first")
	}
}

func TestRule_ListTimeoutDefaultsAndNegativeMeansNone(t *testing.T) {
	for _, tt := range []struct {
		opt, want time.Duration
	}{{0, DefaultListTimeout}, {time.Second, time.Second}, {-1, 0}} {
		if got := newRemote("git://127.0.0.1/x.git", Options{ListTimeout: tt.opt}).silent; got != tt.want {
			t.Errorf("ListTimeout %v: bound %v, want %v", tt.opt, got, tt.want)
		}
	}
}

// ListTimeout bounds the remote's silence, not a fetch's length: a pack
// that keeps arriving (in side-band frames, which go-git asks for whenever
// the server offers them, as git http-backend does) in pieces at most
// 50ms apart is not cut by a 300ms bound, however long it takes in all.
func TestRule_ListTimeoutBoundsSilenceNotATricklingFetch(t *testing.T) {
	srv := gittest.HTTPWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			b := rec.Body.Bytes()
			step := max(len(b)/12, 1) // 600ms in all
			for i := 0; i < len(b); i += step {
				w.Write(b[i:min(i+step, len(b))])
				w.(http.Flusher).Flush()
				time.Sleep(50 * time.Millisecond)
			}
		})
	})
	url := srv.NewRepo(t)
	ctx := context.Background()
	c, err := NewMemory(Options{Remote: url}).Commit(ctx, "dev", "", storetest.Snapshot(t, map[string]string{"x": "1"}), store.CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewMemory(Options{Remote: url, ListTimeout: 300 * time.Millisecond}).Head(ctx, "dev")
	if err != nil {
		t.Fatalf("Head over a remote that trickles its pack: %v", err)
	}
	if h.Revision != c.Revision {
		t.Errorf("Head = %s, want %s", h.Revision, c.Revision)
	}
}

// ListTimeout bounds the remote's silence only while the listing waits on
// the remote: a listing that waits for the Repo's lock, held by local work
// for many times the bound, still succeeds.
func TestRule_ListTimeoutIgnoresLocalWaits(t *testing.T) {
	const bound = 100 * time.Millisecond
	advertised := make(chan struct{}, 1)
	srv := gittest.HTTPWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			if r.Method == http.MethodGet {
				select {
				case advertised <- struct{}{}:
				default:
				}
			}
		})
	})
	url := srv.NewRepo(t)
	ctx := context.Background()
	c, err := NewMemory(Options{Remote: url}).Commit(ctx, "dev", "", storetest.Snapshot(t, map[string]string{"x": "1"}), store.CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	<-advertised // the writer's
	r := NewMemory(Options{Remote: url, ListTimeout: bound})
	r.mu.Lock() // local work, which the listing's fetch must wait for
	type result struct {
		c   store.Commit
		err error
	}
	done := make(chan result, 1)
	go func() {
		h, err := r.Head(ctx, "dev")
		done <- result{h, err}
	}()
	<-advertised
	time.Sleep(5 * bound)
	r.mu.Unlock()
	if res := <-done; res.err != nil || res.c.Revision != c.Revision {
		t.Fatalf("Head after waiting %v for the Repo's lock = %s, %v; want %s", 5*bound, res.c.Revision, res.err, c.Revision)
	}
}
