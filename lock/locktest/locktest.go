package locktest

import (
	stdcmp "cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/envpromote/envpromote/internal/testclock"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

// NewLocker returns a new, empty Locker that stamps and expires leases by
// the clock now. Run calls it once per subtest.
type NewLocker func(t *testing.T, now func() time.Time) lock.Locker

// epoch is where every subtest's clock starts.
var epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// Run tests the lock.Locker contract, in parallel subtests named after the
// rules they check. Run it with -race.
func Run(t *testing.T, newLocker NewLocker) {
	tests := []struct {
		name string
		fn   func(t *testing.T, l lock.Locker, c *testclock.Clock)
	}{
		{"Rule_LockGrantsLeaseOnEveryEnvironment", testGrant},
		{"Rule_InvalidRequestIsRejected", testInvalid},
		{"Rule_AllEnvironmentsOrNone", testAllOrNone},
		{"Rule_LockedErrorNamesHolder", testLockedError},
		{"Rule_FencingTokenIncreasesPerEnvironment", testFencing},
		{"Rule_ExpiredLeaseIsFree", testExpiry},
		{"Rule_StaleLeaseCannotUnlockNewer", testStaleUnlock},
		{"Rule_DoubleUnlockIsError", testDoubleUnlock},
		{"Rule_WaitAcquiresWhenFreed", testWaitAcquires},
		{"Rule_WaitEndsWithContext", testWaitCanceled},
		{"Rule_OneHolderAtATime", testExclusion},
		{"Rule_OverlappingSetsNeverShareAnEnvironment", testOverlapping},
		{"Rule_NoDeadlockAcrossOrders", testNoDeadlock},
		{"Rule_UnlockReleasesTheGrantedSet", testGrantedSet},
		{"Rule_RenewExtendsAHeldLease", testRenew},
		{"Rule_KeepAliveRenewsUntilLost", testKeepAlive},
		{"Rule_CommitOnlyUnderAHeldLease", testCommit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := testclock.New(epoch)
			tt.fn(t, newLocker(t, c.Now), c)
		})
	}
}

func mustLock(t *testing.T, l lock.Locker, envs []string, owner string, opts lock.Options) lock.Lease {
	t.Helper()
	lease, err := l.Lock(t.Context(), envs, owner, opts)
	if err != nil {
		t.Fatalf("Lock(%q, %q): %v", envs, owner, err)
	}
	return lease
}

func mustUnlock(t *testing.T, l lock.Locker, lease lock.Lease) {
	t.Helper()
	if err := l.Unlock(t.Context(), lease); err != nil {
		t.Fatalf("Unlock(%s): %v", lease.ID, err)
	}
}

// wantState checks env's state and, unless want is unlocked, its holder.
func wantState(t *testing.T, l lock.Locker, env string, want lock.State, holder lock.Lease) {
	t.Helper()
	st, err := l.State(t.Context(), env)
	if err != nil {
		t.Fatalf("State(%q): %v", env, err)
	}
	if st.State != want {
		t.Fatalf("State(%q) = %q (lease %s), want %q", env, st.State, st.Lease.ID, want)
	}
	if want == lock.StateUnlocked {
		holder = lock.Lease{}
	}
	if diff := cmp.Diff(holder, st.Lease); diff != "" {
		t.Fatalf("State(%q).Lease (-want +got):\n%s", env, diff)
	}
}

func wantNotHeld(t *testing.T, err error, op string) {
	t.Helper()
	if !errors.Is(err, lock.ErrNotHeld) {
		t.Fatalf("%s = %v, want ErrNotHeld", op, err)
	}
}

