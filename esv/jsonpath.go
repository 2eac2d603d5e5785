package esv

import (
	"bytes"
	"encoding/json"
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
			}
			start := t.pos
			t.pos = end
			if off < end {
				t.strStart, t.strEnd = start, end
				t.path, t.key = t.pathNow(), ""
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

func decodeKey(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var s string
	if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s) != nil {
		return string(raw)
	}
	return s
}
