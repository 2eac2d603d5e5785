package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/envpromote/envpromote"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

func main() {
	dir := flag.String("dir", "", "where to create the repository (default: a new temporary directory)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "gitrepo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, dir string) error {
	ctx = envpromote.WithActor(ctx, "Ada <ada@example.com>") // who makes every change
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "envpromote-gitrepo-"); err != nil {
			return err
		}
	}
	// The key encrypting secret values stays out of the repository; a real
	// deployment keeps it in a secret manager.
	key := make([]byte, 32)
	rand.Read(key)
	opts := envpromote.Options{Dir: dir, Key: key}
	if err := setUp(ctx, w, opts); err != nil {
		return err
	}

	// Another process (or machine, with Options.Remote) opens the same
	// repository and finds everything, environments included.
	t, err := envpromote.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer t.Close()
	envs, err := t.Registry().List(ctx, t.Admin("ada"), "")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== Reopened %s: the environments are in the repository\n", dir)
	var staging, dev string
	for _, e := range envs {
		fmt.Fprintf(w, "  %-11s %s\n", e.Name, e.ID)
		switch e.Name {
		case "Staging":
			staging = e.ID
		case "Development":
			dev = e.ID
		}
	}
	fmt.Fprintf(w, "\n== Inspect it with git\n")
	fmt.Fprintf(w, "  git -C %s for-each-ref                  # a branch per environment, plus environments, locks, ESVs, reports, names\n", dir)
	fmt.Fprintf(w, "  git -C %s log environments              # who changed which environment, license and group\n", dir)
	fmt.Fprintf(w, "  git -C %s log esv/%s  # ESV changes of Staging, by actor and name\n", dir, staging)
	fmt.Fprintf(w, "  git -C %s log names/staging             # Staging (%s): import, promotion, rollback\n", dir, staging)
	fmt.Fprintf(w, "  git clone %s tenant && git -C tenant checkout %s\n", dir, dev)
	return nil
}

// setUp creates the repository with three environments and runs a
// promotion and its rollback.
func setUp(ctx context.Context, w io.Writer, opts envpromote.Options) error {
	t, err := envpromote.Open(ctx, opts) // creates the repository
	if err != nil {
		return err
	}
	defer t.Close()
	if err := t.Licenses().Put(ctx, environment.License{ID: "lic-1", Organization: t.Organization()}); err != nil {
		return err
	}
	g, err := t.CreateGroup(ctx, "main", "Development", "Staging", "Production")
	if err != nil {
		return err
	}
	p, _ := t.Promoter(ctx, "main") // the group just created
	for _, m := range g.Members {
		if _, err := p.Edit(ctx, m.ID, func(b *store.Builder) error {
			return b.Put("managed-objects/alpha_user/alpha_user.json", []byte(`{"name":"alpha_user","schema":{}}`))
		}, store.CommitInfo{Message: "Import the tenant export"}); err != nil {
			return err
		}
		if _, err := t.ESVs().CreateSecret(ctx, m.ID, "esv-smtp-password", esv.SecretSpec{Value: esv.NewSecretValue([]byte("s3cret"))}); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "== Development, Staging and Production imported; each has its secret esv-smtp-password (encrypted in Git)")

	if _, err := p.Edit(ctx, g.Members[0].ID, func(b *store.Builder) error {
		return b.Put("email-templates/welcome/welcome.json", []byte(`{"_id":"emailTemplate/welcome","subject":{"en":"Welcome"}}`))
	}, store.CommitInfo{Message: "Add the welcome email"}); err != nil {
		return err
	}
	rep, err := t.Promote(ctx, "main", promotion.Request{Upper: "Staging", Description: "Welcome email"})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "== Promoted Development → Staging: %d change(s), commit %s\n", rep.Changes.Len(), rep.Revision)
	rb, err := t.Rollback(ctx, "main", promotion.Request{Upper: "Staging", Description: "Not yet"})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "== Rolled it back: commit %s\n", rb.Revision)
	return nil
}
