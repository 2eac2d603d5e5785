package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/errkind"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

// recorder is memstore's Driver, noting every call that reaches it and
// the updates of each Apply.
type recorder struct {
	store.Driver
	mu      sync.Mutex
	calls   []string
	applied [][]store.Update
}

func (r *recorder) note(call string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
}

func (r *recorder) Head(ctx context.Context, branch string) (store.Commit, error) {
	r.note("Head " + branch)
	return r.Driver.Head(ctx, branch)
}

func (r *recorder) Snapshot(ctx context.Context, rev store.Revision) (*store.Snapshot, error) {
	r.note("Snapshot")
	return r.Driver.Snapshot(ctx, rev)
}

func (r *recorder) Log(ctx context.Context, branch string, opts store.LogOptions) ([]store.Commit, error) {
	r.note("Log " + branch)
	return r.Driver.Log(ctx, branch, opts)
}

func (r *recorder) Apply(ctx context.Context, updates []store.Update) ([]store.Commit, error) {
	var names []string
	for _, u := range updates {
		names = append(names, u.Branch)
	}
	r.note("Apply " + strings.Join(names, " "))
	r.mu.Lock()
	r.applied = append(r.applied, updates)
	r.mu.Unlock()
	return r.Driver.Apply(ctx, updates)
}

func (r *recorder) SetAlias(ctx context.Context, alias, branch string) error {
	r.note("SetAlias " + alias)
	return r.Driver.SetAlias(ctx, alias, branch)
}

func (r *recorder) DeleteAlias(ctx context.Context, alias string) error {
	r.note("DeleteAlias " + alias)
	return r.Driver.DeleteAlias(ctx, alias)
}

func (r *recorder) Aliases(ctx context.Context) (map[string]string, error) {
	r.note("Aliases")
	return r.Driver.Aliases(ctx)
}

func newRecorded(clock func() time.Time) (*store.Checked, *recorder) {
	rec := &recorder{Driver: memstore.NewDriver()}
	return store.NewChecked(rec, store.CheckedOptions{Clock: clock}), rec
}

var (
	t0  = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ada = store.CommitInfo{Author: "ada", Time: t0, Message: "m"}
)

