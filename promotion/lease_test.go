package promotion_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

// withGitlock keeps the fixture's leases in its own Repo, as a deployment
// on one Git repository does.
func withGitlock(c *promotion.Config) {
	c.Locker = gitlock.New(c.Repo, gitlock.Options{Now: c.Clock})
}

// Issue 14: a process killed inside Lock or Unlock left the lower
// environment held and the upper free. lock/state said error and the
// promotion id could not unlock it.
func TestRule_HalfHeldPairShowsTheWayOutAndUnlockClearsIt(t *testing.T) {
	tests := []struct {
		name     string
		held     int // of the sorted set {dev, staging, group-tenant, group:tenant}, a prefix
		released bool
		want     lock.State
	}{
		{"died locking after the lower", 1, false, lock.StateLocking},
		{"died unlocking before the lower", 1, true, lock.StateUnlocking},
		{"died unlocking after the group", 2, true, lock.StateUnlocking},
		{"died locking between the group's two names", 3, false, lock.StateLocking},
	}
	for _, tt := range tests {
		for _, clear := range []string{"unlock", "expiry"} {
			t.Run(strings.ReplaceAll(tt.name, " ", "_")+"/"+clear, func(t *testing.T) {
				f := seeded(t, withGitlock)
				s := gitlock.NewStore(f.repo, f.clock.Now)
				lease, err := lock.NewLease([]string{dev, staging, "group-tenant", "group:tenant"}, "crashed", lock.Options{Description: "promotion"}, f.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				lease.Token = 1
				for i, env := range lease.Envs {
					if i >= tt.held && !tt.released {
						break
					}
					v, err := s.Swap(ctx, env, "", lock.Record{Lease: lease})
					if err != nil {
						t.Fatal(err)
					}
					if i >= tt.held {
						if _, err := s.Swap(ctx, env, v, lock.Record{Lease: lease, Released: true}); err != nil {
							t.Fatal(err)
						}
					}
				}
				st, err := f.p.LockState(ctx, dev, staging)
				if err != nil {
					t.Fatal(err)
				}
				if st.Result != tt.want || st.PromotionID != lease.ID || !strings.Contains(st.Description, "DELETE lock/"+lease.ID) {
					t.Fatalf("LockState = %+v, want %s by %s with the way out", st, tt.want, lease.ID)
				}
				// The group is one lock to people: named once, as the group.
				if strings.Contains(st.Description, "group:") || strings.Count(st.Description, "group-tenant")+strings.Count(st.Description, `group "tenant"`) > 1 {
					t.Fatalf("LockState.Description = %q, want the group's lock named at most once, never by its legacy name", st.Description)
				}
				if _, err := f.p.Lock(ctx, dev, staging, "next"); !errors.Is(err, lock.ErrLocked) {
					t.Fatalf("Lock over the remains = %v, want ErrLocked", err)
				}
				if clear == "unlock" {
					if err := f.p.Unlock(ctx, dev, staging, lease.ID); err != nil {
						t.Fatalf("Unlock(%s) = %v, want it to clear the half-held pair", lease.ID, err)
					}
				} else {
					f.clock.Advance(lock.DefaultTTL)
				}
				if st, _ := f.p.LockState(ctx, dev, staging); st.Result != lock.StateUnlocked {
					t.Fatalf("LockState after %s = %+v, want unlocked", clear, st)
				}
				f.lock(dev, staging)
			})
		}
	}
}

// stealingRepo runs steal once, just before the commit on branch moves:
// the lease expires and another process takes the pair between the checks
// and the commit.
type stealingRepo struct {
	*gitstore.Repo
	branch string
	once   sync.Once
	steal  func()
}

func (r *stealingRepo) Apply(ctx context.Context, updates []store.Update) ([]store.Commit, error) {
	if updates[len(updates)-1].Branch == r.branch {
		r.once.Do(r.steal)
	}
	return r.Repo.Apply(ctx, updates)
}

func TestRule_PromotionCommitsOnlyUnderItsCurrentLease(t *testing.T) {
	repo := &stealingRepo{Repo: gitstore.NewMemory(gitstore.Options{}), branch: staging}
	f := seeded(t, func(c *promotion.Config) {
		c.Repo = repo
		c.LockTTL = time.Hour
		withGitlock(c)
	})
	f.lock(dev, staging)
	head := func() store.Revision {
		h, err := repo.Head(ctx, staging)
		if err != nil {
			t.Fatal(err)
		}
		return h.Revision
	}
	before := head()
	var thief lock.Lease
	repo.steal = func() {
		f.clock.Advance(time.Hour)
		var err error
		if thief, err = f.cfg.Locker.Lock(context.Background(), []string{staging}, "mallory", lock.Options{}); err != nil {
			t.Error(err)
		}
	}
	_, err := f.p.Promote(ctx, promotion.Request{Lower: dev, Upper: staging})
	if !errors.Is(err, lock.ErrNotHeld) {
		t.Fatalf("Promote whose lease was taken over before the commit = %v, want lock.ErrNotHeld", err)
	}
	if head() != before || thief.ID == "" {
		t.Fatalf("the superseded promotion committed")
	}
}

// slowCheck advances the clock past the lease's TTL in steps, waiting at
// each for the Promoter to renew the lease: a promotion longer than its TTL.
type slowCheck struct {
	f     *fixture
	ttl   time.Duration
	steps int
}

func (c slowCheck) Name() string { return "slow" }

func (c slowCheck) Run(ctx context.Context, _ *integrity.Input) ([]integrity.Finding, error) {
	giveUp := time.Now().Add(10 * time.Second) // a Promoter that never renews fails at its commit
	for range c.steps {
		c.f.clock.Advance(c.ttl / 2)
		want := c.f.clock.Now().Add(c.ttl)
		for time.Now().Before(giveUp) {
			st, err := c.f.cfg.Locker.State(ctx, staging)
			if err != nil {
				return nil, err
			}
			if !st.Lease.Expires.Before(want) {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	return nil, nil
}

func TestRule_RunningPromotionKeepsItsLease(t *testing.T) {
	const ttl = 30 * time.Millisecond // renewed every 10 ms of real time
	f := seeded(t, func(c *promotion.Config) { c.LockTTL = ttl })
	f.cfg.Checks = []integrity.Check{slowCheck{f: f, ttl: ttl, steps: 4}}
	p := f.fresh()
	f.p = p
	f.lock(dev, staging)
	if _, err := p.Promote(ctx, promotion.Request{Lower: dev, Upper: staging}); err != nil {
		t.Fatalf("Promote running twice its lease's TTL: %v, want the lease renewed", err)
	}
}

// pausingStore stops after every Swap until the test lets it go, so the
// test can read the pair's state between the steps of a Lock or an Unlock.
type pausingStore struct {
	lock.Store
	at   chan struct{}
	next chan struct{}
}

func (s *pausingStore) Swap(ctx context.Context, env string, old lock.Version, rec lock.Record) (lock.Version, error) {
	v, err := s.Store.Swap(ctx, env, old, rec)
	s.at <- struct{}{}
	<-s.next
	return v, err
}

// Issue 14: lock/state said error while one environment was already
// unlocked and the other still unlocking; a client polling with the
// vendor's semantics takes error as final.
func TestRule_LockStateIsNeverErrorDuringLockAndUnlock(t *testing.T) {
	s := &pausingStore{Store: memlock.NewStore(), at: make(chan struct{}), next: make(chan struct{})}
	f := seeded(t)
	f.cfg.Locker = lock.New(s, lock.ManagerOptions{Now: f.clock.Now})
	p := f.fresh()
	var seen []string
	step := func(op func() error) {
		done := make(chan error)
		go func() { done <- op() }()
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				return
			case <-s.at:
				st, err := p.LockState(ctx, dev, staging)
				if err != nil || st.Result == lock.StateError {
					t.Fatalf("LockState between steps = %+v, %v; want no error", st, err)
				}
				seen = append(seen, string(st.Result))
				s.next <- struct{}{}
			}
		}
	}
	var lease lock.Lease
	step(func() (err error) { lease, err = p.Lock(ctx, dev, staging, "alice"); return err })
	step(func() error { return p.Unlock(ctx, dev, staging, lease.ID) })
	// The set {dev, staging, group-tenant, group:tenant} is taken in that
	// order and released in the reverse one.
	want := "locking locking locking locked unlocking unlocking unlocking unlocked"
	if got := strings.Join(seen, " "); got != want {
		t.Fatalf("pair states after each step = %s, want %s", got, want)
	}
}
