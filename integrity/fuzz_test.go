package integrity

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tidwall/gjson"
)

// FuzzScan feeds arbitrary files to the scanner: it must not panic, must
// agree with encoding/json on what is valid JSON, and every $crypto object
// it reports must be one, at its JSON path and on a line of the file; a
// reference's JSON path must name a value of valid JSON.
func FuzzScan(f *testing.F) {
	f.Add(true, []byte(`{"auth": {"password": {"$crypto": {"type": "x-simple-encryption", "value": {"data": "eA=="}}}}}`))
	f.Add(true, []byte(`[{"a.b": {"$crypto": {"type": "x"}}}, {"$crypto": {"type": "salted-hash"}}]`))
	f.Add(true, []byte(`{"port": {"$int": "&{esv.smtp.port|465}"}, "host": "&{esv.smtp.host}",}`))
	f.Add(true, []byte("{\n  \"source\": \"systemEnv.getProperty(\\\"esv.x\\\")\"\n"))
	f.Add(false, []byte(`var k = identityServer.getProperty("esv.key", "none"); // {"$crypto": {}}`))
	f.Fuzz(func(t *testing.T, isJSON bool, content []byte) {
		name := "f.js"
		if isJSON {
			name = "f.json"
		}
		fs := scan(name, content)
		if isJSON && (fs.syntax == nil) != json.Valid(content) {
			t.Fatalf("syntax error %v but json.Valid = %v", fs.syntax, json.Valid(content))
		}
		if !isJSON && (fs.syntax != nil || fs.crypto != nil) {
			t.Fatalf("non-JSON file got JSON findings: %+v", fs)
		}
		lines := bytes.Count(content, []byte{'\n'}) + 1
		if s := fs.syntax; s != nil && (s.line < 1 || s.line > lines || s.column < 1) {
			t.Fatalf("syntax error at %d:%d in a %d-line file", s.line, s.column, lines)
		}
		for _, r := range fs.refs {
			if v := gjson.GetBytes(content, r.JSONPath); r.JSONPath != "" && (!json.Valid(content) || !v.Exists()) {
				t.Fatalf("reference %q at %d:%d has JSON path %q, which names nothing in valid JSON", r.Text, r.Line, r.Column, r.JSONPath)
			}
		}
		for _, c := range fs.crypto {
			if c.line < 1 || c.line > lines {
				t.Fatalf("$crypto at line %d of a %d-line file", c.line, lines)
			}
			rest := content[offset(content, c.line, c.column):] // the object starts here
			if !gjson.ParseBytes(rest).Get(`\$crypto`).IsObject() {
				t.Fatalf("no $crypto object at %d:%d: %.80q", c.line, c.column, rest)
			}
			if v := gjson.GetBytes(content, c.jsonPath); c.jsonPath != "" && !bytes.HasPrefix(rest, []byte(v.Raw)) {
				t.Fatalf("JSON path %q names %s, not the $crypto object at %d:%d", c.jsonPath, v.Raw, c.line, c.column)
			}
		}
		p := planner{r: &Runner{}}
		kept := p.compact(fs)
		if len(kept.refs) != len(fs.refs) || len(p.r.usages.list) > len(fs.refs) {
			t.Fatalf("kept %d references numbering %d usages, from %d", len(kept.refs), len(p.r.usages.list), len(fs.refs))
		}
		for i, r := range kept.refs {
			if p.r.usages.list[r.usage] != usageOf(&fs.refs[i]) || int(r.line) != fs.refs[i].Line || p.r.paths.list[r.path] != fs.refs[i].JSONPath {
				t.Fatalf("reference %d kept as %+v, usage %+v", i, r, p.r.usages.list[r.usage])
			}
		}
	})
}