func testGrant(t *testing.T, l lock.Locker, c *testclock.Clock) {
	tests := []struct {
		envs     []string
		opts     lock.Options
		wantEnvs []string
	}{
		{[]string{"dev"}, lock.Options{}, []string{"dev"}},
		{[]string{"uat", "dev"}, lock.Options{TTL: time.Hour, Description: "promote dev to uat"}, []string{"dev", "uat"}},
		{[]string{"prod", "stage", "prod"}, lock.Options{TTL: time.Minute}, []string{"prod", "stage"}},
		{[]string{"Prod EU", "prod-eu", "ümlaut/ü"}, lock.Options{}, []string{"Prod EU", "prod-eu", "ümlaut/ü"}},
	}
	ids := map[string]bool{}
	for _, tt := range tests {
		lease := mustLock(t, l, tt.envs, "alice", tt.opts)
		ttl := stdcmp.Or(tt.opts.TTL, lock.DefaultTTL)
		want := lock.Lease{ID: lease.ID, Envs: tt.wantEnvs, Owner: "alice", Description: tt.opts.Description,
			Token: lease.Token, Acquired: c.Now(), TTL: ttl, Expires: c.Now().Add(ttl)}
		if diff := cmp.Diff(want, lease); diff != "" {
			t.Errorf("Lock(%q) lease (-want +got):\n%s", tt.envs, diff)
		}
		if lease.ID == "" || ids[lease.ID] || lease.Token == 0 {
			t.Errorf("Lock(%q): id %q (seen before: %v), token %d: want a new id and a token > 0", tt.envs, lease.ID, ids[lease.ID], lease.Token)
		}
		ids[lease.ID] = true
		for _, env := range tt.wantEnvs {
			wantState(t, l, env, lock.StateLocked, lease)
		}
		if err := l.Validate(t.Context(), lease); err != nil {
			t.Errorf("Validate(held lease) = %v, want nil", err)
		}
		mustUnlock(t, l, lease)
		for _, env := range tt.wantEnvs {
			wantState(t, l, env, lock.StateUnlocked, lock.Lease{})
		}
		wantNotHeld(t, l.Validate(t.Context(), lease), "Validate(unlocked lease)")
	}
}

func testInvalid(t *testing.T, l lock.Locker, _ *testclock.Clock) {
	tests := []struct {
		name  string
		envs  []string
		owner string
		opts  lock.Options
	}{
		{"no environments", nil, "alice", lock.Options{}},
		{"empty environment", []string{"dev", ""}, "alice", lock.Options{}},
		{"environment too long", []string{"dev", strings.Repeat("e", lock.MaxEnvironmentLen+1)}, "alice", lock.Options{}},
		{"control character in environment", []string{"dev", "a\nb"}, "alice", lock.Options{}},
		{"environment not UTF-8", []string{"dev", "a\xffb"}, "alice", lock.Options{}},
		{"no owner", []string{"dev"}, "", lock.Options{}},
		{"owner with newline", []string{"dev"}, "alice\nbob", lock.Options{}},
		{"owner too long", []string{"dev"}, strings.Repeat("o", lock.MaxOwnerLen+1), lock.Options{}},
		{"description too long", []string{"dev"}, "alice", lock.Options{Description: strings.Repeat("d", lock.MaxDescriptionLen+1)}},
		{"negative TTL", []string{"dev"}, "alice", lock.Options{TTL: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			if _, err := l.Lock(t.Context(), tt.envs, tt.owner, tt.opts); !errors.Is(err, lock.ErrInvalid) {
				t.Fatalf("Lock(%q, %q, %+v) = %v, want ErrInvalid", tt.envs, tt.owner, tt.opts, err)
			}
			wantState(t, l, "dev", lock.StateUnlocked, lock.Lease{})
		})
	}
	for _, env := range []string{"", "a\x00b", strings.Repeat("e", lock.MaxEnvironmentLen+1)} {
		if _, err := l.State(t.Context(), env); !errors.Is(err, lock.ErrInvalid) {
			t.Errorf("State(%q) = %v, want ErrInvalid", env, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Lock(ctx, []string{"dev"}, "alice", lock.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with canceled context = %v, want context.Canceled", err)
	}
	wantState(t, l, "dev", lock.StateUnlocked, lock.Lease{})
}

func testAllOrNone(t *testing.T, l lock.Locker, _ *testclock.Clock) {
	tests := []struct {
		held, request []string
		free          []string // environments of request that must stay free
	}{
		{[]string{"a"}, []string{"a"}, nil},
		{[]string{"a", "b"}, []string{"b", "c"}, []string{"c"}},
		{[]string{"b"}, []string{"a", "b", "c"}, []string{"a", "c"}},
		{[]string{"c"}, []string{"c", "b", "a"}, []string{"a", "b"}},
		{[]string{"a", "c"}, []string{"a", "b", "c", "d"}, []string{"b", "d"}},
	}
	for _, tt := range tests {
		holder := mustLock(t, l, tt.held, "holder", lock.Options{})
		_, err := l.Lock(t.Context(), tt.request, "contender", lock.Options{})
		if !errors.Is(err, lock.ErrLocked) {
			t.Fatalf("Lock(%q) while %q held = %v, want ErrLocked", tt.request, tt.held, err)
		}
		for _, env := range tt.free {
			wantState(t, l, env, lock.StateUnlocked, lock.Lease{})
		}
		for _, env := range tt.held {
			wantState(t, l, env, lock.StateLocked, holder)
		}
		if len(tt.free) > 0 {
			mustUnlock(t, l, mustLock(t, l, tt.free, "other", lock.Options{}))
		}
		mustUnlock(t, l, holder)
		mustUnlock(t, l, mustLock(t, l, tt.request, "contender", lock.Options{}))
	}
}

func testLockedError(t *testing.T, l lock.Locker, _ *testclock.Clock) {
	holder := mustLock(t, l, []string{"prod", "stage"}, "alice", lock.Options{TTL: time.Hour, Description: "release 42"})
	_, err := l.Lock(t.Context(), []string{"stage", "uat"}, "bob", lock.Options{})
	var le *lock.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Lock = %v, want a *lock.LockedError", err)
	}
	if le.Env != "stage" {
		t.Errorf("LockedError.Env = %q, want %q", le.Env, "stage")
	}
	if diff := cmp.Diff(holder, le.Holder); diff != "" {
		t.Errorf("LockedError.Holder (-want +got):\n%s", diff)
	}
	for _, part := range []string{`"stage"`, `"alice"`, holder.ID, "release 42", fmt.Sprint(holder.Token)} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %s", err, part)
		}
	}
}

