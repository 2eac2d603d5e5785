package tenantgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// options used by most tests: small, but with every optional feature.
var withFindings = tenantgen.Options{Seed: 42, Files: 800, Realms: 3, MissingESVs: 5, Crypto: 4}

func TestGenerate_SameOptionsSameBytes(t *testing.T) {
	for _, o := range []tenantgen.Options{{}, tenantgen.Small, withFindings} {
		a, b := tenantgen.Generate(o), tenantgen.Generate(o)
		if !sameFiles(a.Files, b.Files) {
			t.Errorf("Generate(%+v) gives different files between runs", o)
		}
		if !slices.Equal(a.Paths(), b.Paths()) || !slices.IsSorted(a.Paths()) || len(a.Paths()) != len(a.Files) {
			t.Errorf("Generate(%+v): Paths not the sorted paths of Files", o)
		}
		a.Files, b.Files = nil, nil
		if diff := cmp.Diff(a, b, cmpopts.IgnoreUnexported(tenantgen.Tenant{})); diff != "" {
			t.Errorf("Generate(%+v) differs between runs (-first +second):\n%s", o, diff)
		}
	}
}

// sameFiles compares file maps; cmp is far slower on this many bytes.
func sameFiles(a, b map[string][]byte) bool { return maps.EqualFunc(a, b, bytes.Equal) }

func TestGenerate_SeedChangesContent(t *testing.T) {
	a := tenantgen.Generate(tenantgen.Options{Seed: 1})
	b := tenantgen.Generate(tenantgen.Options{Seed: 2})
	same := 0
	for p, data := range a.Files {
		if bytes.Equal(data, b.Files[p]) {
			same++
		}
	}
	// Only fixed-shape files (flat IDM config without random text) may repeat.
	if same > len(a.Files)/10 {
		t.Errorf("seeds 1 and 2 share %d of %d files byte for byte", same, len(a.Files))
	}
}

func TestGenerate_FileCount(t *testing.T) {
	base := len(tenantgen.Generate(tenantgen.Options{Files: 1}).Files)
	tests := []struct {
		name string
		opts tenantgen.Options
		want int
	}{
		{"zero value is Small's size", tenantgen.Options{}, 500},
		{"below the base gives the base", tenantgen.Options{Files: 1}, base},
		{"just above the base", tenantgen.Options{Files: base + 1}, base + 1},
		{"odd target", tenantgen.Options{Seed: 3, Files: 1234}, 1234},
		{"one realm", tenantgen.Options{Files: 700, Realms: 1}, 700},
		{"five realms", tenantgen.Options{Files: 900, Realms: 5}, 900},
		{"with findings", withFindings, withFindings.Files},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(tenantgen.Generate(tt.opts).Files); got != tt.want {
				t.Errorf("Generate(%+v) has %d files, want %d", tt.opts, got, tt.want)
			}
		})
	}
}

func TestPresets_Size(t *testing.T) {
	tests := []struct {
		name           string
		opts           tenantgen.Options
		files          int
		minMB, maxMB   float64
		minReal, realm int
	}{
		{"Small", tenantgen.Small, 500, 1.0, 2.5, 2, 0},
		{"Large", tenantgen.Large, 10_000, 25.5, 34.5, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ten := tenantgen.Generate(tt.opts)
			if len(ten.Files) != tt.files {
				t.Errorf("%d files, want %d", len(ten.Files), tt.files)
			}
			if mb := float64(ten.Size()) / 1e6; mb < tt.minMB || mb > tt.maxMB {
				t.Errorf("size %.1f MB, want %.1f–%.1f MB", mb, tt.minMB, tt.maxMB)
			}
			if len(ten.Crypto) == 0 {
				t.Error("preset has no $crypto objects")
			}
		})
	}
}

