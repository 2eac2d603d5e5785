// Package actor carries who makes a change. Every write in the library —
// an environment change, an ESV change, a lock, a promotion, an edit, a
// revert — is made by an actor, a person or a service named by a non-empty
// string such as "ada" or "Ada Lovelace <ada@example.com>". Git commits are
// authored by it and reports and audit events name it.
//
// The actor travels in the context (With), so APIs that had no actor
// argument gained one without a signature change. Where an API already names
// who acts (environment.Principal.ID, promotion's lock owner and
// Request.Promoter, store.CommitInfo.Author), that name is the actor and,
// when it is empty, the context's is used. A write with neither is refused
// with an error of kind errkind.Invalid (ErrMissing).
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
