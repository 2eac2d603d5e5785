package lock_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/memlock"
)

// A promotion locks its lower and upper environments together, checks its
// lease right before committing, and unlocks.
func Example() {
	ctx := context.Background()
	var locker lock.Locker = memlock.New(memlock.Options{})

	lease, err := locker.Lock(ctx, []string{"uat", "dev"}, "alice", lock.Options{Description: "promote dev to uat"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("locked", lease.Envs, "token", lease.Token)

	st, _ := locker.State(ctx, "uat")
	fmt.Println("uat is", st.State, "by", st.Lease.Owner)

	if err := locker.Validate(ctx, lease); err == nil {
		fmt.Println("lease still valid: commit the promotion")
	}
	_ = locker.Unlock(ctx, lease)

	err = locker.Unlock(ctx, lease)
	fmt.Println("second unlock is ErrNotHeld:", errors.Is(err, lock.ErrNotHeld))
	// Output:
	// locked [dev uat] token 1
	// uat is locked by alice
	// lease still valid: commit the promotion
	// second unlock is ErrNotHeld: true
}

// A contender learns who holds the environments it asked for.
func ExampleLockedError() {
	ctx := context.Background()
	locker := memlock.New(memlock.Options{})
	if _, err := locker.Lock(ctx, []string{"staging", "production"}, "alice", lock.Options{}); err != nil {
		fmt.Println(err)
		return
	}

	_, err := locker.Lock(ctx, []string{"production"}, "bob", lock.Options{})
	var locked *lock.LockedError
	if errors.As(err, &locked) {
		fmt.Printf("%s is held by %s with token %d\n", locked.Env, locked.Holder.Owner, locked.Holder.Token)
	}
	fmt.Println(errors.Is(err, lock.ErrLocked))
	// Output:
	// production is held by alice with token 1
	// true
}

// With Wait, Lock blocks until the holder unlocks (or the context ends).
func ExampleOptions_wait() {
	ctx := context.Background()
	locker := memlock.New(memlock.Options{})
	first, _ := locker.Lock(ctx, []string{"dev"}, "alice", lock.Options{})

	done := make(chan lock.Lease)
	go func() {
		lease, err := locker.Lock(ctx, []string{"dev"}, "bob", lock.Options{Wait: true})
		if err != nil {
			fmt.Println(err)
		}
		done <- lease
	}()
	_ = locker.Unlock(ctx, first)
	second := <-done
	fmt.Println(second.Owner, "got dev with token", second.Token)
	// Output:
	// bob got dev with token 2
}
