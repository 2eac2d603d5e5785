package lock

import (
	"context"

	"github.com/envpromote/envpromote/store"
)

// Record is what a Store keeps per environment: the latest lease granted
// on it, kept after its release so that the next lease takes a higher token
// and State can tell a set being released from one being taken.
type Record struct {
	Lease    Lease `json:"lease"`
	Released bool  `json:"released,omitempty"`
}

// Version names one stored state of an environment's record. It is opaque;
// "" means the environment has no record.
type Version string

// Store is the thin persistence under a Manager: one record per
// environment, changed only by compare-and-set. It applies no rules: expiry,
// tokens, all-or-none and renewal are the Manager's. Implementations are
// safe for concurrent use and pass locktest.Run.
type Store interface {
	// Load returns env's record and its version, or a zero Record and ""
	// when env has none. A record that cannot be read back wraps
	// ErrCorrupt.
	Load(ctx context.Context, env string) (Record, Version, error)
	// Swap stores rec as env's record if env's version is still old (""
	// meaning: has none) and returns the new version; otherwise it returns
	// an error wrapping ErrConflict and changes nothing.
	Swap(ctx context.Context, env string, old Version, rec Record) (Version, error)
}

// Swap is one record change of a fenced commit.
type Swap struct {
	Env    string
	Old    Version
	Record Record
}

// Fencer is a Store whose records live in a store.Repo, so it can make a
// commit on that Repo land only while its records are unchanged, in one
// step (store.Transactor). gitlock is one.
type Fencer interface {
	Store
	// FencedCommit applies u on repo together with swaps, or nothing: an
	// error wrapping ErrConflict when a record moved, store.ErrConflict
	// when u's branch did. When it cannot do so atomically (another repo,
	// a backend without Apply) it returns an error wrapping
	// errors.ErrUnsupported before writing anything.
	FencedCommit(ctx context.Context, repo store.Repo, u store.Update, swaps []Swap) (store.Commit, error)
}
