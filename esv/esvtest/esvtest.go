package esvtest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/internal/testclock"
)

// Run runs the suite. newStore returns a new, empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) esv.Store) {
	t.Run("Store", func(t *testing.T) { runStore(t, newStore) })
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			clk := testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			r.run(t, &fixture{store: newStore(t), clock: clk})
		})
	}
}

type fixture struct {
	store esv.Store
	clock *testclock.Clock
}

// service returns a Service over the fixture's store and clock.
func (f *fixture) service(opts esv.Options) *esv.Service {
	opts.Now = f.clock.Now
	return esv.New(f.store, opts)
}

const env = "dev"

func secret(s string) esv.SecretValue { return esv.NewSecretValue([]byte(s)) }

// must fails the test on err.
func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one wrapping %v", err, target)
	}
}

// stateOpts compares States: secret values by content, times by instant,
// nil and empty maps alike.
var stateOpts = cmp.Options{
	cmp.Comparer(func(a, b esv.SecretValue) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// fullState uses every field of State.
func fullState(now time.Time) esv.State {
	v := esv.Variable{Name: "esv-port", Description: "SMTP port", ExpressionType: esv.TypeInt, Value: "465", LastChangedBy: "ada", LastChangeDate: now}
	loaded := esv.Loaded{
		Variables: map[string]esv.Variable{"esv-port": v},
		Secrets:   map[string]esv.LoadedSecret{"esv-key": {Version: 2, UseInPlaceholders: true, Versions: map[int]esv.SecretValue{1: secret("one"), 2: secret("two")}}},
	}
	return esv.State{
		Variables: map[string]esv.Variable{"esv-port": v, "esv-host": {Name: "esv-host", ExpressionType: esv.TypeString, Value: "mail.example.com", LastChangeDate: now}},
		Secrets: map[string]esv.SecretState{"esv-key": {
			Secret: esv.Secret{Name: "esv-key", Description: "d", Encoding: esv.EncodingGeneric, UseInPlaceholders: true, LastChangedBy: "bob", LastChangeDate: now},
			Versions: []esv.VersionState{
				{SecretVersion: esv.SecretVersion{Version: 1, CreateDate: now, Status: esv.Disabled}, Value: secret("one")},
				{SecretVersion: esv.SecretVersion{Version: 3, CreateDate: now.Add(time.Hour), Status: esv.Enabled}, Value: secret("three")},
			},
		}},
		Loaded:  loaded,
		Restart: esv.Restart{Pending: &loaded, ReadyAt: now.Add(time.Minute)},
	}
}

func runStore(t *testing.T, newStore func(t *testing.T) esv.Store) {
	ctx := actor.With(context.Background(), "ada")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	t.Run("NeverSavedIsEmpty", func(t *testing.T) {
		st, rev, err := newStore(t).Load(ctx, env)
		if err != nil || rev != "" || len(st.Variables)+len(st.Secrets) != 0 || st.Restart.Pending != nil {
			t.Fatalf("Load of a new environment = %+v, %q, %v; want empty, zero, nil", st, rev, err)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		want := fullState(now)
		rev := must[esv.Revision](t)(s.Save(ctx, env, "", want))
		got, gotRev, err := s.Load(ctx, env)
		if err != nil || gotRev != rev {
			t.Fatalf("Load = rev %q, %v; want %q", gotRev, err, rev)
		}
		if d := cmp.Diff(want, got, stateOpts); d != "" {
			t.Fatalf("Load after Save (-saved +loaded):\n%s", d)
		}
	})
	t.Run("CompareAndSet", func(t *testing.T) {
		s := newStore(t)
		rev1 := must[esv.Revision](t)(s.Save(ctx, env, "", fullState(now)))
		_, err := s.Save(ctx, env, "", esv.State{})
		wantErr(t, err, esv.ErrConflict)
		rev2 := must[esv.Revision](t)(s.Save(ctx, env, rev1, esv.State{}))
		if rev2 == rev1 || rev2 == "" {
			t.Fatalf("second revision %q, first %q: want a new non-zero one", rev2, rev1)
		}
		_, err = s.Save(ctx, env, rev1, fullState(now))
		wantErr(t, err, esv.ErrConflict)
		if st, _, _ := s.Load(ctx, env); len(st.Variables) != 0 {
			t.Fatalf("a losing Save changed the state: %v", st.Variables)
		}
	})
	t.Run("EnvironmentsAreSeparate", func(t *testing.T) {
		s := newStore(t)
		must[esv.Revision](t)(s.Save(ctx, "dev", "", fullState(now)))
		st, rev, err := s.Load(ctx, "staging")
		if err != nil || rev != "" || len(st.Variables) != 0 {
			t.Fatalf("staging after saving dev = %v, %q, %v; want empty", st.Variables, rev, err)
		}
		must[esv.Revision](t)(s.Save(ctx, "staging", "", esv.State{}))
	})
	t.Run("CallersDoNotShareState", func(t *testing.T) {
		s := newStore(t)
		st := fullState(now)
		rev := must[esv.Revision](t)(s.Save(ctx, env, "", st))
		st.Variables["esv-port"] = esv.Variable{Name: "changed"}
		st.Secrets["esv-key"].Versions[0].Status = esv.Enabled
		got, _, _ := s.Load(ctx, env)
		got.Variables["esv-new"] = esv.Variable{}
		again, _, _ := s.Load(ctx, env)
		if d := cmp.Diff(fullState(now), again, stateOpts); d != "" {
			t.Fatalf("changing a saved or loaded State changed the store (-want +got):\n%s", d)
		}
		_ = rev
	})
	t.Run("RacingSavesOneWinner", func(t *testing.T) {
		s := newStore(t)
		rev := must[esv.Revision](t)(s.Save(ctx, env, "", esv.State{}))
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				st := esv.State{Variables: map[string]esv.Variable{"esv-v": {Name: "esv-v", ExpressionType: esv.TypeString, Value: fmt.Sprint(i)}}}
				_, errs[i] = s.Save(ctx, env, rev, st)
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, esv.ErrConflict):
				t.Fatalf("racing Save: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d racing Saves from one revision won, want exactly 1", wins)
		}
	})
}

// shows returns a JSON or fmt form of v that contains s, plainly or in hex,
// or "" if none does.
func shows(v any, s string) string {
	b, _ := json.Marshal(v)
	for _, form := range []string{string(b), fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprintf("%s", v), fmt.Sprintf("%x", v), fmt.Sprintf("%q", v)} {
		if strings.Contains(form, s) || strings.Contains(form, hex.EncodeToString([]byte(s))) {
			return form
		}
	}
	return ""
}
