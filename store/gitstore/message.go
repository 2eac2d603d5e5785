package gitstore

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/envpromote/envpromote/store"
)

// metaPrefix starts the Git trailer that carries one metadata entry:
// "Envpromote-Meta-type: promotion". The trailers form the last paragraph of
// the commit message, so git log shows them and
// git log --format='%(trailers:key=Envpromote-Meta-type,valueonly)' finds them.
const metaPrefix = "Envpromote-Meta-"

// encodeInfo turns info, which store.CommitInfo.Validate accepted, into a
// Git signature and message, after checking that the message round-trips
// exactly; it fails with store.ErrInvalidMetadata.
func encodeInfo(info store.CommitInfo) (object.Signature, string, error) {
	name, email := splitAuthor(info.Author)
	if len(info.Metadata) == 0 {
		if _, md := decodeMessage(info.Message); md != nil {
			return object.Signature{}, "", fmt.Errorf("%w: message ends in %s… trailers, which would read back as metadata; pass them in Metadata", store.ErrInvalidMetadata, metaPrefix)
		}
	}
	sig := object.Signature{Name: name, Email: email, When: info.Time.Truncate(time.Second)} // Git keeps seconds
	return sig, encodeMessage(info.Message, info.Metadata), nil
}

// splitAuthor splits an author that store.CommitInfo.Validate accepted
// into a Git signature's name and email.
func splitAuthor(a string) (name, email string) {
	if i := strings.LastIndex(a, " <"); i >= 0 && strings.HasSuffix(a, ">") {
		return a[:i], a[i+2 : len(a)-1]
	}
	return a, ""
}

func decodeInfo(c *object.Commit) store.CommitInfo {
	author := c.Author.Name
	if c.Author.Email != "" {
		author += " <" + c.Author.Email + ">"
	}
	msg, md := decodeMessage(c.Message)
	return store.CommitInfo{Author: author, Time: c.Author.When, Message: msg, Metadata: md}
}

// encodeMessage appends md to msg as a trailer paragraph, keys sorted.
func encodeMessage(msg string, md map[string]string) string {
	if len(md) == 0 {
		return msg
	}
	var b strings.Builder
	b.WriteString(msg)
	if msg != "" {
		b.WriteString("\n\n")
	}
	for _, k := range slices.Sorted(maps.Keys(md)) {
		b.WriteString(metaPrefix + k + ": " + md[k] + "\n")
	}
	return b.String()
}

// decodeMessage splits a commit message into the text and the metadata of
// its trailer paragraph. A message whose last paragraph is not entirely
// well-formed Envpromote-Meta trailers has no metadata (nil) and is returned
// whole.
func decodeMessage(s string) (string, map[string]string) {
	msg, block := "", s
	if i := strings.LastIndex(s, "\n\n"); i >= 0 {
		msg, block = s[:i], s[i+2:]
	}
	lines, ok := strings.CutSuffix(block, "\n")
	if !ok || lines == "" {
		return s, nil
	}
	md := map[string]string{}
	for line := range strings.SplitSeq(lines, "\n") {
		kv, ok := strings.CutPrefix(line, metaPrefix)
		k, v, ok2 := strings.Cut(kv, ": ")
		if _, dup := md[k]; !ok || !ok2 || dup {
			return s, nil
		}
		md[k] = v
	}
	if (store.CommitInfo{Metadata: md}).Validate() != nil {
		return s, nil
	}
	return msg, md
}
