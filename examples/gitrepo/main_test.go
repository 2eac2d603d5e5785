package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitrepo(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := filepath.Join(t.TempDir(), "repo")
	var out strings.Builder
	if err := run(context.Background(), &out, dir); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"== Promoted Development → Staging: 1 change(s)",
		"== Reopened " + dir + ": the environments are in the repository",
		"  Staging     ",
		"git -C " + dir + " for-each-ref",
	} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
	// The printed commands work and show readable history.
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || f[0] != "git" || f[3] != "log" {
			continue
		}
		log, err := exec.Command("git", "-C", dir, "log", "--format=%an: %s", f[4]).CombinedOutput()
		if err != nil {
			t.Fatalf("git log %s: %v\n%s", f[4], err, log)
		}
		want := map[string]string{
			"environments": `Ada: save promotion group "main"`,
			"esv/":         "Ada: Create secret esv-smtp-password in Staging",
		}
		for prefix, w := range want {
			if strings.HasPrefix(f[4], prefix) && !strings.Contains(string(log), w) {
				t.Errorf("git log %s lacks %q:\n%s", f[4], w, log)
			}
		}
		if f[4] == "names/staging" && !strings.HasPrefix(string(log), "Ada: Roll back the last promotion of Staging\nAda: Promote Development to Staging\n") {
			t.Errorf("git log of Staging:\n%s", log)
		}
	}
}
