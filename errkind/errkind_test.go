package errkind_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/envpromote/envpromote/errkind"
)

func TestSentinelMatchesItsKindOnly(t *testing.T) {
	for _, k := range errkind.Kinds() {
		s := errkind.New(k, "some "+string(k)+" thing")
		wrapped := fmt.Errorf("op: %w", s)
		if !errors.Is(wrapped, k) || !errors.Is(wrapped, s) {
			t.Errorf("%q: wrapped sentinel does not match its kind and itself", k)
		}
		for _, other := range errkind.Kinds() {
			if other != k && errors.Is(wrapped, other) {
				t.Errorf("%q sentinel matches kind %q", k, other)
			}
		}
		if got := errkind.Of(wrapped); got != k {
			t.Errorf("Of(%v) = %q, want %q", wrapped, got, k)
		}
		if s.Error() != "some "+string(k)+" thing" {
			t.Errorf("sentinel text %q", s.Error())
		}
	}
}

func TestOfTakesTheOutermostKind(t *testing.T) {
	inner := errkind.New(errkind.NotFound, "no head")
	outer := errkind.New(errkind.FailedPrecondition, "no history")
	if got := errkind.Of(fmt.Errorf("%w: %w", outer, inner)); got != errkind.FailedPrecondition {
		t.Errorf("Of = %q, want the first kind in the tree", got)
	}
	if got := errkind.Of(fmt.Errorf("x: %w", errkind.Locked)); got != errkind.Locked {
		t.Errorf("a wrapped Kind is its own kind; Of = %q", got)
	}
}

func TestOfUnknownIsEmpty(t *testing.T) {
	for _, err := range []error{nil, errors.New("disk on fire"), context.Canceled} {
		if got := errkind.Of(err); got != "" {
			t.Errorf("Of(%v) = %q, want \"\"", err, got)
		}
	}
}
