package envpromote_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/envpromote/envpromote"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/internal/testclock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

// setup creates dev → staging → prod in t's organization and returns the
// group's name and the environments' ids by name.
func setup(t *testing.T, tn *envpromote.Tenant) map[string]string {
	t.Helper()
	ctx := envpromote.WithActor(context.Background(), "ada")
	admin := tn.Admin("ada")
	if err := tn.Licenses().Put(ctx, environment.License{ID: "lic-1", Organization: tn.Organization()}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	g := environment.Group{Name: "main", Organization: environment.Ref{ID: tn.Organization()}}
	for _, m := range []struct {
		name string
		tier environment.Tier
	}{{"dev", environment.TierDevelopment}, {"staging", environment.TierStaging}, {"prod", environment.TierProduction}} {
		e, err := tn.Registry().Create(ctx, admin, environment.Environment{Name: m.name, Type: environment.Production, Region: environment.RegionEU})
		if err != nil {
			t.Fatal(err)
		}
		ids[m.name] = e.ID
		g.Members = append(g.Members, environment.Member{ID: e.ID, Tier: m.tier})
	}
	if _, err := tn.Registry().SaveGroup(ctx, admin, g); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestFrontDoorPromotesInOneCall(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *envpromote.Tenant{
		"memory": func(t *testing.T) *envpromote.Tenant {
			tn, err := envpromote.NewMemory(envpromote.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return tn
		},
		"git": func(t *testing.T) *envpromote.Tenant {
			tn, err := envpromote.Open(context.Background(), envpromote.Options{Dir: t.TempDir() + "/repo", Key: make([]byte, 32)})
			if err != nil {
				t.Fatal(err)
			}
			return tn
		},
	} {
		t.Run(name, func(t *testing.T) {
			tn := open(t)
			defer tn.Close()
			ids := setup(t, tn)
			ctx := envpromote.WithActor(context.Background(), "ada")
			p, err := tn.Promoter(ctx, "main")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Edit(ctx, ids["dev"], func(b *store.Builder) error {
				return b.Put("email-templates/welcome/welcome.json", []byte(`{"_id":"emailTemplate/welcome"}`))
			}, store.CommitInfo{Message: "welcome"}); err != nil {
				t.Fatal(err)
			}
			rep, err := tn.Promote(ctx, "main", promotion.Request{Upper: ids["staging"]})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Promoter != "ada" || rep.Changes.Len() != 1 {
				t.Errorf("report by %q with %d change(s); want ada, 1", rep.Promoter, rep.Changes.Len())
			}
			st, err := p.LockState(ctx, "", ids["staging"])
			if err != nil || st.Result != "unlocked" {
				t.Errorf("after the one call the pair is %v (%v); want unlocked", st.Result, err)
			}
		})
	}
}

func TestPromoterOfUnknownGroupIsNotFound(t *testing.T) {
	tn, err := envpromote.NewMemory(envpromote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	_, err = tn.Promoter(context.Background(), "nope")
	if !errors.Is(err, envpromote.NotFound) {
		t.Fatalf("Promoter(nope) = %v; want kind NotFound", err)
	}
}

// TestPromoterKeptAcrossRegistryChangesCannotWriteOutsideTheGroup: a
// Promoter obtained earlier re-checks the Registry before each change, so
// once staging has left the group and become a SANDBOX nothing is promoted
// into it.
func TestPromoterKeptAcrossRegistryChangesCannotWriteOutsideTheGroup(t *testing.T) {
	tn, err := envpromote.NewMemory(envpromote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	ids := setup(t, tn)
	ctx := envpromote.WithActor(context.Background(), "ada")
	p, err := tn.Promoter(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	admin := tn.Admin("ada")
	if err := tn.Registry().DeleteGroup(ctx, admin, tn.Organization(), "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Registry().ChangeType(ctx, admin, ids["staging"], environment.Sandbox); err != nil {
		t.Fatal(err)
	}
	edit := func(b *store.Builder) error { return b.Put("email-templates/x/x.json", []byte(`{}`)) }
	if _, err := p.Edit(ctx, ids["dev"], edit, store.CommitInfo{Message: "x"}); !errors.Is(err, envpromote.NotFound) {
		t.Errorf("Edit after the group was deleted: %v; want kind NotFound", err)
	}
	if _, err := p.PromoteAndUnlock(ctx, promotion.Request{Upper: ids["staging"]}); err == nil {
		t.Fatal("a Promoter promoted into a SANDBOX that left its group")
	}
	if _, err := tn.Promoter(ctx, "main"); !errors.Is(err, envpromote.NotFound) {
		t.Errorf("Promoter of a deleted group: %v; want kind NotFound", err)
	}
}

// TestJanitorPurgesExpiredSoftDeletedEnvironments: the Tenant hard-deletes
// soft-deleted environments whose hardDeleteAllowedAt has come by itself.
// softDeleted returns a memory Tenant with its janitor running every
// purgeInterval (see Options.PurgeInterval) and a PRODUCTION environment
// soft-deleted just now, whose hard-delete time is past once the clock is
// advanced by environment.HardDeleteDelay.
func softDeleted(t *testing.T, purgeInterval time.Duration) (*envpromote.Tenant, context.Context, environment.Principal, environment.Environment, *testclock.Clock) {
	t.Helper()
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	tn, err := envpromote.NewMemory(envpromote.Options{Clock: clock.Now, PurgeInterval: purgeInterval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tn.Close() })
	ctx, admin := envpromote.WithActor(context.Background(), "ada"), tn.Admin("ada")
	if err := tn.Licenses().Put(ctx, environment.License{ID: "lic-1", Organization: tn.Organization()}); err != nil {
		t.Fatal(err)
	}
	e, err := tn.Registry().Create(ctx, admin, environment.Environment{Name: "old", Type: environment.Production, Region: environment.RegionEU})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Registry().UpdateStatus(ctx, admin, e.ID, environment.DeletePending, ""); err != nil {
		t.Fatal(err)
	}
	return tn, ctx, admin, e, clock
}

func TestJanitorPurgesExpiredSoftDeletedEnvironments(t *testing.T) {
	tn, ctx, admin, e, clock := softDeleted(t, time.Millisecond)
	clock.Advance(environment.HardDeleteDelay + time.Second)
	// Wait for the janitor's next round; the deadline only stops a hung test.
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := tn.Registry().Get(ctx, admin, e.ID)
		if errors.Is(err, environment.ErrNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the expired environment is still there: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestJanitorOffKeepsThemUntilPurge(t *testing.T) {
	tn, ctx, _, e, clock := softDeleted(t, -1)
	clock.Advance(environment.HardDeleteDelay + time.Second)
	gone, err := tn.Purge(ctx)
	if err != nil || len(gone) != 1 || gone[0].ID != e.ID {
		t.Fatalf("Purge = %v, %v; want the expired environment", gone, err)
	}
}

// TestOpenRefusesBadOptionsBeforeWriting: a missing directory or a key AES
// cannot use is an Invalid error, and nothing is created.
func TestOpenRefusesBadOptionsBeforeWriting(t *testing.T) {
	dir := t.TempDir() + "/repo"
	for name, opts := range map[string]envpromote.Options{
		"no dir":    {Key: make([]byte, 32)},
		"no key":    {Dir: dir},
		"short key": {Dir: dir, Key: make([]byte, 10)},
	} {
		if _, err := envpromote.Open(context.Background(), opts); !errors.Is(err, envpromote.Invalid) {
			t.Errorf("%s: Open = %v; want kind Invalid", name, err)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refused Opens created %s (%v)", dir, err)
	}
}

func TestPromotersListsEveryGroup(t *testing.T) {
	tn, err := envpromote.NewMemory(envpromote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	setup(t, tn)
	ctx := envpromote.WithActor(context.Background(), "ada")
	if _, err := tn.CreateGroup(ctx, "other", "d2", "s2", "p2"); err != nil {
		t.Fatal(err)
	}
	ps, err := tn.Promoters(ctx)
	if err != nil || len(ps) != 2 || ps[0].Group().Name != "main" || ps[1].Group().Name != "other" {
		t.Fatalf("Promoters = %d, %v; want main and other", len(ps), err)
	}
	if p, _ := tn.Promoter(ctx, "main"); p != ps[0] {
		t.Error("Promoter and Promoters disagree: the same group should give the same Promoter")
	}
}
