package tenantgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// Options sizes and seeds a synthetic tenant. The zero value generates a
// clean 500-file tenant with realms alpha and bravo.
type Options struct {
	// Seed selects the content; equal Options give byte-identical tenants.
	Seed int64
	// Files is the number of files to generate; 0 means 500. The tenant has
	// exactly this many files unless it is below the fixed base (the realm
	// and IDM configuration every tenant has: about 35 files per realm plus
	// 25), which is then generated alone.
	Files int
	// Realms is the number of AM realms: alpha, bravo, charlie, … ; 0 means 2.
	Realms int
	// MissingESVs adds that many placeholders, in static config, naming
	// ESVs that are not defined (esv-missing-…), each in one place.
	MissingESVs int
	// Crypto adds that many IDM $crypto objects to static IDM config.
	Crypto int
}

// Presets. Both contain a few $crypto objects, as real exports often do, so
// they fail the encrypted-secrets integrity check; set Crypto to 0 for a
// tenant that passes every check.
var (
	// Small is about 500 files and 1.5 MB.
	Small = Options{Seed: 1, Files: 500, Crypto: 2}
	// Large is 10,000 files and about 30 MB.
	Large = Options{Seed: 1, Files: 10_000, Crypto: 4}
	// Huge is 100,000 files and about 300 MB, for benchmarks only: it takes
	// seconds to generate and holds its bytes in memory.
	Huge = Options{Seed: 1, Files: 100_000, Crypto: 8}
)

// Kind says how promotion treats a file (ARCHITECTURE.md, "Tenant export layout").
type Kind uint8

const (
	// Static config is promoted from the lower environment.
	Static Kind = iota
	// Dynamic config (agents, policies, identities, service objects,
	// internal roles) is kept from the upper environment.
	Dynamic
	// ESV definitions are per environment and never promoted.
	ESV
)

// String returns "static", "dynamic" or "esv".
func (k Kind) String() string {
	switch k {
	case Static:
		return "static"
	case Dynamic:
		return "dynamic"
	case ESV:
		return "esv"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Tenant is a generated export with metadata describing exactly what is in
// it, so tests can state expected findings without scanning.
//
// A Tenant is read-only once returned: its maps and byte slices are shared
// (also with tenants derived by Edit) and must not be modified. Reading it
// from several goroutines is safe.
type Tenant struct {
	// Options are the options used, with defaults filled in.
	Options Options
	// Files maps slash paths to content.
	Files map[string][]byte
	// Kinds maps every path in Files to its kind.
	Kinds map[string]Kind
	// Vars maps each defined ESV variable name (esv-…) to its expressionType.
	Vars map[string]string
	// Secrets maps each defined ESV secret name to its encoding. Every
	// secret has useInPlaceholders true.
	Secrets map[string]string
	// Refs maps each path that references ESVs, as &{esv.…} placeholders or
	// getProperty("esv.…") calls, to the ESV names (esv-…) referenced, one
	// entry per occurrence, sorted.
	Refs map[string][]string
	// Missing lists the referenced ESV names that are not defined, sorted.
	// It has Options.MissingESVs entries, all referenced from static files.
	Missing []string
	// Crypto maps each path holding $crypto objects to how many it holds.
	Crypto map[string]int

	paths []string // sorted paths of Files
}

// Generate returns the tenant for opts. It is deterministic: equal opts give
// byte-identical files and equal metadata.
func Generate(opts Options) *Tenant {
	if opts.Files <= 0 {
		opts.Files = Small.Files
	}
	if opts.Realms <= 0 {
		opts.Realms = 2
	}
	opts.MissingESVs = max(opts.MissingESVs, 0)
	opts.Crypto = max(opts.Crypto, 0)
	g := newGen(opts)
	g.run()
	return g.t
}

// Paths returns the paths of all files, sorted.
func (t *Tenant) Paths() []string { return slices.Clone(t.paths) }

// Size returns the total size of all files in bytes.
func (t *Tenant) Size() int64 {
	var n int64
	for _, b := range t.Files {
		n += int64(len(b))
	}
	return n
}

// Edit returns a copy of t with n static files changed (fewer if t has
// fewer editable ones), chosen and changed deterministically from seed, and
// the sorted paths it changed: the "next version" of a tenant for promotion
// tests. Changes never add or remove ESV references or $crypto objects, so
// every metadata field of t still holds for the copy, which shares them.
func (t *Tenant) Edit(seed int64, n int) (*Tenant, []string) {
	var candidates []string
	for _, p := range t.paths {
		if t.Kinds[p] == Static && t.Crypto[p] == 0 {
			candidates = append(candidates, p)
		}
	}
	r := rand.New(rand.NewPCG(uint64(seed), uint64(t.Options.Seed)^editStream))
	r.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })

	c := *t
	c.Files = maps.Clone(t.Files)
	var changed []string
	for _, p := range candidates {
		if len(changed) >= n {
			break
		}
		if b, ok := editFile(p, t.Files[p], seed); ok {
			c.Files[p] = b
			changed = append(changed, p)
		}
	}
	slices.Sort(changed)
	return &c, changed
}

