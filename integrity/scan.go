package integrity

import (
	"bytes"
	"encoding/json"
	"errors"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/envpromote/envpromote/esv"
	"github.com/tidwall/gjson"
)

// facts is what scanning one file finds. It depends only on the file's
// bytes and on whether its name ends in ".json". Its locations are within
// the file; the path comes from where the blob sits (one blob can sit at
// many paths), never from refs' Location.Path. A Runner keeps a compact
// form of it (see file).
type facts struct {
	refs []esv.Ref
	problems
}

// problems is what a file holds that the checks report whatever the ESVs.
type problems struct {
	malformed []esv.Malformed
	crypto    []spot // $crypto objects encrypted with an environment's keys
	syntax    *spot  // where a JSON file stops being JSON; nil if it is JSON
}

// spot is a position in a file with what was found there.
type spot struct {
	jsonPath     string
	line, column int
	what         string // the $crypto type, or the JSON syntax error
}

func isJSON(name string) bool { return strings.EqualFold(path.Ext(name), ".json") }

// scan examines one file. name is its base name; content is not retained.
func scan(name string, content []byte) *facts {
	f := &facts{}
	refs, err := esv.Refs(name, content)
	f.refs = refs
	if m, ok := errors.AsType[esv.MalformedError](err); ok {
		f.malformed = m
	}
	if !isJSON(name) {
		return f
	}
	if f.syntax = syntaxError(content); f.syntax == nil {
		f.crypto = cryptoObjects(content)
	}
	for i := range f.refs {
		f.refs[i].JSONPath = checkedPath(content, f.syntax == nil, f.refs[i].Location)
	}
	for i := range f.malformed {
		f.malformed[i].JSONPath = checkedPath(content, f.syntax == nil, f.malformed[i].Location)
	}
	return f
}

// file is what a Runner keeps of a file's facts, which may be across many
// runs and for every file of a tenant, so it is small: a reference is its
// usage number (see Runner.number) and where it is, nothing a finding does
// not show; a file with nothing to report shares clean.
type file struct {
	refs []ref
	prob *problems // nil if none
}

// ref is a reference to an ESV as a Runner keeps it: its usage and JSON
// path by number (see Runner.usages and Runner.paths).
type ref struct {
	usage, path  uint32
	line, column uint32
}

// clean is the file of every file with nothing to report.
var clean = &file{}

// checkedPath returns loc's JSON path if it names the string at loc in
// valid JSON (or, for a reference in an object key, that member's value),
// else "". esv names paths while it scans text it does not parse in full,
// so a duplicate key, a raw control character or invalid UTF-8 could make
// a path name another value, or none; a finding shows no path rather than
// a wrong one.
func checkedPath(content []byte, valid bool, loc esv.Location) string {
	if !valid || loc.JSONPath == "" {
		return ""
	}
	v := gjson.GetBytes(content, loc.JSONPath)
	off := offset(content, loc.Line, loc.Column)
	switch {
	case !v.Exists() || v.Index == 0 && !bytes.HasPrefix(content, []byte(v.Raw)):
		return "" // gjson could not say where the value is
	case v.Index <= off && off < v.Index+len(v.Raw):
		return loc.JSONPath
	case off < v.Index: // in the key: only its closing quote and ':' may follow
		rest := content[off:v.Index]
		q := bytes.LastIndexByte(rest, '"')
		if q >= 0 && string(bytes.TrimSpace(rest[q+1:])) == ":" && bytes.Count(rest[:q], []byte{'"'}) == bytes.Count(rest[:q], []byte(`\"`)) {
			return loc.JSONPath
		}
	}
	return ""
}

// offset returns the byte offset of a 1-based line and byte column.
func offset(content []byte, line, column int) int {
	off := 0
	for range line - 1 {
		off += bytes.IndexByte(content[off:], '\n') + 1
	}
	return min(off+column-1, len(content))
}

// syntaxError locates the first JSON syntax error in content, or returns
// nil if content is one valid JSON value.
func syntaxError(content []byte) *spot {
	if json.Valid(content) {
		return nil
	}
	off := int64(len(content)) // unexpected end of input
	why := "unexpected end of JSON input"
	var v any
	if se, ok := errors.AsType[*json.SyntaxError](json.Unmarshal(content, &v)); ok {
		off, why = se.Offset, se.Error()
	}
	// encoding/json reports the offset just past the offending byte.
	line, col := lineCol(content, max(int(off)-1, 0))
	return &spot{line: line, column: col, what: why}
}

var cryptoKey = []byte(`"$crypto"`)

