package integrity

import (
	"context"
	"fmt"
	"slices"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/store"
)

// The built-in checks' names, as Finding.Check shows them.
const (
	CheckMissingESVs              = "missing-esvs"
	CheckEncryptedSecrets         = "encrypted-secrets"
	CheckInvalidJSON              = "invalid-json"
	CheckPlaceholderTypes         = "placeholder-types"
	CheckSecretNotForPlaceholders = "secret-not-for-placeholders"
	CheckMalformedReferences      = "malformed-references"
)

// Builtin returns every built-in check: AIC's two (MissingESVs,
// EncryptedSecrets) and envpromote's additions.
func Builtin() []Check {
	return []Check{MissingESVs{}, EncryptedSecrets{}, InvalidJSON{}, PlaceholderTypes{}, SecretNotForPlaceholders{}, MalformedReferences{}}
}

var (
	_ Check = MissingESVs{}
	_ Check = EncryptedSecrets{}
	_ Check = InvalidJSON{}
	_ Check = PlaceholderTypes{}
	_ Check = SecretNotForPlaceholders{}
	_ Check = MalformedReferences{}
)

// MissingESVs finds references, anywhere in the static config, to ESVs the
// upper environment does not define. It runs for promotions and rollbacks.
//
// A placeholder with a default (&{esv.x|465}) is satisfied, as in AIC,
// whose docs say such a configuration loads and promotes with the default;
// it is reported as a Warning so nobody is surprised by the default in
// production. A script's getProperty("esv.x", default) is not satisfied by
// its default: AIC warns that scripts naming an ESV that does not exist can
// fail promotions and cause system errors, so it blocks.
type MissingESVs struct{}

// Name returns CheckMissingESVs.
func (MissingESVs) Name() string { return CheckMissingESVs }

// Run returns a finding per reference to an undefined ESV.
func (MissingESVs) Run(ctx context.Context, in *Input) ([]Finding, error) {
	missing := func(u usage) bool { _, ok := in.ESVs[u.name]; return !ok }
	return refFindings(ctx, in, CheckMissingESVs, missing, func(f *Finding, u usage) {
		if u.hasDefault && !u.script {
			f.Severity = Warning
			f.Message = fmt.Sprintf("placeholder falls back to its default: the upper environment does not define %s", u.name)
			f.Hint = fmt.Sprintf("create %s in the upper environment unless the default is meant for it", u.name)
			return
		}
		kind := "placeholder"
		if u.script {
			kind = "script"
		}
		f.Message = fmt.Sprintf("%s references %s, which the upper environment does not define", kind, u.name)
		f.Hint = fmt.Sprintf("create the variable or secret %s in the upper environment (and restart it), or remove the reference", u.name)
	})
}

// PlaceholderTypes finds typed placeholders ({"$int": "&{esv.x}"}, $bool,
// $list…) whose variable's expressionType the wrapper cannot take (see
// esv.Ref.Accepts). Secrets have no expressionType and are not checked.
type PlaceholderTypes struct{}

// Name returns CheckPlaceholderTypes.
func (PlaceholderTypes) Name() string { return CheckPlaceholderTypes }

// Run returns a finding per mistyped placeholder.
func (PlaceholderTypes) Run(ctx context.Context, in *Input) ([]Finding, error) {
	mistyped := func(u usage) bool {
		e, ok := in.ESVs[u.name]
		return ok && !e.Secret && !(esv.Ref{Type: u.typ}).Accepts(e.typ())
	}
	return refFindings(ctx, in, CheckPlaceholderTypes, mistyped, func(f *Finding, u usage) {
		t := in.ESVs[u.name].typ()
		f.Message = fmt.Sprintf("placeholder wants a %s but %s is a %s variable", u.typ, u.name, t)
		f.Hint = fmt.Sprintf("use the wrapper for %s values, or a variable of type %s", t, u.typ)
	})
}

