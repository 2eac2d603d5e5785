package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/store"
)

// layoutDirs are the top-level directories of an fr-config-manager export
// (fr-config-pull's targets, ARCHITECTURE.md "Tenant export layout"). import
// refuses anything else unless --allow-unknown-paths, because a stray file
// (a README, an editor backup, a checkout of something else) would be
// promoted to every environment above.
var layoutDirs = []string{
	"access-config", "audit", "cookie-domains", "cors", "csp", "custom-domains",
	"email-provider", "email-templates", "endpoints", "esvs", "iga-workflows",
	"idm-authentication", "identities", "internal-roles", "kba", "locales",
	"managed-objects", "org-privileges", "raw", "realms", "remote-servers",
	"schedules", "service-objects", "sync", "telemetry", "terms-conditions", "ui",
}

// outsideLayout returns the paths of snap that are outside the layout:
// not below one of layoutDirs, or directly in realms/ or realms/<r>/.
func outsideLayout(snap *store.Snapshot) []string {
	var out []string
	snap.Walk(func(p string, _ []byte) error {
		top, rest, _ := strings.Cut(p, "/")
		if !slices.Contains(layoutDirs, top) || rest == "" ||
			top == "realms" && strings.Count(rest, "/") < 2 {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// loadTree reads an export directory for import and checks its layout.
func loadTree(dir string, allowUnknown bool) (*store.Snapshot, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, unwrapPath(err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	snap, err := store.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	if snap.Len() == 0 {
		return nil, fmt.Errorf("%s: no files to import", dir)
	}
	if bad := outsideLayout(snap); len(bad) > 0 && !allowUnknown {
		return nil, usagef("%s: %d path(s) outside the fr-config-manager layout (first: %s); move them out or pass --allow-unknown-paths",
			dir, len(bad), bad[0])
	}
	return snap, nil
}

// esvDefs are the ESV definitions of an export (esvs/variables/*.json and
// esvs/secrets/*.json), with their values resolved, ready to load.
type esvDefs struct {
	vars    []esvVar
	secrets []esvSecret
	skipped []string // definitions whose value the export does not have
}

type esvVar struct {
	name string
	spec esv.VariableSpec
}

type esvSecret struct {
	name     string
	spec     esv.SecretSpec    // Value is the first version's
	versions []esv.SecretValue // the later versions, oldest first
}

// The files of fr-config-pull, which writes a reference to a deployment
// variable ("${ESV_SMTP_HOST}") where a value would go.
type varFile struct {
	ID             string  `json:"_id"`
	ExpressionType string  `json:"expressionType"`
	Description    string  `json:"description"`
	ValueBase64    *string `json:"valueBase64"`
}

type secretFile struct {
	ID                string  `json:"_id"`
	Encoding          string  `json:"encoding"`
	UseInPlaceholders *bool   `json:"useInPlaceholders"`
	Description       string  `json:"description"`
	ValueBase64       *string `json:"valueBase64"`
	Versions          []struct {
		ValueBase64 *string `json:"valueBase64"`
	} `json:"versions"`
}

var refRE = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// readESVDefs parses the ESV definitions of snap. values resolves the
// "${NAME}" references of the export (from --values); a variable or secret
// whose value is a reference values does not have is skipped and listed.
// A secret whose value is written out in the tree is refused: it would sit
// in Git in plaintext.
func readESVDefs(snap *store.Snapshot, values map[string]string) (esvDefs, error) {
	var d esvDefs
	resolve := func(file string, v *string) (string, bool, error) {
		if v == nil {
			return "", false, nil
		}
		s := *v
		if m := refRE.FindStringSubmatch(s); m != nil {
			if s, ok := values[m[1]]; ok {
				return decodeValue(file, "${"+m[1]+"}", s)
			}
			return "", false, nil
		}
		return decodeValue(file, "valueBase64", s)
	}
	err := snap.Walk(func(p string, data []byte) error {
		dir, base := path.Split(p)
		if path.Ext(base) != ".json" || (dir != "esvs/variables/" && dir != "esvs/secrets/") {
			return nil
		}
		name := strings.TrimSuffix(base, ".json")
		if dir == "esvs/variables/" {
			var f varFile
			if err := decodeDef(p, data, &f, name); err != nil {
				return err
			}
			val, ok, err := resolve(p, f.ValueBase64)
			if err != nil {
				return err
			}
			if !ok {
				d.skipped = append(d.skipped, f.ID)
				return nil
			}
			spec := esv.VariableSpec{Description: f.Description, ExpressionType: esv.ExpressionType(f.ExpressionType), Value: val}
			if spec.ExpressionType == "" {
				spec.ExpressionType = esv.TypeString
			}
			// Checked now, so that a bad value stops the import before
			// anything is written.
			if err := spec.ExpressionType.Check([]byte(val)); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			d.vars = append(d.vars, esvVar{name: f.ID, spec: spec})
			return nil
		}
		var f secretFile
		if err := decodeDef(p, data, &f, name); err != nil {
			return err
		}
		raw := f.Versions
		if f.ValueBase64 != nil {
			raw = append(raw, struct {
				ValueBase64 *string `json:"valueBase64"`
			}{f.ValueBase64})
		}
		var vals []esv.SecretValue
		for _, v := range raw {
			if v.ValueBase64 != nil && !refRE.MatchString(*v.ValueBase64) {
				return fmt.Errorf("%s: holds a secret value in plaintext; write a reference such as \"${%s}\" instead and pass the value with --values", p, envName(f.ID))
			}
			val, ok, err := resolve(p, v.ValueBase64)
			if err != nil {
				return err
			}
			if ok {
				vals = append(vals, esv.NewSecretValue([]byte(val)))
			}
		}
		if len(vals) == 0 {
			d.skipped = append(d.skipped, f.ID)
			return nil
		}
		use := f.UseInPlaceholders == nil || *f.UseInPlaceholders
		spec := esv.SecretSpec{Description: f.Description, Encoding: esv.Encoding(f.Encoding), UseInPlaceholders: use, Value: vals[0]}
		if spec.Encoding == "" {
			spec.Encoding = esv.EncodingGeneric
		}
		for _, v := range vals {
			if err := spec.Encoding.Check(v.Reveal()); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		d.secrets = append(d.secrets, esvSecret{name: f.ID, spec: spec, versions: vals[1:]})
		return nil
	})
	return d, err
}

func decodeDef(p string, data []byte, v any, name string) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: not a valid ESV definition: %v", p, err)
	}
	var id struct {
		ID string `json:"_id"`
	}
	json.Unmarshal(data, &id)
	if id.ID == "" {
		return fmt.Errorf("%s: no \"_id\"; it should be %q", p, name)
	}
	if id.ID != name {
		return fmt.Errorf("%s: \"_id\" is %q; the file must be named after it (%s.json)", p, id.ID, id.ID)
	}
	return esv.ValidateName(id.ID)
}

func decodeValue(file, what, s string) (string, bool, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", false, fmt.Errorf("%s: %s is not valid base64", file, what)
	}
	return string(b), true, nil
}

// envName is the deployment variable fr-config-pull names after an ESV:
// esv-smtp-host → ESV_SMTP_HOST.
func envName(esv string) string {
	return strings.ToUpper(strings.ReplaceAll(esv, "-", "_"))
}

// readValues reads a values file in the .env form fr-config-manager uses:
// NAME=VALUE lines, VALUE base64 as in the valueBase64 it replaces; blank
// lines and lines starting with # are skipped, and "export " is allowed.
// path "-" is stdin. Values never come from the command line.
func readValues(p string, stdin io.Reader) (map[string]string, error) {
	if p == "" {
		return nil, nil
	}
	r := stdin
	if p != "-" {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("--values: %w", unwrapPath(err))
		}
		defer f.Close()
		r = f
	}
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		k = strings.TrimSpace(k)
		if !ok || !refRE.MatchString("${"+k+"}") {
			return nil, fmt.Errorf("--values %s:%d: want NAME=BASE64VALUE", p, n)
		}
		out[k] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--values %s: %w", p, err)
	}
	return out, nil
}

// unwrapPath drops the operation of a *fs.PathError: "open x: no such file"
// reads better as "x: no such file" after the flag it came from.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
