package gitlock_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

// Each lock and unlock replaces the one commit of the environment's lock
// branch, so lock history stays bounded however often it is locked.
func Example() {
	ctx := context.Background()
	repo := gitstore.NewMemory(gitstore.Options{})
	locker := gitlock.New(repo, gitlock.Options{})

	lease, err := locker.Lock(ctx, []string{"staging", "production"}, "alice", lock.Options{Description: "promote staging"})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := locker.State(ctx, "production")
	fmt.Println("production:", st.State, "by", st.Lease.Owner, "token", st.Lease.Token)
	if err := locker.Unlock(ctx, lease); err != nil {
		fmt.Println(err)
	}

	history, _ := repo.Log(ctx, "locks/production", store.LogOptions{})
	for _, c := range history {
		fmt.Println(c.Metadata["type"], "token", c.Metadata["token"])
	}
	// Output:
	// production: locked by alice token 1
	// unlock token 1
}

// Two Lockers on the same on-disk repository, as two processes would be,
// exclude each other.
func Example_sharedRepository() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gitlock-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if _, err := gitstore.Init(dir, gitstore.Options{}); err != nil {
		fmt.Println(err)
		return
	}
	open := func() *lock.Manager {
		repo, err := gitstore.Open(dir, gitstore.Options{})
		if err != nil {
			panic(err)
		}
		return gitlock.New(repo, gitlock.Options{})
	}
	first, second := open(), open()

	lease, _ := first.Lock(ctx, []string{"dev", "uat"}, "alice", lock.Options{})
	_, err = second.Lock(ctx, []string{"uat"}, "bob", lock.Options{})
	var locked *lock.LockedError
	if errors.As(err, &locked) {
		fmt.Println("bob: uat is held by", locked.Holder.Owner)
	}
	_ = first.Unlock(ctx, lease)
	next, err := second.Lock(ctx, []string{"uat"}, "bob", lock.Options{})
	fmt.Println("bob got uat with token", next.Token, err)
	// Output:
	// bob: uat is held by alice
	// bob got uat with token 2 <nil>
}
