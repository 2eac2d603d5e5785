package gitstore

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// DefaultListTimeout is Options.ListTimeout's default: far longer than a
// remote that works stays silent (a listing is one round trip, and a fetch
// streams its pack), far shorter than the minutes a dead connection can
// hold a read.
const DefaultListTimeout = 30 * time.Second

// ErrListTimeout is the error of the reads that shared a listing of the
// remote's refs during which it sent nothing for Options.ListTimeout.
var ErrListTimeout = errors.New("the remote sent nothing in time")

// watchdog cancels a listing's context once the remote has been silent for
// its bound while the listing waited on it: arm (re)starts the bound when
// the remote speaks or is asked, stop pauses it over local work (waiting
// for Repo.mu, storing a pack), which is not the remote's silence. A nil
// watchdog bounds nothing.
type watchdog struct {
	bound time.Duration
	timer *time.Timer
}

func newWatchdog(bound time.Duration, cancel context.CancelCauseFunc) *watchdog {
	if bound <= 0 {
		return nil
	}
	return &watchdog{bound: bound, timer: time.AfterFunc(bound, func() { cancel(ErrListTimeout) })}
}

func (w *watchdog) arm() {
	if w != nil {
		w.timer.Reset(w.bound)
	}
}

func (w *watchdog) stop() {
	if w != nil {
		w.timer.Stop()
	}
}

// listing is one ref listing of the remote (with the fetch of the heads its
// callers asked for), shared by every concurrent caller of sync that asked
// before it started.
type listing struct {
	all     bool // fetch every ref's head; else only names'
	names   []plumbing.ReferenceName
	callers int // still waiting; the last to give up cancels ctx
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	refs    map[plumbing.ReferenceName]plumbing.Hash // set before done closes
	err     error
}

// sync lists the remote's refs and fetches the heads of names (of every
// ref if names is empty) that the cache lacks. Concurrent callers share
// listings, so that a burst of reads costs two round trips, not one each,
// while every read stays linearizable: a caller only joins a listing that
// has not started yet, so the listing it gets began after its call did.
// At most one listing runs at a time; callers that come while it runs
// join the next one, which starts when it ends.
func (r *Repo) sync(ctx context.Context, names ...plumbing.ReferenceName) (map[plumbing.ReferenceName]plumbing.Hash, error) {
	rm := r.remote
	if rm.err != nil {
		return nil, rm.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rm.mu.Lock()
	l := rm.next
	if l == nil {
		// The listing runs on its own context, which ends only when every
		// caller has given up, so that one caller's cancellation does not
		// fail the others.
		l = &listing{done: make(chan struct{})}
		l.ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
		if rm.running != nil {
			rm.next = l
		}
	}
	if len(names) == 0 {
		l.all, l.names = true, nil
	} else if !l.all {
		for _, n := range names {
			if !slices.Contains(l.names, n) {
				l.names = append(l.names, n)
			}
		}
	}
	l.callers++
	start := rm.running == nil
	if start {
		rm.running = l
	}
	rm.mu.Unlock()
	if start {
		go r.run(l)
	}
	select {
	case <-l.done:
		return l.refs, l.err
	case <-ctx.Done():
		rm.mu.Lock()
		if l.callers--; l.callers == 0 {
			// Abandoned: stop it, and let no later caller join it.
			l.cancel()
			if rm.next == l {
				rm.next = nil
			}
		}
		rm.mu.Unlock()
		return nil, context.Cause(ctx)
	}
}

// run runs l, then the listings queued behind it.
func (r *Repo) run(l *listing) {
	rm := r.remote
	for l != nil {
		rm.mu.Lock()
		names := slices.Clone(l.names) // no one joins l any more
		if l.all {
			names = nil
		}
		rm.mu.Unlock()
		ctx, cancel := context.WithCancelCause(l.ctx)
		w := newWatchdog(rm.silent, cancel)
		l.refs, l.err = r.list(ctx, names, w)
		w.stop()
		if l.err != nil && errors.Is(context.Cause(ctx), ErrListTimeout) {
			l.refs, l.err = nil, rm.errorf("list the refs of %s: %w: no answer for %v (Options.ListTimeout)", rm.shown, ErrListTimeout, rm.silent)
		}
		cancel(nil)
		l.cancel()
		rm.mu.Lock()
		rm.running, rm.next = rm.next, nil
		next := rm.running
		rm.mu.Unlock()
		close(l.done)
		l = next
	}
}