func (e ESV) typ() esv.ExpressionType {
	if e.Type == "" {
		return esv.TypeString
	}
	return e.Type
}

// SecretNotForPlaceholders finds placeholders naming a secret whose
// useInPlaceholders is false: the upper environment will not resolve it.
// Script reads are not flagged; the flag governs configuration placeholders.
type SecretNotForPlaceholders struct{}

// Name returns CheckSecretNotForPlaceholders.
func (SecretNotForPlaceholders) Name() string { return CheckSecretNotForPlaceholders }

// Run returns a finding per such placeholder.
func (SecretNotForPlaceholders) Run(ctx context.Context, in *Input) ([]Finding, error) {
	hidden := func(u usage) bool {
		e, ok := in.ESVs[u.name]
		return ok && !u.script && e.Secret && !e.UseInPlaceholders
	}
	return refFindings(ctx, in, CheckSecretNotForPlaceholders, hidden, func(f *Finding, u usage) {
		f.Message = fmt.Sprintf("placeholder references secret %s, which does not allow use in placeholders", u.name)
		f.Hint = fmt.Sprintf("set useInPlaceholders on %s in the upper environment, or stop referencing it from configuration", u.name)
	})
}

// refFindings returns a Blocking finding, completed by fill, for each
// reference whose usage is bad. It descends only into subtrees holding a
// bad usage, so a clean config costs one pass over the root's usages.
func refFindings(ctx context.Context, in *Input, check string, bad func(usage) bool, fill func(*Finding, usage)) ([]Finding, error) {
	x, err := in.tree(ctx)
	if err != nil {
		return nil, err
	}
	offending := in.offending(check, x, bad)
	if offending == nil {
		return nil, nil
	}
	var out []Finding
	err = x.root.each(x.snap, "", func(s *summary) bool { return s.usages.intersects(offending) }, func(fl *file) bool {
		return slices.ContainsFunc(fl.refs, func(r ref) bool { return offending.has(r.usage) })
	}, func(p string, fl *file) {
		for _, r := range fl.refs {
			if !offending.has(r.usage) {
				continue
			}
			u := x.usages[r.usage]
			f := Finding{Check: check, Severity: Blocking, Path: p, JSONPath: x.paths[r.path], Line: int(r.line), Column: int(r.column), ESV: u.name}
			fill(&f, u)
			out = append(out, f)
		}
	})
	return out, err
}

// EncryptedSecrets finds values encrypted with the lower environment's
// keys, which the upper environment cannot decrypt: IDM $crypto objects
// ({"$crypto": {"type": "x-simple-encryption", "value": {…}}}) at any
// depth of a valid JSON file (InvalidJSON reports the others). Salted hashes ($crypto type "salted-hash") verify
// anywhere and are not reported. It runs for promotions only; with
// Input.IgnoreEncryptedSecrets its findings are Ignored instead of Blocking.
type EncryptedSecrets struct{}

// Name returns CheckEncryptedSecrets.
func (EncryptedSecrets) Name() string { return CheckEncryptedSecrets }

// Run returns a finding per encrypted value.
func (EncryptedSecrets) Run(ctx context.Context, in *Input) ([]Finding, error) {
	if in.Operation != Promotion {
		return nil, nil
	}
	sev := Blocking
	if in.IgnoreEncryptedSecrets {
		sev = Ignored
	}
	return spotFindings(ctx, in, func(s *summary) bool { return s.crypto > 0 }, func(p string, fs *problems) []Finding {
		out := make([]Finding, len(fs.crypto))
		for i, c := range fs.crypto {
			out[i] = Finding{Check: CheckEncryptedSecrets, Severity: sev, Path: p, JSONPath: c.jsonPath, Line: c.line, Column: c.column,
				Message: fmt.Sprintf("value encrypted with another environment's keys ($crypto type %.40q): the upper environment cannot decrypt it", c.what),
				Hint:    "replace it with a placeholder for an ESV secret (&{esv.name}) set in each environment, or promote with ignoreEncryptedSecrets",
			}
		}
		return out
	})
}

