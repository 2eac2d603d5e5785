package esv

import "errors"

// Sentinel errors. They are always wrapped with context naming the
// environment, ESV and rule involved; match them with errors.Is.
var (
	// ErrInvalidName: a name breaks the ESV naming rule (see ValidateName).
	ErrInvalidName = errors.New("invalid ESV name")
	// ErrInvalid: some other input is invalid: a value that does not fit its
	// expression type or encoding, an unknown enum value, a description or
	// value that is too long, an empty environment name.
	ErrInvalid = errors.New("invalid ESV input")
	// ErrNotFound: no such variable, secret or secret version.
	ErrNotFound = errors.New("ESV not found")
	// ErrExists: a secret with that name already exists.
	ErrExists = errors.New("ESV already exists")
	// ErrLatestVersion: the latest version of a secret cannot be disabled or
	// deleted, because it is the one the environment loads.
	ErrLatestVersion = errors.New("the latest secret version cannot be disabled or deleted")
	// ErrConflict: a Store compare-and-set lost because the environment's
	// state changed since it was loaded.
	ErrConflict = errors.New("ESV state changed concurrently")
	// ErrMalformed: a placeholder or script reference to an ESV is malformed.
	ErrMalformed = errors.New("malformed ESV reference")
	// ErrMissing: Expand found a placeholder without a value or default.
	ErrMissing = errors.New("ESV has no value")
	// ErrType: Expand could not convert a value to the type its placeholder
	// wants.
	ErrType = errors.New("ESV value does not fit the placeholder's type")
)
