package environment

import "context"

// License is an organization's license.
type License struct {
	ID           string
	Organization string
	// Trial licenses cannot back a PRODUCTION environment.
	Trial bool
}

// Licenses tells the Registry which licenses an organization holds.
// memenv.Licenses is an in-memory implementation.
type Licenses interface {
	// Active returns the active licenses of the organization (none is not
	// an error).
	Active(ctx context.Context, organization string) ([]License, error)
}
