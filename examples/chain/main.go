package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/envpromote/envpromote"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chain:", err)
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
	if err := t.Licenses().Put(ctx, environment.License{ID: "lic-1", Organization: t.Organization()}); err != nil {
		return err
	}
	names := []string{"Development", "UAT", "UAT2", "Staging", "Production"}
	g, err := t.CreateGroup(ctx, "main", names...)
	if err != nil {
		return err
	}
	p, err := t.Promoter(ctx, "main")
	if err != nil {
		return err
	}
	id := func(i int) string { return g.Members[i].ID }

	fmt.Fprintln(w, "== Which pairs may promote")
	for _, pair := range [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 3}, {0, 4}, {1, 3}, {3, 2}, {4, 3}} {
		lo, up := pair[0], pair[1]
		lease, err := p.Lock(ctx, id(lo), id(up), "")
		switch {
		case err == nil:
			fmt.Fprintf(w, "  %-11s → %-11s allowed\n", names[lo], names[up])
			if err := p.Unlock(ctx, id(lo), id(up), lease.ID); err != nil {
				return err
			}
		case errors.Is(err, environment.ErrInvalidPair):
			fmt.Fprintf(w, "  %-11s → %-11s rejected: only adjacent members promote\n", names[lo], names[up])
		default:
			return err
		}
	}

	fmt.Fprintln(w, "\n== A change in Development travels up the chain")
	if _, err := p.Edit(ctx, id(0), func(b *store.Builder) error {
		return b.Put("realms/alpha/journeys/Register/Register.json", []byte(`{"_id":"Register"}`))
	}, store.CommitInfo{Message: "Add the Register journey"}); err != nil {
		return err
	}
	for i := 1; i < len(names); i++ {
		rep, err := t.Promote(ctx, "main", promotion.Request{Upper: names[i]})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-11s → %-11s promoted: %d change(s)", names[i-1], names[i], rep.Changes.Len())
		if journeys := rep.Changes.AMConfig; len(journeys) > 0 {
			fmt.Fprintf(w, ", %s added", journeys[0].ConfigChange.Added[0].Name)
		}
		fmt.Fprintln(w)
	}
	return nil
}
