package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitrepo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	var out strings.Builder
	if err := run(context.Background(), &out, dir); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  BLOCKED by the integrity checks:",
		"  a second rollback is refused: nothing to roll back",
		"== Everything is in the Git repository " + dir,
		"git -C " + dir + " for-each-ref",
	} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
	// The printed commands work.
	refs, err := exec.Command("git", "-C", dir, "for-each-ref", "--format=%(refname)").CombinedOutput()
	if err != nil {
		t.Fatalf("git for-each-ref: %v\n%s", err, refs)
	}
	var staging string
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[3] == "log" {
			staging = f[5]
		}
	}
	log, err := exec.Command("git", "-C", dir, "log", "--format=%s", staging).CombinedOutput()
	if err != nil {
		t.Fatalf("git log: %v\n%s", err, log)
	}
	if !strings.HasPrefix(string(log), "Roll back the last promotion of ") || !strings.Contains(string(log), "\nPromote ") {
		t.Errorf("git log of staging:\n%s", log)
	}
	if !strings.Contains(string(refs), "refs/locks/") || !strings.Contains(string(refs), "refs/esv/") {
		t.Errorf("refs:\n%s", refs)
	}
}
