package envtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/internal/testclock"
)

// Run runs the conformance suite against Stores made by newStore, which
// must return a new, empty Store on every call. It checks the Store
// contract (versions, compare-and-set, atomic batches, prefix listing,
// racing writers) and then that a Registry over the Store keeps its rules
// under concurrency (exactly one of several creates of one name wins) and
// across Registries sharing the Store. Run it with -race.
func Run(t *testing.T, newStore func(t *testing.T) environment.Store) {
	t.Run("Store", func(t *testing.T) { runStore(t, newStore) })
	t.Run("Registry", func(t *testing.T) { runRegistry(t, newStore) })
}

func put(key string, v environment.Version, data string) environment.Write {
	return environment.Write{Key: key, Version: v, Data: []byte(data)}
}

func del(key string, v environment.Version) environment.Write {
	return environment.Write{Key: key, Version: v}
}

func apply(ctx context.Context, s environment.Store, ws ...environment.Write) error {
	return s.Apply(ctx, environment.Batch{Actor: "envtest", Message: "envtest change", Time: time.Now(), Writes: ws})
}

func mustApply(t *testing.T, s environment.Store, ws ...environment.Write) {
	t.Helper()
	if err := apply(t.Context(), s, ws...); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func mustGet(t *testing.T, s environment.Store, key string) environment.Record {
	t.Helper()
	r, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	if r.Key != key || r.Version == "" {
		t.Fatalf("Get(%s) = key %q version %q, want the key and a version", key, r.Key, r.Version)
	}
	return r
}

func wantData(t *testing.T, s environment.Store, key, data string) {
	t.Helper()
	if got := string(mustGet(t, s, key).Data); got != data {
		t.Fatalf("Get(%s) data = %s, want %s", key, got, data)
	}
}

func wantMissing(t *testing.T, s environment.Store, key string) {
	t.Helper()
	if _, err := s.Get(t.Context(), key); !errors.Is(err, environment.ErrNotFound) {
		t.Fatalf("Get(%s) error = %v, want ErrNotFound", key, err)
	}
}

func wantConflict(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, environment.ErrConflict) {
		t.Fatalf("Apply error = %v, want ErrConflict", err)
	}
}

