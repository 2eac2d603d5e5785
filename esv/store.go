package esv

import (
	"context"
	"maps"
	"slices"
	"time"
)

// Store is the backend contract: it persists each environment's State as a
// unit, moved only by compare-and-set. It enforces no ESV rule; Service does.
// Implementations must be safe for concurrent use and pass esvtest.Run.
//
// Whole-environment state keeps the contract thin and makes Restart (which
// touches every ESV) one atomic write; Service retries writes that lose a
// race, so unrelated concurrent changes both land.
type Store interface {
	// Load returns env's state and the revision it was read at. An
	// environment never saved has an empty State and a zero Revision.
	// The caller owns the returned State.
	Load(ctx context.Context, env string) (State, Revision, error)
	// Save stores st as env's state if env is still at rev (zero: never
	// saved), returning the new revision; otherwise it returns an error
	// wrapping ErrConflict and changes nothing. It must not keep references
	// into st that the caller could later change.
	Save(ctx context.Context, env string, rev Revision, st State) (Revision, error)
}

// Revision identifies one saved State of an environment. It is opaque; the
// zero Revision means "never saved".
type Revision string

// State is everything one environment's ESVs are. Backends persist it; only
// Service interprets it. Maps may be nil when empty.
type State struct {
	Variables map[string]Variable    // current variables by name; Loaded is not stored
	Secrets   map[string]SecretState // current secrets by name
	Loaded    Loaded                 // what the environment runs with since its last restart
	Restart   Restart                // a restart in progress, if any
}

// SecretState is a secret with its versions. The derived Secret fields
// (ActiveVersion, LoadedVersion, Loaded) are not stored.
type SecretState struct {
	Secret
	Versions []VersionState // ascending by Version; never empty
}

// VersionState is one secret version with its value. SecretVersion.Loaded is
// not stored.
type VersionState struct {
	SecretVersion
	Value SecretValue
}

// Loaded is a snapshot of the ESVs an environment runs with, taken by
// Restart.
type Loaded struct {
	Variables map[string]Variable
	Secrets   map[string]LoadedSecret
}

// LoadedSecret is a secret as loaded by a restart.
type LoadedSecret struct {
	Version           int                 // the active version at the restart
	UseInPlaceholders bool                // the setting at the restart
	Versions          map[int]SecretValue // every version enabled at the restart
}

// Restart is a restart in progress: Pending becomes Loaded once ReadyAt
// has passed. Pending is nil when the environment is ready.
type Restart struct {
	Pending *Loaded
	ReadyAt time.Time
}

// Clone returns a deep copy of st (SecretValues are immutable and shared).
// Backends use it to keep callers from changing what they store.
func (st State) Clone() State {
	c := State{
		Variables: maps.Clone(st.Variables),
		Secrets:   maps.Clone(st.Secrets),
		Loaded:    st.Loaded.clone(),
		Restart:   Restart{ReadyAt: st.Restart.ReadyAt},
	}
	for name, s := range c.Secrets {
		s.Versions = slices.Clone(s.Versions)
		c.Secrets[name] = s
	}
	if st.Restart.Pending != nil {
		p := st.Restart.Pending.clone()
		c.Restart.Pending = &p
	}
	return c
}

func (l Loaded) clone() Loaded {
	c := Loaded{Variables: maps.Clone(l.Variables), Secrets: maps.Clone(l.Secrets)}
	for name, s := range c.Secrets {
		s.Versions = maps.Clone(s.Versions)
		c.Secrets[name] = s
	}
	return c
}