// InvalidJSON finds files named *.json that are not one valid JSON value.
type InvalidJSON struct{}

// Name returns CheckInvalidJSON.
func (InvalidJSON) Name() string { return CheckInvalidJSON }

// Run returns a finding per invalid file, at its first syntax error.
func (InvalidJSON) Run(ctx context.Context, in *Input) ([]Finding, error) {
	return spotFindings(ctx, in, func(s *summary) bool { return s.syntax > 0 }, func(p string, fs *problems) []Finding {
		if fs.syntax == nil {
			return nil
		}
		return []Finding{{Check: CheckInvalidJSON, Severity: Blocking, Path: p, Line: fs.syntax.line, Column: fs.syntax.column,
			Message: "not valid JSON: " + fs.syntax.what,
			Hint:    "fix the syntax at this position; the environment cannot load the file as it is",
		}}
	})
}

// MalformedReferences finds ESV references that cannot be resolved as
// written (see esv.Refs): unclosed placeholders, hyphens where references
// use dots, invalid names.
type MalformedReferences struct{}

// Name returns CheckMalformedReferences.
func (MalformedReferences) Name() string { return CheckMalformedReferences }

// Run returns a finding per malformed reference.
func (MalformedReferences) Run(ctx context.Context, in *Input) ([]Finding, error) {
	return spotFindings(ctx, in, func(s *summary) bool { return s.malformed > 0 }, func(p string, fs *problems) []Finding {
		out := make([]Finding, len(fs.malformed))
		for i, m := range fs.malformed {
			out[i] = Finding{Check: CheckMalformedReferences, Severity: Blocking, Path: p, JSONPath: m.JSONPath, Line: m.Line, Column: m.Column,
				Message: fmt.Sprintf("malformed ESV reference %q: %s", m.Text, m.Reason),
				Hint:    `write &{esv.name} or &{esv.name|default} in configuration and systemEnv.getProperty("esv.name") in scripts, with the name's hyphens as dots`,
			}
		}
		return out
	})
}

// spotFindings collects findings from the files with problems below the
// directories whose summary passes want.
func spotFindings(ctx context.Context, in *Input, want func(*summary) bool, fn func(string, *problems) []Finding) ([]Finding, error) {
	x, err := in.tree(ctx)
	if err != nil {
		return nil, err
	}
	var out []Finding
	err = x.root.each(x.snap, "", want, func(fl *file) bool { return fl.prob != nil }, func(p string, fl *file) {
		out = append(out, fn(p, fl.prob)...)
	})
	return out, err
}

// each calls fn for every file that keep accepts in a directory at or
// below n whose summary passes want, skipping every subtree whose summary
// does not; the order is not path order (Run sorts findings). s is n's
// directory in the snapshot, which names the files (n's are in the same
// order: equal trees). It builds a path, and lists s's entries, only for
// what it visits: most entries of a big directory are ruled out. It fails
// only if a lazy directory of s cannot be read.
func (n *node) each(s *store.Snapshot, p string, want func(*summary) bool, keep func(*file) bool, fn func(string, *file)) error {
	if !want(&n.sum) {
		return nil
	}
	path := func(name string) string {
		if p == "" {
			return name
		}
		return p + "/" + name
	}
	for _, d := range n.dirs {
		if !want(&d.n.sum) {
			continue
		}
		sub, err := s.SubSnapshot(d.name)
		if err != nil {
			return err
		}
		if err := d.n.each(sub, path(d.name), want, keep, fn); err != nil {
			return err
		}
	}
	if !slices.ContainsFunc(n.files, func(c fileChild) bool { return c.file != clean && keep(c.file) }) {
		return nil
	}
	files, err := s.Files()
	if err != nil {
		return err
	}
	i := 0
	for e := range files {
		if c := n.files[i]; c.file != clean && keep(c.file) {
			fn(path(e.Name), c.file)
		}
		i++
	}
	return nil
}
