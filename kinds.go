package envpromote

import (
	"context"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/errkind"
)

// Kind is a class of error (see package errkind). Every sentinel error of
// every package matches its kind with errors.Is.
type Kind = errkind.Kind

// The error kinds.
const (
	NotFound           = errkind.NotFound
	Conflict           = errkind.Conflict
	Invalid            = errkind.Invalid
	Locked             = errkind.Locked
	Forbidden          = errkind.Forbidden
	FailedPrecondition = errkind.FailedPrecondition
)

// ErrInvalid is the error of an unusable Options.
var ErrInvalid = errkind.New(errkind.Invalid, "invalid envpromote options")

// KindOf returns the kind of err, or "" for an unexpected error (see
// errkind.Of).
func KindOf(err error) Kind { return errkind.Of(err) }

// WithActor returns a context whose writes are made by who: ESV changes,
// locks, promotions, edits and reverts name who, and Git commits are authored
// by who. A write with no actor is refused (actor.ErrMissing).
func WithActor(ctx context.Context, who string) context.Context { return actor.With(ctx, who) }
