package lock

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/envpromote/envpromote/internal/retry"
	"github.com/envpromote/envpromote/store"
)

// cleanupTimeout bounds the release of a failed Lock, which runs even when
// the Lock's context has ended so that it leaves nothing held.
const cleanupTimeout = 30 * time.Second

// ManagerOptions configure a Manager. The zero value uses the system clock.
type ManagerOptions struct {
	// Now is the clock leases are stamped and expired by; nil means
	// time.Now. Processes sharing a Store need synchronised clocks, since
	// each judges expiry by its own; keep TTLs far above the skew.
	Now func() time.Time
	// Poll and MaxPoll are the first and longest pause of a waiting Lock
	// (Options.Wait) between looks at the Store; 0 means 2 ms and 100 ms.
	// A release through the same Manager wakes waiters at once.
	Poll, MaxPoll time.Duration
}

// Manager is the Locker: the lock rules, written once, over a Store that
// only keeps records. It is safe for concurrent use, and any number of
// Managers, in any number of processes, may share a Store.
//
// A set is taken one environment at a time, in sorted order, each a
// compare-and-set of the record read; a lost race releases what was taken
// (newest first) and starts again, within the library's retry policy.
// Unlock and Renew go the other way and the same way respectively, so the
// environments a lease holds are always a prefix of its sorted set, and the
// first environment is held for as long as any is, also across a crash:
// the Unlock that releases it is the one that succeeds, so of several
// racing unlocks exactly one does, and any Unlock with the lease clears
// what a crashed Lock or Unlock left.
type Manager struct {
	store       Store
	now         func() time.Time
	retry, poll retry.Policy
	mu          sync.Mutex
	changed     chan struct{} // closed and replaced when this Manager releases a lease
	fencer      Fencer        // store, when it can fence commits
}

var _ Locker = (*Manager)(nil)

// New returns a Manager keeping its leases in s.
func New(s Store, opts ManagerOptions) *Manager {
	m := &Manager{store: s, now: opts.Now, retry: retry.Default, changed: make(chan struct{})}
	if m.now == nil {
		m.now = time.Now
	}
	m.poll = retry.Policy{First: opts.Poll, Max: opts.MaxPoll}
	if m.poll.First <= 0 {
		m.poll.First = 2 * time.Millisecond
	}
	m.fencer, _ = s.(Fencer)
	return m
}

// slot is one environment's record as last read.
type slot struct {
	env string
	ver Version
	rec *Record // nil if the environment has no record
}

// holds reports whether the slot is held at time now by lease (any lease
// if lease is nil).
func (s slot) holds(lease *Lease, now time.Time) bool {
	r := s.rec
	return r != nil && !r.Released && !r.Lease.Expired(now) &&
		(lease == nil || r.Lease.ID == lease.ID && r.Lease.Token == lease.Token)
}

func (m *Manager) read(ctx context.Context, env string) (slot, error) {
	rec, ver, err := m.store.Load(ctx, env)
	if err != nil {
		return slot{}, err
	}
	if ver == "" {
		return slot{env: env}, nil
	}
	return slot{env: env, ver: ver, rec: &rec}, nil
}

// Lock implements Locker.
func (m *Manager) Lock(ctx context.Context, envs []string, owner string, opts Options) (Lease, error) {
	if err := ctx.Err(); err != nil {
		return Lease{}, fmt.Errorf("lock %s: %w", strings.Join(envs, ", "), context.Cause(ctx))
	}
	wait := m.poll.Poll()
	for {
		lease, err := NewLease(envs, owner, opts, m.now())
		if err != nil {
			return Lease{}, fmt.Errorf("lock: %w", err)
		}
		changed := m.changes()
		held, err := m.acquire(ctx, &lease)
		switch {
		case err != nil:
			return Lease{}, fmt.Errorf("lock %s: %w", strings.Join(lease.Envs, ", "), err)
		case held == nil:
			return lease, nil
		case !opts.Wait:
			return Lease{}, fmt.Errorf("lock %s: %w", strings.Join(lease.Envs, ", "), held)
		}
		wait.WakeOn(changed)
		if err := wait.Wait(ctx, held); err != nil {
			return Lease{}, fmt.Errorf("lock %s: stopped waiting: %w", strings.Join(lease.Envs, ", "), err)
		}
	}
}

// acquire grants lease if all its environments are free, else returns the
// first holder.
func (m *Manager) acquire(ctx context.Context, lease *Lease) (*LockedError, error) {
	for loop := m.retry.Start(); ; {
		slots := make([]slot, len(lease.Envs))
		var token uint64
		for i, env := range lease.Envs {
			s, err := m.read(ctx, env)
			if err != nil {
				return nil, err
			}
			if s.holds(nil, lease.Acquired) {
				return &LockedError{Env: env, Holder: s.rec.Lease}, nil
			}
			if s.rec != nil {
				token = max(token, s.rec.Lease.Token)
			}
			slots[i] = s
		}
		lease.Token = token + 1
		err := m.writeAll(ctx, slots, *lease)
		if !errors.Is(err, ErrConflict) {
			return nil, err
		}
		if err := loop.Wait(ctx, err); err != nil {
			return nil, err
		}
	}
}

