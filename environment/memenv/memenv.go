package memenv

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/envpromote/envpromote/environment"
)

// Store is an in-memory environment.Store. The zero value is not usable;
// call New.
type Store struct {
	mu      sync.RWMutex
	records map[string]environment.Record
	seq     uint64 // last version assigned; versions never repeat
}

var _ environment.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{records: make(map[string]environment.Record)}
}

// Get returns the record under key, or an error wrapping
// environment.ErrNotFound.
func (s *Store) Get(_ context.Context, key string) (environment.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.records[key]
	if !ok {
		return environment.Record{}, fmt.Errorf("record %s: %w", key, environment.ErrNotFound)
	}
	return clone(r), nil
}

// List returns the records whose key starts with prefix, sorted by key.
func (s *Store) List(_ context.Context, prefix string) ([]environment.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []environment.Record
	for k, r := range s.records {
		if strings.HasPrefix(k, prefix) {
			out = append(out, clone(r))
		}
	}
	slices.SortFunc(out, func(a, b environment.Record) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Apply performs the writes of b atomically, or returns an error wrapping
// environment.ErrConflict and changes nothing.
func (s *Store) Apply(_ context.Context, b environment.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range b.Writes {
		if cur := s.records[w.Key].Version; cur != w.Version {
			return fmt.Errorf("record %s is at version %q, not %q: %w", w.Key, cur, w.Version, environment.ErrConflict)
		}
	}
	for _, w := range b.Writes {
		if w.Data == nil {
			delete(s.records, w.Key)
			continue
		}
		s.seq++
		s.records[w.Key] = environment.Record{Key: w.Key, Version: environment.Version(strconv.FormatUint(s.seq, 10)), Data: slices.Clone(w.Data)}
	}
	return nil
}

func clone(r environment.Record) environment.Record {
	r.Data = slices.Clone(r.Data)
	return r
}
