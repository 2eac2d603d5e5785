package esv_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tidwall/gjson"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/internal/tenantgen"
)

func TestRule_PlaceholderForms(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		content string
		want    []esv.Ref
	}{
		{"whole string, hyphens as dots", "a.json", `{"host": "&{esv.smtp.host}"}`,
			[]esv.Ref{{Name: "esv-smtp-host", Type: esv.TypeString, Text: "&{esv.smtp.host}", Location: esv.Location{JSONPath: "host", Line: 1, Column: 11}}}},
		{"default", "a.json", `{"port": "&{esv.port|465}"}`,
			[]esv.Ref{{Name: "esv-port", Default: "465", HasDefault: true, Type: esv.TypeString, Text: "&{esv.port|465}", Location: esv.Location{JSONPath: "port", Line: 1, Column: 11}}}},
		{"empty default", "a.txt", `x=&{esv.a|}`,
			[]esv.Ref{{Name: "esv-a", HasDefault: true, Type: esv.TypeString, Text: "&{esv.a|}", Location: esv.Location{Line: 1, Column: 3}}}},
		{"embedded, several per string", "a.json", `{"u": ["https://&{esv.host}:&{esv.port}/p"]}`,
			[]esv.Ref{
				{Name: "esv-host", Type: esv.TypeString, Text: "&{esv.host}", Location: esv.Location{JSONPath: "u.0", Line: 1, Column: 17}},
				{Name: "esv-port", Type: esv.TypeString, Text: "&{esv.port}", Location: esv.Location{JSONPath: "u.0", Line: 1, Column: 29}},
			}},
		{"typed wrappers", "a.json", "{\"a\": {\"$int\": \"&{esv.i}\"},\n \"b\": [{\"$bool\": \"&{esv.b}\"}, {\"$list\": \"&{esv.l}\"}, {\"$base64:decode\": \"&{esv.x}\"}]}",
			[]esv.Ref{
				{Name: "esv-i", Type: esv.TypeInt, Text: "&{esv.i}", Location: esv.Location{JSONPath: `a.\$int`, Line: 1, Column: 17}},
				{Name: "esv-b", Type: esv.TypeBool, Text: "&{esv.b}", Location: esv.Location{JSONPath: `b.0.\$bool`, Line: 2, Column: 19}},
				{Name: "esv-l", Type: esv.TypeList, Text: "&{esv.l}", Location: esv.Location{JSONPath: `b.1.\$list`, Line: 2, Column: 42}},
				{Name: "esv-x", Type: esv.TypeBase64, Text: "&{esv.x}", Location: esv.Location{JSONPath: `b.2.\$base64:decode`, Line: 2, Column: 74}},
			}},
		{"escaped keys in path", "a.json", `{"a.b": {"c*": "&{esv.x}"}}`,
			[]esv.Ref{{Name: "esv-x", Type: esv.TypeString, Text: "&{esv.x}", Location: esv.Location{JSONPath: `a\.b.c\*`, Line: 1, Column: 17}}}},
		{"Go-escaped ampersand", "a.json", `{"a": "\u0026{esv.x|d\"q}"}`,
			[]esv.Ref{{Name: "esv-x", Default: `d"q`, HasDefault: true, Type: esv.TypeString, Text: `\u0026{esv.x|d\"q}`, Location: esv.Location{JSONPath: "a", Line: 1, Column: 8}}}},
		{"scripts", "s.js", "var a = systemEnv.getProperty(\"esv.api.key\");\n  b = identityServer.getProperty( 'esv.b', 'dflt');",
			[]esv.Ref{
				{Name: "esv-api-key", Type: esv.TypeString, Script: true, Text: `systemEnv.getProperty("esv.api.key")`, Location: esv.Location{Line: 1, Column: 9}},
				{Name: "esv-b", Default: "dflt", HasDefault: true, Type: esv.TypeString, Script: true, Text: `identityServer.getProperty( 'esv.b', 'dflt')`, Location: esv.Location{Line: 2, Column: 7}},
			}},
		{"script inside JSON", "e.json", `{"source": "x = systemEnv.getProperty(\"esv.k\", y);"}`,
			[]esv.Ref{{Name: "esv-k", HasDefault: true, Type: esv.TypeString, Script: true, Text: `systemEnv.getProperty(\"esv.k\"`, Location: esv.Location{JSONPath: "source", Line: 1, Column: 17}}}},
		{"not references", "a.js", `x = "esv.a"; System.getProperty("esv.b"); y = "&{other.x}"; name = "esv-c"`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := esv.Refs(tc.path, []byte(tc.content))
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				tc.want[i].Path = tc.path
			}
			if d := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("Refs (-want +got):\n%s", d)
			}
		})
	}
}

