package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/envpromote/envpromote"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

//go:embed tenant
var tenant embed.FS

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	ctx = envpromote.WithActor(ctx, "ada") // who makes every change
	t, err := envpromote.NewMemory(envpromote.Options{})
	if err != nil {
		return err
	}
	defer t.Close()

	fmt.Fprintln(w, "== Three environments in one promotion group")
	if err := t.Licenses().Put(ctx, environment.License{ID: "lic-1", Organization: t.Organization()}); err != nil {
		return err
	}
	names := []string{"Development", "Staging", "Production"}
	g, err := t.CreateGroup(ctx, "main", names...)
	if err != nil {
		return err
	}
	p, _ := t.Promoter(ctx, "main") // the group just created
	dev, staging := g.Members[0].ID, g.Members[1].ID
	for i, m := range g.Members {
		if _, err := p.Edit(ctx, m.ID, load, store.CommitInfo{Message: "Import the tenant export"}); err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-11s (%s): tenant export imported\n", names[i], m.Tier)
	}

	fmt.Fprintln(w, "\n== Development gets a Welcome journey that uses a new ESV")
	if _, err := p.Edit(ctx, dev, func(b *store.Builder) error {
		return b.Put("realms/alpha/journeys/Welcome/Welcome.json", []byte(`{"_id":"Welcome","banner":"&{esv.welcome.banner}"}`))
	}, store.CommitInfo{Message: "Add the Welcome journey"}); err != nil {
		return err
	}
	dry, err := t.Promote(ctx, "main", promotion.Request{Upper: "Staging", DryRun: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  dry run: %d change(s); a real run would be blocked by %v\n", dry.Changes.Len(), dry.MissingESVs)

	fmt.Fprintln(w, "\n== Promote Development → Staging: lock, check, promote, unlock in one call")
	_, err = t.Promote(ctx, "main", promotion.Request{Upper: "Staging", Description: "Welcome journey"})
	var blocked *integrity.Error // the findings; err's kind is envpromote.FailedPrecondition
	if !errors.As(err, &blocked) {
		return fmt.Errorf("expected the integrity checks to block, got %v", err)
	}
	for _, f := range blocked.Findings {
		fmt.Fprintf(w, "  BLOCKED %s: %s\n    fix: %s\n", f.Where(), f.Message, f.Hint)
	}
	st, _ := p.LockState(ctx, "", staging)
	fmt.Fprintf(w, "  the pair is %s again, Staging unchanged\n", st.Result)

	fmt.Fprintln(w, "\n== Define the ESV in Staging and promote again")
	if _, err := t.ESVs().SetVariable(ctx, staging, "esv-welcome-banner", esv.VariableSpec{Value: "Welcome to Staging"}); err != nil {
		return err
	}
	rep, err := t.Promote(ctx, "main", promotion.Request{Upper: "Staging", Description: "Welcome journey", TicketReference: "CHG-42"})
	if err != nil {
		return err
	}
	for _, ic := range rep.Changes.AMConfig {
		for _, e := range ic.ConfigChange.Added {
			fmt.Fprintf(w, "  %s: added %s (realm %s), promoted by %s\n", ic.ConfigItem, e.Name, e.Realm, rep.Promoter)
		}
	}

	fmt.Fprintln(w, "\n== Roll it back")
	rb, err := t.Rollback(ctx, "main", promotion.Request{Upper: "Staging", Description: "Not ready yet"})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  %s: %d change(s), Staging's static config is as before the promotion\n", rb.Type, rb.Changes.Len())

	fmt.Fprintln(w, "\n== Staging's history, newest first")
	log, err := t.Repo().Log(ctx, staging, store.LogOptions{})
	if err != nil {
		return err
	}
	for _, c := range log {
		subject, _, _ := strings.Cut(c.Message, "\n")
		fmt.Fprintf(w, "  %-9s %-40s by %s\n", c.Metadata[promotion.MetaType], subject, c.Author)
	}
	return nil
}

// load writes the embedded tenant export into an environment.
func load(b *store.Builder) error {
	root, _ := fs.Sub(tenant, "tenant")
	return fs.WalkDir(root, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(root, path)
		if err != nil {
			return err
		}
		return b.Put(path, data)
	})
}
