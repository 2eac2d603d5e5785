package actor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/envpromote/envpromote/actor"
)

// A write takes its actor from an explicit name when the API has one, else
// from the context; with neither it is refused.
func Example() {
	ctx := actor.With(context.Background(), "ada")
	who, _ := actor.Resolve(ctx, "", "edit dev")
	fmt.Println(who)
	who, _ = actor.Resolve(ctx, "bob", "lock dev → staging")
	fmt.Println(who)
	_, err := actor.Resolve(context.Background(), "", "edit dev")
	fmt.Println(errors.Is(err, actor.ErrMissing))
	// Output:
	// ada
	// bob
	// true
}
