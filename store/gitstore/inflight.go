package gitstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/envpromote/envpromote/store"
)

// inflight is a push of this Repo that has not ended yet.
type inflight struct {
	updates []refUpdate
	done    chan struct{}
	landed  bool // set before done closes
}

// await keeps pushes of one Repo from racing each other to the remote
// when one must lose: a push that moves a ref from the same old value as
// a push in flight waits for that one. If it landed, the ref has moved on
// since this push began (the other ended after it) and this one fails with
// store.ErrConflict without a round trip; else it goes ahead. Only a ref
// set back to its old value by someone else in between could have let it
// land, and then the caller's next read sees that value again. It returns
// the function that records this push's outcome.
func (rm *remote) await(ctx context.Context, updates []refUpdate) (done func(landed bool), err error) {
	rm.mu.Lock()
	for {
		var p *inflight
		var u refUpdate
		for _, q := range rm.pushing {
			if v, ok := sameOld(q.updates, updates); ok {
				p, u = q, v
				break
			}
		}
		if p == nil {
			break
		}
		rm.mu.Unlock()
		select {
		case <-p.done:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
		if p.landed {
			return nil, fmt.Errorf("%w: another push of this process moved %s from %s first", store.ErrConflict, u.name, revision(u.old))
		}
		rm.mu.Lock()
	}
	me := &inflight{updates: updates, done: make(chan struct{})}
	rm.pushing = append(rm.pushing, me)
	rm.mu.Unlock()
	return func(landed bool) {
		rm.mu.Lock()
		rm.pushing = slices.DeleteFunc(rm.pushing, func(p *inflight) bool { return p == me })
		me.landed = landed
		rm.mu.Unlock()
		close(me.done)
	}, nil
}

// sameOld returns an update of a that moves a ref from the same old value
// as one of b.
func sameOld(a, b []refUpdate) (refUpdate, bool) {
	for _, u := range a {
		for _, v := range b {
			if u.name == v.name && u.old == v.old {
				return u, true
			}
		}
	}
	return refUpdate{}, false
}
