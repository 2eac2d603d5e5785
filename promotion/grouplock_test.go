package promotion_test

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store/gitstore"
)

// gitPromoter returns a Promoter of group over a gitstore repository on
// disk holding its locks too, as deployments run, and the repository's
// directory.
func gitPromoter(t *testing.T, group environment.Group) (*promotion.Promoter, lock.Locker, string) {
	t.Helper()
	dir := t.TempDir()
	repo, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	locker := gitlock.New(repo, gitlock.Options{})
	p, err := promotion.New(promotion.Config{Group: group, Repo: repo, Locker: locker, ESVs: promotion.ESVService(newFixture(t).esv)})
	if err != nil {
		t.Fatal(err)
	}
	return p, locker, dir
}

// lockRefs lists refs/locks as the git CLI sees it.
func lockRefs(t *testing.T, dir string) []string {
	t.Helper()
	out, err := exec.Command("git", "-C", dir, "for-each-ref", "--format=%(refname)", "refs/locks").CombinedOutput()
	if err != nil {
		t.Fatalf("git for-each-ref: %v: %s", err, out)
	}
	return strings.Fields(string(out))
}

// Deliverable 6 of issue 15: a promotion's group lock is a ref a person can
// read (refs/locks/group-main, not refs/locks/x.group_3amain), and the
// legacy name earlier versions lock is held in the same lease, so they
// still see the group as held.
func TestRule_GroupLockRefsAreReadableAndTheLegacyNameIsHeldToo(t *testing.T) {
	long := strings.Repeat("g", 60) // "group-" + 60 bytes is over lock.MaxEnvironmentLen
	tests := []struct {
		group          string
		lock, legacy   string // lock names
		ref, legacyRef string // gitlock's refs
	}{
		{"main", "group-main", "group:main", "refs/locks/group-main", "refs/locks/x.group_3amain"},
		{"web-eu_2", "group-web-eu_2", "group:web-eu_2", "refs/locks/group-web-eu_2", "refs/locks/x.group_3aweb-eu_5f2"},
		// Not lower case: escaped by gitlock as any such name.
		{"Web.EU", "group-Web.EU", "group:Web.EU", "refs/locks/x.group-_57eb_2e_45_55", "refs/locks/x.group_3a_57eb_2e_45_55"},
		// Too long for a lock name: hashed, as the legacy name always was.
		{long, "group-636464b36508cf19be2824183405364a", "group:636464b36508cf19be2824183405364a",
			"refs/locks/group-636464b36508cf19be2824183405364a", "refs/locks/x.group_3a636464b36508cf19be2824183405364a"},
	}
	for _, tt := range tests {
		t.Run(tt.group[:min(len(tt.group), 8)], func(t *testing.T) {
			if got := promotion.GroupLock(tt.group); got != tt.lock {
				t.Fatalf("GroupLock(%q) = %q, want %q", tt.group, got, tt.lock)
			}
			g := testGroup
			g.Name = tt.group
			p, locker, dir := gitPromoter(t, g)
			lease, err := p.Lock(ctx, dev, staging, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{dev, staging, tt.lock, tt.legacy}; !slices.Equal(lease.Envs, want) {
				t.Fatalf("lease holds %q, want %q", lease.Envs, want)
			}
			refs := lockRefs(t, dir)
			for _, ref := range []string{tt.ref, tt.legacyRef, "refs/locks/" + dev, "refs/locks/" + staging} {
				if !slices.Contains(refs, ref) {
					t.Fatalf("git for-each-ref refs/locks = %q while locked, want %s among them", refs, ref)
				}
			}
			for _, name := range []string{tt.lock, tt.legacy} {
				if st, err := locker.State(ctx, name); err != nil || st.State != lock.StateLocked || st.Lease.ID != lease.ID {
					t.Fatalf("State(%q) = %+v, %v; want locked by %s", name, st, err, lease.ID)
				}
			}
			if err := p.Unlock(ctx, dev, staging, lease.ID); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{tt.lock, tt.legacy} {
				if st, err := locker.State(ctx, name); err != nil || st.State != lock.StateUnlocked {
					t.Fatalf("State(%q) after Unlock = %+v, %v; want unlocked", name, st, err)
				}
			}
		})
	}
}

// While processes of an earlier version share the repository, they lock
// {lower, upper, "group:<name>"} and know nothing of "group-<name>": each
// version's lease must shut the other out, and a promotion must run under a
// lease the earlier version took.
func TestRule_LeasesOfEarlierVersionsAndThisOneExcludeEachOther(t *testing.T) {
	// Two pairs with no environment in common: only the group's lock is
	// shared.
	g := testGroup
	g.Members = []environment.Member{
		{ID: dev, Tier: environment.TierDevelopment}, {ID: uat, Tier: environment.TierUAT},
		{ID: staging, Tier: environment.TierStaging}, {ID: prod, Tier: environment.TierProduction},
	}
	oldSet := []string{dev, uat, "group:" + g.Name}
	t.Run("an earlier version's lease blocks a promotion", func(t *testing.T) {
		p, locker, _ := gitPromoter(t, g)
		old, err := locker.Lock(ctx, oldSet, "old", lock.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Lock(ctx, staging, prod, "new")
		var le *lock.LockedError
		if !errors.As(err, &le) || le.Holder.ID != old.ID || le.Env != promotion.GroupLock(testGroup.Name) {
			t.Fatalf("Lock(staging, prod) under an earlier version's lease = %v; want a LockedError naming %s on the group's lock", err, old.ID)
		}
		if strings.Contains(err.Error(), "group:") {
			t.Fatalf("Lock error %q names the group's legacy lock; want the group named once", err)
		}
		// The earlier version's lease covers the pair: this version can
		// read and release it.
		if st, err := p.LockState(ctx, dev, uat); err != nil || st.Result != lock.StateLocked || st.PromotionID != old.ID {
			t.Fatalf("LockState under an earlier version's lease = %+v, %v; want locked by %s", st, err, old.ID)
		}
		if err := p.Unlock(ctx, dev, uat, old.ID); err != nil {
			t.Fatalf("Unlock of an earlier version's lease: %v", err)
		}
		if _, err := p.Lock(ctx, staging, prod, "new"); err != nil {
			t.Fatalf("Lock once the earlier lease is gone: %v", err)
		}
	})
	t.Run("a promotion blocks an earlier version", func(t *testing.T) {
		p, locker, _ := gitPromoter(t, g)
		lease, err := p.Lock(ctx, staging, prod, "new")
		if err != nil {
			t.Fatal(err)
		}
		_, err = locker.Lock(ctx, oldSet, "old", lock.Options{})
		var le *lock.LockedError
		if !errors.As(err, &le) || le.Holder.ID != lease.ID {
			t.Fatalf("an earlier version's Lock(%q) under a promotion = %v; want a LockedError naming %s", oldSet, err, lease.ID)
		}
	})
}

// A member id starting with "group-" would share its lock with a group's:
// a promotion of that group would lock the environment.
func TestRule_MembersCannotBeNamedLikeGroupLocks(t *testing.T) {
	g := testGroup
	g.Members = slices.Clone(g.Members)
	g.Members[1].ID = promotion.GroupLock("other")
	f := newFixture(t)
	cfg := f.cfg
	cfg.Group = g
	if _, err := promotion.New(cfg); !errors.Is(err, promotion.ErrInvalidConfig) || !strings.Contains(err.Error(), `"group-"`) {
		t.Fatalf("New with member %s = %v; want ErrInvalidConfig naming the reserved prefix", g.Members[1].ID, err)
	}
}

func TestRule_GroupLocksAreToldFromEnvironments(t *testing.T) {
	for _, tt := range []struct {
		name string
		want bool
	}{
		{promotion.GroupLock("main"), true},
		{promotion.GroupLock("Web.EU"), true},
		{promotion.GroupLock(strings.Repeat("g", 60)), true},
		{dev, false},
		{"group:main", false}, // the legacy name, which no one is shown
	} {
		if got := promotion.IsGroupLock(tt.name); got != tt.want {
			t.Errorf("IsGroupLock(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