func runStore(t *testing.T, newStore func(t *testing.T) environment.Store) {
	t.Run("GetMissing", func(t *testing.T) {
		wantMissing(t, newStore(t), "environments/none")
	})

	t.Run("CompareAndSet", func(t *testing.T) {
		s := newStore(t)
		const k = "environments/a"
		mustApply(t, s, put(k, "", `{"n":1}`))
		r1 := mustGet(t, s, k)
		wantConflict(t, apply(t.Context(), s, put(k, "", `{"n":2}`)))
		wantData(t, s, k, `{"n":1}`)

		mustApply(t, s, put(k, r1.Version, `{"n":2}`))
		r2 := mustGet(t, s, k)
		if r2.Version == r1.Version {
			t.Fatalf("version %q unchanged by a write of new content", r2.Version)
		}
		wantConflict(t, apply(t.Context(), s, put(k, r1.Version, `{"n":3}`)))
		wantConflict(t, apply(t.Context(), s, del(k, r1.Version)))
		wantData(t, s, k, `{"n":2}`)

		mustApply(t, s, del(k, r2.Version))
		wantMissing(t, s, k)
		wantConflict(t, apply(t.Context(), s, put(k, r2.Version, `{"n":4}`)))
		wantMissing(t, s, k)
	})

	t.Run("BatchIsAtomic", func(t *testing.T) {
		s := newStore(t)
		mustApply(t, s, put("organizations/o", "", `{"rev":1}`))
		for _, ws := range [][]environment.Write{
			{put("environments/new", "", `{}`), put("organizations/o", "stale", `{"rev":2}`)},
			{put("organizations/o", "stale", `{"rev":2}`), put("environments/new", "", `{}`)},
		} {
			wantConflict(t, apply(t.Context(), s, ws...))
			wantMissing(t, s, "environments/new")
			wantData(t, s, "organizations/o", `{"rev":1}`)
		}
		o := mustGet(t, s, "organizations/o")
		mustApply(t, s, put("environments/new", "", `{}`), put("organizations/o", o.Version, `{"rev":2}`))
		wantData(t, s, "environments/new", `{}`)
		wantData(t, s, "organizations/o", `{"rev":2}`)
	})

	t.Run("ListByPrefix", func(t *testing.T) {
		s := newStore(t)
		keys := []string{"environments/b", "groups/o/g", "environments/a", "organizations/o", "environmentsx/c"}
		for _, k := range keys {
			mustApply(t, s, put(k, "", fmt.Sprintf(`{"key":%q}`, k)))
		}
		for prefix, want := range map[string][]string{
			"environments/": {"environments/a", "environments/b"},
			"groups/o/":     {"groups/o/g"},
			"groups/p/":     nil,
			"nothing/":      nil,
			"":              {"environments/a", "environments/b", "environmentsx/c", "groups/o/g", "organizations/o"},
		} {
			recs, err := s.List(t.Context(), prefix)
			if err != nil {
				t.Fatalf("List(%q): %v", prefix, err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.Key)
				if g := mustGet(t, s, r.Key); g.Version != r.Version || string(g.Data) != string(r.Data) {
					t.Errorf("List(%q) record %s = %q %s, Get = %q %s", prefix, r.Key, r.Version, r.Data, g.Version, g.Data)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("List(%q) keys = %q, want %q", prefix, got, want)
			}
		}
	})

	t.Run("DataIsCopied", func(t *testing.T) {
		s := newStore(t)
		const k = "environments/a"
		data := []byte(`{"n":1}`)
		mustApply(t, s, environment.Write{Key: k, Data: data})
		data[2] = 'X'
		mustGet(t, s, k).Data[2] = 'Y'
		recs, err := s.List(t.Context(), "environments/")
		if err != nil || len(recs) != 1 {
			t.Fatalf("List = %v, %v; want one record", recs, err)
		}
		recs[0].Data[2] = 'Z'
		wantData(t, s, k, `{"n":1}`)
	})

	t.Run("RacingCreatesOneWins", func(t *testing.T) {
		s := newStore(t)
		const k = "environments/race"
		errs := race(16, func(i int) error { return apply(t.Context(), s, put(k, "", fmt.Sprint(i))) })
		winner := oneWinner(t, errs, environment.ErrConflict)
		wantData(t, s, k, fmt.Sprint(winner))
	})

	t.Run("RacingUpdatesOneWins", func(t *testing.T) {
		s := newStore(t)
		const k = "environments/race"
		mustApply(t, s, put(k, "", "0"))
		v := mustGet(t, s, k).Version
		errs := race(16, func(i int) error { return apply(t.Context(), s, put(k, v, fmt.Sprint(i+1))) })
		winner := oneWinner(t, errs, environment.ErrConflict)
		wantData(t, s, k, fmt.Sprint(winner+1))
	})

	t.Run("DisjointWritesAllSucceed", func(t *testing.T) {
		s := newStore(t)
		errs := race(16, func(i int) error {
			return apply(t.Context(), s, put(fmt.Sprintf("environments/e%02d", i), "", fmt.Sprint(i)))
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		}
		if recs, err := s.List(t.Context(), "environments/"); err != nil || len(recs) != len(errs) {
			t.Fatalf("List = %d records, %v; want %d", len(recs), err, len(errs))
		}
	})
}

// race runs f(0…n-1) at once and returns their errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			errs[i] = f(i)
		})
	}
	start.Done()
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one of errs is nil and the rest wrap
// loser, and returns the winner's index.
func oneWinner(t *testing.T, errs []error, loser error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, loser):
			t.Fatalf("writer %d: error %v, want %v", i, err, loser)
		}
	}
	if winner < 0 {
		t.Fatalf("no writer won: %v", errs)
	}
	return winner
}

const org = "org-envtest"

var admin = environment.Principal{ID: "admin@envtest", Roles: []environment.RoleAssignment{
	{Role: environment.OrganizationAdmin, Scope: environment.Scope{Type: environment.ScopeOrganization, ID: org}},
}}

type fixture struct {
	store environment.Store
	clock *testclock.Clock
	audit *memenv.AuditLog
}

func (f fixture) registry() *environment.Registry {
	lic := memenv.NewLicenses(environment.License{ID: "license-1", Organization: org})
	r, err := environment.New(f.store, lic, environment.Options{Clock: f.clock.Now, Auditor: f.audit})
	if err != nil {
		panic(err) // both arguments are set
	}
	return r
}

func newFixture(t *testing.T, newStore func(t *testing.T) environment.Store) fixture {
	return fixture{store: newStore(t), clock: testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)), audit: &memenv.AuditLog{}}
}

func production(name string) environment.Environment {
	return environment.Environment{Name: name, Type: environment.Production, Region: environment.RegionEU}
}

