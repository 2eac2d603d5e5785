package lock

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/envpromote/envpromote/errkind"
	"github.com/envpromote/envpromote/internal/uuid"
	"github.com/envpromote/envpromote/store"
)

// Errors returned by Locker implementations, always wrapped with context;
// match them with errors.Is. Each also matches its kind in errkind
// (Locked, Conflict, Invalid).
var (
	// ErrLocked: an environment of the requested set is held by another,
	// unexpired lease. The error is a *LockedError naming that lease.
	ErrLocked = errkind.New(errkind.Locked, "locked")
	// ErrNotHeld: the lease is not (or no longer) the current holder of
	// its environments: it was unlocked, it expired, or it was never granted.
	ErrNotHeld = errkind.New(errkind.Conflict, "lease not held")
	// ErrInvalid: a lock request, environment name or lease breaks the rules
	// of NewLease and ValidateEnvironment.
	ErrInvalid = errkind.New(errkind.Invalid, "invalid lock request")
	// ErrConflict: a Store.Swap lost a compare-and-set race. The Manager
	// retries it; callers of a Locker never see it.
	ErrConflict = errkind.New(errkind.Conflict, "lock record changed concurrently")
	// ErrCorrupt: a Store holds a record it cannot read back (a hand edit
	// or a foreign writer). State reports it as StateError.
	ErrCorrupt = errkind.New(errkind.FailedPrecondition, "unreadable lock record")
)

// Limits on what a lease records, so every backend can store it.
const (
	MaxEnvironmentLen = 64   // bytes in an environment name
	MaxOwnerLen       = 256  // bytes in an owner
	MaxDescriptionLen = 1024 // bytes in a description
)

// DefaultTTL is the TTL of a lease whose Options.TTL is zero. Every lease
// ends: a holder that crashes without unlocking frees its environments at
// its TTL at the latest. Holders that need longer renew (Renew, KeepAlive).
const DefaultTTL = 10 * time.Minute

// Locker locks sets of environments. *Manager, over any Store, is the
// implementation; the interface lets callers wrap it.
type Locker interface {
	// Lock takes every environment in envs for owner, or none of them. When
	// one is held by an unexpired lease it returns an error wrapping a
	// *LockedError (ErrLocked) naming that lease, unless opts.Wait is set:
	// then it retries until it succeeds or ctx ends. Bad input wraps ErrInvalid.
	Lock(ctx context.Context, envs []string, owner string, opts Options) (Lease, error)
	// Unlock releases every environment that still holds lease, also
	// when a crash left only some of them held. It returns an error
	// wrapping ErrNotHeld when the lease holds none (already unlocked,
	// expired, or replaced), and never releases a lease other than the
	// one given.
	Unlock(ctx context.Context, lease Lease) error
	// Renew extends lease by its TTL from now and returns it with the new
	// Expires, or an error wrapping ErrNotHeld when it is no longer held.
	Renew(ctx context.Context, lease Lease) (Lease, error)
	// State reports whether env is locked, and by which lease. An invalid
	// name wraps ErrInvalid.
	State(ctx context.Context, env string) (Status, error)
	// Validate returns nil while lease holds all its environments and has
	// not expired, else an error wrapping ErrNotHeld.
	Validate(ctx context.Context, lease Lease) error
	// Commit makes u on repo only while lease holds all its environments,
	// renewing it on the way; else it returns an error wrapping ErrNotHeld
	// and commits nothing. See Manager.Commit for when the check is atomic
	// with the branch update.
	Commit(ctx context.Context, lease Lease, repo store.Repo, u store.Update) (store.Commit, error)
}

// Options tune a Lock call. The zero value locks for DefaultTTL and fails
// at once if an environment is held.
type Options struct {
	// TTL bounds the lease: after it, unless renewed, the lease counts as
	// free and any later lease may take its environments. 0 means
	// DefaultTTL.
	TTL time.Duration
	// Description says why the environments are locked; it is shown to
	// anyone who finds them locked.
	Description string
	// Wait makes Lock retry until the environments are free or the
	// context ends, instead of returning ErrLocked.
	Wait bool
}

// Lease is one grant of a set of environments to an owner.
type Lease struct {
	// ID names the lease (a random UUID), e.g. as a promotion id.
	ID string `json:"id"`
	// Envs are the locked environments, sorted and without duplicates.
	Envs  []string `json:"environments"`
	Owner string   `json:"owner"`
	// Description is Options.Description.
	Description string `json:"description,omitempty"`
	// Token is the fencing token: greater than the token of every earlier
	// lease on any of Envs, so a store that remembers the highest token it
	// has seen can refuse writes from a lease that has been superseded.
	Token    uint64    `json:"token"`
	Acquired time.Time `json:"acquired"`
	// TTL is how long the lease lasts after it is taken or renewed.
	TTL time.Duration `json:"ttl"`
	// Expires is when the lease counts as free unless renewed first.
	Expires time.Time `json:"expires"`
}

// Expired reports whether the lease has run out at time now.
func (l Lease) Expired(now time.Time) bool {
	return !now.Before(l.Expires)
}

// State is the lock state of one environment, as the AIC promotion API
// names it.
type State string

// The states an environment can be in. Locking and Unlocking are seen only
// with Stores that take a set one environment at a time (gitlock), while an
// acquisition or release is under way or was cut short by a crash; Status.
// Detail then says which environments hold the lease and the way out.
const (
	StateUnlocked  State = "unlocked"
	StateLocking   State = "locking"   // the lease holds some of its environments, not yet all
	StateLocked    State = "locked"    // the lease holds all its environments
	StateUnlocking State = "unlocking" // the lease has released some of its environments
	StateError     State = "error"     // the Store's record is unreadable
)

