package memlock

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/envpromote/envpromote/lock"
)

// maxPoll bounds how long a waiting Lock sleeps before it looks again at a
// holder that has an expiry, so it notices expiry on any clock, including
// an injected one that real time does not move.
const maxPoll = 10 * time.Millisecond

// Options configure a Locker. The zero value uses the system clock.
type Options struct {
	// Now is the clock leases are stamped and expired by; nil means time.Now.
	Now func() time.Time
}

// Locker is an in-memory lock.Locker. The zero value is not usable; call
// New. It is safe for concurrent use.
type Locker struct {
	now func() time.Time

	mu      sync.RWMutex
	held    map[string]lock.Lease // the latest lease per environment, maybe expired
	token   uint64                // last fencing token granted, on any environment
	changed chan struct{}         // closed and replaced whenever a lease is released
}

var _ lock.Locker = (*Locker)(nil)

// New returns an empty Locker.
func New(opts Options) *Locker {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Locker{now: now, held: map[string]lock.Lease{}, changed: make(chan struct{})}
}

// Lock implements lock.Locker. Tokens come from one counter for all
// environments, which is strictly increasing per environment as required.
func (l *Locker) Lock(ctx context.Context, envs []string, owner string, opts lock.Options) (lock.Lease, error) {
	if err := ctx.Err(); err != nil {
		return lock.Lease{}, fmt.Errorf("memlock: lock %s: %w", strings.Join(envs, ", "), context.Cause(ctx))
	}
	for {
		lease, err := lock.NewLease(envs, owner, opts, l.now())
		if err != nil {
			return lock.Lease{}, fmt.Errorf("memlock: lock: %w", err)
		}
		changed, held := l.grant(&lease)
		if held == nil {
			return lease, nil
		}
		if !opts.Wait {
			return lock.Lease{}, fmt.Errorf("memlock: lock %s: %w", strings.Join(lease.Envs, ", "), held)
		}
		var expiry <-chan time.Time
		if holder := held.Holder; !holder.Expires.IsZero() {
			expiry = time.After(min(holder.Expires.Sub(lease.Acquired), maxPoll))
		}
		select {
		case <-ctx.Done():
			return lock.Lease{}, fmt.Errorf("memlock: lock %s: stopped waiting (%w): %w", strings.Join(lease.Envs, ", "), context.Cause(ctx), held)
		case <-changed:
		case <-expiry:
		}
	}
}

// grant gives lease its environments and a token if all are free at
// lease.Acquired; otherwise it returns the first holder and a channel closed
// at the next release.
func (l *Locker) grant(lease *lock.Lease) (<-chan struct{}, *lock.LockedError) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, env := range lease.Envs {
		if h, ok := l.held[env]; ok && !h.Expired(lease.Acquired) {
			return l.changed, &lock.LockedError{Env: env, Holder: clone(h)}
		}
	}
	l.token++
	lease.Token = l.token
	stored := clone(*lease) // the caller owns lease.Envs and may change it
	for _, env := range lease.Envs {
		l.held[env] = stored
	}
	return nil, nil
}

// Unlock implements lock.Locker.
func (l *Locker) Unlock(ctx context.Context, lease lock.Lease) error {
	if err := check(ctx, lease); err != nil {
		return fmt.Errorf("memlock: unlock: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.current(lease); err != nil {
		return fmt.Errorf("memlock: unlock: %w", err)
	}
	// Release what the lease was granted, even if the caller's copy lists
	// fewer environments, so a set is never left partly held.
	for _, env := range l.held[lease.Envs[0]].Envs {
		delete(l.held, env)
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// Validate implements lock.Locker.
func (l *Locker) Validate(ctx context.Context, lease lock.Lease) error {
	if err := check(ctx, lease); err != nil {
		return fmt.Errorf("memlock: validate: %w", err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if err := l.current(lease); err != nil {
		return fmt.Errorf("memlock: validate: %w", err)
	}
	return nil
}

// State implements lock.Locker. An in-memory set is taken and released in
// one step, so it is only ever unlocked or locked.
func (l *Locker) State(ctx context.Context, env string) (lock.Status, error) {
	if err := ctx.Err(); err != nil {
		return lock.Status{}, fmt.Errorf("memlock: state of %q: %w", env, err)
	}
	if err := lock.ValidateEnvironment(env); err != nil {
		return lock.Status{}, fmt.Errorf("memlock: state: %w", err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if h, ok := l.held[env]; ok && !h.Expired(l.now()) {
		return lock.Status{State: lock.StateLocked, Lease: clone(h)}, nil
	}
	return lock.Status{State: lock.StateUnlocked}, nil
}

// current returns nil if lease holds its environments now, else an error
// wrapping lock.ErrNotHeld. The caller holds l.mu.
func (l *Locker) current(lease lock.Lease) error {
	if len(lease.Envs) == 0 {
		return fmt.Errorf("%w: lease %q has no environments", lock.ErrNotHeld, lease.ID)
	}
	now := l.now()
	for _, env := range lease.Envs {
		h, ok := l.held[env]
		if !ok || h.ID != lease.ID || h.Token != lease.Token {
			return fmt.Errorf("%w: lease %s does not hold environment %q", lock.ErrNotHeld, lease.ID, env)
		}
		if h.Expired(now) {
			return fmt.Errorf("%w: lease %s expired at %s", lock.ErrNotHeld, lease.ID, h.Expires.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// check rejects an ended context and environment names no lease can hold.
func check(ctx context.Context, lease lock.Lease) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, env := range lease.Envs {
		if err := lock.ValidateEnvironment(env); err != nil {
			return err
		}
	}
	return nil
}

func clone(l lock.Lease) lock.Lease {
	l.Envs = slices.Clone(l.Envs)
	return l
}
