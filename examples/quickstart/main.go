package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv/memesv"
	"github.com/envpromote/envpromote/examples/internal/tour"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/store/memstore"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	ctx = actor.With(ctx, "ada") // who makes every change
	_, err := tour.Run(ctx, w, tour.Backends{
		Repo:     memstore.New(memstore.Options{}),
		Locker:   memlock.New(memlock.Options{}),
		ESVStore: memesv.New(),
	})
	return err
}