// layout is ARCHITECTURE.md's "Tenant export layout" table: where each kind of
// file lives.
var layout = []struct {
	kind tenantgen.Kind
	re   *regexp.Regexp
}{
	{tenantgen.Dynamic, regexp.MustCompile(`^realms/[a-z0-9]+/realm-config/agents/[A-Za-z0-9]+/[^/]+\.json$`)},
	{tenantgen.Dynamic, regexp.MustCompile(`^realms/[a-z0-9]+/authorization/(policy-sets|resource-types)/.+\.json$`)},
	{tenantgen.Static, regexp.MustCompile(`^realms/[a-z0-9]+/journeys/([^/]+)/(([^/]+)\.json|nodes/[^/]+ - [0-9a-f-]{36}(/[^/]+ - [0-9a-f-]{36})?\.json)$`)},
	{tenantgen.Static, regexp.MustCompile(`^realms/[a-z0-9]+/scripts/(scripts-config/[0-9a-f-]{36}\.json|scripts-content/[A-Z0-9_]+/[^/]+\.js)$`)},
	{tenantgen.Static, regexp.MustCompile(`^realms/[a-z0-9]+/(services|password-policy|secret-mappings|realm-config)/[^/]+\.json$`)},
	{tenantgen.Static, regexp.MustCompile(`^realms/[a-z0-9]+/themes/[^/]+/[^/]+\.(json|html)$`)},
	{tenantgen.Static, regexp.MustCompile(`^managed-objects/([^/]+)/[^/]+\.(json|js)$`)},
	{tenantgen.Static, regexp.MustCompile(`^sync/(connectors/[^/]+\.json|mappings/[^/]+/[^/]+\.(json|js)|rcs/.+)$`)},
	{tenantgen.Static, regexp.MustCompile(`^(email-templates|endpoints|schedules)/[^/]+/[^/]+\.(json|js|html)$`)},
	{tenantgen.Static, regexp.MustCompile(`^(email-provider|access-config|cors|kba|terms-conditions|ui|locales|audit|org-privileges)/[^/]+\.json$`)},
	{tenantgen.Dynamic, regexp.MustCompile(`^service-objects/[a-z0-9]+_[a-z]+/[^/]+\.json$`)},
	{tenantgen.Dynamic, regexp.MustCompile(`^identities/[a-z0-9]+/(users|things|admins|roles|assignments)/[^/]+\.json$`)},
	{tenantgen.Dynamic, regexp.MustCompile(`^internal-roles/[^/]+\.json$`)},
	{tenantgen.ESV, regexp.MustCompile(`^esvs/(variables|secrets)/esv-[a-z0-9_-]+\.json$`)},
}

func layoutKind(path string) (tenantgen.Kind, bool) {
	for _, l := range layout {
		if l.re.MatchString(path) {
			return l.kind, true
		}
	}
	return 0, false
}

func TestRule_FilesFollowTheExportLayout(t *testing.T) {
	for _, o := range []tenantgen.Options{tenantgen.Small, withFindings} {
		ten := tenantgen.Generate(o)
		if len(ten.Kinds) != len(ten.Files) {
			t.Errorf("%d kinds for %d files", len(ten.Kinds), len(ten.Files))
		}
		seen := map[string]bool{}
		for path, data := range ten.Files {
			if path != filepath.ToSlash(filepath.Clean(path)) || strings.HasPrefix(path, "/") || strings.Contains(path, "..") {
				t.Errorf("%q is not a clean relative slash path", path)
			}
			kind, ok := layoutKind(path)
			if !ok {
				t.Errorf("%q is outside the documented layout", path)
				continue
			}
			if ten.Kinds[path] != kind {
				t.Errorf("%q: kind %v, layout says %v", path, ten.Kinds[path], kind)
			}
			seen[strings.SplitN(path, "/", 2)[0]] = true
			if strings.HasSuffix(path, ".json") && !json.Valid(data) {
				t.Errorf("%q is not valid JSON", path)
			}
		}
		for _, top := range []string{"realms", "managed-objects", "sync", "email-templates", "endpoints", "schedules", "service-objects", "identities", "internal-roles", "esvs"} {
			if !seen[top] {
				t.Errorf("Generate(%+v) has nothing under %s/", o, top)
			}
		}
	}
}

func TestRule_JourneyNodesBelongToTheirJourney(t *testing.T) {
	ten := tenantgen.Generate(tenantgen.Small)
	journeys := 0
	for path, data := range ten.Files {
		m := regexp.MustCompile(`^(realms/[^/]+/journeys/([^/]+)/)([^/]+)\.json$`).FindStringSubmatch(path)
		if m == nil {
			continue
		}
		journeys++
		if m[2] != m[3] {
			t.Errorf("%s: journey file not named after its directory", path)
		}
		var j struct {
			ID          string                     `json:"_id"`
			EntryNodeID string                     `json:"entryNodeId"`
			Nodes       map[string]json.RawMessage `json:"nodes"`
		}
		if err := json.Unmarshal(data, &j); err != nil {
			t.Fatal(err)
		}
		if j.ID != m[2] {
			t.Errorf("%s: _id %q", path, j.ID)
		}
		if _, ok := j.Nodes[j.EntryNodeID]; !ok {
			t.Errorf("%s: entry node %s is not a node", path, j.EntryNodeID)
		}
		for id, raw := range j.Nodes {
			var n struct{ DisplayName string }
			if err := json.Unmarshal(raw, &n); err != nil {
				t.Fatal(err)
			}
			if _, ok := ten.Files[m[1]+"nodes/"+n.DisplayName+" - "+id+".json"]; !ok {
				t.Errorf("%s: node %s has no file", path, id)
			}
		}
	}
	if journeys < 10 {
		t.Errorf("Small has %d journeys", journeys)
	}
}