// writeAll writes lease to every slot in order; if one write fails it
// releases the ones written and returns the failure. A failure other than a
// lost race may hide a write that landed (a remote that applied a push but
// timed out), so release reads what is there rather than trusting i.
func (m *Manager) writeAll(ctx context.Context, slots []slot, lease Lease) error {
	for i, s := range slots {
		if _, err := m.store.Swap(ctx, s.env, s.ver, Record{Lease: lease}); err != nil {
			if i == 0 && errors.Is(err, ErrConflict) {
				return err // nothing written
			}
			cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			_, rerr := m.release(cleanup, lease)
			return errors.Join(err, rerr)
		}
	}
	return nil
}

// release marks lease released on each of its environments that still
// holds it, last environment first. It reports whether it released the
// first environment: the lease's last hold, which only one of several
// racing releases can take.
func (m *Manager) release(ctx context.Context, lease Lease) (last bool, err error) {
	envs := slices.Sorted(slices.Values(lease.Envs))
	now := m.now()
	for i := len(envs) - 1; i >= 0; i-- {
		err := m.swapHeld(ctx, envs[i], lease, now, func(r Record) Record {
			r.Released = true
			return r
		})
		switch {
		case err == nil:
			m.notify()
			last = i == 0
		case !errors.Is(err, ErrNotHeld):
			return false, fmt.Errorf("release %q: %w", envs[i], err)
		}
	}
	return last, nil
}

// swapHeld changes env's record by change while it holds lease at now,
// retrying lost races within the retry policy. It returns ErrNotHeld when
// env does not hold lease.
func (m *Manager) swapHeld(ctx context.Context, env string, lease Lease, now time.Time, change func(Record) Record) error {
	for loop := m.retry.Start(); ; {
		s, err := m.read(ctx, env)
		if err != nil {
			return err
		}
		if !s.holds(&lease, now) {
			return fmt.Errorf("%w: lease %s does not hold environment %q", ErrNotHeld, lease.ID, env)
		}
		_, err = m.store.Swap(ctx, env, s.ver, change(*s.rec))
		if !errors.Is(err, ErrConflict) {
			return err
		}
		if err := loop.Wait(ctx, err); err != nil {
			return err
		}
	}
}

// Unlock implements Locker.
func (m *Manager) Unlock(ctx context.Context, lease Lease) error {
	lease, err := m.granted(ctx, lease)
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	last, err := m.release(ctx, lease)
	if err != nil {
		return fmt.Errorf("unlock %s: %w", strings.Join(lease.Envs, ", "), err)
	}
	if !last {
		return fmt.Errorf("unlock: %w: lease %s does not hold its environments", ErrNotHeld, lease.ID)
	}
	return nil
}

// renewed returns l extended by its TTL from now.
func renewed(l Lease, now time.Time) Lease {
	if l.TTL > 0 {
		l.Expires = now.Add(l.TTL)
	}
	return l
}

// Renew implements Locker. It renews the environments in sorted order, so
// the first one always outlives the others.
func (m *Manager) Renew(ctx context.Context, lease Lease) (Lease, error) {
	lease, err := m.granted(ctx, lease)
	if err != nil {
		return Lease{}, fmt.Errorf("renew: %w", err)
	}
	now := m.now()
	for _, env := range lease.Envs {
		err := m.swapHeld(ctx, env, lease, now, func(r Record) Record {
			r.Lease = renewed(r.Lease, now)
			return r
		})
		if err != nil {
			return Lease{}, fmt.Errorf("renew: %w", err)
		}
	}
	return renewed(lease, now), nil
}

// granted returns lease as recorded on the first of its environments that
// records it: the record, not the caller's copy, says which environments
// the lease was granted and when it expires, so a lease whose Envs were
// edited still unlocks and validates exactly the granted set. A lease no
// environment records is returned as given. It first rejects an ended
// context and environment names no lease can hold.
func (m *Manager) granted(ctx context.Context, lease Lease) (Lease, error) {
	if err := check(ctx, lease); err != nil {
		return lease, err
	}
	for _, env := range lease.Envs {
		s, err := m.read(ctx, env)
		if err != nil {
			return lease, err
		}
		if s.rec != nil && s.rec.Lease.ID == lease.ID && s.rec.Lease.Token == lease.Token {
			return s.rec.Lease, nil
		}
	}
	return lease, nil
}

// held reads every environment of the granted lease and fails with
// ErrNotHeld unless each holds it at now.
func (m *Manager) held(ctx context.Context, lease Lease, now time.Time) ([]slot, error) {
	slots := make([]slot, len(lease.Envs))
	for i, env := range lease.Envs {
		s, err := m.read(ctx, env)
		if err != nil {
			return nil, err
		}
		if !s.holds(&lease, now) {
			return nil, fmt.Errorf("%w: lease %s does not hold environment %q", ErrNotHeld, lease.ID, env)
		}
		slots[i] = s
	}
	return slots, nil
}

