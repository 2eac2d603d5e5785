package actor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/errkind"
)

func TestResolvePrefersTheExplicitNameThenTheContext(t *testing.T) {
	ctx := actor.With(context.Background(), "ada")
	for _, tc := range []struct {
		name     string
		ctx      context.Context
		explicit string
		want     string
	}{
		{"explicit wins, as given", ctx, " bob ", " bob "},
		{"blank explicit falls back to the context", ctx, "  ", "ada"},
		{"context only", ctx, "", "ada"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := actor.Resolve(tc.ctx, tc.explicit, "edit")
			if err != nil || got != tc.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestResolveRefusesNoActor(t *testing.T) {
	for _, ctx := range []context.Context{context.Background(), actor.With(context.Background(), " ")} {
		_, err := actor.Resolve(ctx, "", "edit dev")
		if !errors.Is(err, actor.ErrMissing) || !errors.Is(err, errkind.Invalid) {
			t.Fatalf("Resolve with no actor = %v; want ErrMissing of kind Invalid", err)
		}
	}
}