func snapOf(t testing.TB, content string) *store.Snapshot {
	t.Helper()
	s, err := store.New(map[string][]byte{"a.json": []byte(content)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// op is one call of a Checked, returning its error.
type op func(ctx context.Context, r *store.Checked) error

func head(branch string) op {
	return func(ctx context.Context, r *store.Checked) error { _, err := r.Head(ctx, branch); return err }
}

func logOf(branch string, limit int) op {
	return func(ctx context.Context, r *store.Checked) error {
		_, err := r.Log(ctx, branch, store.LogOptions{Limit: limit})
		return err
	}
}

func snapshot(rev store.Revision) op {
	return func(ctx context.Context, r *store.Checked) error { _, err := r.Snapshot(ctx, rev); return err }
}

func commit(branch string, info store.CommitInfo) op {
	return func(ctx context.Context, r *store.Checked) error {
		_, err := r.Commit(ctx, branch, "", nil, info)
		return err
	}
}

func apply(updates ...store.Update) op {
	return func(ctx context.Context, r *store.Checked) error { _, err := r.Apply(ctx, updates); return err }
}

func setAlias(alias, branch string) op {
	return func(ctx context.Context, r *store.Checked) error { return r.SetAlias(ctx, alias, branch) }
}

func deleteAlias(alias string) op {
	return func(ctx context.Context, r *store.Checked) error { return r.DeleteAlias(ctx, alias) }
}

func aliases(ctx context.Context, r *store.Checked) error { _, err := r.Aliases(ctx); return err }

func TestRule_BadInputNeverReachesTheDriver(t *testing.T) {
	withAuthor := func(a string) store.CommitInfo { ci := ada; ci.Author = a; return ci }
	withMeta := func(k, v string) store.CommitInfo { ci := ada; ci.Metadata = map[string]string{k: v}; return ci }
	tests := []struct {
		name string
		call op
		want error
	}{
		{"head of an invalid branch", head("-dev"), store.ErrInvalidBranch},
		{"log of an invalid branch", logOf("heads/dev", 0), store.ErrInvalidBranch},
		{"log with a negative limit", logOf("dev", -1), errkind.Invalid},
		{"snapshot of the zero revision", snapshot(""), store.ErrNotFound},
		{"commit to an invalid branch", commit("a/b/c", ada), store.ErrInvalidBranch},
		{"commit with an invalid metadata key", commit("dev", withMeta("1key", "v")), store.ErrInvalidMetadata},
		{"commit with a multi-line metadata value", commit("dev", withMeta("key", "two\nlines")), store.ErrInvalidMetadata},
		{"commit with an author Git cannot keep", commit("dev", withAuthor("Ada <>")), store.ErrInvalidMetadata},
		{"apply naming a branch twice", apply(store.Update{Branch: "dev", Info: ada}, store.Update{Branch: "dev", Info: ada}), store.ErrInvalidBranch},
		{"apply with one bad update among good ones", apply(store.Update{Branch: "dev", Info: ada}, store.Update{Branch: "locks/dev", Info: withAuthor("a<b")}), store.ErrInvalidMetadata},
		{"set an alias with a slash", setAlias("names/prod", "dev"), store.ErrInvalidBranch},
		{"set an alias to an invalid branch", setAlias("prod", "names/prod"), store.ErrInvalidBranch},
		{"delete an invalid alias", deleteAlias("../x"), store.ErrInvalidBranch},
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for name, call := range map[string]op{
		"head": head("dev"), "log": logOf("dev", 0), "snapshot": snapshot("0123456789abcdef0123456789abcdef01234567"),
		"commit": commit("dev", ada), "set alias": setAlias("prod", "dev"), "delete alias": deleteAlias("prod"), "aliases": aliases,
	} {
		tests = append(tests, struct {
			name string
			call op
			want error
		}{name + " with an ended context", func(_ context.Context, r *store.Checked) error { return call(ended, r) }, context.Canceled})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, rec := newRecorded(nil)
			err := tc.call(context.Background(), r)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want one wrapping %v", err, tc.want)
			}
			if len(rec.calls) != 0 {
				t.Fatalf("the driver saw %q", rec.calls)
			}
		})
	}
}

func TestRule_ApplyOfNothingDoesNothing(t *testing.T) {
	r, rec := newRecorded(nil)
	cs, err := r.Apply(context.Background(), nil)
	if err != nil || len(cs) != 0 || len(rec.calls) != 0 {
		t.Fatalf("Apply(nil) = %v, %v, driver saw %q; want nothing", cs, err, rec.calls)
	}
}

// Valid input reaches the driver in one call, and what the driver says
// fails is wrapped once, naming the operation and its branch.
func TestRule_ErrorsNameTheOperationOnce(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	tests := []struct {
		name      string
		call      op
		want      string // the error's text starts so
		wantCalls []string
	}{
		{"head of a missing branch", head("dev"), "store: head of dev: not found", []string{"Head dev"}},
		{"log of a missing branch", logOf("dev", 0), "store: log of dev: not found", []string{"Log dev"}},
		{"snapshot of an unknown revision", snapshot("abc"), `store: snapshot "abc": not found`, []string{"Snapshot"}},
		{"commit on a missing parent", func(ctx context.Context, r *store.Checked) error {
			_, err := r.Commit(ctx, "dev", "abc", nil, ada)
			return err
		}, "store: commit to dev: conflict: branch head moved", []string{"Apply dev"}},
		{"apply of two branches", apply(store.Update{Branch: "locks/dev", Parent: "abc", Info: ada}, store.Update{Branch: "dev", Info: ada}),
			"store: commit to locks/dev, dev: conflict: branch head moved", []string{"Apply locks/dev dev"}},
		{"an invalid branch is named by its rule only", head("-dev"), `store: head: invalid branch name "-dev": segment "-dev" does not start`, nil},
		{"a long invalid branch is cut short", head(long), `store: head: invalid branch name "` + long[:64] + `"…: longer than`, nil},
		{"a long unknown revision is cut short", snapshot(store.Revision(long)), `store: snapshot "` + long[:64] + `"…: not found`, []string{"Snapshot"}},
		{"aliases of an empty repo", aliases, "", []string{"Aliases"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, rec := newRecorded(nil)
			err := tc.call(context.Background(), r)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Fatalf("error %q, want it to start %q", err, tc.want)
			case err != nil && (strings.Count(err.Error(), "store:") != 1 || len(err.Error()) > 400):
				t.Fatalf("error %q is not named once, briefly", err)
			}
			if !slices.Equal(rec.calls, tc.wantCalls) {
				t.Fatalf("the driver saw %q, want %q", rec.calls, tc.wantCalls)
			}
		})
	}
}

// The driver gets a time to the second, the Clock's when the caller gave
// none, and metadata of its own: a caller changing its map after the
// commit does not change history.
func TestRule_DriverGetsStampedCommitsItMayKeep(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return t0.Add(1500 * time.Millisecond) }
	r, rec := newRecorded(clock)
	md := map[string]string{"type": "edit"}
	given := store.CommitInfo{Author: "ada", Time: t0.Add(300 * time.Millisecond), Metadata: md}
	_, err := r.Apply(ctx, []store.Update{
		{Branch: "dev", Snapshot: snapOf(t, "1"), Info: store.CommitInfo{Author: "ada"}},
		{Branch: "prod", Snapshot: snapOf(t, "2"), Info: given},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := rec.applied[0]
	if want := t0.Add(time.Second); !got[0].Info.Time.Equal(want) {
		t.Errorf("a commit without a time reached the driver at %v, want the clock's %v to the second", got[0].Info.Time, want)
	}
	if !got[1].Info.Time.Equal(t0) {
		t.Errorf("a commit at %v reached the driver at %v, want %v", given.Time, got[1].Info.Time, t0)
	}
	md["type"] = "tampered"
	log, err := r.Log(ctx, "prod", store.LogOptions{})
	if err != nil || len(log) != 1 || !maps.Equal(log[0].Metadata, map[string]string{"type": "edit"}) {
		t.Fatalf("Log after the caller changed its map = %v, %v; want the metadata as committed", log, err)
	}
}
