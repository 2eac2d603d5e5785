package environment

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Filter is a parsed SCIM filter for List. The zero Filter matches every
// environment.
type Filter struct {
	terms []term
}

type term struct {
	attr  string // lower case, as in filterAttrs
	op    string // "sw" or "eq"
	value string // for name sw: lower case; for status: a Status
}

// filterAttrs maps each supported attribute to its only operator.
var filterAttrs = map[string]string{
	"name":            "sw",
	"id":              "eq",
	"organization.id": "eq",
	"license.id":      "eq",
	"status":          "eq",
}

// scimOps are the SCIM operators that are recognized, and refused by name.
var scimOps = map[string]bool{
	"eq": true, "ne": true, "co": true, "sw": true, "ew": true, "pr": true,
	"gt": true, "ge": true, "lt": true, "le": true, "in": true, "not": true, "or": true,
}

const supportedFilters = `supported: name sw "…"; id, organization.id, license.id or status eq "…"; joined by and`

// FilterError describes why a filter was rejected. It wraps
// ErrInvalidFilter.
type FilterError struct {
	Offset int    // byte offset in the filter where the problem starts
	Reason string // what was wrong
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("%v at offset %d: %s (%s)", ErrInvalidFilter, e.Offset, e.Reason, supportedFilters)
}

func (e *FilterError) Unwrap() error { return ErrInvalidFilter }

// ParseFilter parses a SCIM filter of the subset PingOne supports for
// environments: `name sw "…"`; `eq` on id, organization.id, license.id and
// status; clauses joined by `and`. Attribute names and operators are
// case-insensitive, values are double-quoted strings with JSON escapes.
// Every other operator (gt lt ge le in ne co ew pr not or), attribute,
// grouping or malformed input is an error of type *FilterError wrapping
// ErrInvalidFilter. A blank filter matches everything.
func ParseFilter(s string) (Filter, error) {
	p := filterParser{s: s}
	var f Filter
	if p.skipSpace(); p.pos == len(s) {
		return f, nil
	}
	for {
		t, err := p.term()
		if err != nil {
			return Filter{}, err
		}
		f.terms = append(f.terms, t)
		if p.skipSpace(); p.pos == len(s) {
			return f, nil
		}
		at := p.pos
		switch w := strings.ToLower(p.word()); {
		case w == "and":
		case scimOps[w]:
			return Filter{}, p.fail(at, fmt.Sprintf("operator %s is not supported", clip(w)))
		case w == "":
			return Filter{}, p.fail(at, fmt.Sprintf("unexpected %q", p.s[at:at+1]))
		default:
			return Filter{}, p.fail(at, fmt.Sprintf("expected \"and\", got %s", clip(w)))
		}
	}
}

type filterParser struct {
	s   string
	pos int
}

func (p *filterParser) fail(at int, reason string) error {
	return &FilterError{Offset: at, Reason: reason}
}

func (p *filterParser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		p.pos++
	}
}

// word consumes an attribute path or operator: letters, digits, '.', '_',
// '-', ':' and '$' (so URN-style attributes are named in errors whole).
func (p *filterParser) word() string {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if !isAlnum(c) && !strings.ContainsRune("._-:$", rune(c)) {
			break
		}
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *filterParser) term() (term, error) {
	p.skipSpace()
	at := p.pos
	if p.pos == len(p.s) {
		return term{}, p.fail(at, "expected an attribute, got end of filter")
	}
	attrWord := p.word()
	attr := strings.ToLower(attrWord)
	switch {
	case attr == "" && p.s[at] == '(':
		return term{}, p.fail(at, "grouping with parentheses is not supported")
	case attr == "":
		return term{}, p.fail(at, fmt.Sprintf("expected an attribute, got %q", p.s[at:at+1]))
	case attr == "not" || attr == "or" || attr == "and":
		return term{}, p.fail(at, fmt.Sprintf("operator %s is not supported here", clip(attr)))
	case filterAttrs[attr] == "":
		return term{}, p.fail(at, fmt.Sprintf("attribute %s is not supported", clip(attrWord)))
	}
	p.skipSpace()
	opAt := p.pos
	op := strings.ToLower(p.word())
	switch {
	case op == "" && p.pos < len(p.s) && p.s[p.pos] == '[':
		return term{}, p.fail(opAt, "complex attribute filters ([…]) are not supported")
	case op == "":
		return term{}, p.fail(opAt, fmt.Sprintf("expected an operator after %s", clip(attrWord)))
	case !scimOps[op]:
		return term{}, p.fail(opAt, fmt.Sprintf("unknown operator %s", clip(op)))
	case op != filterAttrs[attr]:
		return term{}, p.fail(opAt, fmt.Sprintf("operator %s is not supported on %s; %s supports only %s", clip(op), attr, attr, filterAttrs[attr]))
	}
	p.skipSpace()
	valAt := p.pos
	v, err := p.str()
	if err != nil {
		return term{}, err
	}
	switch attr {
	case "name":
		v = strings.ToLower(v)
	case "status":
		i := slices.IndexFunc(statuses, func(s Status) bool { return strings.EqualFold(string(s), v) })
		if i < 0 {
			return term{}, p.fail(valAt, fmt.Sprintf("unknown status %s (allowed: ACTIVE, DELETE_PENDING)", clip(v)))
		}
		v = string(statuses[i])
	}
	return term{attr: attr, op: op, value: v}, nil
}

// str consumes a double-quoted string with JSON escapes.
func (p *filterParser) str() (string, error) {
	at := p.pos
	if p.pos == len(p.s) || p.s[p.pos] != '"' {
		got := "end of filter"
		if p.pos < len(p.s) {
			got = fmt.Sprintf("%q", p.s[p.pos:min(len(p.s), p.pos+8)])
		}
		return "", p.fail(at, "expected a double-quoted string value, got "+got)
	}
	for i := p.pos + 1; i < len(p.s); i++ {
		switch p.s[i] {
		case '\\':
			i++
		case '"':
			var v string
			if err := json.Unmarshal([]byte(p.s[at:i+1]), &v); err != nil {
				return "", p.fail(at, "malformed string value (use JSON escapes such as \\\" and \\\\)")
			}
			p.pos = i + 1
			return v, nil
		}
	}
	return "", p.fail(at, "unterminated string value")
}

// Match reports whether e satisfies every clause of f.
func (f Filter) Match(e Environment) bool {
	for _, t := range f.terms {
		var ok bool
		switch t.attr {
		case "name":
			ok = strings.HasPrefix(strings.ToLower(e.Name), t.value)
		case "id":
			ok = strings.EqualFold(e.ID, t.value)
		case "organization.id":
			ok = strings.EqualFold(e.Organization.ID, t.value)
		case "license.id":
			ok = strings.EqualFold(e.License.ID, t.value)
		case "status":
			ok = string(e.Status) == t.value
		}
		if !ok {
			return false
		}
	}
	return true
}

// String returns f in canonical form, which ParseFilter accepts.
func (f Filter) String() string {
	var b strings.Builder
	for i, t := range f.terms {
		if i > 0 {
			b.WriteString(" and ")
		}
		v, _ := json.Marshal(t.value) // a string always marshals
		fmt.Fprintf(&b, "%s %s %s", t.attr, t.op, v)
	}
	return b.String()
}

// maxQuoted bounds the part of a filter token quoted in an error, so a
// huge token does not make a huge error.
const maxQuoted = 40

// clip quotes s for an error message, shortened to maxQuoted bytes.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}
