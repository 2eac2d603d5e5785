package gitstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

// fsck fails the test unless git fsck --strict finds the repository clean.
func fsck(t *testing.T, dir, after string) {
	t.Helper()
	cmd := exec.Command("git", "-C", dir, "fsck", "--strict", "--no-progress")
	if out, err := cmd.CombinedOutput(); err != nil || strings.Contains(string(out), "error") || strings.Contains(string(out), "missing") {
		t.Fatalf("git fsck --strict after %s: %v\n%s", after, err, out)
	}
}

// objectCount is git count-objects' count of loose objects and packs.
func objectCount(t *testing.T, dir string) (loose, packs string) {
	t.Helper()
	for line := range strings.Lines(git(t, dir, "count-objects", "-v")) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ": ")
		switch k {
		case "count":
			loose = v
		case "packs":
			packs = v
		}
	}
	return loose, packs
}

// The git CLI and gitstore take turns on one repository: a CLI commit on a
// branch, git gc, git repack -ad, Maintain. After each step git fsck
// --strict is clean, gitstore reads every file of every revision (also
// through snapshots it loaded before the step, whose trees and files are
// read on demand from wherever the objects moved), and extends the branch.
func TestRule_GitCLIAndGitstoreTakeTurns(t *testing.T) {
	needGitT(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"top.json": "top"}
	for i := range 40 {
		files[fmt.Sprintf("realms/r%d/j%d/node%d.json", i%3, i%4, i)] = fmt.Sprint("content ", i)
	}
	head := commit(t, r, "dev", "", storetest.Snapshot(t, files), store.CommitInfo{})
	fsck(t, dir, "a gitstore commit")
	revs := []store.Revision{head.Revision}
	// Snapshots loaded before a step and read after it, by a Repo that
	// caches nothing, so that every read goes to the objects.
	cold, err := gitstore.Open(dir, gitstore.Options{CacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	var held []*store.Snapshot
	readAll := func(s *store.Snapshot, when string) {
		t.Helper()
		if err := s.Walk(func(string, []byte) error { return nil }); err != nil {
			t.Fatalf("after %s: %v", when, err)
		}
	}

	work := filepath.Join(t.TempDir(), "work")
	git(t, filepath.Dir(work), "clone", "-q", "-b", "dev", dir, work)
	n := 0
	steps := []struct {
		name string
		run  func()
	}{
		{"a git CLI commit on dev", func() {
			git(t, work, "pull", "-q", "--ff-only")
			os.WriteFile(filepath.Join(work, "realms", "r1", "cli.json"), []byte("from the cli"), 0o644)
			git(t, work, "add", "-A")
			git(t, work, "commit", "-q", "-m", "cli")
			git(t, work, "push", "-q", "origin", "dev")
		}},
		{"git gc", func() { git(t, dir, "gc", "-q") }},
		{"git repack -ad", func() { git(t, dir, "repack", "-q", "-a", "-d") }},
		{"git gc --prune=now", func() { git(t, dir, "gc", "-q", "--prune=now") }},
		{"git multi-pack-index write, commit-graph write", func() {
			git(t, dir, "multi-pack-index", "write")
			git(t, dir, "commit-graph", "write", "--reachable")
		}},
		{"Maintain", func() {
			if err := r.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
		}},
		{"another git CLI commit", func() {
			git(t, work, "pull", "-q", "--ff-only")
			os.WriteFile(filepath.Join(work, "top.json"), []byte("top from the cli"), 0o644)
			git(t, work, "commit", "-q", "-am", "cli 2")
			git(t, work, "push", "-q", "origin", "dev")
		}},
		{"Maintain again", func() {
			if err := r.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, step := range steps {
		step.run()
		fsck(t, dir, step.name)
		for _, reader := range []*gitstore.Repo{r, open(t, dir)} {
			h, err := reader.Head(ctx, "dev")
			if err != nil {
				t.Fatalf("after %s: Head: %v", step.name, err)
			}
			for _, rev := range append(revs, h.Revision) {
				s, err := reader.Snapshot(ctx, rev)
				if err != nil {
					t.Fatalf("after %s: Snapshot(%s): %v", step.name, rev, err)
				}
				readAll(s, step.name)
			}
		}
		for _, s := range held {
			readAll(s, step.name+", a snapshot loaded before it")
		}
		h, err := r.Head(ctx, "dev")
		if err != nil {
			t.Fatal(err)
		}
		s, err := r.Snapshot(ctx, h.Revision)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := cold.Snapshot(ctx, h.Revision)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, cs)
		n++
		next, err := s.With(fmt.Sprintf("realms/r0/step%d.json", n), []byte(step.name))
		if err != nil {
			t.Fatal(err)
		}
		c := commit(t, r, "dev", h.Revision, next, store.CommitInfo{Message: "after " + step.name})
		revs = append(revs, h.Revision, c.Revision)
		fsck(t, dir, "a gitstore commit after "+step.name)
		if got := git(t, dir, "show", fmt.Sprintf("dev:realms/r0/step%d.json", n)); got != step.name {
			t.Fatalf("git show of gitstore's file after %s = %q", step.name, got)
		}
	}
	if err := r.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if loose, packs := objectCount(t, dir); loose != "0" || packs != "1" {
		t.Errorf("after Maintain: %s loose objects, %s packs; want 0 and 1", loose, packs)
	}
	fsck(t, dir, "the last Maintain")
}

func open(t *testing.T, dir string) *gitstore.Repo {
	t.Helper()
	r, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ageObjects sets back the time of every object file, as if written long
// ago.
func ageObjects(t *testing.T, dir string, d time.Duration) {
	t.Helper()
	old := time.Now().Add(-d)
	err := filepath.Walk(filepath.Join(dir, "objects"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			err = os.Chtimes(p, old, old)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRule_MaintainDropsUnreachableObjectsOnlyAfterTheGrace(t *testing.T) {
	needGitT(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c1 := commit(t, r, "dev", "", storetest.Snapshot(t, map[string]string{"a/x": "1", "b": "2"}), store.CommitInfo{})
	c2 := commit(t, r, "dev", c1.Revision, storetest.Snapshot(t, map[string]string{"a/x": "3", "b": "2"}), store.CommitInfo{})
	lost := commit(t, r, "tmp", "", storetest.Snapshot(t, map[string]string{"gone/y": "unreachable"}), store.CommitInfo{})
	if err := os.Remove(filepath.Join(dir, "refs", "heads", "tmp")); err != nil {
		t.Fatal(err)
	}
	exists := func(rev store.Revision) bool {
		return exec.Command("git", "-C", dir, "cat-file", "-e", string(rev)).Run() == nil
	}

	if err := r.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if !exists(lost.Revision) {
		t.Fatal("Maintain dropped an unreachable commit written within the grace period")
	}
	fsck(t, dir, "Maintain within the grace")

	ageObjects(t, dir, 2*gitstore.DefaultPruneGrace)
	if err := r.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if exists(lost.Revision) {
		t.Error("Maintain kept an unreachable commit older than the grace period")
	}
	for _, c := range []store.Commit{c1, c2} {
		if !exists(c.Revision) {
			t.Fatalf("Maintain dropped reachable commit %s", c.Revision)
		}
		if _, err := open(t, dir).Snapshot(ctx, c.Revision); err != nil {
			t.Fatalf("after Maintain: Snapshot(%s): %v", c.Revision, err)
		}
	}
	if loose, packs := objectCount(t, dir); loose != "0" || packs != "1" {
		t.Errorf("after Maintain: %s loose objects, %s packs; want 0 and 1", loose, packs)
	}
	fsck(t, dir, "Maintain after the grace")
}

// Goroutines commit on several branches through two Repos while Maintain
// runs over and over with no grace at all: nothing a commit in flight
// wrote or reused may be dropped.
func TestRule_MaintainWhileCommitting(t *testing.T) {
	needGitT(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "repo.git")
	opts := gitstore.Options{Maintenance: gitstore.Maintenance{PruneGrace: time.Nanosecond, AutoPacks: 4}}
	r, err := gitstore.Init(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	other, err := gitstore.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{}
	for i := range 30 {
		base[fmt.Sprintf("d%d/f%d", i%5, i)] = fmt.Sprint(i)
	}
	const writers, commits = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := []*gitstore.Repo{r, other}[w%2]
			branch := fmt.Sprintf("b%d", w)
			parent := store.Revision("")
			for i := range commits {
				files := map[string]string{}
				for k, v := range base {
					files[k] = v
				}
				files[fmt.Sprintf("d%d/f%d", i%5, i)] = fmt.Sprint(branch, i)
				s, err := store.New(bytesOf(files))
				if err != nil {
					errs <- err
					return
				}
				c, err := repo.Commit(ctx, branch, parent, s, store.CommitInfo{Time: t0})
				if err != nil {
					errs <- err
					return
				}
				parent = c.Revision
			}
		}()
	}
	go func() {
		defer close(errs)
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := r.Maintain(ctx); err != nil && !strings.Contains(err.Error(), "another maintenance") {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(done)
	for err := range errs {
		t.Fatal(err)
	}
	for _, repo := range []*gitstore.Repo{r, other} {
		if err := repo.Maintain(ctx); err != nil && !strings.Contains(err.Error(), "another maintenance") {
			t.Fatal(err)
		}
	}
	fsck(t, dir, "concurrent commits and Maintain")
	fresh := open(t, dir)
	for w := range writers {
		log, err := fresh.Log(ctx, fmt.Sprintf("b%d", w), store.LogOptions{})
		if err != nil || len(log) != commits {
			t.Fatalf("branch b%d: %d commits, %v; want %d", w, len(log), err, commits)
		}
		for _, c := range log {
			if _, err := fresh.Snapshot(ctx, c.Revision); err != nil {
				t.Fatalf("branch b%d: Snapshot(%s): %v", w, c.Revision, err)
			}
		}
	}
}

func bytesOf(files map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for k, v := range files {
		out[k] = []byte(v)
	}
	return out
}
