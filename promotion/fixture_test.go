package promotion_test

import (
	"testing"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/memesv"
	"github.com/envpromote/envpromote/internal/testclock"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

const (
	dev     = "d0000000-0000-4000-8000-000000000001"
	uat     = "d0000000-0000-4000-8000-000000000002"
	staging = "d0000000-0000-4000-8000-000000000003"
	prod    = "d0000000-0000-4000-8000-000000000004"
)

var testGroup = environment.Group{
	Name:         "tenant",
	Organization: environment.Ref{ID: "org-1"},
	Members: []environment.Member{
		{ID: dev, Tier: environment.TierDevelopment},
		{ID: staging, Tier: environment.TierStaging},
		{ID: prod, Tier: environment.TierProduction},
	},
}

// fixture is a group over memory backends.
type fixture struct {
	t      testing.TB
	clock  *testclock.Clock
	repo   store.Repo
	locker lock.Locker
	esv    *esv.Service
	cfg    promotion.Config
	p      *promotion.Promoter
}

func newFixture(t testing.TB, tweak ...func(*promotion.Config)) *fixture {
	t.Helper()
	c := testclock.New(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	locker := memlock.New(memlock.Options{Now: c.Now})
	f := &fixture{
		t:      t,
		clock:  c,
		repo:   memstore.New(memstore.Options{Clock: c.Now}),
		locker: locker,
		esv:    esv.New(memesv.New(), esv.Options{Guard: promotion.ESVGuard(locker), Now: c.Now}),
	}
	f.cfg = promotion.Config{Group: testGroup, Repo: f.repo, Locker: f.locker, ESVs: promotion.ESVService(f.esv), Clock: c.Now}
	for _, fn := range tweak {
		fn(&f.cfg)
	}
	f.p = f.fresh()
	return f
}

// put commits files (nil data deletes) on env's branch as an edit.
func (f *fixture) put(env string, files map[string]string) store.Commit {
	f.t.Helper()
	c, err := f.p.Edit(ctx, env, func(b *store.Builder) error {
		for p, d := range files {
			var err error
			if d == "" {
				err = b.Delete(p)
			} else {
				err = b.Put(p, []byte(d))
			}
			if err != nil {
				return err
			}
		}
		return nil
	}, store.CommitInfo{Author: "test", Message: "edit"})
	if err != nil {
		f.t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	return c
}

func (f *fixture) snap(env string) *store.Snapshot {
	f.t.Helper()
	h, err := f.repo.Head(ctx, env)
	if err != nil {
		f.t.Fatal(err)
	}
	s, err := f.repo.Snapshot(ctx, h.Revision)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) head(env string) store.Revision {
	f.t.Helper()
	h, err := f.repo.Head(ctx, env)
	if err != nil {
		f.t.Fatal(err)
	}
	return h.Revision
}

// fresh returns a new Promoter over the fixture's repository: one that
// has cached nothing, as in a new process.
func (f *fixture) fresh() *promotion.Promoter {
	f.t.Helper()
	p, err := promotion.New(f.cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) lock(lower, upper string) lock.Lease {
	f.t.Helper()
	l, err := f.p.Lock(ctx, lower, upper, "alice")
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f *fixture) setVar(env, name, value string) {
	f.t.Helper()
	if _, err := f.esv.SetVariable(ctx, env, name, esv.VariableSpec{Value: value}); err != nil {
		f.t.Fatal(err)
	}
}

// A small tenant: static config of every kind and dynamic config.
var (
	devConfig = map[string]string{
		"realms/alpha/journeys/Login/Login.json":                     `{"_id":"Login","entryNodeId":"n1"}`,
		"realms/alpha/journeys/Login/nodes/Page Node - n1.json":      `{"_id":"n1","message":"Welcome"}`,
		"realms/alpha/scripts/scripts-config/s-1.json":               `{"_id":"s-1","name":"decide","script":{"file":"scripts-content/DECISION/decide.js"}}`,
		"realms/alpha/scripts/scripts-content/DECISION/decide.js":    `outcome = "true";`,
		"email-templates/welcome/welcome.json":                       `{"_id":"emailTemplate/welcome","from":"&{esv.email.from}"}`,
		"managed-objects/alpha_user/alpha_user.json":                 `{"name":"alpha_user"}`,
		"realms/alpha/realm-config/agents/OAuth2Client/dev-app.json": `{"_id":"dev-app"}`,
		"identities/alpha/users/dev-user.json":                       `{"_id":"dev-user"}`,
		"esvs/variables/esv-email-from.json":                         `{"_id":"esv-email-from"}`,
	}
	stagingConfig = map[string]string{
		"realms/alpha/journeys/Login/Login.json":                         `{"_id":"Login","entryNodeId":"n1"}`,
		"realms/alpha/journeys/Login/nodes/Page Node - n1.json":          `{"_id":"n1","message":"Hello"}`,
		"realms/alpha/journeys/Old/Old.json":                             `{"_id":"Old"}`,
		"realms/alpha/realm-config/agents/OAuth2Client/staging-app.json": `{"_id":"staging-app"}`,
		"realms/alpha/authorization/policy-sets/ps/ps.json":              `{"name":"ps"}`,
		"identities/alpha/users/staging-user.json":                       `{"_id":"staging-user"}`,
		"service-objects/alpha_user/u1.json":                             `{"_id":"u1"}`,
		"internal-roles/admin.json":                                      `{"_id":"admin"}`,
		"esvs/variables/esv-staging-only.json":                           `{"_id":"esv-staging-only"}`,
	}
)

// seeded returns a fixture whose dev and staging hold devConfig and
// stagingConfig and whose staging defines every ESV dev's config uses.
func seeded(t testing.TB, tweak ...func(*promotion.Config)) *fixture {
	f := newFixture(t, tweak...)
	f.put(dev, devConfig)
	f.put(staging, stagingConfig)
	f.setVar(staging, "esv-email-from", "staging@example.com")
	return f
}
