package gitlock

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/store"
)

// Defaults of Options.
const (
	DefaultPoll    = 2 * time.Millisecond
	DefaultMaxPoll = 100 * time.Millisecond
)

// cleanupTimeout bounds the rollback of a failed Lock, which runs even when
// the Lock's context has ended so that it leaves nothing held.
const cleanupTimeout = 30 * time.Second

// author signs every lock commit; the owner, which need not be a valid Git
// identity, is in the message and metadata.
const author = "envpromote gitlock"

// Options configure a Locker. The zero value uses the system clock and the
// default polling intervals.
type Options struct {
	// Now is the clock leases are stamped and expired by; nil means
	// time.Now. Processes sharing a repository should have synchronised
	// clocks, since each judges expiry by its own.
	Now func() time.Time
	// Poll is the first pause of a waiting Lock before it reads the
	// environments again; it doubles after each try, up to MaxPoll, with
	// random jitter. Zero means DefaultPoll and DefaultMaxPoll. A release
	// through the same Locker wakes waiters at once.
	Poll, MaxPoll time.Duration
}

// Locker is a lock.Locker keeping its leases in a store.Repo. The zero
// value is not usable; call New. It is safe for concurrent use, and any
// number of Lockers, in any number of processes, may share one Repo.
type Locker struct {
	repo          store.Repo
	now           func() time.Time
	poll, maxPoll time.Duration

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when this Locker releases a lease
}

var _ lock.Locker = (*Locker)(nil)

// New returns a Locker keeping its leases in repo.
func New(repo store.Repo, opts Options) *Locker {
	l := &Locker{repo: repo, now: opts.Now, poll: opts.Poll, maxPoll: opts.MaxPoll, changed: make(chan struct{})}
	if l.now == nil {
		l.now = time.Now
	}
	if l.poll <= 0 {
		l.poll = DefaultPoll
	}
	if l.maxPoll < l.poll {
		l.maxPoll = max(l.poll, DefaultMaxPoll)
	}
	return l
}

// slot is one environment's lock branch as last read.
type slot struct {
	env string
	rev store.Revision // branch head; zero if the branch does not exist
	rec *record        // nil if the branch does not exist
}

// holds reports whether the slot is held, at time now, by lease (any lease
// if lease is nil).
func (s slot) holds(lease *lock.Lease, now time.Time) bool {
	r := s.rec
	return r != nil && !r.Released && !r.Lease.Expired(now) &&
		(lease == nil || r.Lease.ID == lease.ID && r.Lease.Token == lease.Token)
}

// Lock implements lock.Locker. It reads every environment's branch, in
// sorted order; if all are free it takes a token above all their tokens and
// writes the lease to each branch by compare-and-set, in the same order. If
// a write loses a race, it releases what it wrote (in reverse order) and
// starts again.
func (l *Locker) Lock(ctx context.Context, envs []string, owner string, opts lock.Options) (lock.Lease, error) {
	if err := ctx.Err(); err != nil {
		return lock.Lease{}, fmt.Errorf("gitlock: lock %s: %w", strings.Join(envs, ", "), context.Cause(ctx))
	}
	for pause := l.poll; ; pause = min(2*pause, l.maxPoll) {
		lease, err := lock.NewLease(envs, owner, opts, l.now())
		if err != nil {
			return lock.Lease{}, fmt.Errorf("gitlock: lock: %w", err)
		}
		changed := l.changes()
		held, err := l.acquire(ctx, &lease)
		switch {
		case err != nil:
			return lock.Lease{}, fmt.Errorf("gitlock: lock %s: %w", strings.Join(lease.Envs, ", "), err)
		case held == nil:
			return lease, nil
		case !opts.Wait:
			return lock.Lease{}, fmt.Errorf("gitlock: lock %s: %w", strings.Join(lease.Envs, ", "), held)
		}
		select {
		case <-ctx.Done():
			return lock.Lease{}, fmt.Errorf("gitlock: lock %s: stopped waiting (%w): %w", strings.Join(lease.Envs, ", "), context.Cause(ctx), held)
		case <-changed:
		case <-time.After(pause/2 + rand.N(pause/2+1)):
		}
	}
}

