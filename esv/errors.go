package esv

import "github.com/envpromote/envpromote/errkind"

// Sentinel errors. They are always wrapped with context naming the
// environment, ESV and rule involved; match them with errors.Is. Each also
// matches the errkind kind it is made with.
var (
	// ErrInvalidName: a name breaks the ESV naming rule (see ValidateName).
	ErrInvalidName = errkind.New(errkind.Invalid, "invalid ESV name")
	// ErrInvalid: some other input is invalid: a value that does not fit its
	// expression type or encoding, an unknown enum value, a description or
	// value that is too long, an empty environment name.
	ErrInvalid = errkind.New(errkind.Invalid, "invalid ESV input")
	// ErrNotFound: no such variable, secret or secret version.
	ErrNotFound = errkind.New(errkind.NotFound, "ESV not found")
	// ErrExists: a secret with that name already exists.
	ErrExists = errkind.New(errkind.Conflict, "ESV already exists")
	// ErrLatestVersion: the latest version of a secret cannot be disabled or
	// deleted, because it is the one the environment loads.
	ErrLatestVersion = errkind.New(errkind.Invalid, "the latest secret version cannot be disabled or deleted")
	// ErrConflict: a Store compare-and-set lost because the environment's
	// state changed since it was loaded.
	ErrConflict = errkind.New(errkind.Conflict, "ESV state changed concurrently")
	// ErrMalformed: a placeholder or script reference to an ESV is malformed.
	ErrMalformed = errkind.New(errkind.Invalid, "malformed ESV reference")
	// ErrMissing: Expand found a placeholder without a value or default.
	ErrMissing = errkind.New(errkind.NotFound, "ESV has no value")
	// ErrType: Expand could not convert a value to the type its placeholder
	// wants.
	ErrType = errkind.New(errkind.Invalid, "ESV value does not fit the placeholder's type")
)
