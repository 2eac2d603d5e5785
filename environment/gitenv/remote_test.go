package gitenv_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/envtest"
	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/internal/gittest/machine"
)

func TestConformanceGitstoreRemote(t *testing.T) {
	if os.Getenv("ENVPROMOTE_LONG") == "" {
		t.Skip("runs the suite over a smart HTTP remote, a minute or more; set ENVPROMOTE_LONG=1")
	}
	srv := gittest.HTTP(t)
	envtest.Run(t, func(t *testing.T) environment.Store { return newStore(t, machine.New(t, srv.NewRepo(t))) })
}

// Stores on machines with their own on-disk caches read each other's
// writes, and a write on a stale version conflicts.
func TestRule_MachinesShareRecordsThroughTheRemote(t *testing.T) {
	url := gittest.Daemon(t).NewRepo(t)
	ctx := context.Background()
	a, b := newStore(t, machine.New(t, url)), newStore(t, machine.New(t, url))
	write := environment.Batch{Actor: "a", Message: "create", Writes: []environment.Write{{Key: "environments/x", Data: []byte(`{"n":1}`)}}}
	if err := a.Apply(ctx, write); err != nil {
		t.Fatal(err)
	}
	rec, err := b.Get(ctx, "environments/x")
	if err != nil || string(rec.Data) != `{"n":1}` {
		t.Fatalf("b reads %q, %v; want a's record", rec.Data, err)
	}
	if err := b.Apply(ctx, write); !errors.Is(err, environment.ErrConflict) {
		t.Fatalf("b creates a record a created: %v, want ErrConflict", err)
	}
}