var (
	placeholderRE = regexp.MustCompile(`&\{(esv\.[a-z0-9._-]+)(\|[^}]*)?\}`)
	defaultRE     = regexp.MustCompile(`&\{esv\.[a-z0-9._-]+\|[0-9]+\}`)
	esvNameRE     = regexp.MustCompile(`^esv-[a-z0-9_-]{1,120}$`)
)

// scanRefs finds ESV references in content independently of the
// generator: &{esv.…} placeholders and getProperty("esv.…") calls. It
// scans by hand because regexp is too slow for megabytes under -race.
func scanRefs(files map[string][]byte) map[string][]string {
	refs := map[string][]string{}
	for path, data := range files {
		for _, f := range []struct{ opener, ends string }{{"&{esv.", "}|"}, {`getProperty("esv.`, `"`}} {
			opener := f.opener
			for rest := data; ; {
				i := bytes.Index(rest, []byte(opener))
				if i < 0 {
					break
				}
				rest = rest[i+len(opener)-len("esv."):]
				end := bytes.IndexFunc(rest, func(r rune) bool {
					return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("._-", r))
				})
				if end > 0 && strings.ContainsRune(f.ends, rune(rest[end])) {
					refs[path] = append(refs[path], strings.ReplaceAll(string(rest[:end]), ".", "-"))
				}
				rest = rest[max(end, 0):]
			}
		}
		slices.Sort(refs[path])
	}
	return refs
}

func TestRule_RefsMetadataMatchesContent(t *testing.T) {
	for _, o := range []tenantgen.Options{tenantgen.Small, withFindings} {
		ten := tenantgen.Generate(o)
		if diff := cmp.Diff(ten.Refs, scanRefs(ten.Files)); diff != "" {
			t.Errorf("Generate(%+v): Refs differ from the references in the files (-Refs +scanned):\n%s", o, diff)
		}
		var defaults, typed, scripts int
		for path, data := range ten.Files {
			defaults += len(defaultRE.FindAll(data, -1))
			typed += bytes.Count(data, []byte(`"$int": "&{`)) + bytes.Count(data, []byte(`"$bool": "&{`))
			if strings.HasSuffix(path, ".js") {
				scripts += bytes.Count(data, []byte(`.getProperty("esv.`))
			}
		}
		if defaults == 0 || typed == 0 || scripts == 0 {
			t.Errorf("Generate(%+v): %d placeholders with defaults, %d typed, %d script reads; want some of each", o, defaults, typed, scripts)
		}
	}
}

func TestRule_EveryReferenceNamesADefinedESVExceptMissing(t *testing.T) {
	for _, o := range []tenantgen.Options{tenantgen.Small, withFindings} {
		ten := tenantgen.Generate(o)
		var undefined []string
		for path, names := range ten.Refs {
			for _, name := range names {
				_, isVar := ten.Vars[name]
				_, isSecret := ten.Secrets[name]
				if !isVar && !isSecret {
					undefined = append(undefined, name)
					if ten.Kinds[path] != tenantgen.Static {
						t.Errorf("missing ESV %s referenced from %v file %s", name, ten.Kinds[path], path)
					}
				}
			}
		}
		slices.Sort(undefined)
		if diff := cmp.Diff(ten.Missing, undefined, cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })); diff != "" {
			t.Errorf("Generate(%+v): Missing differs from the undefined references:\n%s", o, diff)
		}
		if len(ten.Missing) != o.MissingESVs {
			t.Errorf("Generate(%+v): %d missing, want %d", o, len(ten.Missing), o.MissingESVs)
		}
	}
}