func runRegistry(t *testing.T, newStore func(t *testing.T) environment.Store) {
	t.Run("ConcurrentCreatesOfOneNameOneWins", func(t *testing.T) {
		f := newFixture(t, newStore)
		reg := f.registry()
		names := []string{"Prod", "prod", "PROD", "pRoD"}
		errs := race(12, func(i int) error {
			_, err := reg.Create(t.Context(), admin, production(names[i%len(names)]))
			return err
		})
		oneWinner(t, errs, environment.ErrNameTaken)
		envs, err := reg.List(t.Context(), admin, "")
		if err != nil || len(envs) != 1 {
			t.Fatalf("List = %v, %v; want the one winner", envs, err)
		}
		if n := len(f.audit.Events("")); n != 1 {
			t.Errorf("%d audit events, want 1 for the one create", n)
		}
	})

	t.Run("ConcurrentCreatesOfDistinctNamesAllSucceed", func(t *testing.T) {
		reg := newFixture(t, newStore).registry()
		errs := race(12, func(i int) error {
			_, err := reg.Create(t.Context(), admin, production(fmt.Sprintf("env-%02d", i)))
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("create %d: %v", i, err)
			}
		}
		if envs, err := reg.List(t.Context(), admin, ""); err != nil || len(envs) != len(errs) {
			t.Fatalf("List = %d environments, %v; want %d", len(envs), err, len(errs))
		}
	})

	t.Run("GroupMembershipAndSoftDeleteExcludeEachOther", func(t *testing.T) {
		reg := newFixture(t, newStore).registry()
		for round := range 4 {
			var ids []string
			for _, tier := range []string{"dev", "staging", "prod"} {
				e, err := reg.Create(t.Context(), admin, production(fmt.Sprintf("%s-%d", tier, round)))
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, e.ID)
			}
			g := environment.Group{Name: fmt.Sprintf("chain-%d", round), Organization: environment.Ref{ID: org}, Members: []environment.Member{
				{ID: ids[0], Tier: environment.TierDevelopment},
				{ID: ids[1], Tier: environment.TierStaging},
				{ID: ids[2], Tier: environment.TierProduction},
			}}
			errs := race(2, func(i int) error {
				if i == 0 {
					_, err := reg.SaveGroup(t.Context(), admin, g)
					return err
				}
				_, err := reg.UpdateStatus(t.Context(), admin, ids[2], environment.DeletePending, "")
				return err
			})
			prod, err := reg.Get(t.Context(), admin, ids[2])
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case errs[0] == nil && errors.Is(errs[1], environment.ErrInUse) && prod.Status == environment.Active:
			case errs[1] == nil && errors.Is(errs[0], environment.ErrInvalidGroup) && prod.Status == environment.DeletePending:
				if _, err := reg.Group(t.Context(), admin, org, g.Name); !errors.Is(err, environment.ErrNotFound) {
					t.Errorf("group saved with a DELETE_PENDING member: %v", err)
				}
			default:
				t.Fatalf("round %d: save group: %v; soft delete: %v; status %s", round, errs[0], errs[1], prod.Status)
			}
		}
	})

	t.Run("RegistriesShareTheStore", func(t *testing.T) {
		f := newFixture(t, newStore)
		one, two := f.registry(), f.registry()
		ctx := t.Context()
		p, err := one.Create(ctx, admin, production("Prod"))
		if err != nil {
			t.Fatal(err)
		}
		sb, err := one.Create(ctx, admin, environment.Environment{Name: "Sandbox", Type: environment.Sandbox, Region: environment.RegionNA})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := two.Create(ctx, admin, production("PROD")); !errors.Is(err, environment.ErrNameTaken) {
			t.Fatalf("second registry created a taken name: %v", err)
		}
		soft, err := one.UpdateStatus(ctx, admin, p.ID, environment.DeletePending, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := one.Delete(ctx, admin, sb.ID); err != nil {
			t.Fatal(err)
		}
		got, err := two.Get(ctx, admin, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != environment.DeletePending || !got.SoftDeletedAt.Equal(soft.SoftDeletedAt) || !got.HardDeleteAllowedAt.Equal(soft.HardDeleteAllowedAt) {
			t.Fatalf("second registry sees %+v, want %+v", got, soft)
		}
		if _, err := two.Get(ctx, admin, sb.ID); !errors.Is(err, environment.ErrNotFound) {
			t.Fatalf("deleted sandbox: %v, want ErrNotFound", err)
		}
		if err := two.Delete(ctx, admin, p.ID); !errors.Is(err, environment.ErrInvalidState) {
			t.Fatalf("hard delete before its time: %v, want ErrInvalidState", err)
		}
		f.clock.Advance(environment.HardDeleteDelay)
		purged, err := two.Purge(ctx, admin)
		if err != nil || len(purged) != 1 || purged[0].ID != p.ID {
			t.Fatalf("Purge = %v, %v; want %s", purged, err, p.ID)
		}
		if envs, err := one.List(ctx, admin, ""); err != nil || len(envs) != 0 {
			t.Fatalf("List after purge = %v, %v; want none", envs, err)
		}
	})
}
