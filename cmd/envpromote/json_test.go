package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// jsonFields are the fields doc.go documents for each read command's
// --json document, as dotted paths (lists are transparent). A field the
// output has and this list lacks is an undocumented change of the format.
var jsonFields = map[string][]string{
	"environment": {"id", "name", "description", "type", "region", "license.id", "organization.id", "icon",
		"billOfMaterials.products.id", "billOfMaterials.products.type", "billOfMaterials.products.description",
		"billOfMaterials.createdAt", "billOfMaterials.updatedAt",
		"status", "createdAt", "updatedAt", "softDeletedAt", "hardDeleteAllowedAt"},
	"group":  {"name", "organization.id", "members.id", "members.tier"},
	"status": {"group", "environment", "tier", "head", "updated", "subject", "lock", "lockedBy", "restart", "pendingESVs"},
	"report": {"reportId", "reportName", "promotionId", "createdDate", "dryRun", "type", "promoter",
		"promotionDescription", "ticketReference", "missingESVs", "encryptedSecrets", "previouslyIgnoredEncryptedSecrets",
		"report.AMConfig.configItem", "report.IDMConfig.configItem",
		"report.AMConfig.configChange.added.name", "report.AMConfig.configChange.added.realm", "report.AMConfig.configChange.added.uid",
		"report.AMConfig.configChange.modified.name", "report.AMConfig.configChange.modified.realm", "report.AMConfig.configChange.modified.uid",
		"report.AMConfig.configChange.deleted.name", "report.AMConfig.configChange.deleted.realm", "report.AMConfig.configChange.deleted.uid",
		"report.IDMConfig.configChange.added.name", "report.IDMConfig.configChange.added.realm", "report.IDMConfig.configChange.added.uid",
		"report.IDMConfig.configChange.modified.name", "report.IDMConfig.configChange.modified.realm", "report.IDMConfig.configChange.modified.uid",
		"report.IDMConfig.configChange.deleted.name", "report.IDMConfig.configChange.deleted.realm", "report.IDMConfig.configChange.deleted.uid",
		"lowerEnvironment", "upperEnvironment", "revision", "sourceRevision"},
	"files":    {"path", "change", "diff"},
	"reports":  {"reportId", "promotionId", "createdDate", "dryRun", "type", "promoter"},
	"variable": {"_id", "description", "expressionType", "valueBase64", "lastChangedBy", "lastChangeDate", "loaded"},
	"secret":   {"_id", "description", "encoding", "useInPlaceholders", "activeVersion", "loadedVersion", "lastChangedBy", "lastChangeDate", "loaded"},
	"lock": {"result", "promotionId", "description", "owner", "acquired", "expires",
		"lowerEnv.name", "lowerEnv.id", "lowerEnv.promotionId", "lowerEnv.state",
		"upperEnv.name", "upperEnv.id", "upperEnv.promotionId", "upperEnv.state"},
	"blocked": {"blocked", "findings.check", "findings.severity", "findings.path", "findings.jsonPath",
		"findings.line", "findings.column", "findings.esv", "findings.message", "findings.hint"},
}

