package actor

import (
	"context"
	"fmt"
	"strings"

	"github.com/envpromote/envpromote/errkind"
)

// ErrMissing: a write names no actor. Its kind is errkind.Invalid.
var ErrMissing = errkind.New(errkind.Invalid, "no actor: say who makes the change with actor.With(ctx, name)")

type key struct{}

// With returns a context whose writes are made by who.
func With(ctx context.Context, who string) context.Context {
	return context.WithValue(ctx, key{}, who)
}

// From returns the actor With put in ctx, or "".
func From(ctx context.Context) string {
	who, _ := ctx.Value(key{}).(string)
	return strings.TrimSpace(who)
}

// Resolve returns explicit (as given) when it is not blank, else the actor in ctx, or an
// error wrapping ErrMissing naming what was being done.
func Resolve(ctx context.Context, explicit, what string) (string, error) {
	if strings.TrimSpace(explicit) != "" {
		return explicit, nil
	}
	if who := From(ctx); who != "" {
		return who, nil
	}
	return "", fmt.Errorf("%s: %w", what, ErrMissing)
}
