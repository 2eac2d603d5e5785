package memlock

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/envpromote/envpromote/lock"
)

// Options configure the Locker New returns. The zero value uses the system
// clock.
type Options struct {
	// Now is the clock leases are stamped and expired by; nil means time.Now.
	Now func() time.Time
}

// New returns a lock.Manager over a new, empty Store.
func New(opts Options) *lock.Manager {
	return lock.New(NewStore(), lock.ManagerOptions{Now: opts.Now})
}

// Store is an in-memory lock.Store. The zero value is not usable; call
// NewStore. It is safe for concurrent use.
type Store struct {
	mu   sync.RWMutex
	recs map[string]entry
	seq  uint64 // last version given, on any environment
}

type entry struct {
	rec lock.Record
	ver lock.Version
}

var _ lock.Store = (*Store)(nil)

// NewStore returns an empty Store.
func NewStore() *Store { return &Store{recs: map[string]entry{}} }

// Load implements lock.Store.
func (s *Store) Load(ctx context.Context, env string) (lock.Record, lock.Version, error) {
	if err := ctx.Err(); err != nil {
		return lock.Record{}, "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.recs[env]
	return clone(e.rec), e.ver, nil
}

// Swap implements lock.Store.
func (s *Store) Swap(ctx context.Context, env string, old lock.Version, rec lock.Record) (lock.Version, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.recs[env].ver; cur != old {
		return "", fmt.Errorf("memlock: %q is at version %q, not %q: %w", env, cur, old, lock.ErrConflict)
	}
	s.seq++
	ver := lock.Version(strconv.FormatUint(s.seq, 10))
	s.recs[env] = entry{rec: clone(rec), ver: ver} // the caller owns rec.Lease.Envs
	return ver, nil
}

func clone(r lock.Record) lock.Record {
	r.Lease.Envs = slices.Clone(r.Lease.Envs)
	return r
}
