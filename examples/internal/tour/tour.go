package tour

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

// Backends are the pluggable parts the tour runs on.
type Backends struct {
	Repo   store.Repo
	Locker lock.Locker
	// ESVStore keeps ESVs; the tour guards it with promotion.ESVGuard.
	ESVStore esv.Store
}

// Env names an environment of the tour.
type Env struct {
	Name string
	ID   string
}

// Org creates the organization's environments through an
// environment.Registry and saves them as a promotion group, printing them.
// The names run lowest first; the first is the development environment, the
// last production, the one before staging, the others UAT.
func Org(ctx context.Context, w io.Writer, names ...string) (environment.Group, []Env, error) {
	reg := environment.New(memenv.New(),
		memenv.NewLicenses(environment.License{ID: "lic-1", Organization: "acme"}),
		environment.Options{})
	admin := environment.Principal{ID: "ada", Roles: []environment.RoleAssignment{{
		Role:  environment.OrganizationAdmin,
		Scope: environment.Scope{Type: environment.ScopeOrganization, ID: "acme"},
	}}}
	group := environment.Group{Name: "acme-tenant", Organization: environment.Ref{ID: "acme"}}
	var envs []Env
	for i, name := range names {
		e, err := reg.Create(ctx, admin, environment.Environment{Name: name, Type: environment.Production, Region: environment.RegionEU})
		if err != nil {
			return group, nil, err
		}
		tier := environment.TierUAT
		switch i {
		case 0:
			tier = environment.TierDevelopment
		case len(names) - 2:
			tier = environment.TierStaging
		case len(names) - 1:
			tier = environment.TierProduction
		}
		group.Members = append(group.Members, environment.Member{ID: e.ID, Tier: tier})
		envs = append(envs, Env{Name: name, ID: e.ID})
	}
	if _, err := reg.SaveGroup(ctx, admin, group); err != nil {
		return group, nil, err
	}
	list, err := reg.List(ctx, admin, `name sw ""`)
	if err != nil {
		return group, nil, err
	}
	fmt.Fprintf(w, "Environments of organization acme (promotion group %q):\n", group.Name)
	for _, m := range group.Members {
		for _, e := range list {
			if e.ID == m.ID {
				fmt.Fprintf(w, "  %-12s %-11s %s %s\n", e.Name, m.Tier, e.Type, e.ID)
			}
		}
	}
	return group, envs, nil
}

// Tenant is the small generated tenant every environment starts with.
var Tenant = tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 200, Realms: 1})

// Load writes the tenant into env as its first commit and defines, in env,
// every ESV the tenant uses.
func Load(ctx context.Context, p *promotion.Promoter, esvs *esv.Service, env string) error {
	_, err := p.Edit(ctx, env, func(b *store.Builder) error {
		for _, path := range Tenant.Paths() {
			if err := b.Put(path, Tenant.Files[path]); err != nil {
				return err
			}
		}
		return nil
	}, store.CommitInfo{Author: "ada", Message: "Import tenant export"})
	if err != nil {
		return err
	}
	for name, typ := range Tenant.Vars {
		if _, err := esvs.SetVariable(ctx, env, name, esv.VariableSpec{ExpressionType: esv.ExpressionType(typ), Value: sample(esv.ExpressionType(typ))}); err != nil {
			return err
		}
	}
	for name, enc := range Tenant.Secrets {
		spec := esv.SecretSpec{Encoding: esv.Encoding(enc), UseInPlaceholders: true, Value: esv.NewSecretValue(secret(esv.Encoding(enc)))}
		if _, err := esvs.CreateSecret(ctx, env, name, spec); err != nil {
			return err
		}
	}
	return nil
}

// sample is a value of type t.
func sample(t esv.ExpressionType) string {
	switch t {
	case esv.TypeInt, esv.TypeNumber:
		return "1"
	case esv.TypeBool:
		return "true"
	case esv.TypeArray:
		return `["a"]`
	case esv.TypeObject:
		return `{"a":1}`
	case esv.TypeBase64:
		return "eA=="
	case esv.TypeKeyValueList:
		return "a=b"
	}
	return "value"
}

