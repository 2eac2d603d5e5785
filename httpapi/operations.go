package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// operations runs the long operations (unlock, promote, rollback) in
// the background after their 202: at most one per key (the upper
// environment), at most max at once, all cancelled by shutdown.
type operations struct {
	ctx    context.Context // cancelled when shutdown gives up waiting
	cancel context.CancelFunc
	slots  chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	busy     map[string]string  // key → what runs for it
	failures map[string]failure // key → how its last operation failed, if unreported
}

// failure is an operation's error that no status endpoint would report
// otherwise (the Promoter records only the runs it got to start).
type failure struct {
	what string
	err  error
	at   time.Time
}

func newOperations(max int) *operations {
	ctx, cancel := context.WithCancel(context.Background())
	return &operations{ctx: ctx, cancel: cancel, slots: make(chan struct{}, max), busy: map[string]string{}, failures: map[string]failure{}}
}

// start runs f in the background for key and returns at once. f gets a
// context that keeps parent's values but not its cancellation (the request
// ends with the 202) and is cancelled by shutdown. start fails with 409
// while another operation runs for key, and 503 at capacity or after
// shutdown began.
func (o *operations) start(parent context.Context, key, what string, f func(ctx context.Context)) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return &apiError{status: http.StatusServiceUnavailable, code: "UNAVAILABLE", message: "the server is shutting down"}
	}
	if running, ok := o.busy[key]; ok {
		return conflict("a %s is already running for environment %q", running, key)
	}
	select {
	case o.slots <- struct{}{}:
	default:
		return &apiError{status: http.StatusServiceUnavailable, code: "UNAVAILABLE", message: "too many operations are running; retry later"}
	}
	o.busy[key] = what
	delete(o.failures, key)
	o.wg.Add(1)
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	stop := context.AfterFunc(o.ctx, cancel)
	go func() {
		defer func() {
			stop()
			cancel()
			o.mu.Lock()
			delete(o.busy, key)
			o.mu.Unlock()
			<-o.slots
			o.wg.Done()
		}()
		f(ctx)
	}()
	return nil
}

// fail records how key's operation failed, for status endpoints.
func (o *operations) fail(key, what string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failures[key] = failure{what: what, err: err, at: time.Now()}
}

// failed returns the unreported failure of key's last operation.
func (o *operations) failed(key string) (failure, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f, ok := o.failures[key]
	return f, ok
}

// running reports what runs for key, if anything.
func (o *operations) running(key string) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	what, ok := o.busy[key]
	return what, ok
}

// shutdown refuses new operations and waits for the running ones; when
// ctx ends first it cancels them, waits for them to return, and returns
// ctx's error.
func (o *operations) shutdown(ctx context.Context) error {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		o.cancel()
		<-done
		return ctx.Err()
	}
}
