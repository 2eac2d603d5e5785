package environment

import (
	"context"
	"time"
)

// Store is the persistence contract of a Registry: versioned records
// (key → JSON document) changed only by compare-and-set. It knows no rules;
// the Registry enforces them, so every Store gets the same behaviour.
// Implementations must be safe for concurrent use and pass envtest.Run.
//
// Keys are slash-separated paths of letters, digits, '.', '_' and '-', such
// as "environments/<id>"; the Registry only writes keys of that shape.
type Store interface {
	// Get returns the record stored under key, or an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, key string) (Record, error)
	// List returns every record whose key starts with prefix, sorted by
	// key, as one consistent snapshot.
	List(ctx context.Context, prefix string) ([]Record, error)
	// Apply performs all writes of b atomically, or none of them: each
	// write's Version must equal the record's current version (zero: the
	// record must not exist), else Apply returns an error wrapping
	// ErrConflict and changes nothing.
	Apply(ctx context.Context, b Batch) error
}

// Version identifies one stored state of a record. It is opaque and
// assigned by the Store; the zero Version means "no record". A Store may
// derive it from the content (gitenv does), so a record rewritten with
// equal content may keep its version; the Registry relies on no more,
// because each of its changes also rewrites a revision counter.
type Version string

// Record is a stored document and its version.
type Record struct {
	Key     string
	Version Version
	Data    []byte
}

// Write is one compare-and-set step of a Batch.
type Write struct {
	Key string
	// Version is the version the writer read: the write happens only if
	// the record is still at it. Zero means the record must not exist.
	Version Version
	// Data is the new content; nil deletes the record.
	Data []byte
}

// Batch is an atomic set of writes with a description of the change, which
// stores that keep history (gitenv) record.
type Batch struct {
	Actor   string // Principal.ID of who made the change
	Message string // what changed, one line
	Time    time.Time
	Writes  []Write
}
