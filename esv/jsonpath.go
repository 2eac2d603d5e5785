package esv

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// jsonTracker walks JSON text just far enough to name the string holding a
// given offset. Offsets must not decrease between calls, so a file is walked
// at most once, and only up to its last reference. It checks structure only
// as far as it needs to; on text it cannot follow it stops naming paths.
type jsonTracker struct {
	c      []byte
	pos    int // next byte to look at
	stack  []jsonFrame
	broken bool

	// the string that held the previous offset, and what at returned for it
	strStart, strEnd int
	path, key        string
}

type jsonFrame struct {
	array   bool
	index   int    // current element of an array
	key     []byte // raw key of the current member of an object
	wantKey bool   // an object expects a key next
	// seen holds a bit per hash of the object's keys so far; dup says
	// key may have come before, when gjson could find that member.
	seen [4]uint64
	dup  bool
}

// sees records key in f's keys and says whether it may have come before.
func (f *jsonFrame) sees(key []byte) {
	if bytes.IndexByte(key, '\\') >= 0 {
		key = []byte(decodeKey(key)) // "\u0061" is "a"
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range key {
		h = (h ^ uint32(c)) * 16777619
	}
	w, bit := (h>>6)%4, uint64(1)<<(h&63)
	f.dup = f.seen[w]&bit != 0
	f.seen[w] |= bit
}

// at returns the gjson path of the string containing offset off and, when
// that string is the value of an object member, the member's key. ok is
// false when off is not inside a string or the JSON cannot be followed.
func (t *jsonTracker) at(off int) (path, key string, ok bool) {
	if off >= t.strStart && off < t.strEnd {
		return t.path, t.key, true
	}
	for !t.broken && t.pos <= off && t.pos < len(t.c) {
		switch t.c[t.pos] {
		case ' ', '\t', '\n', '\r', ':':
			t.pos++
		case '{', '[':
			t.stack = append(t.stack, jsonFrame{array: t.c[t.pos] == '[', wantKey: true})
			t.pos++
		case '}', ']':
			if len(t.stack) == 0 || t.top().array != (t.c[t.pos] == ']') {
				t.broken = true
				break
			}
			t.stack = t.stack[:len(t.stack)-1]
			t.pos++
		case ',':
			if len(t.stack) == 0 {
				t.broken = true
				break
			}
			f := t.top()
			f.index++
			f.wantKey = true
			t.pos++
		case '"':
			end := stringEnd(t.c, t.pos+1)
			if end < 0 {
				t.broken = true
				break
			}
			f := t.top()
			inKey := f != nil && !f.array && f.wantKey
			if inKey {
				f.key, f.wantKey = t.c[t.pos+1:end-1], false
				f.sees(f.key)
			}
			start := t.pos
			t.pos = end
			if off < end {
				t.strStart, t.strEnd = start, end
				t.path, t.key = t.pathNow(), ""
				if !t.names(t.path, start, end, inKey) {
					t.path = ""
				}
				if f != nil && !f.array && !inKey {
					t.key = decodeKey(f.key)
				}
				return t.path, t.key, true
			}
		default: // numbers and literals
			for t.pos < len(t.c) && strings.IndexByte(" \t\r\n,:]}\"{[", t.c[t.pos]) < 0 {
				t.pos++
			}
		}
	}
	return "", "", false
}

// names reports whether gjson finds path where the walk found it: at the
// string [start, end), or, for a key, at the value after it. Paths are
// built from keys alone, so where a key on the path repeats in its object
// gjson may find the other member (and Location promises a path gjson
// resolves); only then is it asked, as it reads the file from the start.
func (t *jsonTracker) names(path string, start, end int, inKey bool) bool {
	if path == "" {
		return false
	}
	if !slices.ContainsFunc(t.stack, func(f jsonFrame) bool { return f.dup }) {
		return true
	}
	v := gjson.GetBytes(t.c, path)
	if !inKey {
		return v.Type == gjson.String && v.Index == start
	}
	i := end
	for i < len(t.c) && (t.c[i] == ' ' || t.c[i] == '\t' || t.c[i] == '\n' || t.c[i] == '\r' || t.c[i] == ':') {
		i++
	}
	return v.Exists() && v.Index == i
}

func (t *jsonTracker) top() *jsonFrame {
	if len(t.stack) == 0 {
		return nil
	}
	return &t.stack[len(t.stack)-1]
}

func (t *jsonTracker) pathNow() string {
	var b strings.Builder
	for i, f := range t.stack {
		if i > 0 {
			b.WriteByte('.')
		}
		if f.array {
			b.WriteString(strconv.Itoa(f.index))
		} else {
			b.WriteString(gjson.Escape(decodeKey(f.key)))
		}
	}
	return b.String()
}

// stringEnd returns the offset just past the closing quote of the JSON string
// whose contents start at i, or -1 if it is not closed.
func stringEnd(c []byte, i int) int {
	for {
		n := bytes.IndexByte(c[i:], '"')
		if n < 0 {
			return -1
		}
		q := i + n
		bs := 0
		for q-bs-1 >= i && c[q-bs-1] == '\\' {
			bs++
		}
		if bs%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
}

// decodeKey returns a raw key as gjson compares it with a path's: escapes
// decoded, every other byte as it is (encoding/json would write invalid
// UTF-8 as U+FFFD, a key no gjson path then finds).
func decodeKey(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	return gjson.ParseBytes(append(append([]byte{'"'}, raw...), '"')).Str
}
