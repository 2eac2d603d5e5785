package esv_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/envpromote/envpromote/esv"
)

var nameRule = regexp.MustCompile(`^esv-[a-z0-9_-]{1,120}$`)

func TestRule_NameFormat(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"esv-a", true},
		{"esv-my_var-2", true},
		{"esv--", true},
		{"esv-" + string(bytes.Repeat([]byte("a"), 120)), true},
		{"esv-" + string(bytes.Repeat([]byte("a"), 121)), false},
		{"esv-", false},
		{"esv", false},
		{"ESV-a", false},
		{"esv-A", false},
		{"esv-a.b", false},
		{"esv-é", false},
		{"var-a", false},
		{"", false},
	}
	for _, tc := range tests {
		if err := esv.ValidateName(tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"esv-a", "esv-my-var_1", "esv-", "ESV-X", "esv-a.b", "esv-\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := esv.ValidateName(name)
		if (err == nil) != nameRule.MatchString(name) {
			t.Fatalf("ValidateName(%q) = %v, disagrees with the rule", name, err)
		}
		if err != nil {
			return
		}
		refs, err := esv.Refs("x.txt", []byte(esv.Placeholder(name)))
		if err != nil || len(refs) != 1 || refs[0].Name != name {
			t.Fatalf("Refs(Placeholder(%q)) = %+v, %v", name, refs, err)
		}
	})
}

func FuzzRefs(f *testing.F) {
	f.Add(true, []byte(`{"a": {"$int": "&{esv.port|465}"}, "b": ["x &{esv.h} y"]}`))
	f.Add(true, []byte(`{"s": "systemEnv.getProperty(\"esv.k\", \"d\")", "k\u0026": "\u0026{esv.x}"}`))
	f.Add(false, []byte("a = identityServer.getProperty('esv.a.b');\n&{esv.c|&{esv.d}}"))
	f.Add(false, []byte("&{esv."))
	f.Fuzz(func(t *testing.T, isJSON bool, content []byte) {
		path := "f.txt"
		if isJSON {
			path = "f.json"
		}
		refs, err := esv.Refs(path, content)
		if err != nil {
			var me esv.MalformedError
			if !errors.As(err, &me) || len(me) == 0 {
				t.Fatalf("error %v is not a non-empty MalformedError", err)
			}
		}
		valid := json.Valid(content)
		locs := make([]esv.Location, 0, len(refs))
		for _, r := range refs {
			if esv.ValidateName(r.Name) != nil || !bytes.Contains(content, []byte(r.Text)) || r.Line < 1 || r.Column < 1 || r.Path != path {
				t.Fatalf("bad ref %+v", r)
			}
			locs = append(locs, r.Location)
		}
		var me esv.MalformedError
		errors.As(err, &me)
		for _, m := range me {
			locs = append(locs, m.Location)
		}
		for _, l := range locs {
			if l.JSONPath != "" && valid && !namesLocation(content, l) {
				t.Fatalf("JSON path %q does not name the string at %d:%d", l.JSONPath, l.Line, l.Column)
			}
		}
	})
}

// namesLocation reports whether l.JSONPath names, in valid JSON content,
// the string holding l or, when l is in an object key, that member's value,
// as Location.JSONPath promises.
func namesLocation(content []byte, l esv.Location) bool {
	v := gjson.GetBytes(content, l.JSONPath)
	off := 0
	for range l.Line - 1 {
		off += bytes.IndexByte(content[off:], '\n') + 1
	}
	off += l.Column - 1
	switch {
	case !v.Exists():
		return false
	case v.Index <= off && off < v.Index+len(v.Raw):
		return v.Type == gjson.String
	case off < v.Index: // in the key: the rest of it, then ':'
		rest := content[off:v.Index]
		q := bytes.LastIndexByte(rest, '"')
		return q >= 0 && string(bytes.TrimSpace(rest[q+1:])) == ":" &&
			bytes.Count(rest[:q], []byte{'"'}) == bytes.Count(rest[:q], []byte(`\"`))
	}
	return false
}

func FuzzExpand(f *testing.F) {
	f.Add([]byte(`{"p": {"$int": "&{esv.port}"}, "h": "&{esv.host|x}"}`))
	f.Add([]byte(`[{"$list": "&{esv.list}"}, {"$base64:decode": "&{esv.b64}"}, {"$object": "&{esv.obj}"}]`))
	f.Add([]byte("host=&{esv.host}\n&{esv.quote}"))
	f.Add([]byte(`{"&{esv.quote}": "\u0026{esv.word}"}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		out, err := esv.Expand(content, values)
		if err != nil {
			if out != nil {
				t.Fatalf("Expand returned output with error %v", err)
			}
			return
		}
		if json.Valid(content) && !json.Valid(out) {
			t.Fatalf("Expand(%q) = %q: not JSON", content, out)
		}
		if !bytes.Contains(content, []byte("esv.")) && !bytes.Contains(content, []byte("$")) && !bytes.Equal(out, content) {
			t.Fatalf("Expand changed content without references: %q → %q", content, out)
		}
	})
}
