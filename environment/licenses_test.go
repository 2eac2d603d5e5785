package environment_test

import (
	"testing"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/memenv"
)

func TestStoreLicenses_PutRevokeActive(t *testing.T) {
	ctx := actor.With(t.Context(), "ada")
	ls, err := environment.NewStoreLicenses(memenv.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	full := environment.License{ID: "lic-full", Organization: "acme"}
	trial := environment.License{ID: "lic-trial", Organization: "acme", Trial: true}
	for _, l := range []environment.License{full, trial, {ID: "lic-other", Organization: "other"}} {
		if err := ls.Put(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := ls.Revoke(ctx, trial); err != nil {
		t.Fatal(err)
	}
	got, err := ls.Active(ctx, "acme")
	if err != nil || len(got) != 1 || got[0] != full {
		t.Fatalf("Active(acme) = %v, %v; want only %v", got, err, full)
	}
	check(t, ls.Revoke(ctx, environment.License{ID: "nope", Organization: "acme"}), environment.ErrNotFound)
	check(t, ls.Put(t.Context(), full), actor.ErrMissing)
	check(t, ls.Put(ctx, environment.License{ID: "bad id!", Organization: "acme"}), environment.ErrInvalid)
}
