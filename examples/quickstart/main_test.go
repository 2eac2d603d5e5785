package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuickstart(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	checkLines(t, out.String(),
		"  Development (development): tenant export imported",
		"  Production  (production): tenant export imported",
		"  dry run: 1 change(s); a real run would be blocked by [esv-welcome-banner]",
		"  BLOCKED realms/alpha/journeys/Welcome/Welcome.json:1:28 (banner): placeholder references esv-welcome-banner",
		"    fix: create the variable or secret esv-welcome-banner",
		"  the pair is unlocked again, Staging unchanged",
		"  Authentication > Journeys: added Welcome (realm /alpha), promoted by ada",
		"  rollback: 1 change(s)",
		"  rollback  Roll back the last promotion of Staging  by ada",
		"  promotion Promote Development to Staging           by ada",
		"  edit      Import the tenant export                 by ada",
	)
}

// checkLines fails unless out holds each want, in order.
func checkLines(t *testing.T, out string, want ...string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("output lacks %q (in order); output:\n%s", w, out)
		}
		rest = rest[i+len(w):]
	}
}

// TestQuickstartUsesOnlyThePublicAPI: the quickstart is meant to be copied
// out of this module, so it imports nothing internal.
func TestQuickstartUsesOnlyThePublicAPI(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(src), "/internal/") {
		t.Fatal("main.go imports an internal package")
	}
}

// TestQuickstartRunsAsAnotherModule copies the quickstart into a new module
// that requires envpromote, as an adopting team would, and runs it there: the
// front door is enough. Skipped with -short (it builds a module).
func TestQuickstartRunsAsAnotherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a separate module")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "tenant"), os.DirFS("tenant")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ from, to string }{{"main.go", "main.go"}, {filepath.Join(root, "go.sum"), "go.sum"}} {
		data, err := os.ReadFile(f.from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.to), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mod := "module example.com/consumer\n\ngo 1.26\n\nrequire github.com/envpromote/envpromote v0.0.0\n\nreplace github.com/envpromote/envpromote => " + root + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run in a consumer module: %v\n%s", err, out)
	}
	checkLines(t, string(out), "BLOCKED realms/alpha/journeys/Welcome/Welcome.json", "promoted by ada", "promotion Promote Development to Staging")
}
