package environment_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/environment"
)

func TestRule_FilterSupportsOnlySwEqAnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // canonical form; "" with offset >= 0 = rejected
		off  int
		why  string // part of the reason
	}{
		{in: ``, off: -1},
		{in: `   `, off: -1},
		{in: `name sw "a"`, want: `name sw "a"`, off: -1},
		{in: `  Name  SW "Ab" AND status eq "active" `, want: `name sw "ab" and status eq "ACTIVE"`, off: -1},
		{in: `id eq "x\"y" and organization.id eq "o" and license.id eq "l"`, want: `id eq "x\"y" and organization.id eq "o" and license.id eq "l"`, off: -1},
		{in: `name sw "\u00e9t\u00C9"`, want: `name sw "été"`, off: -1},
		{in: "status\teq\n\"DELETE_PENDING\"", want: `status eq "DELETE_PENDING"`, off: -1},

		{in: `name gt "a"`, off: 5, why: `operator "gt"`},
		{in: `name ew "a"`, off: 5, why: `operator "ew"`},
		{in: `name co "a"`, off: 5, why: `operator "co"`},
		{in: `name ne "a"`, off: 5, why: `operator "ne"`},
		{in: `name in "a"`, off: 5, why: `operator "in"`},
		{in: `name pr`, off: 5, why: `operator "pr"`},
		{in: `name eq "a"`, off: 5, why: "supports only sw"},
		{in: `id sw "a"`, off: 3, why: "supports only eq"},
		{in: `status lt "A"`, off: 7, why: `operator "lt"`},
		{in: `id ge "1" `, off: 3, why: `operator "ge"`},
		{in: `id le "1"`, off: 3, why: `operator "le"`},
		{in: `name sw "a" or id eq "b"`, off: 12, why: `operator "or"`},
		{in: `not (name sw "a")`, off: 0, why: `operator "not"`},
		{in: `(name sw "a")`, off: 0, why: "parentheses"},
		{in: `description sw "a"`, off: 0, why: `attribute "description"`},
		{in: `type eq "SANDBOX"`, off: 0, why: `attribute "type"`},
		{in: `emails[type eq "work"]`, off: 0, why: `attribute "emails"`},
		{in: `name[value sw "a"]`, off: 4, why: "complex attribute"},
		{in: `name`, off: 4, why: "expected an operator"},
		{in: `name sw a`, off: 8, why: "double-quoted"},
		{in: `name sw`, off: 7, why: "end of filter"},
		{in: `name sw "a`, off: 8, why: "unterminated"},
		{in: `name sw "a\q"`, off: 8, why: "malformed"},
		{in: `name sw "a" and`, off: 15, why: "end of filter"},
		{in: `name sw "a" "b"`, off: 12, why: `unexpected "\""`},
		{in: `name sw "a" und id eq "b"`, off: 12, why: `expected "and"`},
		{in: `status eq "GONE"`, off: 10, why: "unknown status"},
		{in: `and name sw "a"`, off: 0, why: `operator "and"`},
		{in: `name zz "a"`, off: 5, why: `unknown operator "zz"`},
		{in: `#`, off: 0, why: "expected an attribute"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			f, err := environment.ParseFilter(tc.in)
			if tc.off < 0 {
				check(t, err, nil)
				if f.String() != tc.want {
					t.Fatalf("String() = %s, want %s", f.String(), tc.want)
				}
				return
			}
			var fe *environment.FilterError
			if !errors.As(err, &fe) || !errors.Is(err, environment.ErrInvalidFilter) {
				t.Fatalf("error = %v, want a *FilterError wrapping ErrInvalidFilter", err)
			}
			if fe.Offset != tc.off || !strings.Contains(fe.Reason, tc.why) {
				t.Fatalf("error at offset %d: %s; want offset %d and %q", fe.Offset, fe.Reason, tc.off, tc.why)
			}
			if !strings.Contains(err.Error(), "supported: name sw") {
				t.Fatalf("error %q does not say what is supported", err)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	e := environment.Environment{ID: "ID-1", Name: "Staging EU", Organization: environment.Ref{ID: "org"}, License: environment.Ref{ID: "lic"}, Status: environment.Active}
	for filter, want := range map[string]bool{
		``:                                   true,
		`name sw "staging"`:                  true,
		`name sw "STAGING E"`:                true,
		`name sw "eu"`:                       false,
		`id eq "id-1"`:                       true,
		`id eq "id-"`:                        false,
		`organization.id eq "org"`:           true,
		`license.id eq "lic"`:                true,
		`license.id eq "other"`:              false,
		`status eq "ACTIVE"`:                 true,
		`status eq "DELETE_PENDING"`:         false,
		`name sw "s" and status eq "ACTIVE"`: true,
		`name sw "s" and id eq "x"`:          false,
	} {
		f, err := environment.ParseFilter(filter)
		check(t, err, nil)
		if got := f.Match(e); got != want {
			t.Errorf("%s matches = %v, want %v", filter, got, want)
		}
	}
}

// FuzzParseFilter checks that ParseFilter never panics, that a rejection is
// a *FilterError pointing inside the input, and that an accepted filter's
// canonical form parses back to itself.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`name sw "a"`, `status eq "ACTIVE" and id eq "x"`, `name sw "\u00e9\"\\"`,
		`name gt "a"`, `(name sw "a")`, `name sw "a" or id eq "b"`, `emails[type eq "w"]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		flt, err := environment.ParseFilter(in)
		if err != nil {
			var fe *environment.FilterError
			if !errors.As(err, &fe) || !errors.Is(err, environment.ErrInvalidFilter) {
				t.Fatalf("ParseFilter(%q) error %v is not a *FilterError", in, err)
			}
			if fe.Offset < 0 || fe.Offset > len(in) {
				t.Fatalf("ParseFilter(%q) offset %d outside the input", in, fe.Offset)
			}
			return
		}
		canon := flt.String()
		again, err := environment.ParseFilter(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, in, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable: %q → %q", canon, again.String())
		}
	})
}

func BenchmarkParseFilter(b *testing.B) {
	const in = `name sw "prod" and organization.id eq "4f1c2f7e-3c1a-4b7e-9d55-2d3f1c9b8a10" and status eq "ACTIVE"`
	for b.Loop() {
		if _, err := environment.ParseFilter(in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFilterErrorQuotesTokensShortly: a huge token is not echoed whole
// into the error, which would make a 10 KB error from a 10 KB filter.
func TestFilterErrorQuotesTokensShortly(t *testing.T) {
	huge := strings.Repeat("x", 10000)
	for _, f := range []string{huge + ` eq "a"`, `name ` + huge + ` "a"`, `name sw "a" ` + huge, `status eq "` + huge + `"`} {
		_, err := environment.ParseFilter(f)
		if !errors.Is(err, environment.ErrInvalidFilter) {
			t.Fatalf("ParseFilter = %v; want ErrInvalidFilter", err)
		}
		if len(err.Error()) > 400 {
			t.Errorf("error of %d bytes for a %d-byte filter: %.120s…", len(err.Error()), len(f), err)
		}
	}
}