// Status is what State reports about one environment.
type Status struct {
	State State
	// Lease is the holder when State is locking, locked or unlocking, the
	// lease found (if any) with StateError, and zero when unlocked.
	Lease Lease
	// Detail explains StateError, and for locking and unlocking names
	// the environments the lease still holds, when it expires, and that
	// Unlock with the lease (its id, over HTTP) releases it now.
	Detail string
	// Held and Free split the lease's environments when State is locking
	// or unlocking: those holding it, and those not (yet, or any more).
	Held, Free []string
}

// Describe returns Detail with the environments of a half-held lease
// written as name(env), for callers that show leases to people in their own
// terms: environments that name writes alike are written once, and those it
// writes as "" are left out (a caller's second name for a lock it already
// shows). A nil name writes them as they are.
func (s Status) Describe(name func(env string) string) string {
	if s.State != StateLocking && s.State != StateUnlocking || len(s.Held) == 0 {
		return s.Detail
	}
	// Names may repeat (name can give two records one name); a name with a
	// record held is listed once, as held.
	var names []string
	list := func(envs []string) string {
		start := len(names)
		for _, env := range envs {
			if name != nil {
				env = name(env)
			}
			if env != "" && !slices.Contains(names, env) {
				names = append(names, env)
			}
		}
		return strings.Join(names[start:], ", ")
	}
	held := list(s.Held)
	if free := list(s.Free); free != "" {
		held += " but not " + free
	}
	return fmt.Sprintf("lease %s of %q holds %s; it ends at %s unless renewed, and Unlock with the lease (DELETE lock/%s) releases it now",
		s.Lease.ID, s.Lease.Owner, held, s.Lease.Expires.UTC().Format(time.RFC3339), s.Lease.ID)
}

// LockedError is the error Lock returns when an environment is held. It
// matches ErrLocked with errors.Is; use errors.As to read the holder.
type LockedError struct {
	Env    string // the first held environment found
	Holder Lease  // the lease holding it
}

func (e *LockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "environment %q is locked by %q (lease %s, token %d, since %s",
		e.Env, e.Holder.Owner, e.Holder.ID, e.Holder.Token, e.Holder.Acquired.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, ", until %s", e.Holder.Expires.UTC().Format(time.RFC3339))
	if e.Holder.Description != "" {
		fmt.Fprintf(&b, ", %q", e.Holder.Description)
	}
	b.WriteString(")")
	return b.String()
}

// Is makes errors.Is(err, ErrLocked) and errors.Is(err, errkind.Locked)
// true.
func (e *LockedError) Is(target error) bool { return errors.Is(ErrLocked, target) }

// Kind returns errkind.Locked, for errkind.Of.
func (e *LockedError) Kind() errkind.Kind { return errkind.Locked }

// NewLease validates a lock request and returns the lease granting it at
// time now, with a fresh ID and sorted, de-duplicated Envs; the backend sets
// Token. Errors wrap ErrInvalid and say what is allowed: envs must be
// non-empty and each pass ValidateEnvironment; owner must be 1 to
// MaxOwnerLen bytes of printable UTF-8; the description at most
// MaxDescriptionLen bytes of UTF-8; the TTL not negative (0: DefaultTTL).
func NewLease(envs []string, owner string, opts Options, now time.Time) (Lease, error) {
	if len(envs) == 0 {
		return Lease{}, fmt.Errorf("%w: no environments given (need at least one)", ErrInvalid)
	}
	for _, env := range envs {
		if err := ValidateEnvironment(env); err != nil {
			return Lease{}, err
		}
	}
	if owner == "" {
		return Lease{}, fmt.Errorf("%w: owner is empty (need who holds the lock)", ErrInvalid)
	}
	if err := printable("owner", owner, MaxOwnerLen); err != nil {
		return Lease{}, err
	}
	if len(opts.Description) > MaxDescriptionLen || !utf8.ValidString(opts.Description) {
		return Lease{}, fmt.Errorf("%w: description must be at most %d bytes of UTF-8", ErrInvalid, MaxDescriptionLen)
	}
	if opts.TTL < 0 {
		return Lease{}, fmt.Errorf("%w: TTL %v is negative (use 0 for the default, %v)", ErrInvalid, opts.TTL, DefaultTTL)
	}
	sorted := slices.Clone(envs)
	slices.Sort(sorted)
	l := Lease{
		ID:          uuid.New(),
		Envs:        slices.Compact(sorted),
		Owner:       owner,
		Description: opts.Description,
		Acquired:    now,
		TTL:         cmp.Or(opts.TTL, DefaultTTL),
	}
	l.Expires = now.Add(l.TTL)
	return l, nil
}

// ValidateEnvironment reports whether env can name a locked environment:
// 1 to MaxEnvironmentLen bytes of printable UTF-8 (no control characters).
// Errors wrap ErrInvalid.
func ValidateEnvironment(env string) error {
	if env == "" {
		return fmt.Errorf("%w: environment name is empty", ErrInvalid)
	}
	return printable("environment name", env, MaxEnvironmentLen)
}

func printable(what, s string, maxLen int) error {
	if len(s) > maxLen {
		return fmt.Errorf("%w: %s is %d bytes (at most %d allowed)", ErrInvalid, what, len(s), maxLen)
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return fmt.Errorf("%w: %s %q must be printable UTF-8 without control characters", ErrInvalid, what, s)
	}
	return nil
}