// secret is a (made-up) secret of encoding e.
func secret(e esv.Encoding) []byte {
	switch e {
	case esv.EncodingPEM:
		return []byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")
	case esv.EncodingBase64HMAC, esv.EncodingBase64AES:
		return []byte("MDEyMzQ1Njc4OWFiY2RlZg==")
	}
	return []byte("s3cret")
}

// Run is the quickstart walk over b: development → staging → production.
// It returns the environments it created.
func Run(ctx context.Context, w io.Writer, b Backends) ([]Env, error) {
	step := func(format string, args ...any) { fmt.Fprintf(w, "\n== "+format+"\n", args...) }
	group, envs, err := Org(ctx, w, "Development", "Staging", "Production")
	if err != nil {
		return nil, err
	}
	dev, staging := envs[0].ID, envs[1].ID
	esvs := esv.New(b.ESVStore, esv.Options{Guard: promotion.ESVGuard(b.Locker)})
	p, err := promotion.New(promotion.Config{Group: group, Repo: b.Repo, Locker: b.Locker, ESVs: promotion.ESVService(esvs)})
	if err != nil {
		return nil, err
	}

	step("Load the same %d-file tenant export into every environment", len(Tenant.Files))
	for _, e := range envs {
		if err := Load(ctx, p, esvs, e.ID); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "  %s: imported, %d ESVs defined\n", e.Name, len(Tenant.Vars)+len(Tenant.Secrets))
	}

	step("Edit Development: a new journey that uses a new ESV, and a script change")
	_, err = p.Edit(ctx, dev, func(b *store.Builder) error {
		if err := b.Put("realms/alpha/journeys/Welcome/Welcome.json", []byte(`{"_id":"Welcome","entryNodeId":"m1"}`)); err != nil {
			return err
		}
		if err := b.Put("realms/alpha/journeys/Welcome/nodes/Message Node - m1.json", []byte(`{"_id":"m1","message":{"en":"&{esv.welcome.banner}"}}`)); err != nil {
			return err
		}
		script := firstScript()
		return b.Put(script, append(Tenant.Files[script], "\n// reviewed\n"...))
	}, store.CommitInfo{Author: "ada", Message: "Add the Welcome journey, touch a script"})
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(w, "  committed on Development's branch")

	step("Provisional report: what promoting Development → Staging would change")
	prov, err := p.ProvisionalReport(ctx, dev, staging)
	if err != nil {
		return nil, err
	}
	PrintChanges(w, prov.Changes)

	step("Lock Development and Staging")
	lease, err := p.Lock(ctx, dev, staging, "ada")
	if err != nil {
		return nil, err
	}
	st, err := p.LockState(ctx, dev, staging)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "  lock state: %s (promotion %s)\n", st.Result, st.PromotionID)
	if _, err := p.Lock(ctx, staging, envs[2].ID, "bob"); errors.Is(err, lock.ErrLocked) {
		fmt.Fprintln(w, "  bob cannot lock Staging → Production meanwhile: one promotion per group")
	}

	step("Promote Development → Staging")
	_, err = p.Promote(ctx, promotion.Request{Upper: staging, Promoter: "ada", Description: "Welcome journey"})
	var blocked *integrity.Error
	if !errors.As(err, &blocked) {
		return nil, fmt.Errorf("the promotion should have been blocked, got %v", err)
	}
	fmt.Fprintln(w, "  BLOCKED by the integrity checks:")
	for _, f := range blocked.Findings {
		fmt.Fprintf(w, "    %s: %s\n", f.Where(), f.Message)
		if f.Hint != "" {
			fmt.Fprintf(w, "      fix: %s\n", f.Hint)
		}
	}
	pr, err := p.Progress(ctx, staging)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "  progress: %s, missing ESVs %v; Staging is unchanged\n", pr.Status, pr.MissingESVs)

	step("Add the missing ESV to Staging")
	_, err = esvs.SetVariable(ctx, staging, "esv-welcome-banner", esv.VariableSpec{Value: "Welcome to Staging"})
	fmt.Fprintf(w, "  while locked, ESV writes are refused: %v\n", errors.Is(err, lock.ErrLocked))
	if err := p.Unlock(ctx, dev, staging, lease.ID); err != nil {
		return nil, err
	}
	if _, err := esvs.SetVariable(ctx, staging, "esv-welcome-banner", esv.VariableSpec{Value: "Welcome to Staging"}); err != nil {
		return nil, err
	}
	fmt.Fprintln(w, "  unlocked, set esv-welcome-banner on Staging, locked again")
	if lease, err = p.Lock(ctx, dev, staging, "ada"); err != nil {
		return nil, err
	}

	step("Promote Development → Staging again")
	rep, err := p.Promote(ctx, promotion.Request{Upper: staging, Promoter: "ada", Description: "Welcome journey", TicketReference: "CHG-42"})
	if err != nil {
		return nil, err
	}
	pr, _ = p.Progress(ctx, staging)
	fmt.Fprintf(w, "  progress: %s, %d change(s), one new commit on Staging's branch\n", pr.Status, rep.Changes.Len())

	step("The promotion report")
	PrintReport(w, rep)

	step("Roll the promotion back")
	rb, err := p.Rollback(ctx, promotion.Request{Upper: staging, Promoter: "ada", Description: "Not ready yet"})
	if err != nil {
		return nil, err
	}
	PrintReport(w, rb)
	if _, err := p.Rollback(ctx, promotion.Request{Upper: staging, Promoter: "ada"}); errors.Is(err, promotion.ErrNothingToRollback) {
		fmt.Fprintln(w, "  a second rollback is refused: nothing to roll back")
	}

	step("Unlock")
	if err := p.Unlock(ctx, dev, staging, lease.ID); err != nil {
		return nil, err
	}
	st, _ = p.LockState(ctx, dev, staging)
	fmt.Fprintf(w, "  lock state: %s\n", st.Result)

	step("Reports of Staging, newest first")
	list, err := p.Reports(ctx, staging)
	if err != nil {
		return nil, err
	}
	for _, m := range list {
		fmt.Fprintf(w, "  %s  %-9s by %s  %s\n", m.CreatedDate.Format("2006-01-02 15:04:05"), m.Type, m.Promoter, m.ReportID)
	}
	return envs, nil
}

