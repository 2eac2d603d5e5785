package esv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Location says where a reference is in a file.
type Location struct {
	Path string // the path given to Refs
	// JSONPath is the gjson path of the JSON string holding the reference:
	// gjson.GetBytes(content, JSONPath) returns that string (or, for a
	// reference inside an object key, that member's value). It is set for
	// files whose name ends in ".json" when the reference sits in a string
	// of well-formed JSON; empty otherwise and for a top-level string.
	JSONPath string
	// Line and Column are 1-based; Column counts bytes, like ripgrep's
	// --column. They are always set.
	Line, Column int
}

func (l Location) String() string {
	s := fmt.Sprintf("%s:%d:%d", l.Path, l.Line, l.Column)
	if l.JSONPath != "" {
		s += " (" + l.JSONPath + ")"
	}
	return s
}

// Ref is one reference to an ESV in a configuration file.
type Ref struct {
	Name       string // the ESV name, e.g. "esv-my-var" for &{esv.my.var}
	Default    string // the default after '|' in a placeholder, or a script's literal default
	HasDefault bool   // whether a default was given (it may be empty)
	// Type is the expression type the reference wants: the type of a typed
	// wrapper such as {"$int": "&{esv.port}"}, else TypeString.
	Type ExpressionType
	// Script is true for systemEnv.getProperty("esv.x") and
	// identityServer.getProperty("esv.x") calls, false for &{…} placeholders.
	Script bool
	Text   string // the reference as written, e.g. "&{esv.port|465}"
	Location
}

// Accepts reports whether an ESV of expression type t fits r: a plain
// placeholder takes any value as text, $number takes int or number, every
// other wrapper takes exactly its own type.
func (r Ref) Accepts(t ExpressionType) bool {
	switch r.Type {
	case TypeString:
		return true
	case TypeNumber:
		return t == TypeNumber || t == TypeInt
	}
	return t == r.Type
}

// Malformed is a reference that cannot be resolved as written.
type Malformed struct {
	Text   string // the reference as written, cut to maxMalformedText bytes
	Reason string // what is wrong and what is allowed
	Location
}

const maxMalformedText = 128

// MalformedError lists every malformed reference of a file, in file order.
// It matches ErrMalformed with errors.Is.
type MalformedError []Malformed

