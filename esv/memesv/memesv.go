package memesv

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/envpromote/envpromote/esv"
)

var _ esv.Store = (*Store)(nil)

// Store keeps each environment's esv.State in memory. It is safe for
// concurrent use; the zero value is not usable, call New.
type Store struct {
	mu   sync.Mutex
	envs map[string]entry
	seq  uint64 // last revision handed out
}

type entry struct {
	st  esv.State
	rev esv.Revision
}

// New returns an empty Store.
func New() *Store { return &Store{envs: map[string]entry{}} }

// Load implements esv.Store.
func (s *Store) Load(ctx context.Context, env string) (esv.State, esv.Revision, error) {
	if err := ctx.Err(); err != nil {
		return esv.State{}, "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.envs[env]
	return e.st.Clone(), e.rev, nil
}

// Save implements esv.Store.
func (s *Store) Save(ctx context.Context, env string, rev esv.Revision, st esv.State) (esv.Revision, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.envs[env].rev; cur != rev {
		return "", fmt.Errorf("memesv: save %q at revision %q, but it is at %q: %w", env, rev, cur, esv.ErrConflict)
	}
	s.seq++
	e := entry{st.Clone(), esv.Revision(strconv.FormatUint(s.seq, 10))}
	s.envs[env] = e
	return e.rev, nil
}
