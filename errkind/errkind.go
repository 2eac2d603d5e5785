// Package errkind is the library's one error taxonomy: a handful of kinds
// that every sentinel error of every package matches with errors.Is, so a
// caller (or an HTTP layer) decides what to do from the kind alone:
//
//	errors.Is(err, errkind.NotFound)   // store.ErrNotFound, esv.ErrNotFound, …
//	errkind.Of(err) == errkind.Locked  // lock.ErrLocked, a *lock.LockedError, …
//
// Packages keep their own sentinels (store.ErrConflict, esv.ErrExists, …)
// for precise matching; each is made with New and so also matches its kind.
// The package is a leaf: it imports only the standard library, so every
// other package can depend on it. The root package envpromote re-exports the
// kinds.
package errkind

import "errors"

// Kind is a class of error. It is itself an error, so it can be matched with
// errors.Is and wrapped with fmt.Errorf("%w: …", kind) by code that has no
// sentinel of its own.
type Kind string

// The kinds. Every sentinel of the library is one of them.
const (
	// NotFound: the thing named (environment, group, branch, ESV, report,
	// history before a time) does not exist.
	NotFound Kind = "not found"
	// Conflict: a concurrent change won (a compare-and-set lost, a name or
	// ESV already taken, an operation already running); re-read and retry.
	Conflict Kind = "conflict"
	// Invalid: the input breaks a rule; the message names the field and
	// what is allowed. Retrying the same input fails again.
	Invalid Kind = "invalid"
	// Locked: an environment is locked for a promotion; the error names the
	// lease holding it.
	Locked Kind = "locked"
	// Forbidden: the principal's roles do not cover the operation.
	Forbidden Kind = "forbidden"
	// FailedPrecondition: the input is valid, but the state of the system
	// does not allow the operation now (blocking integrity findings, a pair
	// not locked, nothing to roll back, a DELETE_PENDING environment).
	FailedPrecondition Kind = "failed precondition"
)

// Kinds returns every kind, in the order Of tries them.
func Kinds() []Kind {
	return []Kind{NotFound, Conflict, Invalid, Locked, Forbidden, FailedPrecondition}
}

func (k Kind) Error() string { return string(k) }

// Kind returns k, so a wrapped Kind is found by Of like a sentinel.
func (k Kind) Kind() Kind { return k }

// kinded is what Of looks for in an error tree.
type kinded interface {
	error
	Kind() Kind
}

// New returns a sentinel error with text msg that matches kind with
// errors.Is. Each call returns a distinct error, like errors.New.
func New(kind Kind, msg string) error { return &sentinel{kind: kind, msg: msg} }

type sentinel struct {
	kind Kind
	msg  string
}

func (s *sentinel) Error() string        { return s.msg }
func (s *sentinel) Kind() Kind           { return s.kind }
func (s *sentinel) Is(target error) bool { return target == s.kind }

// Of returns the kind of err: that of the first error in err's tree (in the
// depth-first order errors.As searches) that has one, or "" when none has —
// an unexpected error, such as an I/O failure or a cancelled context.
func Of(err error) Kind {
	var k kinded
	if errors.As(err, &k) {
		return k.Kind()
	}
	return ""
}
