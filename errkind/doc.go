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
