package integrity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/store"
)

func snapshotOf(t testing.TB, opts tenantgen.Options) *store.Snapshot {
	t.Helper()
	s, err := store.New(tenantgen.Generate(opts).Files)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// distinct counts the file scans and directory summaries a first scan of s
// makes: one per distinct directory, and one per file of each.
func distinct(s *store.Snapshot) (files, dirs int) {
	dk := map[store.Hash]bool{}
	var walk func(*store.Snapshot)
	walk = func(d *store.Snapshot) {
		if dk[d.Hash()] {
			return
		}
		dk[d.Hash()] = true
		entries, _ := d.Entries() // a snapshot in memory
		for _, e := range entries {
			if e.Dir != nil {
				walk(e.Dir)
			} else {
				files++
			}
		}
	}
	walk(s)
	return files, len(dk)
}

func (r *Runner) counts() (scans, walks int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.scans, r.walks
}

// TestRunner_CacheSkipsUnchangedSubtrees proves the cache: a run scans the
// files of each distinct directory once; a re-run after one file changed
// scans that file and summarises only the directories on its path; known
// snapshots cost nothing.
func TestRunner_CacheSkipsUnchangedSubtrees(t *testing.T) {
	ctx := context.Background()
	snap := snapshotOf(t, tenantgen.Options{Seed: 5, Files: 600, MissingESVs: 1, Crypto: 1})
	r := new(Runner)
	run := func(s *store.Snapshot) *Result {
		t.Helper()
		res, _ := r.Run(ctx, Builtin(), &Input{Static: s, Operation: Promotion})
		if res == nil {
			t.Fatal("nil result")
		}
		return res
	}
	first := run(snap)
	wantFiles, wantDirs := distinct(snap)
	if s, w := r.counts(); s != wantFiles || w != wantDirs {
		t.Fatalf("first run: %d scans, %d directory walks; want %d, %d", s, w, wantFiles, wantDirs)
	}

	run(snap)
	if s, w := r.counts(); s != wantFiles || w != wantDirs {
		t.Fatalf("same snapshot again: %d scans, %d walks; want no new work", s-wantFiles, w-wantDirs)
	}

	const p = "realms/alpha/journeys/Login/Login.json"
	data, err := snap.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	edited, err := snap.With(p, append(data, '\n'))
	if err != nil {
		t.Fatal(err)
	}
	run(edited)
	onPath := strings.Count(p, "/") + 1 // the root and each parent directory
	if s, w := r.counts(); s != wantFiles+1 || w != wantDirs+onPath {
		t.Fatalf("one file changed: %d scans, %d walks; want 1, %d", s-wantFiles, w-wantDirs, onPath)
	}

	if again := run(snap); len(again.Findings) != len(first.Findings) {
		t.Fatalf("back to the first snapshot: %d findings, want %d", len(again.Findings), len(first.Findings))
	}
	if s, w := r.counts(); s != wantFiles+1 || w != wantDirs+onPath {
		t.Fatalf("back to the first snapshot: new work (%d scans, %d walks)", s-wantFiles-1, w-wantDirs-onPath)
	}
}

// TestRunner_CacheStaysBounded checks many unrelated snapshots through one
// Runner: the cache never holds much more than the latest one needs.
func TestRunner_CacheStaysBounded(t *testing.T) {
	ctx := context.Background()
	r := new(Runner)
	for seed := range int64(12) {
		snap := snapshotOf(t, tenantgen.Options{Seed: seed, Files: 700})
		if _, err := r.Run(ctx, Builtin(), &Input{Static: snap, Operation: Rollback}); err != nil && !errors.Is(err, ErrFailed) {
			t.Fatal(err)
		}
		_, dirs := distinct(snap)
		r.mu.Lock()
		size := len(r.dirs)
		r.mu.Unlock()
		if limit := 2*dirs + pruneSlack; size > limit {
			t.Fatalf("seed %d: cache holds %d entries, more than %d", seed, size, limit)
		}
		if seed == 11 {
			before, _ := r.counts()
			if _, err := r.Run(ctx, Builtin(), &Input{Static: snap, Operation: Rollback}); err != nil && !errors.Is(err, ErrFailed) {
				t.Fatal(err)
			}
			if after, _ := r.counts(); after != before {
				t.Errorf("pruning dropped the latest snapshot: %d rescans", after-before)
			}
		}
	}
}

// TestRunner_CanceledScanCachesNothing cancels a scan and checks that the
// next run does the whole scan and finds what a fresh run finds.
func TestRunner_CanceledScanCachesNothing(t *testing.T) {
	ten := tenantgen.Generate(tenantgen.Options{Seed: 9, Files: 600, MissingESVs: 2})
	snap, err := store.New(ten.Files)
	if err != nil {
		t.Fatal(err)
	}
	esvs := map[string]ESV{}
	for n, typ := range ten.Vars {
		esvs[n] = ESV{Type: esv.ExpressionType(typ)}
	}
	for n := range ten.Secrets {
		esvs[n] = ESV{Secret: true, UseInPlaceholders: true}
	}
	in := &Input{Static: snap, Operation: Promotion, ESVs: esvs}
	r := new(Runner)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := r.Run(ctx, Builtin(), in)
	if !errors.Is(err, context.Canceled) || len(res.Findings) != 0 {
		t.Fatalf("canceled run: err = %v, %d findings; want context.Canceled and none", err, len(res.Findings))
	}
	if s, _ := r.counts(); s != 0 {
		t.Fatalf("canceled run recorded %d scans", s)
	}
	res, err = r.Run(context.Background(), Builtin(), in)
	if !errors.Is(err, ErrFailed) || len(res.MissingESVs()) != 2 {
		t.Fatalf("after cancel: err = %v, missing %v; want 2 missing ESVs", err, res.MissingESVs())
	}
}

// TestRunner_UsageNumbersStayBounded checks snapshots that each reference
// many ESVs never seen before: the numbering is reset rather than grown
// without bound, and results stay right.
func TestRunner_UsageNumbersStayBounded(t *testing.T) {
	const refs = 1100
	r := new(Runner)
	for round := range 5 {
		var b strings.Builder
		for i := range refs {
			fmt.Fprintf(&b, "var v%d = systemEnv.getProperty(\"esv.r%d.v%d\");\n", i, round, i)
		}
		snap, err := store.New(map[string][]byte{"realms/alpha/scripts/script-content/Many.js": []byte(b.String())})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := r.Run(context.Background(), Builtin(), &Input{Static: snap, Operation: Promotion})
		if got := len(res.MissingESVs()); got != refs {
			t.Fatalf("round %d: %d missing ESVs, want %d", round, got, refs)
		}
		r.mu.Lock()
		n := len(r.usages.list)
		r.mu.Unlock()
		if n > 2*refs+pruneSlack {
			t.Fatalf("round %d: %d usages numbered, more than %d", round, n, 2*refs+pruneSlack)
		}
	}
}

// TestRunner_VerdictsFollowTheESVsMap: a Runner judges references once per
// ESVs map, and a new map (or new references) is judged afresh.
func TestRunner_VerdictsFollowTheESVsMap(t *testing.T) {
	var r Runner
	s1, err := store.New(map[string][]byte{"a.json": []byte(`{"h": "&{esv.host}", "p": {"$int": "&{esv.port}"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := s1.With("b.json", []byte(`{"u": "&{esv.user}"}`))
	if err != nil {
		t.Fatal(err)
	}
	without := map[string]ESV{"esv-port": {Type: esv.TypeInt}}
	with := map[string]ESV{"esv-host": {}, "esv-port": {Type: esv.TypeString}, "esv-user": {}}
	for i, tc := range []struct {
		snap           *store.Snapshot
		esvs           map[string]ESV
		missing, type_ string
	}{
		{s1, without, "[esv-host]", ""},
		{s1, with, "[]", "esv-port"},
		{s2, without, "[esv-host esv-user]", ""},
		{s1, without, "[esv-host]", ""},
		{s2, with, "[]", "esv-port"},
	} {
		res, _ := r.Run(context.Background(), Builtin(), &Input{Static: tc.snap, Operation: Promotion, ESVs: tc.esvs})
		var typed []string
		for _, f := range res.Findings {
			if f.Check == CheckPlaceholderTypes {
				typed = append(typed, f.ESV)
			}
		}
		if got := fmt.Sprint(res.MissingESVs()); got != tc.missing || strings.Join(typed, " ") != tc.type_ {
			t.Errorf("run %d: missing %s, mistyped %v; want %s, %q", i, got, typed, tc.missing, tc.type_)
		}
	}
}

// TestRunner_ReadReportsWhatTheScanReads: Input.Read sees each content the
// scan reads once, at a path where it sits, and a warm Runner reads only
// the changed file.
func TestRunner_ReadReportsWhatTheScanReads(t *testing.T) {
	snap := snapshotOf(t, tenantgen.Options{Seed: 3, Files: 400})
	r := new(Runner)
	run := func(s *store.Snapshot) map[string]bool {
		t.Helper()
		var mu sync.Mutex
		seen := map[string]bool{}
		in := &Input{Static: s, Operation: Promotion, Read: func(p string, data []byte) {
			mu.Lock()
			defer mu.Unlock()
			if want, err := s.ReadFile(p); err != nil || !bytes.Equal(data, want) || seen[p] {
				t.Errorf("Read(%q): content matches %t, err %v, seen before %t", p, bytes.Equal(data, want), err, seen[p])
			}
			seen[p] = true
		}}
		if res, _ := r.Run(context.Background(), Builtin(), in); res == nil {
			t.Fatal("nil result")
		}
		return seen
	}
	if files, _ := distinct(snap); len(run(snap)) != files {
		t.Errorf("first run read other than one path per distinct file (%d)", files)
	}
	const p = "realms/alpha/journeys/Login/Login.json"
	data, err := snap.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	edited, err := snap.With(p, append(data, ' '))
	if err != nil {
		t.Fatal(err)
	}
	if got := run(edited); len(got) != 1 || !got[p] {
		t.Errorf("after one file changed, read %v; want only %s", got, p)
	}
}

// TestRunner_PathNumbersStayBounded checks snapshots whose references sit
// at JSON paths never seen before, of one ESV: the path numbering is reset
// rather than grown without bound, and findings keep their paths.
func TestRunner_PathNumbersStayBounded(t *testing.T) {
	const refs = 1100
	r := new(Runner)
	for round := range 6 {
		var b strings.Builder
		b.WriteString("{")
		for i := range refs {
			fmt.Fprintf(&b, "%q: \"&{esv.gone}\",", fmt.Sprintf("r%d-k%d", round, i))
		}
		b.WriteString(`"end": 0}`)
		snap, err := store.New(map[string][]byte{"ui/ui.json": []byte(b.String())})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := r.Run(context.Background(), Builtin(), &Input{Static: snap, Operation: Promotion})
		if got := len(res.Findings); got != refs || res.Findings[refs-1].JSONPath != fmt.Sprintf("r%d-k%d", round, refs-1) {
			t.Fatalf("round %d: %d findings, last at %q; want %d, the last at r%d-k%d", round, got, res.Findings[len(res.Findings)-1].JSONPath, refs, round, refs-1)
		}
		r.mu.Lock()
		n := len(r.paths.list)
		r.mu.Unlock()
		if n > 4*refs+2*pruneSlack {
			t.Fatalf("round %d: %d paths numbered, more than %d", round, n, 4*refs+2*pruneSlack)
		}
	}
}
