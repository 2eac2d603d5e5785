package main

import (
	"context"
	"strings"
	"testing"
)

func TestChain(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  UAT         → UAT2        allowed",
		"  Development → Staging     rejected: only adjacent members promote",
		"  Development → Production  rejected: only adjacent members promote",
		"  Production  → Staging     rejected: only adjacent members promote",
		"  UAT2        → Staging     promoted: 1 change(s), Register added",
		"  Staging     → Production  promoted: 1 change(s), Register added",
	} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
}