func testFencing(t *testing.T, l lock.Locker, c *testclock.Clock) {
	last := map[string]uint64{}
	check := func(lease lock.Lease) {
		t.Helper()
		for _, env := range lease.Envs {
			if lease.Token <= last[env] {
				t.Fatalf("lease on %q got token %d, not above the previous %d", env, lease.Token, last[env])
			}
			last[env] = lease.Token
		}
	}
	for _, envs := range [][]string{{"a"}, {"a", "b"}, {"b"}, {"c"}, {"c", "a"}, {"b"}, {"a", "b", "c"}, {"a"}} {
		lease := mustLock(t, l, envs, "alice", lock.Options{})
		check(lease)
		mustUnlock(t, l, lease)
	}
	// A lease that expires without being unlocked is followed by a higher
	// token too.
	expiring := mustLock(t, l, []string{"b", "c"}, "alice", lock.Options{TTL: time.Minute})
	check(expiring)
	c.Advance(time.Minute)
	check(mustLock(t, l, []string{"c"}, "bob", lock.Options{}))
	check(mustLock(t, l, []string{"b"}, "bob", lock.Options{}))
}

func testExpiry(t *testing.T, l lock.Locker, c *testclock.Clock) {
	dflt := mustLock(t, l, []string{"z"}, "alice", lock.Options{})
	old := mustLock(t, l, []string{"a", "b"}, "alice", lock.Options{TTL: time.Minute})
	for _, age := range []time.Duration{0, 59 * time.Second, time.Minute - time.Nanosecond} {
		c.Advance(age - c.Now().Sub(old.Acquired))
		if _, err := l.Lock(t.Context(), []string{"a"}, "bob", lock.Options{}); !errors.Is(err, lock.ErrLocked) {
			t.Fatalf("at age %v: Lock(a) = %v, want ErrLocked", age, err)
		}
		wantState(t, l, "b", lock.StateLocked, old)
		if err := l.Validate(t.Context(), old); err != nil {
			t.Fatalf("at age %v: Validate = %v, want nil", age, err)
		}
	}
	c.Advance(time.Nanosecond) // exactly TTL after Acquired: expired
	wantState(t, l, "a", lock.StateUnlocked, lock.Lease{})
	wantState(t, l, "b", lock.StateUnlocked, lock.Lease{})
	wantNotHeld(t, l.Validate(t.Context(), old), "Validate(expired lease)")
	wantNotHeld(t, l.Unlock(t.Context(), old), "Unlock(expired lease)")
	lease := mustLock(t, l, []string{"a"}, "bob", lock.Options{})
	if lease.Token <= old.Token {
		t.Errorf("lease after expiry got token %d, want > %d", lease.Token, old.Token)
	}
	// A lease without a TTL gets DefaultTTL: a crashed holder's lease ends.
	c.Advance(dflt.Acquired.Add(lock.DefaultTTL).Sub(c.Now()) - time.Nanosecond)
	wantState(t, l, "z", lock.StateLocked, dflt)
	c.Advance(time.Nanosecond)
	wantState(t, l, "z", lock.StateUnlocked, lock.Lease{})
	wantNotHeld(t, l.Validate(t.Context(), dflt), "Validate(lease past DefaultTTL)")
}

