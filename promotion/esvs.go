package promotion

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock"
)

// ESVs tells the integrity checks which ESVs an environment defines:
// metadata only (name, expressionType, secret or not, useInPlaceholders),
// never a value.
type ESVs interface {
	ESVs(ctx context.Context, env string) (map[string]integrity.ESV, error)
}

// ESVService adapts an esv.Service to ESVs. It reports what the environment
// defines now, pending changes included: a restart loads them before the
// promoted configuration is used. While an environment's ESVs stay the
// same it returns the same map, which an integrity.Runner judges once (see
// integrity.Input.ESVs), so a promotion's checks cost what changed.
func ESVService(s *esv.Service) ESVs {
	return &serviceESVs{s: s, last: map[string]map[string]integrity.ESV{}}
}

type serviceESVs struct {
	s    *esv.Service
	mu   sync.Mutex
	last map[string]map[string]integrity.ESV // by environment; never modified once returned
}

func (a *serviceESVs) ESVs(ctx context.Context, env string) (map[string]integrity.ESV, error) {
	vars, err := a.s.Variables(ctx, env, esv.ListOptions{})
	if err != nil {
		return nil, err
	}
	secrets, err := a.s.Secrets(ctx, env, esv.ListOptions{})
	if err != nil {
		return nil, err
	}
	now := integrity.ESVsOf(vars, secrets)
	a.mu.Lock()
	defer a.mu.Unlock()
	if last := a.last[env]; maps.Equal(last, now) && last != nil {
		return last, nil
	}
	a.last[env] = now
	return now, nil
}

// ESVGuard returns an esv.Guard that refuses ESV writes to an environment
// while it is locked (or its lock is in an unknown state), as AIC does
// during a promotion. Set it as esv.Options.Guard over the same Locker the
// Promoter uses; environments are named by id in both. The refusal wraps a
// *lock.LockedError, so errors.Is(err, lock.ErrLocked) holds.
func ESVGuard(l lock.Locker) esv.Guard {
	return func(ctx context.Context, env string) error { return unlocked(ctx, l, env) }
}

// unlocked returns nil when env is unlocked, else an error wrapping
// lock.ErrLocked naming the holder.
func unlocked(ctx context.Context, l lock.Locker, env string) error {
	st, err := l.State(ctx, env)
	if err != nil {
		return fmt.Errorf("lock state of %s: %w", env, err)
	}
	switch st.State {
	case lock.StateUnlocked:
		return nil
	case lock.StateError:
		return fmt.Errorf("lock of %s is in error (%s): %w", env, st.Detail, &lock.LockedError{Env: env, Holder: st.Lease})
	}
	return &lock.LockedError{Env: env, Holder: st.Lease}
}
