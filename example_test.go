package envpromote_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/envpromote/envpromote"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

// The whole job in memory: three environments in a promotion group, an
// edit in development, and development's static configuration promoted to
// staging in one call (lock, check, promote, unlock). Development's OAuth2
// client is dynamic configuration: it stays where it is.
func Example() {
	ctx := envpromote.WithActor(context.Background(), "ada") // who makes every change
	t, err := envpromote.NewMemory(envpromote.Options{})
	if err != nil {
		panic(err)
	}
	defer t.Close()
	t.Licenses().Put(ctx, environment.License{ID: "lic-1", Organization: t.Organization()})
	g, err := t.CreateGroup(ctx, "main", "dev", "staging", "prod")
	if err != nil {
		panic(err)
	}
	p, _ := t.Promoter(ctx, "main")
	p.Edit(ctx, g.Members[0].ID, func(b *store.Builder) error {
		b.Put("email-templates/welcome/welcome.json", []byte(`{"_id":"emailTemplate/welcome","subject":"Hi"}`))
		return b.Put("realms/alpha/realm-config/agents/OAuth2Client/app.json", []byte(`{"_id":"app"}`))
	}, store.CommitInfo{Message: "Welcome email"})

	rep, err := t.Promote(ctx, "main", promotion.Request{Upper: "staging"})
	if err != nil {
		panic(err)
	}
	for _, ic := range rep.Changes.IDMConfig {
		fmt.Println(ic.ConfigItem, "added:", ic.ConfigChange.Added[0].Name)
	}
	fmt.Println("AM changes:", len(rep.Changes.AMConfig), "promoted by", rep.Promoter)
	// Output:
	// Email > Templates added: welcome
	// AM changes: 0 promoted by ada
}

// Everything in one Git repository on disk: configuration (one branch per
// environment), environments and licenses, ESVs, locks and reports. Open
// creates the repository the first time and opens it afterwards; commits are
// authored by the actor and name the environments.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "envpromote-example")
	defer os.RemoveAll(dir)
	ctx := envpromote.WithActor(context.Background(), "Ada <ada@example.com>")
	opts := envpromote.Options{Dir: filepath.Join(dir, "tenant.git"), Key: make([]byte, 32)} // keep the key in a secret manager
	t, err := envpromote.Open(ctx, opts)
	if err != nil {
		panic(err)
	}
	t.Licenses().Put(ctx, environment.License{ID: "lic-1", Organization: t.Organization()})
	g, _ := t.CreateGroup(ctx, "main", "Development", "Staging", "Production")
	p, _ := t.Promoter(ctx, "main")
	p.Edit(ctx, g.Members[0].ID, func(b *store.Builder) error {
		return b.Put("email-templates/welcome/welcome.json", []byte(`{"_id":"emailTemplate/welcome"}`))
	}, store.CommitInfo{Message: "Welcome email"})
	if _, err := t.Promote(ctx, "main", promotion.Request{Upper: "Staging"}); err != nil {
		panic(err)
	}
	t.Close()

	// Reopened, the repository still knows every environment by name.
	t, _ = envpromote.Open(ctx, opts)
	defer t.Close()
	envs, _ := t.Registry().List(ctx, t.Admin("ada"), "")
	for _, e := range envs {
		fmt.Println(e.Name, e.Type)
	}
	log, _ := t.Repo().Log(ctx, g.Members[1].ID, store.LogOptions{Limit: 1})
	fmt.Printf("%s, by %s\n", log[0].Message, log[0].Author)
	// Output:
	// Development PRODUCTION
	// Production PRODUCTION
	// Staging PRODUCTION
	// Promote Development to Staging, by Ada <ada@example.com>
}

// exampleTenant returns a memory Tenant with the group main (dev → staging
// → prod), its Promoter, and the group, on a clock that moves a second per
// reading so commits have distinct times.
func exampleTenant(ctx context.Context) (*envpromote.Tenant, *promotion.Promoter, environment.Group) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	t, err := envpromote.NewMemory(envpromote.Options{Clock: clock})
	if err != nil {
		panic(err)
	}
	t.Licenses().Put(ctx, environment.License{ID: "lic-1", Organization: t.Organization()})
	g, err := t.CreateGroup(ctx, "main", "dev", "staging", "prod")
	if err != nil {
		panic(err)
	}
	p, _ := t.Promoter(ctx, "main")
	return t, p, g
}

// put returns an edit writing data at path.
func put(path, data string) func(*store.Builder) error {
	return func(b *store.Builder) error { return b.Put(path, []byte(data)) }
}