func testRenew(t *testing.T, l lock.Locker, c *testclock.Clock) {
	lease := mustLock(t, l, []string{"a", "b"}, "alice", lock.Options{TTL: time.Minute})
	for range 5 { // five renewals keep it held for five TTLs
		c.Advance(50 * time.Second)
		next, err := l.Renew(t.Context(), lease)
		if err != nil {
			t.Fatalf("Renew: %v", err)
		}
		want := lease
		want.Expires = c.Now().Add(time.Minute)
		if diff := cmp.Diff(want, next); diff != "" {
			t.Fatalf("Renew (-want +got):\n%s", diff)
		}
		wantState(t, l, "b", lock.StateLocked, next)
		lease = next
	}
	// The caller's older copy still names the lease: renewal keeps id and token.
	if err := l.Validate(t.Context(), lease); err != nil {
		t.Fatalf("Validate(renewed) = %v", err)
	}
	c.Advance(time.Minute)
	_, err := l.Renew(t.Context(), lease)
	wantNotHeld(t, err, "Renew(expired lease)")
	other := mustLock(t, l, []string{"a"}, "bob", lock.Options{})
	_, err = l.Renew(t.Context(), lease)
	wantNotHeld(t, err, "Renew(replaced lease)")
	mustUnlock(t, l, other)
	_, err = l.Renew(t.Context(), other)
	wantNotHeld(t, err, "Renew(unlocked lease)")
}

func testKeepAlive(t *testing.T, l lock.Locker, c *testclock.Clock) {
	const ttl = 30 * time.Millisecond // real time between renewals is ttl/3
	lease := mustLock(t, l, []string{"a"}, "alice", lock.Options{TTL: ttl})
	k := lock.KeepAlive(t.Context(), l, lease)
	c.Advance(ttl / 2)
	for k.Lease().Expires.Equal(lease.Expires) { // wait for a renewal at the new time
		time.Sleep(time.Millisecond)
	}
	c.Advance(ttl / 2) // past the original expiry, within the renewed one
	if err := l.Validate(t.Context(), lease); err != nil {
		t.Fatalf("Validate after the original TTL with KeepAlive: %v", err)
	}
	mustUnlock(t, l, lease)
	<-k.Lost() // the next renewal finds the lease gone
	wantNotHeld(t, k.Err(), "Keeper.Err after Unlock")
	k.Stop()
}

func testCommit(t *testing.T, l lock.Locker, c *testclock.Clock) {
	repo := memstore.New(memstore.Options{})
	snap := func(v string) *store.Snapshot {
		s, err := (*store.Snapshot)(nil).With("f", []byte(v))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	lease := mustLock(t, l, []string{"a"}, "alice", lock.Options{TTL: time.Minute})
	first, err := l.Commit(t.Context(), lease, repo, store.Update{Branch: "a", Snapshot: snap("1")})
	if err != nil {
		t.Fatalf("Commit under a held lease: %v", err)
	}
	_, err = l.Commit(t.Context(), lease, repo, store.Update{Branch: "a", Snapshot: snap("2")})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Commit on a moved branch = %v, want store.ErrConflict", err)
	}
	c.Advance(time.Minute)
	_, err = l.Commit(t.Context(), lease, repo, store.Update{Branch: "a", Parent: first.Revision, Snapshot: snap("2")})
	wantNotHeld(t, err, "Commit under an expired lease")
	if h, _ := repo.Head(t.Context(), "a"); h.Revision != first.Revision {
		t.Fatalf("an expired lease committed %s", h.Revision)
	}
}

// testGrantedSet: the locker, not the caller's copy of the lease, knows
// which environments were granted; an Unlock given a lease whose Envs were
// shortened releases them all.
func testGrantedSet(t *testing.T, l lock.Locker, _ *testclock.Clock) {
	lease := mustLock(t, l, []string{"a", "b", "c"}, "alice", lock.Options{})
	edited := lease
	edited.Envs = []string{"a"}
	if err := l.Validate(t.Context(), edited); err != nil {
		t.Fatalf("Validate(lease with fewer Envs) = %v, want nil", err)
	}
	if err := l.Unlock(t.Context(), edited); err != nil {
		t.Fatalf("Unlock(lease with fewer Envs) = %v, want nil", err)
	}
	for _, env := range lease.Envs {
		wantState(t, l, env, lock.StateUnlocked, lock.Lease{})
	}
}

