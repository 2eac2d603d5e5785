package gitstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

// Commits of one Repo racing on the same parent: the ones that wait for a
// push in flight from the same parent lose without uploading anything, so
// the remote receives exactly one upload, the winner's.
func TestRule_PushesOfOneRepoOnTheSameParentUploadOnce(t *testing.T) {
	var uploads atomic.Int64
	var hold atomic.Bool
	held, release := make(chan struct{}), make(chan struct{})
	free := sync.OnceFunc(func() { close(release) })
	srv := gittest.HTTPWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path[len(r.URL.Path)-len("git-receive-pack"):] == "git-receive-pack" {
				uploads.Add(1)
				if hold.CompareAndSwap(true, false) {
					held <- struct{}{}
					<-release
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	t.Cleanup(free)
	r := machine(t, srv.NewRepo(t), gitstore.Options{})
	base := commit(t, r, "dev", "", storetest.Snapshot(t, map[string]string{"x": "base"}), store.CommitInfo{})
	uploads.Store(0)
	hold.Store(true)
	const n = 4
	errs := make(chan error, n)
	try := func(i int) {
		_, err := r.Commit(context.Background(), "dev", base.Revision, storetest.Snapshot(t, map[string]string{"x": fmt.Sprint(i)}), store.CommitInfo{})
		errs <- err
	}
	go try(0)
	<-held // the first push is in flight
	for i := 1; i < n; i++ {
		go try(i)
	}
	time.Sleep(50 * time.Millisecond) // let the others reach the push; if they do not, they lose on the advertisement instead
	free()
	wins := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("a losing commit failed with %v, want store.ErrConflict", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d commits on one parent succeeded, want 1", wins)
	}
	if got := uploads.Load(); got != 1 {
		t.Errorf("the remote received %d uploads, want 1 (the winner's)", got)
	}
}
