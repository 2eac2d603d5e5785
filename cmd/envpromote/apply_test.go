package main

import (
	"testing"

	"github.com/envpromote/envpromote/store"
)

// applyAll turns any configuration into any other, a file replacing a
// directory and back, and returns the changes it applied.
func TestApplyAllTurnsOneConfigurationIntoAnother(t *testing.T) {
	snap := func(files map[string]string) *store.Snapshot {
		m := map[string][]byte{}
		for p, d := range files {
			m[p] = []byte(d)
		}
		s, err := store.New(m)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name     string
		from, to map[string]string
		changes  int
	}{
		{"a file replaces a directory", map[string]string{"x/y/z": "1", "a": "a"}, map[string]string{"x": "2", "a": "a"}, 2},
		{"a directory replaces a file", map[string]string{"x": "2", "a": "a"}, map[string]string{"x/y/z": "1", "a": "a"}, 2},
		{"from nothing", nil, map[string]string{"a/b": "1"}, 1},
		{"to nothing", map[string]string{"a/b": "1"}, nil, 1},
		{"no change", map[string]string{"a/b": "1"}, map[string]string{"a/b": "1"}, 0},
	} {
		b := store.NewBuilder(snap(tc.from))
		changes, err := applyAll(b, snap(tc.to))
		if err != nil || len(changes) != tc.changes || !b.Snapshot().Equal(snap(tc.to)) {
			t.Errorf("%s: %d changes, %v; result equal to the target: %v", tc.name, len(changes), err, b.Snapshot().Equal(snap(tc.to)))
		}
	}
}
