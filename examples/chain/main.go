package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/memesv"
	"github.com/envpromote/envpromote/examples/internal/tour"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chain:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	ctx = actor.With(ctx, "ada") // who makes every change
	group, envs, err := tour.Org(ctx, w, "Development", "UAT", "UAT2", "Staging", "Production")
	if err != nil {
		return err
	}
	locker := memlock.New(memlock.Options{})
	esvs := esv.New(memesv.New(), esv.Options{Guard: promotion.ESVGuard(locker)})
	p, err := promotion.New(promotion.Config{Group: group, Repo: memstore.New(memstore.Options{}), Locker: locker, ESVs: promotion.ESVService(esvs)})
	if err != nil {
		return err
	}
	for _, e := range envs {
		if err := tour.Load(ctx, p, esvs, e.ID); err != nil {
			return err
		}
	}

	fmt.Fprintln(w, "\n== Which pairs may promote")
	for _, pair := range [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 3}, {0, 4}, {1, 3}, {3, 2}, {4, 3}} {
		lo, up := envs[pair[0]], envs[pair[1]]
		lease, err := p.Lock(ctx, lo.ID, up.ID, "ada")
		switch {
		case err == nil:
			fmt.Fprintf(w, "  %-11s → %-11s allowed\n", lo.Name, up.Name)
			if err := p.Unlock(ctx, lo.ID, up.ID, lease.ID); err != nil {
				return err
			}
		case errors.Is(err, environment.ErrInvalidPair):
			fmt.Fprintf(w, "  %-11s → %-11s rejected: only adjacent members promote\n", lo.Name, up.Name)
		default:
			return err
		}
	}

	fmt.Fprintln(w, "\n== A change in Development travels up the chain")
	_, err = p.Edit(ctx, envs[0].ID, func(b *store.Builder) error {
		return b.Put("realms/alpha/journeys/Register/Register.json", []byte(`{"_id":"Register"}`))
	}, store.CommitInfo{Author: "ada", Message: "Add the Register journey"})
	if err != nil {
		return err
	}
	for i := 1; i < len(envs); i++ {
		lo, up := envs[i-1], envs[i]
		if _, err := p.Lock(ctx, lo.ID, up.ID, "ada"); err != nil {
			return err
		}
		rep, err := p.Promote(ctx, promotion.Request{Upper: up.ID, UnlockAfter: true, Promoter: "ada"})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-11s → %-11s promoted: %d change(s)", lo.Name, up.Name, rep.Changes.Len())
		if journeys := rep.Changes.AMConfig; len(journeys) > 0 {
			fmt.Fprintf(w, ", %s added", journeys[0].ConfigChange.Added[0].Name)
		}
		fmt.Fprintln(w)
	}
	return nil
}