func TestRule_ESVDefinitionsHoldNoValues(t *testing.T) {
	ten := tenantgen.Generate(withFindings)
	defs := map[string]bool{}
	for path, data := range ten.Files {
		if ten.Kinds[path] != tenantgen.ESV {
			continue
		}
		var d struct {
			ID             string `json:"_id"`
			ExpressionType string `json:"expressionType"`
			Encoding       string `json:"encoding"`
			ValueBase64    *string
			Versions       []struct{ ValueBase64 string }
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		if !esvNameRE.MatchString(d.ID) || !strings.HasSuffix(path, "/"+d.ID+".json") {
			t.Errorf("%s: bad ESV name %q", path, d.ID)
		}
		defs[d.ID] = true
		values := []string{}
		if d.ValueBase64 != nil {
			values = append(values, *d.ValueBase64)
		}
		for _, v := range d.Versions {
			values = append(values, v.ValueBase64)
		}
		for _, v := range values {
			if !regexp.MustCompile(`^\$\{[A-Z0-9_]+\}$`).MatchString(v) {
				t.Errorf("%s: value %q is not an environment reference", path, v)
			}
		}
		switch {
		case strings.HasPrefix(path, "esvs/variables/"):
			if ten.Vars[d.ID] != d.ExpressionType || d.ValueBase64 == nil {
				t.Errorf("%s: expressionType %q, Vars says %q", path, d.ExpressionType, ten.Vars[d.ID])
			}
		case ten.Secrets[d.ID] != d.Encoding || len(d.Versions) == 0:
			t.Errorf("%s: encoding %q, Secrets says %q", path, d.Encoding, ten.Secrets[d.ID])
		}
	}
	want := slices.Collect(maps.Keys(ten.Vars))
	want = append(want, slices.Collect(maps.Keys(ten.Secrets))...)
	if len(defs) != len(want) {
		t.Errorf("%d definition files for %d ESVs", len(defs), len(want))
	}
}

// walkJSON calls f for every object in v.
func walkJSON(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(v)
		for _, e := range v {
			walkJSON(e, f)
		}
	case []any:
		for _, e := range v {
			walkJSON(e, f)
		}
	}
}

func decode(t *testing.T, path string, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func TestRule_TypedPlaceholdersMatchExpressionType(t *testing.T) {
	wrapper := map[string]string{
		"$int": "int", "$bool": "bool", "$list": "list", "$array": "array",
		"$object": "object", "$number": "number", "$base64:decode": "base64encodedinlined",
	}
	ten := tenantgen.Generate(tenantgen.Small)
	checked := 0
	for path, data := range ten.Files {
		if !strings.HasSuffix(path, ".json") {
			continue
		}
		walkJSON(decode(t, path, data), func(o map[string]any) {
			for k, v := range o {
				typ, ok := wrapper[k]
				s, isString := v.(string)
				if !ok || !isString {
					continue
				}
				m := placeholderRE.FindStringSubmatch(s)
				if m == nil || m[0] != s {
					t.Errorf("%s: %s wraps %q, not a single placeholder", path, k, s)
					continue
				}
				name := strings.ReplaceAll(m[1], ".", "-")
				if got := ten.Vars[name]; got != typ {
					t.Errorf("%s: %s wraps %s of expressionType %q", path, k, name, got)
				}
				checked++
			}
		})
	}
	if checked == 0 {
		t.Error("no typed placeholders")
	}
}

func TestRule_CryptoMetadataMatchesContent(t *testing.T) {
	for _, o := range []tenantgen.Options{{Files: 300}, tenantgen.Small, withFindings} {
		ten := tenantgen.Generate(o)
		found := map[string]int{}
		for path, data := range ten.Files {
			if !strings.HasSuffix(path, ".json") {
				continue
			}
			walkJSON(decode(t, path, data), func(m map[string]any) {
				c, ok := m["$crypto"].(map[string]any)
				if !ok {
					return
				}
				found[path]++
				if c["type"] != "x-simple-encryption" || c["value"] == nil {
					t.Errorf("%s: malformed $crypto %v", path, c)
				}
				if ten.Kinds[path] != tenantgen.Static {
					t.Errorf("%s: $crypto in %v config", path, ten.Kinds[path])
				}
			})
		}
		if diff := cmp.Diff(ten.Crypto, found); diff != "" {
			t.Errorf("Generate(%+v): Crypto differs from the files (-Crypto +found):\n%s", o, diff)
		}
		total := 0
		for _, n := range found {
			total += n
		}
		if total != o.Crypto {
			t.Errorf("Generate(%+v): %d $crypto objects, want %d", o, total, o.Crypto)
		}
	}
}

func TestEdit(t *testing.T) {
	orig := tenantgen.Generate(withFindings)
	before := maps.Clone(orig.Files)
	tests := []struct {
		name string
		n    int
	}{{"none", 0}, {"negative is none", -3}, {"one", 1}, {"many", 100}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := max(tt.n, 0)
			next, changed := orig.Edit(9, tt.n)
			if len(changed) != want || !slices.IsSorted(changed) {
				t.Fatalf("changed %d paths (sorted %v), want %d", len(changed), slices.IsSorted(changed), want)
			}
			var differ []string
			for p, b := range next.Files {
				if !bytes.Equal(b, orig.Files[p]) {
					differ = append(differ, p)
				}
			}
			slices.Sort(differ)
			if len(next.Files) != len(orig.Files) || !slices.Equal(differ, changed) {
				t.Errorf("files that differ %v, Edit reported %v", differ, changed)
			}
			for _, p := range changed {
				if next.Kinds[p] != tenantgen.Static {
					t.Errorf("edited %v file %s", next.Kinds[p], p)
				}
				if strings.HasSuffix(p, ".json") && !json.Valid(next.Files[p]) {
					t.Errorf("edit made %s invalid JSON", p)
				}
			}
			if diff := cmp.Diff(next.Refs, scanRefs(next.Files)); diff != "" {
				t.Errorf("edit changed ESV references:\n%s", diff)
			}
			again, changedAgain := orig.Edit(9, tt.n)
			if !slices.Equal(changed, changedAgain) || !sameFiles(next.Files, again.Files) {
				t.Error("Edit is not deterministic")
			}
			if _, twice := next.Edit(10, tt.n); len(twice) != want {
				t.Errorf("editing the edited tenant changed %d files", len(twice))
			}
		})
	}
	if !sameFiles(orig.Files, before) {
		t.Error("Edit modified the original tenant")
	}
	if _, changed := orig.Edit(1, 1<<30); len(changed) < len(orig.Files)/2 {
		t.Errorf("Edit(all) changed only %d of %d files", len(changed), len(orig.Files))
	}
}