func TestRule_MalformedPlaceholdersReported(t *testing.T) {
	tests := []struct {
		path, content string
		reason        string // part of the reason
		valid         int    // well-formed refs also returned
	}{
		{"a.json", `{"a": "&{esv.x", "b": "&{esv.ok}"}`, "unclosed", 1},
		{"a.txt", "&{esv.x\n}", "unclosed", 0},
		{"a.txt", "&{esv.x", "end of the file", 0},
		{"a.json", `{"a": "&{esv.}"}`, "empty", 0},
		{"a.json", `{"a": "&{esv.my-var}"}`, "hyphens are written as dots", 0},
		{"a.json", `{"a": "&{esv.Upper}"}`, "not allowed", 0},
		{"a.json", `{"a": "&{esv.a|&{esv.b}}"}`, "nested", 1},
		{"a.txt", "&{esv." + strings.Repeat("a", esv.MaxNameLen) + "}", "long", 0},
		{"a.js", `systemEnv.getProperty("esv.x`, "unclosed", 0},
		{"a.js", `systemEnv.getProperty("esv.A")`, "not allowed", 0},
	}
	for _, tc := range tests {
		refs, err := esv.Refs(tc.path, []byte(tc.content))
		var me esv.MalformedError
		if !errors.As(err, &me) || !errors.Is(err, esv.ErrMalformed) || len(me) != 1 {
			t.Errorf("%s: error %v, want one malformed reference", tc.content, err)
			continue
		}
		if !strings.Contains(me[0].Reason, tc.reason) || me[0].Line != 1 || me[0].Path != tc.path {
			t.Errorf("%s: got %+v, want reason containing %q at line 1", tc.content, me[0], tc.reason)
		}
		if len(refs) != tc.valid {
			t.Errorf("%s: %d valid refs returned, want %d", tc.content, len(refs), tc.valid)
		}
	}
}

// TestRefsTenant checks Refs against what tenantgen says it put in a tenant.
func TestRefsTenant(t *testing.T) {
	tn := tenantgen.Generate(tenantgen.Options{Seed: 3, Files: 1500, MissingESVs: 3})
	for _, p := range tn.Paths() {
		content := tn.Files[p]
		refs, err := esv.Refs(p, content)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		var names []string
		for _, r := range refs {
			names = append(names, r.Name)
			if r.JSONPath != "" && !strings.Contains(gjson.GetBytes(content, r.JSONPath).Raw, strings.TrimPrefix(r.Text, "&{")) {
				t.Errorf("%s: %s at %s is not in that JSON value", p, r.Text, r.JSONPath)
			}
			if strings.HasSuffix(p, ".json") && r.JSONPath == "" {
				t.Errorf("%s: %s has no JSON path", p, r.Text)
			}
		}
		slices.Sort(names)
		if d := cmp.Diff(tn.Refs[p], names, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: references (-tenantgen +Refs):\n%s", p, d)
		}
	}
}

// A Ref's JSONPath is one gjson resolves to the string holding it (or to
// the member's value, for a reference in a key), or none: integrity drops
// paths that name another value. Fuzzing found keys gjson matches byte for
// byte (invalid UTF-8, which encoding/json would turn into U+FFFD) and
// keys that repeat in their object, where gjson finds the first member.
func TestRule_JSONPathsNameTheStringHoldingTheReference(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string // JSONPath of each reference
	}{
		{"escaped key of invalid UTF-8", "{\"\\u0041\xc2\": \"&{esv.a}\"}", []string{"A\xc2"}},
		{"escaped key", `{"\u0041": "&{esv.a}"}`, []string{"A"}},
		{"reference in an escaped key of invalid UTF-8", "{\"\\u0026{esv.a}\xc2\": 1}", []string{"\\&\\{esv\\.a\\}\xc2"}},
		{"key repeated: the first member", `{"a": "&{esv.a}", "a": "x"}`, []string{"a"}},
		{"key repeated: a later member has no path", `{"a": "x", "a": "&{esv.a}"}`, []string{""}},
		{"key repeated, escaped", `{"a": "x", "\u0061": "&{esv.a}"}`, []string{""}},
		{"key repeated, gjson still finds the nested one", `{"a": {"b": "x"}, "a": {"c": "&{esv.a}"}}`, []string{"a.c"}},
		{"other keys repeated", `{"b": 1, "b": 2, "a": ["&{esv.a}"]}`, []string{"a.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, err := esv.Refs("f.json", []byte(tt.content))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range refs {
				got = append(got, r.JSONPath)
				if r.JSONPath != "" && !namesLocation([]byte(tt.content), r.Location) {
					t.Errorf("JSONPath %q does not name the string holding %s", r.JSONPath, r.Text)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("JSONPaths = %q, want %q", got, tt.want)
			}
		})
	}
}
