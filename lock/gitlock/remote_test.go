package gitlock_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/internal/gittest/machine"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/lock/locktest"
)

func TestConformance_GitstoreRemote(t *testing.T) {
	if os.Getenv("ENVPROMOTE_LONG") == "" {
		// Its racing rules make hundreds of round trips, each a git process
		// on the server: minutes on a loaded machine.
		t.Skip("runs the suite over a smart HTTP remote; set ENVPROMOTE_LONG=1")
	}
	srv := gittest.HTTP(t)
	locktest.Run(t, func(t *testing.T, now func() time.Time) lock.Locker {
		return gitlock.New(machine.New(t, srv.NewRepo(t)), gitlock.Options{Now: now})
	})
}

// Lockers on machines with their own on-disk caches share the leases of
// their remote.
func TestRule_MachinesShareLeasesThroughTheRemote(t *testing.T) {
	url := gittest.HTTP(t).NewRepo(t)
	ctx := context.Background()
	a := gitlock.New(machine.New(t, url), gitlock.Options{})
	b := gitlock.New(machine.New(t, url), gitlock.Options{})
	envs := []string{"dev", "staging"}
	lease, err := a.Lock(ctx, envs, "a", lock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lock(ctx, []string{"staging"}, "b", lock.Options{}); !errors.Is(err, lock.ErrLocked) {
		t.Fatalf("b locks what a holds: %v, want ErrLocked", err)
	}
	if st, err := b.State(ctx, "dev"); err != nil || st.State != lock.StateLocked || st.Lease.ID != lease.ID {
		t.Fatalf("b sees dev %+v, %v; want locked by a's lease", st, err)
	}
	if err := b.Validate(ctx, lease); err != nil {
		t.Fatalf("b validates a's lease: %v", err)
	}
	if err := a.Unlock(ctx, lease); err != nil {
		t.Fatal(err)
	}
	lb, err := b.Lock(ctx, envs, "b", lock.Options{})
	if err != nil {
		t.Fatalf("b locks after a unlocked: %v", err)
	}
	if lb.Token <= lease.Token {
		t.Fatalf("b's token %d is not above a's %d", lb.Token, lease.Token)
	}
}