// Validate implements Locker: every environment must hold the lease.
func (m *Manager) Validate(ctx context.Context, lease Lease) error {
	lease, err := m.granted(ctx, lease)
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	if _, err := m.held(ctx, lease, m.now()); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	return nil
}

// Commit implements Locker. When the Store is a Fencer over repo (gitlock
// over the same gitstore or memstore Repo), the check is atomic with the
// branch update: the commit and a renewal of every record of the lease
// land together, or neither does, so a lease that expired or was replaced
// after the check cannot commit. With any other pair (memlock, or a lock
// repo other than repo) the lease is validated immediately before the
// commit, and a lease that runs out in between still commits: use a
// Fencer, or keep the lease renewed (KeepAlive).
//
// Errors wrap ErrNotHeld when the lease no longer holds its environments,
// store.ErrConflict when u's branch is not at u.Parent, or repo's errors.
func (m *Manager) Commit(ctx context.Context, lease Lease, repo store.Repo, u store.Update) (store.Commit, error) {
	lease, err := m.granted(ctx, lease)
	if err != nil {
		return store.Commit{}, fmt.Errorf("fenced commit: %w", err)
	}
	for loop := m.retry.Start(); ; {
		now := m.now()
		slots, err := m.held(ctx, lease, now)
		if err != nil {
			return store.Commit{}, fmt.Errorf("fenced commit: %w", err)
		}
		if m.fencer == nil {
			return repo.Commit(ctx, u.Branch, u.Parent, u.Snapshot, u.Info)
		}
		swaps := make([]Swap, len(slots))
		for i, s := range slots {
			swaps[i] = Swap{Env: s.env, Old: s.ver, Record: Record{Lease: renewed(s.rec.Lease, now)}}
		}
		c, err := m.fencer.FencedCommit(ctx, repo, u, swaps)
		switch {
		case errors.Is(err, errors.ErrUnsupported):
			// Not atomic here: validated just above, commit now.
			return repo.Commit(ctx, u.Branch, u.Parent, u.Snapshot, u.Info)
		case !errors.Is(err, ErrConflict) && !errors.Is(err, store.ErrConflict):
			return c, err
		}
		// A record (a renewal, a release) or the branch moved: which?
		h, herr := repo.Head(ctx, u.Branch)
		switch {
		case errors.Is(herr, store.ErrNotFound):
			h = store.Commit{}
		case herr != nil:
			return store.Commit{}, herr
		}
		if h.Revision != u.Parent {
			return store.Commit{}, fmt.Errorf("fenced commit: %s is at %q, not %q: %w", u.Branch, h.Revision, u.Parent, store.ErrConflict)
		}
		if err := loop.Wait(ctx, err); err != nil {
			return store.Commit{}, fmt.Errorf("fenced commit: %w", err)
		}
	}
}

// State implements Locker. A held environment is locked when every
// environment of its lease holds the lease, locking when some have not
// taken it yet (a Lock under way, or cut short), and unlocking when some
// have released it already (an Unlock under way, or cut short); Detail then
// says what is held and the way out. An unreadable record is StateError,
// not an error.
func (m *Manager) State(ctx context.Context, env string) (Status, error) {
	if err := ctx.Err(); err != nil {
		return Status{}, fmt.Errorf("state of %q: %w", env, err)
	}
	if err := ValidateEnvironment(env); err != nil {
		return Status{}, fmt.Errorf("state: %w", err)
	}
	now := m.now()
	s, err := m.read(ctx, env)
	if errors.Is(err, ErrCorrupt) {
		return Status{State: StateError, Detail: err.Error()}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("state: %w", err)
	}
	if !s.holds(nil, now) {
		return Status{State: StateUnlocked}, nil
	}
	lease := s.rec.Lease
	st := Status{State: StateLocked, Lease: lease}
	var held, free []string
	for _, other := range lease.Envs {
		o, err := m.read(ctx, other)
		switch {
		case errors.Is(err, ErrCorrupt):
			return Status{State: StateError, Lease: lease, Detail: err.Error()}, nil
		case err != nil:
			return Status{}, fmt.Errorf("state: %w", err)
		case o.holds(&lease, now):
			held = append(held, other)
			continue
		case o.rec != nil && o.rec.Lease.ID == lease.ID:
			st.State = StateUnlocking
		case st.State == StateLocked:
			st.State = StateLocking
		}
		free = append(free, other)
	}
	if st.State != StateLocked {
		st.Held, st.Free = held, free
		st.Detail = st.Describe(nil)
	}
	return st, nil
}

func (m *Manager) changes() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

func (m *Manager) notify() {
	m.mu.Lock()
	defer m.mu.Unlock()
	close(m.changed)
	m.changed = make(chan struct{})
}

// check rejects an ended context and environment names no lease can hold.
func check(ctx context.Context, lease Lease) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(lease.Envs) == 0 {
		return fmt.Errorf("%w: lease %q has no environments", ErrNotHeld, lease.ID)
	}
	for _, env := range lease.Envs {
		if err := ValidateEnvironment(env); err != nil {
			return err
		}
	}
	return nil
}
