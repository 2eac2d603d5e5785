package promotion

import (
	"testing"

	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/store"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestDiffFiles_IsStoreDiff: the compact changes list what store.Diff
// lists, in its order, and find locates each of them and nothing else.
func TestDiffFiles_IsStoreDiff(t *testing.T) {
	snap := func(seed int64, files int) *store.Snapshot {
		s, err := store.New(tenantgen.Generate(tenantgen.Options{Seed: seed, Files: files, Realms: int(seed%3) + 1}).Files)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := snap(1, 900), snap(2, 700)
	edited, err := a.With("realms/alpha/journeys/Login/nodes/x.json", []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	odd, err := store.New(map[string][]byte{"a": nil, "a.b": nil, "a-b/c": nil, "ab/c": nil, "b/a": nil})
	if err != nil {
		t.Fatal(err)
	}
	oddB, err := store.New(map[string][]byte{"a/x": nil, "a.b/c": nil, "a-b": nil, "ab/c": []byte("1"), "b/a/b": nil})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		a, b *store.Snapshot
	}{
		{"unrelated", a, b}, {"reversed", b, a}, {"one file", a, edited}, {"same", a, a},
		{"from empty", nil, a}, {"to empty", a, nil}, {"files become directories", odd, oddB}, {"and back", oddB, odd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := diffFiles(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			want, err := store.Diff(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got.list(), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("(-store.Diff +diffFiles):\n%s", diff)
			}
			for i, c := range want {
				if j, ok := got.find(c.Path); !ok || j != i {
					t.Errorf("find(%q) = %d, %t; want %d", c.Path, j, ok, i)
				}
				if _, ok := got.find(c.Path + "x"); ok {
					t.Errorf("find(%q) found a change", c.Path+"x")
				}
			}
		})
	}
}
