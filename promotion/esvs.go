package promotion

import (
	"context"
	"fmt"

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
// promoted configuration is used.
func ESVService(s *esv.Service) ESVs { return serviceESVs{s} }

type serviceESVs struct{ s *esv.Service }

func (a serviceESVs) ESVs(ctx context.Context, env string) (map[string]integrity.ESV, error) {
	vars, err := a.s.Variables(ctx, env, esv.ListOptions{})
	if err != nil {
		return nil, err
	}
	secrets, err := a.s.Secrets(ctx, env, esv.ListOptions{})
	if err != nil {
		return nil, err
	}
	return integrity.ESVsOf(vars, secrets), nil
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
