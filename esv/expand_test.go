package esv_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/esv"
)

func lookupOf(m map[string]string) esv.Lookup {
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }
}

var values = lookupOf(map[string]string{
	"esv-host": "mail.example.com", "esv-port": "587", "esv-on": "true", "esv-ratio": "0.5",
	"esv-list": "a, b,c", "esv-arr": `["x", 1]`, "esv-obj": `{"k": "v"}`, "esv-b64": "aGk=",
	"esv-quote": `say "hi" & <bye>`, "esv-word": "word",
})

func TestRule_ExpandTypingAndDefaults(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", `{"h": "&{esv.host}"}`, `{"h": "mail.example.com"}`},
		{"embedded, several", `{"u": "smtp://&{esv.host}:&{esv.port}/x"}`, `{"u": "smtp://mail.example.com:587/x"}`},
		{"default when missing", `{"p": "&{esv.nope|465}"}`, `{"p": "465"}`},
		{"value wins over default", `{"p": "&{esv.port|465}"}`, `{"p": "587"}`},
		{"JSON escaping of values", `{"q": "&{esv.quote}"}`, `{"q": "say \"hi\" & <bye>"}`},
		{"Go-escaped placeholder", `{"h": "\u0026{esv.host}"}`, `{"h": "mail.example.com"}`},
		{"key", `{"&{esv.word}": 1}`, `{"word": 1}`},
		{"$int", `{"p": {"$int": "&{esv.port}"}}`, `{"p": 587}`},
		{"$int of default", `{"p": {"$int": "&{esv.nope|465}"}}`, `{"p": 465}`},
		{"$number", `[{"$number": "&{esv.ratio}"}]`, `[0.5]`},
		{"$bool", `{"on": {"$bool": "&{esv.on}"}}`, `{"on": true}`},
		{"$list trims items", `{"l": {"$list": "&{esv.list}"}}`, `{"l": ["a","b","c"]}`},
		{"$array", `{"a": {"$array": "&{esv.arr}"}}`, `{"a": ["x", 1]}`},
		{"$object", `{"o": {"$object": "&{esv.obj}"}}`, `{"o": {"k": "v"}}`},
		{"$base64:decode", `{"d": {"$base64:decode": "&{esv.b64}"}}`, `{"d": "hi"}`},
		{"$base64:encode", `{"e": {"$base64:encode": "&{esv.word}"}}`, `{"e": "d29yZA=="}`},
		{"literal wrapper", `{"p": {"$int": "42"}}`, `{"p": 42}`},
		{"two keys is not a wrapper", `{"p": {"$int": "&{esv.port}", "x": 1}}`, `{"p": {"$int": "587", "x": 1}}`},
		{"formatting kept", "{\n  \"a\": [ \"&{esv.word}\" ,\n 1 ]\n}", "{\n  \"a\": [ \"word\" ,\n 1 ]\n}"},
		{"scripts untouched", `{"s": "systemEnv.getProperty('esv.host')"}`, `{"s": "systemEnv.getProperty('esv.host')"}`},
		{"text file", "host=&{esv.host}\nport=&{esv.port|1}\n", "host=mail.example.com\nport=587\n"},
		{"no references", `{"a": "esv.not"}`, `{"a": "esv.not"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := esv.Expand([]byte(tc.in), values)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("Expand(%s)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestRule_ExpandErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
		mentions []string
	}{
		{"missing without default", `{"a": {"b": "&{esv.nope}"}}`, esv.ErrMissing, []string{"esv-nope", "a.b"}},
		{"every missing one", `{"a": "&{esv.one}", "b": ["&{esv.two}"]}`, esv.ErrMissing, []string{"esv-one", "esv-two", "b.0"}},
		{"$int mismatch", `{"p": {"$int": "&{esv.host}"}}`, esv.ErrType, []string{"$int", "p", "integer"}},
		{"$bool mismatch", `{"p": {"$bool": "&{esv.word}"}}`, esv.ErrType, []string{"true or false"}},
		{"$object mismatch", `{"p": {"$object": "&{esv.arr}"}}`, esv.ErrType, []string{"JSON object"}},
		{"$base64:decode mismatch", `{"p": {"$base64:decode": "&{esv.quote}"}}`, esv.ErrType, []string{"base64"}},
		{"malformed", `{"p": "&{esv.Bad}"}`, esv.ErrMalformed, []string{"&{esv.Bad}"}},
		{"text missing", "x=&{esv.nope}", esv.ErrMissing, []string{"line 1 column 3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := esv.Expand([]byte(tc.in), values)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("Expand = %q, %v; want nil and %v", got, err, tc.want)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestExpandNeverQuotesValues(t *testing.T) {
	secret := lookupOf(map[string]string{"esv-pw": "hunter2-not-an-int"})
	_, err := esv.Expand([]byte(`{"p": {"$int": "&{esv.pw}"}}`), secret)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v: want a type error that does not quote the value", err)
	}
}

func TestExpandOutputIsJSON(t *testing.T) {
	out, err := esv.Expand([]byte(`{"a": {"$list": "&{esv.quote}"}, "b": "&{esv.quote}\u0000"}`), values)
	if err != nil || !json.Valid(out) {
		t.Fatalf("Expand = %s, %v; want valid JSON", out, err)
	}
}

// Nesting deeper than encoding/json accepts is not JSON, so it is expanded
// as text: recursing into it once overflowed the stack and killed the
// process, which no recover can catch.
func TestExpandDeeplyNestedContentIsText(t *testing.T) {
	const depth = 16 << 20
	content := append(bytes.Repeat([]byte("["), depth), `"&{esv.quote}"`...)
	content = append(content, bytes.Repeat([]byte("]"), depth)...)
	out, err := esv.Expand(content, values)
	if err != nil || len(out) <= len(content) || !bytes.HasPrefix(out, []byte("[[[")) {
		t.Fatalf("Expand(nested %d deep) = %d bytes, %v; want the placeholder replaced as text", depth, len(out), err)
	}
}
