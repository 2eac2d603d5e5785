package lock

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Keeper keeps a lease renewed in the background: see KeepAlive.
type Keeper struct {
	mu    sync.Mutex
	lease Lease
	err   error
	lost  chan struct{}
	stop  chan struct{}
	once  sync.Once
	done  chan struct{}
}

// KeepAlive renews lease through l every third of its TTL, until Stop or
// until ctx ends. If a renewal finds the lease no longer held (it expired or
// was released), Lost is closed and Err says why. A renewal that fails for
// another reason (the Store unreachable) is tried again at the next tick,
// so a short outage costs nothing while the lease has time left.
func KeepAlive(ctx context.Context, l Locker, lease Lease) *Keeper {
	k := &Keeper{lease: lease, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	every := lease.TTL / 3
	if every <= 0 {
		every = DefaultTTL / 3
	}
	go func() {
		defer close(k.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-k.stop:
				return
			case <-t.C:
			}
			next, err := l.Renew(ctx, k.Lease())
			k.mu.Lock()
			if err == nil {
				k.lease = next
			} else if errors.Is(err, ErrNotHeld) {
				k.err = err
				close(k.lost)
			}
			k.mu.Unlock()
			if k.err != nil {
				return
			}
		}
	}()
	return k
}

// Lease returns the lease as last renewed.
func (k *Keeper) Lease() Lease {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lease
}

// Lost is closed when a renewal found the lease no longer held.
func (k *Keeper) Lost() <-chan struct{} { return k.lost }

// Err is why the lease was lost, or nil.
func (k *Keeper) Err() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}

// Stop ends the renewals, waits for one under way, and returns the lease as
// last renewed. The lease itself stays held until unlocked or expired.
func (k *Keeper) Stop() Lease {
	k.once.Do(func() { close(k.stop) })
	<-k.done
	return k.Lease()
}