// acquire grants lease if all its environments are free, else returns the
// first holder.
func (l *Locker) acquire(ctx context.Context, lease *lock.Lease) (*lock.LockedError, error) {
	for {
		slots := make([]slot, len(lease.Envs))
		var token uint64
		for i, env := range lease.Envs {
			s, err := l.read(ctx, env)
			if err != nil {
				return nil, err
			}
			if s.holds(nil, lease.Acquired) {
				return &lock.LockedError{Env: env, Holder: s.rec.Lease}, nil
			}
			if s.rec != nil {
				token = max(token, s.rec.Lease.Token)
			}
			slots[i] = s
		}
		lease.Token = token + 1
		err := l.writeAll(ctx, slots, *lease)
		if !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		// Another writer moved a branch after we read it: read again.
	}
}

// writeAll writes lease to every slot in order; if one write fails it
// releases the ones written and returns the failure. A failure other than a
// lost race may hide a write that landed (a remote that applied a push but
// timed out), so release reads what is there rather than trusting i.
func (l *Locker) writeAll(ctx context.Context, slots []slot, lease lock.Lease) error {
	for i := range slots {
		if err := l.write(ctx, slots[i], record{Env: slots[i].env, Lease: lease}); err != nil {
			if i == 0 && errors.Is(err, store.ErrConflict) {
				return err // nothing written
			}
			cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			_, rerr := l.release(cleanup, lease)
			return errors.Join(err, rerr)
		}
	}
	return nil
}

// release marks lease released on each of its environments that still
// holds it, last environment first, so that the environments a lease holds
// are always a prefix of its sorted set, also after a crash. It reports
// whether it released the first environment: the lease's last hold, which
// only one of several racing releases can take.
func (l *Locker) release(ctx context.Context, lease lock.Lease) (last bool, err error) {
	envs := slices.Sorted(slices.Values(lease.Envs))
	now := l.now()
	for i := len(envs) - 1; i >= 0; i-- {
		for {
			s, err := l.read(ctx, envs[i])
			if err != nil {
				return false, fmt.Errorf("release %q: %w", envs[i], err)
			}
			if !s.holds(&lease, now) {
				break
			}
			err = l.write(ctx, s, record{Env: s.env, Lease: s.rec.Lease, Released: true})
			if err == nil {
				l.notify()
				last = i == 0
				break
			}
			if !errors.Is(err, store.ErrConflict) {
				return false, fmt.Errorf("release %q: %w", envs[i], err)
			}
			// The branch moved since we read it: read again.
		}
	}
	return last, nil
}

// Unlock implements lock.Locker. It succeeds if it released the lease's
// first environment, so of several racing unlocks exactly one succeeds,
// and it also clears what a crashed Lock or Unlock left held.
func (l *Locker) Unlock(ctx context.Context, lease lock.Lease) error {
	if err := check(ctx, lease); err != nil {
		return fmt.Errorf("gitlock: unlock: %w", err)
	}
	lease, err := l.granted(ctx, lease)
	if err != nil {
		return fmt.Errorf("gitlock: unlock: %w", err)
	}
	last, err := l.release(ctx, lease)
	if err != nil {
		return fmt.Errorf("gitlock: unlock %s: %w", strings.Join(lease.Envs, ", "), err)
	}
	if !last {
		return fmt.Errorf("gitlock: unlock: %w: lease %s does not hold its environments", lock.ErrNotHeld, lease.ID)
	}
	return nil
}

// granted returns lease as recorded on the first of its environments that
// records it: the record, not the caller's copy, says which environments
// the lease was granted, so a lease whose Envs were edited still unlocks and
// validates exactly the granted set. A lease no environment records is
// returned as given.
func (l *Locker) granted(ctx context.Context, lease lock.Lease) (lock.Lease, error) {
	for _, env := range lease.Envs {
		s, err := l.read(ctx, env)
		if err != nil {
			return lease, err
		}
		if s.rec != nil && s.rec.Lease.ID == lease.ID && s.rec.Lease.Token == lease.Token {
			return s.rec.Lease, nil
		}
	}
	return lease, nil
}

// Validate implements lock.Locker: every environment must hold the lease.
func (l *Locker) Validate(ctx context.Context, lease lock.Lease) error {
	if err := check(ctx, lease); err != nil {
		return fmt.Errorf("gitlock: validate: %w", err)
	}
	lease, err := l.granted(ctx, lease)
	if err != nil {
		return fmt.Errorf("gitlock: validate: %w", err)
	}
	now := l.now()
	for _, env := range lease.Envs {
		s, err := l.read(ctx, env)
		if err != nil {
			return fmt.Errorf("gitlock: validate: %w", err)
		}
		if !s.holds(&lease, now) {
			return fmt.Errorf("gitlock: validate: %w: lease %s does not hold environment %q", lock.ErrNotHeld, lease.ID, env)
		}
	}
	return nil
}

