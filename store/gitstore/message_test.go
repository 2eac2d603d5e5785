package gitstore

import (
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/envpromote/envpromote/store"
)

// FuzzMessage checks that metadata written as trailers reads back exactly,
// whatever the message, and that decoding any message is consistent.
func FuzzMessage(f *testing.F) {
	f.Add("change 1\n\nwith a body: line two", "type", "promotion")
	f.Add("", "promotionId", "p-1")
	f.Add("subject\n\nEnvpromote-Meta-type: edit\n", "source", "dev@abc: x=y")
	f.Add("x\n", "k", "")
	f.Add("\n\n\n", "a-b", " spaced ")
	f.Fuzz(func(t *testing.T, msg, key, value string) {
		md := map[string]string{key: value}
		if (store.CommitInfo{Metadata: md}).Validate() != nil {
			key, md = "", nil
		}
		gotMsg, gotMD := decodeMessage(encodeMessage(msg, md))
		if len(md) > 0 && (gotMsg != msg || !maps.Equal(gotMD, md)) {
			t.Fatalf("round trip of %q %v = %q %v", msg, md, gotMsg, gotMD)
		}
		// Decoding is a fixed point: what decodes encodes back to itself.
		m2, md2 := decodeMessage(msg)
		if md2 != nil {
			if m3, md3 := decodeMessage(encodeMessage(m2, md2)); m3 != m2 || !maps.Equal(md3, md2) {
				t.Fatalf("re-encoding %q %v gives %q %v", m2, md2, m3, md3)
			}
		} else if m2 != msg {
			t.Fatalf("message without metadata changed: %q → %q", msg, m2)
		}
	})
}

// What CommitInfo.Validate accepts round-trips exactly; what it refuses
// never reaches encodeInfo (store.Checked stops it: see storetest's
// InvalidAuthor and InvalidMetadata), but a message only Git could misread
// is gitstore's own to refuse.
func TestRule_CommitInfoMustRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		info store.CommitInfo
		ok   bool
	}{
		{"plain name", store.CommitInfo{Author: "tester"}, true},
		{"name and email", store.CommitInfo{Author: "Ada Lovelace <ada@example.com>"}, true},
		{"empty author", store.CommitInfo{}, true},
		{"metadata", store.CommitInfo{Message: "m", Metadata: map[string]string{"type": "rollback", "source": "a: b"}}, true},
		{"message with trailer-like text and metadata", store.CommitInfo{Message: "m\n\nEnvpromote-Meta-x: y\n", Metadata: map[string]string{"type": "edit"}}, true},
		{"message ending in our trailers without metadata", store.CommitInfo{Message: "m\n\nEnvpromote-Meta-type: edit\n"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.info.Time = t0
			sig, msg, err := encodeInfo(tc.info)
			if !tc.ok {
				if !errors.Is(err, store.ErrInvalidMetadata) {
					t.Fatalf("encodeInfo = %v, want ErrInvalidMetadata", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := commitOf(sig, msg)
			got := decodeInfo(c)
			if got.Author != tc.info.Author || got.Message != tc.info.Message || !got.Time.Equal(t0) || !maps.Equal(got.Metadata, tc.info.Metadata) {
				t.Fatalf("round trip = %+v, want %+v", got, tc.info)
			}
		})
	}
}

// commitOf encodes and decodes a commit as Git stores it, so the test sees
// what go-git's signature parsing does to the author.
func commitOf(sig object.Signature, msg string) *object.Commit {
	st := memory.NewStorage()
	obj := st.NewEncodedObject()
	(&object.Commit{Author: sig, Committer: sig, Message: msg}).Encode(obj)
	c, err := object.DecodeCommit(st, obj)
	if err != nil {
		panic(err)
	}
	return c
}