func testStaleUnlock(t *testing.T, l lock.Locker, c *testclock.Clock) {
	unlocked := mustLock(t, l, []string{"a", "b"}, "alice", lock.Options{})
	mustUnlock(t, l, unlocked)
	expired := mustLock(t, l, []string{"a", "b"}, "alice", lock.Options{TTL: time.Second})
	c.Advance(time.Second)
	current := mustLock(t, l, []string{"b", "a"}, "bob", lock.Options{})

	lowerToken := current
	lowerToken.Token--
	otherID := current
	otherID.ID = unlocked.ID
	tests := []struct {
		name  string
		stale lock.Lease
	}{
		{"unlocked earlier", unlocked},
		{"expired", expired},
		{"same id, other token", lowerToken},
		{"same token, other id", otherID},
		{"zero lease", lock.Lease{}},
	}
	for _, tt := range tests {
		wantNotHeld(t, l.Validate(t.Context(), tt.stale), "Validate("+tt.name+")")
		wantNotHeld(t, l.Unlock(t.Context(), tt.stale), "Unlock("+tt.name+")")
		for _, env := range current.Envs {
			wantState(t, l, env, lock.StateLocked, current)
		}
		if err := l.Validate(t.Context(), current); err != nil {
			t.Fatalf("after Unlock(%s): Validate(current) = %v, want nil", tt.name, err)
		}
	}
}

func testDoubleUnlock(t *testing.T, l lock.Locker, _ *testclock.Clock) {
	lease := mustLock(t, l, []string{"a", "b"}, "alice", lock.Options{})
	mustUnlock(t, l, lease)
	wantNotHeld(t, l.Unlock(t.Context(), lease), "second Unlock")

	// Racing unlocks of one lease: exactly one wins, every round.
	const rounds, n = 10, 4
	for round := range rounds {
		lease = mustLock(t, l, []string{"a", "b", "c"}, "alice", lock.Options{})
		start := make(chan struct{})
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				<-start
				switch err := l.Unlock(t.Context(), lease); {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, lock.ErrNotHeld):
					t.Errorf("concurrent Unlock = %v, want nil or ErrNotHeld", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d of %d concurrent unlocks of one lease succeeded, want 1", round, wins.Load(), n)
		}
	}
	wantState(t, l, "a", lock.StateUnlocked, lock.Lease{})
}

// lockAsync runs a waiting Lock in a goroutine.
func lockAsync(ctx context.Context, l lock.Locker, envs []string, owner string, opts lock.Options) <-chan result {
	done := make(chan result, 1)
	opts.Wait = true
	go func() {
		lease, err := l.Lock(ctx, envs, owner, opts)
		done <- result{lease, err}
	}()
	return done
}

type result struct {
	lease lock.Lease
	err   error
}

func testWaitAcquires(t *testing.T, l lock.Locker, c *testclock.Clock) {
	// A waiter that never wakes fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	holder := mustLock(t, l, []string{"a"}, "alice", lock.Options{})
	waiter := lockAsync(ctx, l, []string{"b", "a"}, "bob", lock.Options{})
	wantState(t, l, "b", lock.StateUnlocked, lock.Lease{}) // waiting takes nothing
	mustUnlock(t, l, holder)
	r := <-waiter
	if r.err != nil {
		t.Fatalf("waiting Lock after unlock: %v", r.err)
	}
	if r.lease.Token <= holder.Token {
		t.Errorf("waiter got token %d, want > %d", r.lease.Token, holder.Token)
	}
	wantState(t, l, "b", lock.StateLocked, r.lease)

	// Expiry frees a waiter too, by the Locker's clock.
	expiring := mustLock(t, l, []string{"c"}, "carol", lock.Options{TTL: time.Minute})
	waiter = lockAsync(ctx, l, []string{"d", "c"}, "dave", lock.Options{})
	wantState(t, l, "d", lock.StateUnlocked, lock.Lease{})
	c.Advance(time.Minute)
	if r = <-waiter; r.err != nil {
		t.Fatalf("waiting Lock after expiry: %v", r.err)
	}
	if r.lease.Token <= expiring.Token {
		t.Errorf("waiter got token %d, want > %d", r.lease.Token, expiring.Token)
	}
	wantState(t, l, "c", lock.StateLocked, r.lease)
}

