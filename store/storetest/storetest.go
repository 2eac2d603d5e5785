package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/errkind"
	"github.com/envpromote/envpromote/store"
)

// Run runs the whole suite. newRepo must return an empty repo each call.
func Run(t *testing.T, newRepo func(t *testing.T) store.Repo) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Repo)
	}{
		{"MissingBranch", testMissingBranch},
		{"FirstCommitNeedsZeroParent", testFirstCommit},
		{"StaleParentConflicts", testStaleParent},
		{"RacingCommittersOneWinner", testRacing},
		{"SnapshotRoundTrip", testRoundTrip},
		{"InvalidBranch", testInvalidBranch},
		{"InvalidMetadata", testInvalidMetadata},
		{"InvalidAuthor", testInvalidAuthor},
		{"LogOrderAndMetadata", testLog},
		{"BranchesAreIndependent", testIndependentBranches},
		{"ContextCancelled", testCancelled},
		{"Aliases", testAliases},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newRepo(t)) })
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Snapshot builds a snapshot of files (path → content) or fails t: a
// shorthand for backend tests.
func Snapshot(t testing.TB, files map[string]string) *store.Snapshot {
	t.Helper()
	m := make(map[string][]byte, len(files))
	for p, s := range files {
		m[p] = []byte(s)
	}
	s, err := store.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func info(msg string) store.CommitInfo {
	return store.CommitInfo{Author: "tester", Time: t0, Message: msg}
}

func mustCommit(t *testing.T, r store.Repo, branch string, parent store.Revision, s *store.Snapshot, ci store.CommitInfo) store.Commit {
	t.Helper()
	c, err := r.Commit(context.Background(), branch, parent, s, ci)
	if err != nil {
		t.Fatalf("Commit(%s, parent %q): %v", branch, parent, err)
	}
	return c
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one wrapping %v", what, err, target)
	}
}

// headIs checks that branch's head is rev ("" meaning no branch).
func headIs(t *testing.T, r store.Repo, branch string, rev store.Revision) {
	t.Helper()
	c, err := r.Head(context.Background(), branch)
	if rev == "" {
		wantErr(t, "Head of a branch that must not exist", err, store.ErrNotFound)
		return
	}
	if err != nil || c.Revision != rev {
		t.Fatalf("Head(%s) = %q, %v; want %q", branch, c.Revision, err, rev)
	}
}

func testMissingBranch(t *testing.T, r store.Repo) {
	ctx := context.Background()
	_, err := r.Head(ctx, "dev")
	wantErr(t, "Head", err, store.ErrNotFound)
	_, err = r.Log(ctx, "dev", store.LogOptions{})
	wantErr(t, "Log", err, store.ErrNotFound)
	_, err = r.Snapshot(ctx, "0123456789abcdef0123456789abcdef01234567")
	wantErr(t, "Snapshot of an unknown revision", err, store.ErrNotFound)
}

func testFirstCommit(t *testing.T, r store.Repo) {
	ctx := context.Background()
	s := Snapshot(t, map[string]string{"a.json": "{}"})
	c := mustCommit(t, r, "dev", "", s, info("first"))
	if c.Revision == "" || c.Parent != "" || c.Branch != "dev" || c.Tree != s.Hash() {
		t.Fatalf("first commit = %+v; want a revision, no parent, branch dev, tree %s", c, s.Hash())
	}
	headIs(t, r, "dev", c.Revision)

	_, err := r.Commit(ctx, "dev", "", s, info("again from nothing"))
	wantErr(t, "second commit with a zero parent", err, store.ErrConflict)
	headIs(t, r, "dev", c.Revision)

	_, err = r.Commit(ctx, "staging", c.Revision, s, info("parent on a missing branch"))
	wantErr(t, "commit with a parent on a branch that does not exist", err, store.ErrConflict)
	headIs(t, r, "staging", "")
}

func testStaleParent(t *testing.T, r store.Repo) {
	ctx := context.Background()
	c1 := mustCommit(t, r, "dev", "", Snapshot(t, map[string]string{"a": "1"}), info("one"))
	c2 := mustCommit(t, r, "dev", c1.Revision, Snapshot(t, map[string]string{"a": "2"}), info("two"))
	if c2.Parent != c1.Revision {
		t.Fatalf("c2.Parent = %q, want %q", c2.Parent, c1.Revision)
	}
	_, err := r.Commit(ctx, "dev", c1.Revision, Snapshot(t, map[string]string{"a": "3"}), info("stale"))
	wantErr(t, "commit on a stale parent", err, store.ErrConflict)
	headIs(t, r, "dev", c2.Revision)
	log, err := r.Log(ctx, "dev", store.LogOptions{})
	if err != nil || len(log) != 2 {
		t.Fatalf("Log after a failed commit: %d commits, %v; want 2", len(log), err)
	}
	s, err := r.Snapshot(ctx, c2.Revision)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ReadFile("a"); string(got) != "2" {
		t.Fatalf("head content = %q after a failed commit, want %q", got, "2")
	}
}