// TestJSONOutputIsDocumentedAndStable runs every read command with --json
// and checks that its document holds only the fields doc.go documents, and
// that running it again (at a fixed $ENVPROMOTE_TIME) prints the same bytes.
func TestJSONOutputIsDocumentedAndStable(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ENVPROMOTE_TIME", "2026-11-30T12:00:00Z")
	tenant := filepath.Join(dir, "tenant", "email-templates", "welcome")
	if err := os.MkdirAll(tenant, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tenant, "welcome.json"), []byte(`{"_id": "emailTemplate/welcome", "from": "&{esv.support.email}"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runCmd(t, dir, 0, "init", "--org", "acme", "--license", "lic-1")
	for _, e := range []string{"dev", "staging", "prod"} {
		runCmd(t, dir, 0, "env", "create", e, "--type", "PRODUCTION", "--region", "EU")
	}
	runCmd(t, dir, 0, "group", "save", "web", "dev", "staging", "prod")
	runCmd(t, dir, 0, "import", filepath.Join(dir, "tenant"), "--env", "dev")
	blocked := runCmd(t, dir, exitBlocked, "--json", "promote", "dev", "staging", "--keep-lock")
	checkJSONFields(t, "promote (blocked)", blocked, jsonFields["blocked"])
	checkJSONFields(t, "lock status (locked)", runCmd(t, dir, 0, "--json", "lock", "status", "staging"), jsonFields["lock"])
	runCmd(t, dir, 0, "lock", "release", "staging")
	runCmd(t, dir, 0, "esv", "var", "set", "staging", "esv-support-email", "help@example.com")
	runCmd(t, dir, 0, "esv", "var", "set", "prod", "esv-support-email", "help@example.com")
	os.WriteFile(filepath.Join(dir, "secret"), []byte("s3cret"), 0o600)
	runCmd(t, dir, 0, "esv", "secret", "create", "staging", "esv-key", "--value-file", filepath.Join(dir, "secret"))
	report := runCmd(t, dir, 0, "--json", "promote", "dev", "staging")
	checkJSONFields(t, "promote", report, jsonFields["report"])
	var r struct{ ReportID string }
	if err := json.Unmarshal([]byte(report), &r); err != nil || r.ReportID == "" {
		t.Fatalf("promote --json: no reportId: %v\n%s", err, report)
	}
	runCmd(t, dir, 0, "esv", "restart", "staging")

	for _, c := range []struct {
		args  []string
		shape string
	}{
		{[]string{"env", "list"}, "environment"},
		{[]string{"env", "get", "dev"}, "environment"},
		{[]string{"group", "list"}, "group"},
		{[]string{"status"}, "status"},
		{[]string{"status", "web"}, "status"},
		{[]string{"diff", "staging", "prod"}, "report"},
		{[]string{"diff", "staging", "prod", "--files"}, "files"},
		{[]string{"reports", "staging"}, "reports"},
		{[]string{"report", r.ReportID}, "report"},
		{[]string{"esv", "var", "get", "staging", "esv-support-email"}, "variable"},
		{[]string{"esv", "var", "list", "staging"}, "variable"},
		{[]string{"esv", "secret", "list", "staging"}, "secret"},
		{[]string{"lock", "status", "staging"}, "lock"},
	} {
		name := strings.Join(c.args, " ")
		out := runCmd(t, dir, 0, append([]string{"--json"}, c.args...)...)
		checkJSONFields(t, name, out, jsonFields[c.shape])
		if again := runCmd(t, dir, 0, append([]string{"--json"}, c.args...)...); again != out {
			t.Errorf("%s --json: a second run printed something else:\n%s\nthen:\n%s", name, out, again)
		}
	}

	// Every documented field is named in doc.go's JSON section.
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "// # JSON output")
	section, _, _ = strings.Cut(section, "\n// #")
	for shape, fields := range jsonFields {
		for _, f := range fields {
			leaf := f[strings.LastIndex(f, ".")+1:]
			if !regexp.MustCompile(`\b` + regexp.QuoteMeta(leaf) + `\b`).MatchString(section) {
				t.Errorf("doc.go's JSON output section does not name %s (of %s)", f, shape)
			}
		}
	}
}

// checkJSONFields fails unless out is one JSON document whose fields are
// all in documented.
func checkJSONFields(t *testing.T, name, out string, documented []string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s --json: not one JSON document: %v\n%s", name, err, out)
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(prefix, e)
			}
		case map[string]any:
			for k, e := range v {
				p := prefix + k
				if _, leaf := e.(map[string]any); !leaf && !isObjectList(e) && !slices.Contains(documented, p) {
					t.Errorf("%s --json: undocumented field %s", name, p)
				}
				walk(p+".", e)
			}
		}
	}
	walk("", v)
}

// isObjectList reports whether v is a list of objects (whose fields are
// checked, not the list itself).
func isObjectList(v any) bool {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return false
	}
	_, ok = l[0].(map[string]any)
	return ok
}
