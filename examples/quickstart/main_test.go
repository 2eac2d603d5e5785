package main

import (
	"context"
	"os"
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