// State implements lock.Locker. A held environment is locked when every
// environment of its lease holds the lease, locking when some have not
// taken it yet, and unlocking when some have released it already: the
// in-between states of a Lock or Unlock under way, or cut short by a crash
// (Unlock the lease State returns to clear it). An unreadable record is
// reported as lock.StateError, not as an error.
func (l *Locker) State(ctx context.Context, env string) (lock.Status, error) {
	if err := ctx.Err(); err != nil {
		return lock.Status{}, fmt.Errorf("gitlock: state of %q: %w", env, err)
	}
	if err := lock.ValidateEnvironment(env); err != nil {
		return lock.Status{}, fmt.Errorf("gitlock: state: %w", err)
	}
	now := l.now()
	s, err := l.read(ctx, env)
	if errors.Is(err, errCorrupt) {
		return lock.Status{State: lock.StateError, Detail: err.Error()}, nil
	}
	if err != nil {
		return lock.Status{}, fmt.Errorf("gitlock: state: %w", err)
	}
	if !s.holds(nil, now) {
		return lock.Status{State: lock.StateUnlocked}, nil
	}
	lease := s.rec.Lease
	st := lock.Status{State: lock.StateLocked, Lease: lease}
	for _, other := range lease.Envs {
		o, err := l.read(ctx, other)
		switch {
		case errors.Is(err, errCorrupt):
			return lock.Status{State: lock.StateError, Lease: lease, Detail: err.Error()}, nil
		case err != nil:
			return lock.Status{}, fmt.Errorf("gitlock: state: %w", err)
		case o.holds(&lease, now):
		case o.rec != nil && o.rec.Lease.ID == lease.ID:
			st.State = lock.StateUnlocking
		case o.rec == nil || o.rec.Lease.Token < lease.Token:
			if st.State == lock.StateLocked {
				st.State = lock.StateLocking
			}
		default:
			return lock.Status{State: lock.StateError, Lease: lease, Detail: fmt.Sprintf(
				"environment %q is held by lease %s, but %q by a later lease %s", env, lease.ID, other, o.rec.Lease.ID)}, nil
		}
	}
	return st, nil
}

// read loads env's lock branch. A corrupt record wraps errCorrupt.
func (l *Locker) read(ctx context.Context, env string) (slot, error) {
	branch := branchName(env)
	head, err := l.repo.Head(ctx, branch)
	if errors.Is(err, store.ErrNotFound) {
		return slot{env: env}, nil
	}
	if err != nil {
		return slot{}, err
	}
	data, ok := head.Metadata[metaLease]
	if !ok {
		return slot{}, fmt.Errorf("environment %q: %w: the head of branch %s has no %s metadata", env, errCorrupt, branch, metaLease)
	}
	rec, err := decodeRecord(env, []byte(data))
	if err != nil {
		return slot{}, fmt.Errorf("environment %q: branch %s: %w", env, branch, err)
	}
	return slot{env: env, rev: head.Revision, rec: &rec}, nil
}

// write commits rec on s's branch if its head is still s.rev.
func (l *Locker) write(ctx context.Context, s slot, rec record) error {
	data, err := rec.encode()
	if err != nil {
		return fmt.Errorf("%w: %v", lock.ErrInvalid, err)
	}
	verb := "lock"
	if rec.Released {
		verb = "unlock"
	}
	_, err = l.repo.Commit(ctx, branchName(s.env), s.rev, nil, store.CommitInfo{
		Author:  author,
		Time:    l.now(),
		Message: fmt.Sprintf("%s %s for %s\n\nLease %s on %s.", verb, s.env, rec.Lease.Owner, rec.Lease.ID, strings.Join(rec.Lease.Envs, ", ")),
		Metadata: map[string]string{
			"type":    verb,
			"leaseId": rec.Lease.ID,
			"token":   strconv.FormatUint(rec.Lease.Token, 10),
			metaLease: string(data),
		},
	})
	return err
}

func (l *Locker) changes() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

func (l *Locker) notify() {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
}

// check rejects an ended context and environment names no lease can hold.
func check(ctx context.Context, lease lock.Lease) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(lease.Envs) == 0 {
		return fmt.Errorf("%w: lease %q has no environments", lock.ErrNotHeld, lease.ID)
	}
	for _, env := range lease.Envs {
		if err := lock.ValidateEnvironment(env); err != nil {
			return err
		}
	}
	return nil
}
