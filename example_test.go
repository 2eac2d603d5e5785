package envpromote_test

import (
	"context"
	"fmt"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/memesv"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

// The main job on in-memory backends: development's static configuration
// goes to staging as one commit; development's applications (dynamic
// configuration) stay where they are.
func Example() {
	ctx := context.Background()
	group := environment.Group{Name: "acme", Organization: environment.Ref{ID: "acme"}, Members: []environment.Member{
		{ID: "dev", Tier: environment.TierDevelopment},
		{ID: "staging", Tier: environment.TierStaging},
		{ID: "prod", Tier: environment.TierProduction},
	}}
	locker := memlock.New(memlock.Options{})
	esvs := esv.New(memesv.New(), esv.Options{Guard: promotion.ESVGuard(locker)})
	p, err := promotion.New(promotion.Config{Group: group, Repo: memstore.New(memstore.Options{}), Locker: locker, ESVs: promotion.ESVService(esvs)})
	if err != nil {
		panic(err)
	}

	p.Edit(ctx, "dev", func(b *store.Builder) error {
		b.Put("email-templates/welcome/welcome.json", []byte(`{"_id":"emailTemplate/welcome","subject":"Hi"}`))
		return b.Put("realms/alpha/realm-config/agents/OAuth2Client/app.json", []byte(`{"_id":"app"}`))
	}, store.CommitInfo{Author: "ada", Message: "welcome email"})

	if _, err := p.Lock(ctx, "dev", "staging", "ada"); err != nil {
		panic(err)
	}
	rep, err := p.Promote(ctx, promotion.Request{Upper: "staging", Promoter: "ada", UnlockAfter: true})
	if err != nil {
		panic(err)
	}
	for _, ic := range rep.Changes.IDMConfig {
		fmt.Println(ic.ConfigItem, "added:", ic.ConfigChange.Added[0].Name)
	}
	fmt.Println("AM changes:", len(rep.Changes.AMConfig))
	// Output:
	// Email > Templates added: welcome
	// AM changes: 0
}