// A promotion the integrity checks block returns an error of kind
// FailedPrecondition carrying every finding, each saying where it is, what
// is wrong and how to fix it. Staging is unchanged and unlocked.
func ExampleTenant_Promote_findings() {
	ctx := envpromote.WithActor(context.Background(), "ada")
	t, p, g := exampleTenant(ctx)
	defer t.Close()
	p.Edit(ctx, g.Members[0].ID, put("realms/alpha/journeys/Welcome/Welcome.json", `{"_id":"Welcome","banner":"&{esv.welcome.banner}"}`), store.CommitInfo{Message: "Welcome journey"})

	_, err := t.Promote(ctx, "main", promotion.Request{Upper: "staging"})
	var blocked *integrity.Error
	if errors.As(err, &blocked) {
		for _, f := range blocked.Findings {
			fmt.Println(f.Where(), "—", f.Check, "—", f.ESV)
			fmt.Println("fix:", f.Hint)
		}
	}
	fmt.Println(envpromote.KindOf(err))
	// Output:
	// realms/alpha/journeys/Welcome/Welcome.json:1:28 (banner) — missing-esvs — esv-welcome-banner
	// fix: create the variable or secret esv-welcome-banner in the upper environment (and restart it), or remove the reference
	// failed precondition
}

// A dry run checks and reports without changing the upper environment, and
// is not stopped by findings: its report lists them.
func ExampleTenant_Promote_dryRun() {
	ctx := envpromote.WithActor(context.Background(), "ada")
	t, p, g := exampleTenant(ctx)
	defer t.Close()
	p.Edit(ctx, g.Members[0].ID, put("realms/alpha/journeys/Welcome/Welcome.json", `{"_id":"Welcome","banner":"&{esv.welcome.banner}"}`), store.CommitInfo{Message: "Welcome journey"})

	rep, err := t.Promote(ctx, "main", promotion.Request{Upper: "staging", DryRun: true})
	if err != nil {
		panic(err)
	}
	fmt.Println("dry run:", rep.DryRun, "changes:", rep.Changes.Len(), "would be blocked by:", rep.MissingESVs)
	_, err = t.Repo().Head(ctx, g.Members[1].ID)
	fmt.Println("staging untouched:", errors.Is(err, envpromote.NotFound))
	// Output:
	// dry run: true changes: 1 would be blocked by: [esv-welcome-banner]
	// staging untouched: true
}

// Rollback restores the upper environment's static configuration to what it
// was before its last promotion, as a new commit.
func ExampleTenant_Rollback() {
	ctx := envpromote.WithActor(context.Background(), "ada")
	t, p, g := exampleTenant(ctx)
	defer t.Close()
	p.Edit(ctx, g.Members[0].ID, put("email-templates/welcome/welcome.json", `{"_id":"emailTemplate/welcome"}`), store.CommitInfo{Message: "Welcome email"})
	t.Promote(ctx, "main", promotion.Request{Upper: "staging"})

	rb, err := t.Rollback(ctx, "main", promotion.Request{Upper: "staging", Description: "Not ready yet"})
	if err != nil {
		panic(err)
	}
	fmt.Println(rb.Type, "deleted:", rb.Changes.IDMConfig[0].ConfigChange.Deleted[0].Name)
	_, err = t.Rollback(ctx, "main", promotion.Request{Upper: "staging"})
	fmt.Println(errors.Is(err, promotion.ErrNothingToRollback))
	// Output:
	// rollback deleted: welcome
	// true
}

// RevertDevelopment puts the development environment's static configuration
// back to what it was at a time, as a new commit by the actor.
func ExampleTenant_Promoter() {
	ctx := envpromote.WithActor(context.Background(), "ada")
	t, p, g := exampleTenant(ctx)
	defer t.Close()
	dev := g.Members[0].ID
	good, _ := p.Edit(ctx, dev, put("email-templates/welcome/welcome.json", `{"subject":"Hello"}`), store.CommitInfo{Message: "Welcome email"})
	bad, _ := p.Edit(ctx, dev, put("email-templates/welcome/welcome.json", `{"subject":"Oops"}`), store.CommitInfo{Message: "Reword"})

	c, err := p.RevertDevelopment(envpromote.WithActor(ctx, "bob"), dev, bad.Time)
	if err != nil {
		panic(err)
	}
	snap, _ := t.Repo().Snapshot(ctx, c.Revision)
	data, _ := snap.ReadFile("email-templates/welcome/welcome.json")
	fmt.Println(string(data), "by", c.Author, "back to", c.Metadata[promotion.MetaSource] == string(good.Revision))
	// Output:
	// {"subject":"Hello"} by bob back to true
}

// Each environment with configuration is named in a Git-backed Tenant's
// repository as refs/names/<Slug(name)>: `git log names/dev-qa-eu`.
func ExampleSlug() {
	for _, name := range []string{"Staging", "Dev QA (EU)", "Développement"} {
		fmt.Println(envpromote.Slug(name))
	}
	// Output:
	// staging
	// dev-qa-eu
	// developpement
}
