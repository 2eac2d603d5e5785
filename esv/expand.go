package esv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Expand substitutes ESV values for the placeholders in a configuration
// file, as the platform does when it loads configuration.
//
// When content is valid JSON, placeholders in every string (keys included)
// are replaced, the result re-encoded as a JSON string, and typed wrappers
// ({"$int": "&{esv.port}"}, an object with exactly one wrapper key and a
// string value) are replaced by the converted value:
//
//	$int            a decimal 64-bit integer → JSON number
//	$number         a JSON number            → JSON number
//	$bool           true or false            → JSON boolean
//	$list           comma-separated items    → JSON array of strings (items trimmed; "" → [])
//	$array          a JSON array             → that array
//	$object         a JSON object            → that object
//	$base64:decode  standard base64 of UTF-8 → the decoded string
//	$base64:encode  any text                 → its standard base64
//
// Formatting outside replaced values is kept. Other content is treated as
// text and only its placeholders are replaced. Script calls
// (systemEnv.getProperty…) are left alone: scripts read ESVs at run time.
//
// A placeholder takes lookup's value, else its default. Expand returns nil
// and an error listing every problem — placeholders without value or default
// (ErrMissing), values that do not convert (ErrType), malformed placeholders
// (ErrMalformed) — each with its location. Errors never quote values.
func Expand(content []byte, lookup Lookup) ([]byte, error) {
	x := expander{src: content, lookup: lookup}
	// encoding/json, not gjson, decides what is JSON: it refuses nesting
	// deeper than 10,000, which gjson's validator (and the walk below)
	// would recurse into until the stack overflowed and the process died.
	if json.Valid(content) {
		x.value(gjson.ParseBytes(content), "")
	} else {
		x.splice(scanText(content), "")
	}
	if len(x.errs) > 0 {
		return nil, errors.Join(x.errs...)
	}
	return append(x.out, content[x.last:]...), nil
}

type expander struct {
	src    []byte
	lookup Lookup
	out    []byte // output up to src[last:]
	last   int
	errs   []error
}

// replace writes src up to start, then repl in place of src[start:end].
func (x *expander) replace(start, end int, repl []byte) {
	x.out = append(append(x.out, x.src[x.last:start]...), repl...)
	x.last = end
}

func (x *expander) value(v gjson.Result, path string) {
	switch {
	case v.IsObject():
		if key, val, ok := wrapperOf(v); ok {
			x.wrapper(v, key, val, join(path, gjson.Escape(key.Str)))
			return
		}
		v.ForEach(func(k, val gjson.Result) bool {
			p := join(path, gjson.Escape(k.Str))
			x.str(k, p)
			x.value(val, p)
			return true
		})
	case v.IsArray():
		i := 0
		v.ForEach(func(_, val gjson.Result) bool {
			x.value(val, join(path, strconv.Itoa(i)))
			i++
			return true
		})
	case v.Type == gjson.String:
		x.str(v, path)
	}
}

func join(path, comp string) string {
	if path == "" {
		return comp
	}
	return path + "." + comp
}

// wrapperOf returns the member of a one-member object whose key is a typed
// wrapper and whose value is a string.
func wrapperOf(obj gjson.Result) (key, val gjson.Result, ok bool) {
	n := 0
	obj.ForEach(func(k, v gjson.Result) bool {
		key, val, n = k, v, n+1
		return n < 2
	})
	_, isWrapper := wrappers[key.Str]
	return key, val, n == 1 && isWrapper && val.Type == gjson.String
}

// str replaces the placeholders of a JSON string (key or value).
func (x *expander) str(v gjson.Result, path string) {
	if !strings.Contains(v.Raw, "esv.") {
		return
	}
	if s, ok := x.text(v.Str, path); ok {
		x.replace(v.Index, v.Index+len(v.Raw), appendJSONString(nil, s))
	}
}

// text expands the placeholders of one decoded string.
func (x *expander) text(s, path string) (string, bool) {
	b := []byte(s)
	sub := expander{src: b, lookup: x.lookup}
	sub.splice(scanText(b), path)
	x.errs = append(x.errs, sub.errs...)
	if len(sub.errs) > 0 {
		return "", false
	}
	return string(append(sub.out, b[sub.last:]...)), true
}

// scanText finds the references of plain text.
func scanText(b []byte) *scanner {
	s := &scanner{content: b, line: 1}
	s.run()
	return s
}

// splice replaces every placeholder the scanner found in src by its value,
// recording problems; path, when set, locates them in a JSON document.
func (x *expander) splice(s *scanner, path string) {
	where := func(loc Location) string {
		if path != "" {
			return "at " + path
		}
		return fmt.Sprintf("at line %d column %d", loc.Line, loc.Column)
	}
	for _, m := range s.bad {
		x.errs = append(x.errs, fmt.Errorf("%w %s: %q: %s", ErrMalformed, where(m.Location), m.Text, m.Reason))
	}
	for i, r := range s.refs {
		if r.Script {
			continue
		}
		v, ok := x.lookup(r.Name)
		switch {
		case ok:
		case r.HasDefault:
			v = r.Default
		default:
			x.errs = append(x.errs, fmt.Errorf("%w %s: %s (%s) is not set and has no default", ErrMissing, where(r.Location), r.Name, r.Text))
			continue
		}
		x.replace(s.spans[i][0], s.spans[i][1], []byte(v))
	}
}

// wrapper replaces a typed wrapper object by its converted value.
func (x *expander) wrapper(obj, key, val gjson.Result, path string) {
	s, ok := x.text(val.Str, path)
	if !ok {
		return
	}
	out, why := convert(key.Str, s)
	if why != "" {
		x.errs = append(x.errs, fmt.Errorf("%w at %s: {%q: %.200q}: %s", ErrType, path, key.Str, val.Str, why))
		return
	}
	x.replace(obj.Index, obj.Index+len(obj.Raw), out)
}

// convert applies a typed wrapper to s, or explains why it cannot.
func convert(wrapper, s string) ([]byte, string) {
	switch wrapper {
	case "$int":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.AppendInt(nil, n, 10), ""
		}
	case "$number":
		if isJSONNumber([]byte(s)) {
			return []byte(s), ""
		}
	case "$bool":
		if s == "true" || s == "false" {
			return []byte(s), ""
		}
	case "$list":
		items := []string{}
		if s != "" {
			items = strings.Split(s, ",")
			for i := range items {
				items[i] = strings.TrimSpace(items[i])
			}
		}
		b := []byte{'['}
		for i, it := range items {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, it)
		}
		return append(b, ']'), ""
	case "$array", "$object":
		t := TypeArray
		if wrapper == "$object" {
			t = TypeObject
		}
		if t.Check([]byte(s)) == nil {
			return []byte(strings.TrimSpace(s)), ""
		}
	case "$base64:decode":
		if d, err := base64.StdEncoding.DecodeString(s); err == nil && utf8.Valid(d) {
			return appendJSONString(nil, string(d)), ""
		}
	case "$base64:encode":
		return appendJSONString(nil, base64.StdEncoding.EncodeToString([]byte(s))), ""
	}
	return nil, typeHints[wrappers[wrapper]]
}

// appendJSONString appends s as a JSON string, leaving &, < and > as they
// are so placeholders stay readable.
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...)
}
