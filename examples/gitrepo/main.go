package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv/gitesv"
	"github.com/envpromote/envpromote/examples/internal/tour"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/store/gitstore"
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
	ctx = actor.With(ctx, "ada") // who makes every change
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "envpromote-gitrepo-"); err != nil {
			return err
		}
	}
	repo, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		return err
	}
	// The key encrypting secret values stays out of the repository; a real
	// deployment keeps it in a secret manager.
	key := make([]byte, 32)
	rand.Read(key)
	esvStore, err := gitesv.New(repo, gitesv.Options{Key: key})
	if err != nil {
		return err
	}
	envs, err := tour.Run(ctx, w, tour.Backends{Repo: repo, Locker: gitlock.New(repo, gitlock.Options{}), ESVStore: esvStore})
	if err != nil {
		return err
	}
	staging := envs[1].ID
	fmt.Fprintf(w, "\n== Everything is in the Git repository %s\n", dir)
	fmt.Fprintf(w, "  git -C %s for-each-ref                     # a branch per environment, plus locks, ESVs and reports\n", dir)
	fmt.Fprintf(w, "  git -C %s log --stat %s       # Staging: import, promotion, rollback\n", dir, staging)
	fmt.Fprintf(w, "  git -C %s show %s~1                # the promotion commit and its metadata\n", dir, staging)
	fmt.Fprintf(w, "  git clone %s tenant && git -C tenant checkout %s\n", dir, envs[0].ID)
	return nil
}
