package gitesv_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/esvtest"
	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/internal/gittest/machine"
)

func TestConformanceGitRemote(t *testing.T) {
	if os.Getenv("ENVPROMOTE_LONG") == "" {
		t.Skip("runs the suite over a smart HTTP remote, a minute or more; set ENVPROMOTE_LONG=1")
	}
	srv := gittest.HTTP(t)
	esvtest.Run(t, func(t *testing.T) esv.Store { return newStore(t, machine.New(t, srv.NewRepo(t)), key) })
}

// Stores on machines with their own on-disk caches read each other's
// writes, and of two saves on one revision exactly one lands.
func TestRule_MachinesShareESVsThroughTheRemote(t *testing.T) {
	url := gittest.Daemon(t).NewRepo(t)
	ctx := actor.With(context.Background(), "ada")
	a, b := newStore(t, machine.New(t, url), key), newStore(t, machine.New(t, url), key)
	st := esv.State{Variables: map[string]esv.Variable{"esv-a": {Name: "esv-a", ExpressionType: esv.TypeString, Value: "1"}}}
	rev, err := a.Save(ctx, "dev", "", st)
	if err != nil {
		t.Fatal(err)
	}
	got, gotRev, err := b.Load(ctx, "dev")
	if err != nil || gotRev != rev || got.Variables["esv-a"].Value != "1" {
		t.Fatalf("b loads %+v at %s, %v; want a's save at %s", got.Variables, gotRev, err, rev)
	}
	got.Variables["esv-a"] = esv.Variable{Name: "esv-a", ExpressionType: esv.TypeString, Value: "b"}
	if _, err := b.Save(ctx, "dev", rev, got); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Save(ctx, "dev", rev, st); !errors.Is(err, esv.ErrConflict) {
		t.Fatalf("a saves on the revision b replaced: %v, want ErrConflict", err)
	}
}
