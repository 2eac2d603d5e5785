package lock_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

// A promotion locks its lower and upper environments together, commits
// under its lease (Commit refuses a lease that no longer holds), and
// unlocks.
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

	repo := memstore.New(memstore.Options{})
	snap, _ := (*store.Snapshot)(nil).With("realm.json", []byte("{}"))
	if _, err := locker.Commit(ctx, lease, repo, store.Update{Branch: "uat", Snapshot: snap}); err == nil {
		fmt.Println("committed under the lease")
	}
	_ = locker.Unlock(ctx, lease)

	err = locker.Unlock(ctx, lease)
	fmt.Println("second unlock is ErrNotHeld:", errors.Is(err, lock.ErrNotHeld))
	// Output:
	// locked [dev uat] token 1
	// uat is locked by alice
	// committed under the lease
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

// Every lease ends at its TTL unless renewed; a holder that needs longer
// renews it, or keeps it alive in the background until it is done.
func ExampleKeepAlive() {
	ctx := context.Background()
	locker := memlock.New(memlock.Options{})
	lease, _ := locker.Lock(ctx, []string{"prod"}, "alice", lock.Options{})
	fmt.Println("TTL", lease.TTL)

	k := lock.KeepAlive(ctx, locker, lease) // renews every TTL/3
	// ... long work under the lease ...
	lease = k.Stop()
	fmt.Println(locker.Unlock(ctx, lease))
	// Output:
	// TTL 10m0s
	// <nil>
}