// saltedHash is the $crypto type of IDM's salted hashes. A hash verifies in
// every environment, so unlike encrypted values it may be promoted.
const saltedHash = "salted-hash"

// noPath marks a value that no gjson path names; it is reported without one.
const noPath = "\x00"

// cryptoObjects finds every IDM {"$crypto": {"type": …, "value": …}} object
// in valid JSON, at any depth, except salted hashes. A "$crypto" inside a
// string (a script mentioning it) is not an object key and is not found.
func cryptoObjects(content []byte) []spot {
	if !bytes.Contains(content, cryptoKey) {
		return nil
	}
	var out []spot
	var walk func(v gjson.Result, p string)
	walk = func(v gjson.Result, p string) {
		if v.IsObject() {
			if c := v.Get(`\$crypto`); c.IsObject() {
				if typ := c.Get("type").String(); typ != saltedHash {
					line, col := lineCol(content, v.Index)
					p = strings.TrimPrefix(p, noPath)
					if p != "" && gjson.GetBytes(content, p).Index != v.Index {
						p = "" // a duplicate key: gjson names the first
					}
					out = append(out, spot{jsonPath: p, line: line, column: col, what: typ})
				}
				return
			}
		}
		if !v.IsObject() && !v.IsArray() {
			return
		}
		v.ForEach(func(k, e gjson.Result) bool {
			seg := strconv.Itoa(int(k.Num))
			switch {
			case strings.HasPrefix(p, noPath):
				seg = noPath
			case v.IsObject() && k.Str == "":
				seg = noPath // gjson paths cannot name an empty key
			case v.IsObject():
				seg = gjson.Escape(k.Str)
			}
			if p != "" && seg != noPath {
				seg = p + "." + seg
			}
			walk(e, seg)
			return true
		})
	}
	walk(gjson.ParseBytes(content), "")
	return out
}

// lineCol returns the 1-based line and byte column of offset off.
func lineCol(content []byte, off int) (int, int) {
	off = min(off, len(content))
	line := 1 + bytes.Count(content[:off], []byte{'\n'})
	return line, off - (bytes.LastIndexByte(content[:off], '\n') + 1) + 1
}

// usage is one distinct way an ESV is referenced: everything the built-in
// checks decide on, without the location. A Runner numbers the usages it
// sees, and every directory summary holds the usage numbers below it, so a
// check finds its offending references by descending only into subtrees
// that hold an offending usage.
type usage struct {
	name       string
	typ        esv.ExpressionType
	script     bool
	hasDefault bool
}

func usageOf(r *esv.Ref) usage {
	return usage{name: r.Name, typ: r.Type, script: r.Script, hasDefault: r.HasDefault}
}

// ids is a sorted set of usage numbers. A directory's is as long as the
// usages below it, where a bitset would be as long as the largest number.
type ids []uint32

// intersects reports whether a member of s is in b.
func (s ids) intersects(b bitset) bool {
	for _, id := range s {
		if b.has(id) {
			return true
		}
	}
	return false
}

// bitset is a set of small non-negative integers.
type bitset []uint64

func (b *bitset) set(i uint32) {
	for int(i>>6) >= len(*b) {
		*b = append(*b, 0)
	}
	(*b)[i>>6] |= 1 << (i & 63)
}

func (b bitset) has(i uint32) bool {
	return int(i>>6) < len(b) && b[i>>6]&(1<<(i&63)) != 0
}

// summary is what a subtree holds, in the detail the checks need to decide
// whether to look inside.
type summary struct {
	usages                    ids   // usage numbers, see Runner.number
	crypto, syntax, malformed int32 // counts of each problem below
}

// summarise sets a new directory's summary from its entries'.
func (n *node) summarise() {
	n.nodes = 1
	var all ids
	for _, d := range n.dirs {
		all = append(all, d.n.sum.usages...)
		n.sum.crypto += d.n.sum.crypto
		n.sum.syntax += d.n.sum.syntax
		n.sum.malformed += d.n.sum.malformed
		n.nodes += d.n.nodes
	}
	for _, c := range n.files {
		for _, r := range c.file.refs {
			all = append(all, r.usage)
		}
		if p := c.file.prob; p != nil {
			n.sum.crypto += int32(len(p.crypto))
			n.sum.malformed += int32(len(p.malformed))
			if p.syntax != nil {
				n.sum.syntax++
			}
		}
	}
	slices.Sort(all)
	n.sum.usages = slices.Clone(slices.Compact(all)) // not all's array: it is kept
}
