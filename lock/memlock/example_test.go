package memlock_test

import (
	"context"
	"fmt"
	"time"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/memlock"
)

// A lease with a TTL frees its environments when it expires; the next
// lease gets a higher fencing token, and the expired one can no longer
// unlock.
func Example_expiry() {
	ctx := context.Background()
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	locker := memlock.New(memlock.Options{Now: func() time.Time { return now }})

	old, _ := locker.Lock(ctx, []string{"uat"}, "alice", lock.Options{TTL: time.Hour})
	now = now.Add(time.Hour)
	st, _ := locker.State(ctx, "uat")
	fmt.Println("after an hour uat is", st.State)

	lease, _ := locker.Lock(ctx, []string{"uat"}, "bob", lock.Options{})
	fmt.Println("tokens:", old.Token, lease.Token)
	fmt.Println(locker.Unlock(ctx, old) != nil)
	// Output:
	// after an hour uat is unlocked
	// tokens: 1 2
	// true
}