func testWaitCanceled(t *testing.T, l lock.Locker, _ *testclock.Clock) {
	holder := mustLock(t, l, []string{"a"}, "alice", lock.Options{})
	for _, stop := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) { return context.WithCancel(t.Context()) }, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 20*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		ctx, cancel := stop.ctx()
		waiter := lockAsync(ctx, l, []string{"a", "b"}, "bob", lock.Options{})
		if stop.want == context.Canceled {
			time.Sleep(10 * time.Millisecond) // let it start waiting; the outcome is the same if not
			cancel()
		}
		r := <-waiter
		cancel()
		if !errors.Is(r.err, stop.want) {
			t.Errorf("%s: waiting Lock = %v, want %v", stop.name, r.err, stop.want)
		}
		wantState(t, l, "a", lock.StateLocked, holder)
		wantState(t, l, "b", lock.StateUnlocked, lock.Lease{})
	}
	mustUnlock(t, l, holder)
	wantState(t, l, "a", lock.StateUnlocked, lock.Lease{})
}

// contend runs workers goroutines that each lock sets(worker, i) rounds
// times with Wait, calling critical while holding the lease. It fails the
// test if a Lock does not finish within a minute, which means deadlock.
func contend(t *testing.T, l lock.Locker, workers, rounds int, sets func(worker, round int) []string, critical func(lease lock.Lease)) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			owner := fmt.Sprintf("worker-%d", w)
			for i := range rounds {
				lease, err := l.Lock(ctx, sets(w, i), owner, lock.Options{Wait: true})
				if err != nil {
					t.Errorf("%s round %d: Lock: %v", owner, i, err)
					return
				}
				critical(lease)
				if err := l.Unlock(ctx, lease); err != nil {
					t.Errorf("%s round %d: Unlock: %v", owner, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// tokens checks that each lease's token is above every earlier one on its
// environments. It relies on the caller holding the lease.
type tokens struct{ last sync.Map } // env → *atomic.Uint64

func (tk *tokens) check(t *testing.T, lease lock.Lease) {
	for _, env := range lease.Envs {
		v, _ := tk.last.LoadOrStore(env, new(atomic.Uint64))
		if prev := v.(*atomic.Uint64).Swap(lease.Token); lease.Token <= prev {
			t.Errorf("lease on %q got token %d after %d", env, lease.Token, prev)
		}
	}
}

func testExclusion(t *testing.T, l lock.Locker, _ *testclock.Clock) {
	const workers, rounds = 8, 6
	var inside, total atomic.Int32
	var tk tokens
	contend(t, l, workers, rounds, func(int, int) []string { return []string{"dev", "prod"} }, func(lease lock.Lease) {
		if n := inside.Add(1); n != 1 {
			t.Errorf("%d holders inside the critical section at once", n)
		}
		tk.check(t, lease)
		if err := l.Validate(t.Context(), lease); err != nil {
			t.Errorf("Validate while holding: %v", err)
		}
		time.Sleep(100 * time.Microsecond) // widen the window a second holder would need
		total.Add(1)
		inside.Add(-1)
	})
	if got := total.Load(); got != workers*rounds {
		t.Errorf("%d critical sections ran, want %d", got, workers*rounds)
	}
}

func testOverlapping(t *testing.T, l lock.Locker, _ *testclock.Clock) {
	envs := []string{"a", "b", "c", "d"}
	var holders [4]atomic.Int32
	var tk tokens
	contend(t, l, 6, 6, func(w, i int) []string {
		// Overlapping windows of one to three environments.
		start, size := (w+i)%len(envs), 1+(w*7+i)%3
		var set []string
		for k := range size {
			set = append(set, envs[(start+k)%len(envs)])
		}
		return set
	}, func(lease lock.Lease) {
		for _, env := range lease.Envs {
			if n := holders[env[0]-'a'].Add(1); n != 1 {
				t.Errorf("environment %q held by %d leases at once", env, n)
			}
		}
		tk.check(t, lease)
		time.Sleep(50 * time.Microsecond)
		for _, env := range lease.Envs {
			holders[env[0]-'a'].Add(-1)
		}
	})
}

func testNoDeadlock(t *testing.T, l lock.Locker, _ *testclock.Clock) {
	orders := [][]string{
		{"a", "b", "c"}, {"c", "b", "a"}, {"b", "a", "c"}, {"c", "a", "b"}, {"a", "c", "b"}, {"b", "c", "a"},
	}
	var inside atomic.Int32
	contend(t, l, len(orders), 5, func(w, _ int) []string { return orders[w] }, func(lock.Lease) {
		if n := inside.Add(1); n != 1 {
			t.Errorf("%d holders of {a, b, c} at once", n)
		}
		inside.Add(-1)
	})
}
