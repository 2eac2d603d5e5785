package promotion_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/memesv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

// A promotion from development to staging over memory backends: blocked by
// a missing ESV, then through, then rolled back.
func Example() {
	ctx := actor.With(context.Background(), "ada") // who makes every change

	const dev, staging, prod = "dev-1", "staging-1", "prod-1" // PingOne uses UUIDs
	group := environment.Group{Name: "acme", Organization: environment.Ref{ID: "acme"}, Members: []environment.Member{
		{ID: dev, Tier: environment.TierDevelopment},
		{ID: staging, Tier: environment.TierStaging},
		{ID: prod, Tier: environment.TierProduction},
	}}
	locker := memlock.New(memlock.Options{})
	esvs := esv.New(memesv.New(), esv.Options{Guard: promotion.ESVGuard(locker)})
	p, err := promotion.New(promotion.Config{Group: group, Repo: memstore.New(memstore.Options{}), Locker: locker, ESVs: promotion.ESVService(esvs)})
	if err != nil {
		panic(err)
	}

	// Development gets a journey that uses an ESV, and an OAuth2 client
	// (dynamic: it stays in development).
	p.Edit(ctx, dev, func(b *store.Builder) error {
		b.Put("realms/alpha/journeys/Login/Login.json", []byte(`{"_id":"Login","greeting":"&{esv.greeting}"}`))
		return b.Put("realms/alpha/realm-config/agents/OAuth2Client/app.json", []byte(`{"_id":"app"}`))
	}, store.CommitInfo{Author: "ada", Message: "Login journey"})

	lease, _ := p.Lock(ctx, dev, staging, "ada")
	_, err = p.Promote(ctx, promotion.Request{Upper: staging})
	var blocked *integrity.Error
	if errors.As(err, &blocked) {
		fmt.Println("blocked:", blocked.Findings[0].ESV)
	}

	// ESVs can be changed only while the pair is unlocked.
	p.Unlock(ctx, dev, staging, lease.ID)
	esvs.SetVariable(ctx, staging, "esv-greeting", esv.VariableSpec{Value: "Hello"})
	p.Lock(ctx, dev, staging, "ada")

	rep, err := p.Promote(ctx, promotion.Request{Upper: staging, Promoter: "ada"})
	if err != nil {
		panic(err)
	}
	for _, ic := range rep.Changes.AMConfig {
		fmt.Println(rep.Type, ic.ConfigItem, "added:", ic.ConfigChange.Added)
	}
	rb, _ := p.Rollback(ctx, promotion.Request{Upper: staging, UnlockAfter: true})
	fmt.Println(rb.Type, "deleted:", rb.Changes.AMConfig[0].ConfigChange.Deleted)
	_, err = p.Rollback(ctx, promotion.Request{Upper: staging})
	fmt.Println(errors.Is(err, promotion.ErrNotLocked))
	// Output:
	// blocked: esv-greeting
	// promotion Authentication > Journeys added: [{Login /alpha Login}]
	// rollback deleted: [{Login /alpha Login}]
	// true
}

// DefaultLayout tells what a file of an fr-config-pull export is.
func ExampleDefaultLayout() {
	l := promotion.DefaultLayout{}
	for _, p := range []string{
		"realms/alpha/journeys/Login/nodes/Page Node - 1.json",
		"realms/alpha/realm-config/agents/OAuth2Client/app.json",
		"email-templates/welcome/welcome.json",
		"identities/alpha/users/u1.json",
	} {
		it := l.Describe(p, []byte(`{"_id":"x"}`))
		fmt.Printf("%-9s dynamic=%-5v %s %q\n", it.Product, l.Dynamic(p), it.ConfigItem, it.Name)
	}
	// Output:
	// AMConfig  dynamic=false Authentication > Journeys "Login"
	// AMConfig  dynamic=true  Applications "app"
	// IDMConfig dynamic=false Email > Templates "welcome"
	// AMConfig  dynamic=true  Identities "u1"
}