func (e MalformedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d malformed ESV reference(s):", len(e))
	for _, m := range e {
		fmt.Fprintf(&b, "\n\t%s: %q: %s", m.Location, m.Text, m.Reason)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e MalformedError) Is(target error) bool { return target == ErrMalformed }

// wrappers maps the typed-placeholder keys to the type they want.
var wrappers = map[string]ExpressionType{
	"$int":           TypeInt,
	"$bool":          TypeBool,
	"$number":        TypeNumber,
	"$list":          TypeList,
	"$array":         TypeArray,
	"$object":        TypeObject,
	"$base64:decode": TypeBase64,
	"$base64:encode": TypeString,
}

var (
	esvDot    = []byte("esv.")
	openPlain = []byte("&{")
	openEscJS = []byte(`\u0026{`) // how Go's encoding/json writes "&{"
	getProp   = []byte("getProperty(")
	receivers = [][]byte{[]byte("systemEnv."), []byte("identityServer.")}
)

// Refs returns every ESV reference in a configuration file, in file order:
// placeholders &{esv.name} and &{esv.name|default}, also embedded in longer
// strings and inside typed wrappers ({"$int": "&{esv.port}"}), and script
// calls systemEnv.getProperty("esv.name") and
// identityServer.getProperty("esv.name"[, default]). Files whose path ends in
// ".json" get JSON paths, and JSON string escapes are honoured there (Go's
// encoding/json writes "&{" as "\u0026{").
//
// It never decodes the whole file: a fast byte search for "esv." finds
// candidates, and only files with one are walked for positions.
//
// Malformed references (unclosed, invalid names, hyphens instead of dots,
// nested placeholders in defaults) are not skipped: the error is a
// MalformedError listing each with its location, returned together with
// every well-formed Ref. Refs returns no other errors.
func Refs(path string, content []byte) ([]Ref, error) {
	s := scanner{content: content, json: isJSONPath(path), path: path, line: 1}
	s.run()
	if len(s.bad) > 0 {
		return s.refs, s.bad
	}
	return s.refs, nil
}

func isJSONPath(p string) bool { return strings.EqualFold(path.Ext(p), ".json") }

type scanner struct {
	content []byte
	json    bool
	path    string
	refs    []Ref
	bad     MalformedError

	// incremental line counting: line is the line number at offset lineAt
	line, lineAt, lineStart int
	jt                      *jsonTracker
	spans                   [][2]int // [start, end) of each of refs, for Expand
}

// run finds every reference: a cheap search for "esv.", and a closer look
// only where it matches.
func (s *scanner) run() {
	for i := 0; ; {
		j := indexESV(s.content[i:])
		if j < 0 {
			return
		}
		i = s.at(i + j)
	}
}

// indexESV is bytes.Index(b, "esv.") tuned for configuration text: it
// searches for 'v', much rarer there than the 'e' bytes.Index would start
// from, and checks the neighbours of each.
func indexESV(b []byte) int {
	for i := 2; i < len(b)-1; {
		j := bytes.IndexByte(b[i:len(b)-1], 'v')
		if j < 0 {
			return -1
		}
		i += j
		if b[i+1] == '.' && b[i-1] == 's' && b[i-2] == 'e' {
			return i - 2
		}
		i++
	}
	return -1
}

// at examines the "esv." found at offset p and returns where to search next.
func (s *scanner) at(p int) int {
	c := s.content
	switch {
	case bytes.HasSuffix(c[:p], openPlain):
		return s.placeholder(p-len(openPlain), p)
	case s.json && bytes.HasSuffix(c[:p], openEscJS):
		return s.placeholder(p-len(openEscJS), p)
	}
	if start, quote, ok := s.scriptCall(p); ok {
		return s.script(start, quote, p)
	}
	return p + len(esvDot)
}

// placeholder parses the placeholder starting at start whose "esv." is at p.
func (s *scanner) placeholder(start, p int) int {
	c := s.content
	end, bar, escaped := -1, -1, false
	name, why := "", ""
scan:
	for k := p + len(esvDot); k < len(c); k++ {
		switch c[k] {
		case '}':
			end = k + 1
			break scan
		case '|':
			if bar < 0 {
				bar = k
			}
		case '\n':
			why = "unclosed placeholder: no '}' before the end of the line"
			end = k
			break scan
		case '"':
			if s.json {
				why = "unclosed placeholder: no '}' before the end of the JSON string"
				end = k
				break scan
			}
		case '\\':
			if s.json {
				escaped = true
				k++
			}
		case '&':
			if bar >= 0 && k+1 < len(c) && c[k+1] == '{' {
				why = "nested placeholders in defaults are not supported"
			}
		}
		if bar >= 0 && s.json && bytes.HasPrefix(c[k:], openEscJS) {
			why = "nested placeholders in defaults are not supported"
		}
	}
	if end < 0 {
		why, end = "unclosed placeholder: no '}' before the end of the file", len(c)
	}
	text := c[start:end]
	if why == "" {
		nameEnd := end - 1
		if bar >= 0 {
			nameEnd = bar
		}
		name, why = nameOf(c[p+len(esvDot) : nameEnd])
	}
	if why != "" {
		// Resume inside it: what looked like its text may hold a
		// well-formed placeholder.
		s.malformed(start, text, why)
		return p + len(esvDot)
	}
	r := Ref{Name: name, Type: TypeString, Text: string(text)}
	if bar >= 0 {
		r.HasDefault = true
		r.Default = string(c[bar+1 : end-1])
		if escaped {
			if err := json.Unmarshal([]byte(`"`+r.Default+`"`), &r.Default); err != nil {
				s.malformed(start, text, "the default is not a valid JSON string")
				return p + len(esvDot)
			}
		}
	}
	s.add(start, end, r)
	return end
}

// scriptCall reports whether the "esv." at p opens the string argument of
// systemEnv.getProperty( or identityServer.getProperty(, returning where
// the call starts and the quote used (", ', ` or the JSON-escaped \").
func (s *scanner) scriptCall(p int) (start int, quote string, ok bool) {
	c := s.content
	if p == 0 {
		return 0, "", false
	}
	q := p - 1
	switch c[q] {
	case '"':
		quote = `"`
		if s.json && q > 0 && c[q-1] == '\\' {
			q, quote = q-1, `\"`
		}
	case '\'', '`':
		quote = string(c[q])
	default:
		return 0, "", false
	}
	k := q
	for k > 0 && (c[k-1] == ' ' || c[k-1] == '\t') {
		k--
	}
	if !bytes.HasSuffix(c[:k], getProp) {
		return 0, "", false
	}
	k -= len(getProp)
	for _, r := range receivers {
		if bytes.HasSuffix(c[:k], r) {
			return k - len(r), quote, true
		}
	}
	return 0, "", false
}

// script parses a getProperty call starting at start whose "esv." is at p.
func (s *scanner) script(start int, quote string, p int) int {
	c := s.content
	nameEnd := p + len(esvDot)
	for nameEnd < len(c) && c[nameEnd] != '\n' && !bytes.HasPrefix(c[nameEnd:], []byte(quote)) {
		nameEnd++
	}
	if nameEnd >= len(c) || c[nameEnd] == '\n' {
		s.malformed(start, c[start:nameEnd], "unclosed string argument of getProperty")
		return nameEnd
	}
	end := nameEnd + len(quote)
	name, why := nameOf(c[p+len(esvDot) : nameEnd])
	if why != "" {
		s.malformed(start, c[start:end], why)
		return end
	}
	r := Ref{Name: name, Type: TypeString, Script: true}
	k := skipBlanks(c, end)
	if k < len(c) && c[k] == ',' {
		// A second argument is the fallback value; record it when it is a
		// plain string literal in the same quotes.
		r.HasDefault = true
		k = skipBlanks(c, k+1)
		if bytes.HasPrefix(c[k:], []byte(quote)) {
			lit := k + len(quote)
			if n := bytes.Index(c[lit:], []byte(quote)); n >= 0 && !bytes.ContainsAny(c[lit:lit+n], "\\\n") {
				r.Default = string(c[lit : lit+n])
				k = skipBlanks(c, lit+n+len(quote))
			}
		}
	}
	if k < len(c) && c[k] == ')' {
		end = k + 1
	}
	r.Text = string(c[start:end])
	s.add(start, end, r)
	return end
}

func skipBlanks(c []byte, k int) int {
	for k < len(c) && (c[k] == ' ' || c[k] == '\t') {
		k++
	}
	return k
}

func (s *scanner) add(start, end int, r Ref) {
	r.Location, r.Type = s.locate(start, r.Type)
	s.refs = append(s.refs, r)
	s.spans = append(s.spans, [2]int{start, end})
}

func (s *scanner) malformed(off int, text []byte, why string) {
	if len(text) > maxMalformedText {
		text = text[:maxMalformedText]
	}
	loc, _ := s.locate(off, "")
	s.bad = append(s.bad, Malformed{Text: string(text), Reason: why, Location: loc})
}

// locate returns the Location of offset off, which never decreases between
// calls, and the type wanted there: a typed wrapper's type for a string
// directly under a wrapper key in JSON, else typ.
func (s *scanner) locate(off int, typ ExpressionType) (Location, ExpressionType) {
	c := s.content
	s.line += bytes.Count(c[s.lineAt:off], []byte{'\n'})
	if nl := bytes.LastIndexByte(c[s.lineAt:off], '\n'); nl >= 0 {
		s.lineStart = s.lineAt + nl + 1
	}
	s.lineAt = off
	loc := Location{Path: s.path, Line: s.line, Column: off - s.lineStart + 1}
	if s.json {
		if s.jt == nil {
			s.jt = &jsonTracker{c: c}
		}
		var key string
		var ok bool
		if loc.JSONPath, key, ok = s.jt.at(off); ok && typ != "" {
			if w, isWrapper := wrappers[key]; isWrapper {
				typ = w
			}
		}
	}
	return loc, typ
}
