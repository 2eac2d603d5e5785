package integrity_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/store"
	"github.com/google/go-cmp/cmp"
)

// staticInput returns the Input a promoter would build for t: its static
// files, and its ESV definitions as the upper environment's.
func staticInput(tb testing.TB, t *tenantgen.Tenant) *integrity.Input {
	tb.Helper()
	files := map[string][]byte{}
	for p, b := range t.Files {
		if t.Kinds[p] == tenantgen.Static {
			files[p] = b
		}
	}
	snap, err := store.New(files)
	if err != nil {
		tb.Fatal(err)
	}
	return &integrity.Input{Static: snap, Operation: integrity.Promotion, ESVs: tenantESVs(t)}
}

func tenantESVs(t *tenantgen.Tenant) map[string]integrity.ESV {
	m := map[string]integrity.ESV{}
	for n, typ := range t.Vars {
		m[n] = integrity.ESV{Type: esv.ExpressionType(typ)}
	}
	for n := range t.Secrets {
		m[n] = integrity.ESV{Secret: true, UseInPlaceholders: true}
	}
	return m
}

// TestRule_TenantFindingsMatchGeneratedProblems checks a whole generated
// tenant: the findings are exactly the missing ESVs and $crypto objects
// tenantgen placed, each where it placed them, and nothing else.
func TestRule_TenantFindingsMatchGeneratedProblems(t *testing.T) {
	ten := tenantgen.Generate(tenantgen.Options{Seed: 7, Files: 1500, MissingESVs: 4, Crypto: 3})
	in := staticInput(t, ten)
	res, err := new(integrity.Runner).Run(context.Background(), integrity.Builtin(), in)
	if !errors.Is(err, integrity.ErrFailed) {
		t.Fatalf("err = %v, want ErrFailed", err)
	}

	missing := map[string]map[string]int{} // ESV → path → references
	crypto := map[string]int{}
	for _, f := range res.Findings {
		switch {
		case f.Check == integrity.CheckMissingESVs && f.Severity == integrity.Blocking:
			if missing[f.ESV] == nil {
				missing[f.ESV] = map[string]int{}
			}
			missing[f.ESV][f.Path]++
		case f.Check == integrity.CheckEncryptedSecrets && f.Severity == integrity.Blocking:
			crypto[f.Path]++
		default:
			t.Errorf("unexpected finding %s", f)
		}
	}
	if diff := cmp.Diff(ten.Missing, res.MissingESVs()); diff != "" {
		t.Errorf("MissingESVs (-generated +found):\n%s", diff)
	}
	for _, name := range ten.Missing {
		want := map[string]int{}
		for p, names := range ten.Refs {
			if n := count(names, name); n > 0 {
				want[p] = n
			}
		}
		if diff := cmp.Diff(want, missing[name]); diff != "" {
			t.Errorf("%s: references by path (-generated +found):\n%s", name, diff)
		}
	}
	if diff := cmp.Diff(ten.Crypto, crypto); diff != "" {
		t.Errorf("$crypto by path (-generated +found):\n%s", diff)
	}
	if got := len(res.EncryptedSecrets()); got != ten.Options.Crypto {
		t.Errorf("EncryptedSecrets() has %d entries, want %d", got, ten.Options.Crypto)
	}

	// Ignoring the encrypted secrets leaves the missing ESVs blocking and
	// lists the secrets apart.
	in.IgnoreEncryptedSecrets = true
	res, err = integrity.Run(context.Background(), integrity.Builtin(), in)
	var ierr *integrity.Error
	if !errors.As(err, &ierr) || len(ierr.Findings) != len(res.Blocking()) {
		t.Fatalf("err = %v, want *Error with the blocking findings", err)
	}
	if got := len(res.IgnoredEncryptedSecrets()); got != ten.Options.Crypto || len(res.EncryptedSecrets()) != 0 {
		t.Errorf("ignored %d, blocking %d encrypted secrets; want %d ignored, 0 blocking",
			got, len(res.EncryptedSecrets()), ten.Options.Crypto)
	}

	// Defining the missing ESVs and ignoring the secrets passes.
	for _, n := range ten.Missing {
		in.ESVs[n] = integrity.ESV{}
	}
	if res, err = integrity.Run(context.Background(), integrity.Builtin(), in); err != nil || len(res.Findings) != 0 {
		t.Errorf("clean tenant: err = %v, findings %v", err, res.Findings)
	}
}

func count(names []string, name string) int {
	n := 0
	for _, x := range names {
		if x == name {
			n++
		}
	}
	return n
}

// TestRunner_CachedRunsMatchFreshRuns edits a tenant step by step and
// checks a long-lived Runner against a new one each time.
func TestRunner_CachedRunsMatchFreshRuns(t *testing.T) {
	ten := tenantgen.Generate(tenantgen.Options{Seed: 3, Files: 800, MissingESVs: 2, Crypto: 2})
	in := staticInput(t, ten)
	cached := new(integrity.Runner)
	for step := range 4 {
		if step > 0 {
			next, changed := ten.Edit(int64(step), step)
			b := store.NewBuilder(in.Static)
			for _, p := range changed {
				if err := b.Put(p, next.Files[p]); err != nil {
					t.Fatal(err)
				}
			}
			in.Static = b.Snapshot()
		}
		got, gotErr := cached.Run(context.Background(), integrity.Builtin(), in)
		want, wantErr := integrity.Run(context.Background(), integrity.Builtin(), in)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("step %d: cached result differs (-fresh +cached):\n%s", step, diff)
		}
		if gotErr.Error() != wantErr.Error() {
			t.Fatalf("step %d: errors differ: %v vs %v", step, gotErr, wantErr)
		}
	}
	// The same ESV metadata drives the result, not the cache.
	in.ESVs = maps.Clone(in.ESVs)
	for _, n := range ten.Missing {
		in.ESVs[n] = integrity.ESV{}
	}
	res, _ := cached.Run(context.Background(), integrity.Builtin(), in)
	if slices.ContainsFunc(res.Findings, func(f integrity.Finding) bool { return f.Check == integrity.CheckMissingESVs }) {
		t.Errorf("missing ESVs reported after defining them: %v", res.MissingESVs())
	}
}
