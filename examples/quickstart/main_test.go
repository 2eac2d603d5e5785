package main

import (
	"context"
	"strings"
	"testing"
)

func TestQuickstart(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	checkLines(t, out.String(),
		"Development  development PRODUCTION",
		"    added    Welcome (realm /alpha)",
		"  lock state: locked (promotion ",
		"  bob cannot lock Staging → Production meanwhile: one promotion per group",
		"  BLOCKED by the integrity checks:",
		"placeholder references esv-welcome-banner, which the upper environment does not define",
		"  progress: ERROR, missing ESVs [esv-welcome-banner]; Staging is unchanged",
		"  while locked, ESV writes are refused: true",
		"  progress: COMPLETE, 2 change(s), one new commit on Staging's branch",
		`  promoter "ada", description "Welcome journey", ticket "CHG-42"`,
		"    deleted  Welcome (realm /alpha)",
		"  a second rollback is refused: nothing to roll back",
		"  lock state: unlocked",
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