const editStream = 0x6564697473 // "edits": separates Edit's stream from Generate's

// WriteDir writes the tenant's files under dir, which must not exist or be
// empty. It writes into a temporary sibling directory and renames it into
// place, so dir never holds a partial tenant. An existing non-empty dir gives
// an error wrapping fs.ErrExist; ctx cancellation stops the write.
func (t *Tenant) WriteDir(ctx context.Context, dir string) error {
	exists, err := checkEmpty(dir)
	if err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("tenantgen: write %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, ".tenantgen-*")
	if err != nil {
		return fmt.Errorf("tenantgen: write %s: %w", dir, err)
	}
	if err := t.writeTree(ctx, tmp); err != nil {
		return errors.Join(fmt.Errorf("tenantgen: write %s: %w", dir, err), os.RemoveAll(tmp))
	}
	if exists { // os.Rename refuses to replace even an empty directory
		if err := os.Remove(dir); err != nil {
			return errors.Join(fmt.Errorf("tenantgen: write %s: %w", dir, err), os.RemoveAll(tmp))
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return errors.Join(fmt.Errorf("tenantgen: write %s: %w", dir, err), os.RemoveAll(tmp))
	}
	return nil
}

// checkEmpty reports whether dir exists; it fails if dir is not empty.
func checkEmpty(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("tenantgen: write %s: %w", dir, err)
	case len(entries) > 0:
		return false, fmt.Errorf("tenantgen: write %s: directory not empty: %w", dir, fs.ErrExist)
	}
	return true, nil
}

func (t *Tenant) writeTree(ctx context.Context, root string) error {
	if err := os.Chmod(root, 0o755); err != nil {
		return err
	}
	made := map[string]bool{}
	for _, p := range t.paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := filepath.Join(root, filepath.FromSlash(p))
		if d := filepath.Dir(name); !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			made[d] = true
		}
		if err := os.WriteFile(name, t.Files[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// editFile changes one file without touching its ESV references or
// $crypto objects: a JSON file gets a revision appended to one plain string
// value, a script or HTML file a revision comment.
func editFile(path string, b []byte, seed int64) ([]byte, bool) {
	rev := " rev " + strconv.FormatInt(seed, 10)
	switch filepath.Ext(path) {
	case ".js":
		return append([]byte("//"+rev+"\n"), b...), true
	case ".html":
		return append(bytes.Clone(b), "<!--"+rev+" -->\n"...), true
	case ".json":
		return editJSON(b, rev)
	}
	return nil, false
}

// editJSON appends rev to the last line of the form `"key": "value"` whose
// key is not structural and whose value holds no placeholder or escape.
func editJSON(b []byte, rev string) ([]byte, bool) {
	lines := bytes.SplitAfter(b, []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		k, v, ok := bytes.Cut(bytes.TrimSpace(l), []byte(`": "`))
		if !ok || len(k) < 2 || k[0] != '"' || bytes.ContainsAny(v, `\&`) || !editableKey[string(k[1:])] {
			continue
		}
		end := bytes.LastIndexByte(l, '"')
		out := make([]byte, 0, len(b)+len(rev))
		for _, x := range lines[:i] {
			out = append(out, x...)
		}
		out = append(out, l[:end]...)
		out = append(out, rev...)
		out = append(out, l[end:]...)
		for _, x := range lines[i+1:] {
			out = append(out, x...)
		}
		return out, true
	}
	return nil, false
}

// editableKey lists keys whose values are free text, so editing them keeps
// ids, references and types intact.
var editableKey = map[string]bool{
	"description": true, "displayName": true, "title": true, "comment": true,
	"subject": true, "label": true, "message": true,
}