func TestWriteDir(t *testing.T) {
	ten := tenantgen.Generate(tenantgen.Options{Files: 200, Crypto: 1})
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "new", "export")} {
		if err := ten.WriteDir(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
		got := map[string][]byte{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			got[filepath.ToSlash(rel)], err = os.ReadFile(p)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !sameFiles(got, ten.Files) {
			t.Errorf("%s holds %d files that differ from the tenant's %d", dir, len(got), len(ten.Files))
		}
	}
}

func TestWriteDir_Refusals(t *testing.T) {
	ten := tenantgen.Generate(tenantgen.Options{Files: 100})
	parent := t.TempDir()

	full := filepath.Join(parent, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "keep.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ten.WriteDir(context.Background(), full); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteDir(non-empty) = %v, want fs.ErrExist", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ten.WriteDir(ctx, filepath.Join(parent, "cancelled")); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteDir(cancelled) = %v, want context.Canceled", err)
	}

	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "full" {
		t.Errorf("refused writes left %v in %s", entries, parent)
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Errorf("refused write changed %s: %v", full, entries)
	}
}

func TestTenant_ConcurrentUse(t *testing.T) {
	ten := tenantgen.Generate(tenantgen.Options{Files: 300, Crypto: 2})
	want, _ := ten.Edit(5, 20)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			next, _ := ten.Edit(5, 20)
			if !sameFiles(next.Files, want.Files) || len(ten.Paths()) != len(ten.Files) || ten.Size() == 0 {
				t.Error("concurrent Edit, Paths or Size disagree")
			}
		})
	}
	wg.Wait()
}

func TestKind_String(t *testing.T) {
	for k, want := range map[tenantgen.Kind]string{tenantgen.Static: "static", tenantgen.Dynamic: "dynamic", tenantgen.ESV: "esv", 9: "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, bb := range []struct {
		name string
		opts tenantgen.Options
	}{{"Small", tenantgen.Small}, {"Large", tenantgen.Large}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			for b.Loop() {
				size = tenantgen.Generate(bb.opts).Size()
			}
			b.SetBytes(size)
		})
	}
}

func BenchmarkEdit(b *testing.B) {
	ten := tenantgen.Generate(tenantgen.Large)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ten.Edit(int64(i), 10)
	}
}