// firstScript is the path of the tenant's first script source.
func firstScript() string {
	for _, p := range Tenant.Paths() {
		if strings.HasPrefix(p, "realms/alpha/scripts/") && strings.HasSuffix(p, ".js") {
			return p
		}
	}
	return ""
}

// PrintReport prints a report's header and changes.
func PrintReport(w io.Writer, r *promotion.Report) {
	fmt.Fprintf(w, "  %s %s (report %s)\n", r.Type, r.ReportName, r.ReportID)
	fmt.Fprintf(w, "  promoter %q, description %q, ticket %q\n", r.Promoter, r.Description, r.TicketReference)
	PrintChanges(w, r.Changes)
}

// PrintChanges prints changes grouped by product and config item.
func PrintChanges(w io.Writer, c promotion.Changes) {
	if c.Len() == 0 {
		fmt.Fprintln(w, "  no changes")
	}
	for _, g := range []struct {
		name  string
		items []promotion.ItemChanges
	}{{"AMConfig", c.AMConfig}, {"IDMConfig", c.IDMConfig}} {
		for _, ic := range g.items {
			fmt.Fprintf(w, "  %s / %s\n", g.name, ic.ConfigItem)
			for _, e := range ic.ConfigChange.Added {
				fmt.Fprintf(w, "    added    %s\n", entry(e))
			}
			for _, e := range ic.ConfigChange.Modified {
				fmt.Fprintf(w, "    modified %s\n", entry(e))
			}
			for _, e := range ic.ConfigChange.Deleted {
				fmt.Fprintf(w, "    deleted  %s\n", entry(e))
			}
		}
	}
}

func entry(e promotion.Entry) string {
	s := e.Name
	if e.Realm != "" {
		s += " (realm " + e.Realm + ")"
	}
	return s
}