func testRacing(t *testing.T, r store.Repo) {
	const rounds, racers = 5, 8
	ctx := context.Background()
	parent := store.Revision("")
	for round := range rounds {
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []store.Commit
		)
		for i := range racers {
			wg.Go(func() {
				s := Snapshot(t, map[string]string{"who": fmt.Sprintf("round %d racer %d", round, i)})
				c, err := r.Commit(ctx, "dev", parent, s, info(fmt.Sprintf("racer %d", i)))
				switch {
				case err == nil:
					mu.Lock()
					winners = append(winners, c)
					mu.Unlock()
				case !errors.Is(err, store.ErrConflict):
					t.Errorf("round %d racer %d: %v, want nil or ErrConflict", round, i, err)
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: %d winners, want exactly 1", round, len(winners))
		}
		headIs(t, r, "dev", winners[0].Revision)
		parent = winners[0].Revision
	}
	log, err := r.Log(ctx, "dev", store.LogOptions{})
	if err != nil || len(log) != rounds {
		t.Fatalf("Log: %d commits, %v; want %d (one per round)", len(log), err, rounds)
	}
}

func testRoundTrip(t *testing.T, r store.Repo) {
	ctx := context.Background()
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	large := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	files := map[string][]byte{
		"empty.json":                    {},
		"binary.bin":                    binary,
		"large/blob.txt":                large,
		"realms/alpha/journeys/Login/x": []byte(`{"_id":"x"}`),
		"unicode/ünïcødé/日本語.json":      []byte(`"ok"`),
		"a.b":                           []byte("file sorted before dir a"),
		"a/b":                           []byte("file in dir sorted after a.b"),
		"with space/and-dash_.json":     []byte("\r\n\x00trailing NUL and CRLF\x00"),
	}
	s, err := store.New(files)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		branch string
		snap   *store.Snapshot
	}{{"dev", s}, {"empty", nil}}
	for _, tc := range cases {
		c := mustCommit(t, r, tc.branch, "", tc.snap, info("round trip"))
		got, err := r.Snapshot(ctx, c.Revision)
		if err != nil {
			t.Fatal(err)
		}
		if got.Hash() != tc.snap.Hash() || got.Len() != tc.snap.Len() {
			t.Fatalf("%s: snapshot hash %s (%d files), want %s (%d files)", tc.branch, got.Hash(), got.Len(), tc.snap.Hash(), tc.snap.Len())
		}
	}
	got, err := r.Snapshot(ctx, mustHead(t, r, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range files {
		data, err := got.ReadFile(p)
		if err != nil || !bytes.Equal(data, want) {
			t.Errorf("ReadFile(%q) = %d bytes, %v; want %d bytes exactly", p, len(data), err, len(want))
		}
	}
	if d, err := store.Diff(s, got); err != nil || len(d) != 0 {
		t.Errorf("Diff(committed, loaded) = %v, %v; want none", d, err)
	}
}

func mustHead(t *testing.T, r store.Repo, branch string) store.Revision {
	t.Helper()
	c, err := r.Head(context.Background(), branch)
	if err != nil {
		t.Fatal(err)
	}
	return c.Revision
}

func testInvalidBranch(t *testing.T, r store.Repo) {
	ctx := context.Background()
	s := Snapshot(t, map[string]string{"a": "1"})
	for _, name := range []string{"", "-dev", "a/b/c", "dev..x", "dev.lock", "de v", "dev/", "/dev", "heads/dev", "dev\x00", "ümlaut", strings.Repeat("x", store.MaxBranchLen+1)} {
		_, err := r.Commit(ctx, name, "", s, info("bad"))
		wantErr(t, fmt.Sprintf("Commit(%q)", name), err, store.ErrInvalidBranch)
		_, err = r.Head(ctx, name)
		wantErr(t, fmt.Sprintf("Head(%q)", name), err, store.ErrInvalidBranch)
		_, err = r.Log(ctx, name, store.LogOptions{})
		wantErr(t, fmt.Sprintf("Log(%q)", name), err, store.ErrInvalidBranch)
	}
	// Both kinds of valid name coexist, including a namespace named like a branch.
	for _, name := range []string{"dev", "locks/dev", "dev/reports", "a.b_c-1"} {
		mustCommit(t, r, name, "", s, info("ok"))
	}
}

func testInvalidMetadata(t *testing.T, r store.Repo) {
	s := Snapshot(t, map[string]string{"a": "1"})
	for _, md := range []map[string]string{
		{"": "v"}, {"1key": "v"}, {"key with space": "v"}, {"key": "two\nlines"}, {"key": "nul\x00"},
	} {
		ci := info("bad metadata")
		ci.Metadata = md
		_, err := r.Commit(context.Background(), "dev", "", s, ci)
		wantErr(t, fmt.Sprintf("Commit with metadata %q", md), err, store.ErrInvalidMetadata)
		headIs(t, r, "dev", "")
	}
}

// Every backend refuses the authors a Git signature cannot hold unchanged,
// so a program tested on one backend does not fail on another.
func testInvalidAuthor(t *testing.T, r store.Repo) {
	s := Snapshot(t, map[string]string{"a": "1"})
	for _, author := range []string{"two\nlines", "nul\x00", "Ada <>", "a<b", "a>b", "a <b> <c>", " ada", "ada ", "Ada  <ada@example.com>"} {
		ci := info("bad author")
		ci.Author = author
		_, err := r.Commit(context.Background(), "dev", "", s, ci)
		wantErr(t, fmt.Sprintf("Commit with author %q", author), err, store.ErrInvalidMetadata)
		headIs(t, r, "dev", "")
	}
	for i, author := range []string{"", "tester", "Ada Lovelace <ada@example.com>", "ada@example.com", "Zoë <zoë@example.com>"} {
		ci := info("good author")
		ci.Author = author
		branch := fmt.Sprintf("good%d", i)
		mustCommit(t, r, branch, "", s, ci)
		if c, err := r.Head(context.Background(), branch); err != nil || c.Author != author {
			t.Errorf("Head after a commit by %q: author %q, %v", author, c.Author, err)
		}
	}
}

func testLog(t *testing.T, r store.Repo) {
	ctx := context.Background()
	var want []store.Commit
	parent := store.Revision("")
	for i := range 3 {
		ci := store.CommitInfo{
			Author:   fmt.Sprintf("author %d <a%d@example.com>", i, i),
			Time:     t0.Add(time.Duration(i) * time.Hour).Add(300 * time.Millisecond),
			Message:  fmt.Sprintf("change %d\n\nwith a body: line two", i),
			Metadata: map[string]string{"type": "promotion", "promotionId": fmt.Sprintf("p-%d", i), "source": "dev@abc: x=y"},
		}
		c := mustCommit(t, r, "prod", parent, Snapshot(t, map[string]string{"n": fmt.Sprint(i)}), ci)
		want = append([]store.Commit{c}, want...)
		parent = c.Revision
	}
	got, err := r.Log(ctx, "prod", store.LogOptions{})
	if err != nil || len(got) != 3 {
		t.Fatalf("Log = %d commits, %v; want 3", len(got), err)
	}
	for i, c := range got {
		w := want[i]
		if c.Revision != w.Revision || c.Parent != w.Parent || c.Tree != w.Tree || c.Branch != "prod" {
			t.Errorf("Log[%d] = %s (parent %s), want %s (parent %s): not newest first", i, c.Revision, c.Parent, w.Revision, w.Parent)
		}
		wantTime := t0.Add(time.Duration(2-i) * time.Hour)
		if c.Author != w.Author || c.Message != w.Message || !c.Time.Equal(wantTime) {
			t.Errorf("Log[%d] = author %q, message %q, time %v; want %q, %q, %v (to the second)", i, c.Author, c.Message, c.Time, w.Author, w.Message, wantTime)
		}
		if fmt.Sprint(c.Metadata) != fmt.Sprint(w.Metadata) {
			t.Errorf("Log[%d].Metadata = %v, want %v", i, c.Metadata, w.Metadata)
		}
	}
	got[0].Metadata["type"] = "tampered"
	again, _ := r.Log(ctx, "prod", store.LogOptions{Limit: 2})
	if len(again) != 2 || again[0].Revision != want[0].Revision || again[1].Revision != want[1].Revision {
		t.Fatalf("Log with Limit 2 = %d commits, want the newest two", len(again))
	}
	if again[0].Metadata["type"] != "promotion" {
		t.Errorf("changing a returned Metadata map changed the history")
	}
	_, err = r.Log(ctx, "prod", store.LogOptions{Limit: -1})
	wantErr(t, "Log with a negative limit", err, errkind.Invalid)
}

func testIndependentBranches(t *testing.T, r store.Repo) {
	ctx := context.Background()
	dev := mustCommit(t, r, "dev", "", Snapshot(t, map[string]string{"x": "dev"}), info("dev"))
	prod := mustCommit(t, r, "prod", "", Snapshot(t, map[string]string{"x": "prod"}), info("prod"))
	mustCommit(t, r, "dev", dev.Revision, Snapshot(t, map[string]string{"x": "dev2"}), info("dev2"))
	headIs(t, r, "prod", prod.Revision)
	log, err := r.Log(ctx, "prod", store.LogOptions{})
	if err != nil || len(log) != 1 {
		t.Fatalf("prod log = %d commits, %v; want 1", len(log), err)
	}
	s, _ := r.Snapshot(ctx, prod.Revision)
	if got, _ := s.ReadFile("x"); string(got) != "prod" {
		t.Fatalf("prod content = %q", got)
	}
}

func testCancelled(t *testing.T, r store.Repo) {
	ctx, cancel := context.WithCancel(context.Background())
	c := mustCommit(t, r, "dev", "", Snapshot(t, map[string]string{"a": "1"}), info("one"))
	cancel()
	_, err := r.Commit(ctx, "dev", c.Revision, Snapshot(t, map[string]string{"a": "2"}), info("cancelled"))
	wantErr(t, "Commit with a cancelled context", err, context.Canceled)
	headIs(t, r, "dev", c.Revision)
	_, err = r.Head(ctx, "dev")
	wantErr(t, "Head with a cancelled context", err, context.Canceled)
	_, err = r.Log(ctx, "dev", store.LogOptions{})
	wantErr(t, "Log with a cancelled context", err, context.Canceled)
	_, err = r.Snapshot(ctx, c.Revision)
	wantErr(t, "Snapshot with a cancelled context", err, context.Canceled)
}

// testAliases runs when r is a store.Namer: an alias names a branch until
// it is moved or deleted, deleting a missing one is no error, and names
// that are no alias or no branch are refused.
func testAliases(t *testing.T, r store.Repo) {
	n, ok := r.(store.Namer)
	if !ok {
		t.Skip("not a store.Namer")
	}
	ctx := context.Background()
	mustCommit(t, r, "p1", "", nil, info("p1"))
	mustCommit(t, r, "locks/p1", "", nil, info("lock"))
	aliasesAre := func(want map[string]string) {
		t.Helper()
		if got, err := n.Aliases(ctx); err != nil || !maps.Equal(got, want) {
			t.Fatalf("Aliases = %v, %v; want %v", got, err, want)
		}
	}
	aliasesAre(map[string]string{})
	for alias, branch := range map[string]string{"prod": "p1", "locks": "locks/p1"} {
		if err := n.SetAlias(ctx, alias, branch); err != nil {
			t.Fatalf("SetAlias(%s, %s): %v", alias, branch, err)
		}
	}
	aliasesAre(map[string]string{"prod": "p1", "locks": "locks/p1"})
	if err := n.SetAlias(ctx, "locks", "p1"); err != nil {
		t.Fatal(err)
	}
	for _, alias := range []string{"prod", "prod", "never-set"} {
		if err := n.DeleteAlias(ctx, alias); err != nil {
			t.Fatalf("DeleteAlias(%s): %v", alias, err)
		}
	}
	aliasesAre(map[string]string{"locks": "p1"})
	for _, tc := range []struct{ alias, branch string }{
		{"", "p1"}, {"a/b", "p1"}, {"Prod EU", "p1"}, {"x.lock", "p1"},
		{"prod", "names/prod"}, // the aliases' own namespace is no branch
		{"prod", "a b"},
	} {
		err := n.SetAlias(ctx, tc.alias, tc.branch)
		wantErr(t, fmt.Sprintf("SetAlias(%q, %q)", tc.alias, tc.branch), err, store.ErrInvalidBranch)
	}
	wantErr(t, "DeleteAlias(../x)", n.DeleteAlias(ctx, "../x"), store.ErrInvalidBranch)
	aliasesAre(map[string]string{"locks": "p1"})
}
