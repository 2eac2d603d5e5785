package integrity_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/store"
	"github.com/google/go-cmp/cmp"
)

// A small tenant in fr-config-manager layout, with references in the shapes
// real AM and IDM exports have. Line numbers matter: tests name them.
var fixture = map[string]string{
	// AM journey node: placeholders in an array, a typed wrapper, a secret.
	"realms/alpha/journeys/Login/nodes/LDAP Decision - 6b7d5b9e.json": `{
  "_id": "6b7d5b9e-4f7c-4a49-9d77-5a1f6b2f0a10",
  "_type": {"_id": "LdapDecisionNode", "name": "LDAP Decision", "collection": true},
  "primaryServers": ["&{esv.ldap.host}:636"],
  "minimumPasswordLength": {"$int": "&{esv.ldap.min.password.length}"},
  "adminDn": "&{esv.ldap.admin.dn}",
  "adminPassword": "&{esv.ldap.admin.password}",
  "ldapConnectionMode": "LDAPS"
}`,
	"realms/alpha/journeys/Login/Login.json": `{
  "_id": "Login",
  "entryNodeId": "6b7d5b9e-4f7c-4a49-9d77-5a1f6b2f0a10",
  "description": "Sign in with LDAP, then check risk",
  "enabled": true
}`,
	// AM script and its content: a comment mentioning esv.risk.* is not a
	// reference; the second read has a default.
	"realms/alpha/scripts/Risk Check.json": `{
  "_id": "9f2c0d1e-risk",
  "name": "Risk Check",
  "context": "AUTHENTICATION_TREE_DECISION_NODE",
  "language": "JAVASCRIPT"
}`,
	"realms/alpha/scripts/script-content/AUTHENTICATION_TREE_DECISION_NODE/Risk Check.js": `/* Risk check: reads esv.risk.* from the environment */
var endpoint = systemEnv.getProperty("esv.risk.endpoint");
var apiKey = systemEnv.getProperty("esv.risk.api.key", "none");
outcome = apiKey ? "true" : "false";
`,
	// AM realm settings: $bool and $number wrappers.
	"realms/alpha/realm-config/authentication.json": `{
  "_id": "",
  "core": {"adminAuthModule": "Login", "orgConfig": "Login"},
  "trees": {"authenticationSessionsMaxDuration": {"$number": "&{esv.session.max.minutes}"}},
  "security": {"zeroPageLoginEnabled": {"$bool": "&{esv.zero.page.login}"}}
}`,
	// IDM email template: placeholders inside longer strings, one with a
	// default; its HTML body is a separate, non-JSON file.
	"email-templates/welcome/welcome.json": `{
  "_id": "emailTemplate/welcome",
  "enabled": true,
  "from": "noreply@&{esv.email.domain}",
  "subject": {"en": "Welcome to &{esv.brand.name|Example}"},
  "message": {
    "en": "<h3>Hello {{object.givenName}}</h3><p>Sign in at <a href=\"https://&{esv.tenant.fqdn}/am/XUI\">our portal</a>.</p>"
  },
  "mimeType": "text/html"
}`,
	"email-templates/welcome/welcome.en.html": `<html>
<body>
<p>Visit https://&{esv.tenant.fqdn}/enduser</p>
</body>
</html>
`,
	// IDM email provider: a $crypto password and a typed default.
	"email-provider/external.email.json": `{
  "_id": "external.email",
  "host": "&{esv.smtp.host}",
  "port": {"$int": "&{esv.smtp.port|465}"},
  "auth": {
    "enable": true,
    "username": "&{esv.smtp.user}",
    "password": {"$crypto": {"type": "x-simple-encryption", "value": {"cipher": "AES/CBC/PKCS5Padding", "stableId": "openidm-sym-default", "data": "T2xkU2VjcmV0RGF0YQ==", "iv": "aXZpdml2aXZpdml2aXY=", "keySize": 16, "purpose": "idm.password.encryption", "salt": "c2FsdHNhbHQ=", "mac": "bWFjbWFj"}}}
  }
}`,
	// IDM connector: nested wrappers, a $list, a $crypto credential.
	"sync/connectors/ldap.json": `{
  "_id": "provisioner.openicf/ldap",
  "connectorRef": {"bundleName": "org.forgerock.openicf.connectors.ldap-connector", "connectorName": "org.identityconnectors.ldap.LdapConnector"},
  "configurationProperties": {
    "host": "&{esv.ldap.host}",
    "port": {"$int": "&{esv.ldap.port}"},
    "ssl": {"$bool": "&{esv.ldap.ssl}"},
    "principal": "&{esv.ldap.admin.dn}",
    "credentials": {
      "$crypto": {
        "type": "x-simple-encryption",
        "value": {"cipher": "AES/CBC/PKCS5Padding", "stableId": "openidm-sym-default", "data": "Q3JlZGVudGlhbA==", "iv": "aXY=", "keySize": 16, "purpose": "idm.password.encryption"}
      }
    },
    "baseContexts": {"$list": "&{esv.ldap.base.contexts}"}
  }
}`,
	// IDM mapping: a $crypto default inside an array, and a salted hash,
	// which verifies anywhere.
	"sync/mappings/ldap_alpha_user.json": `{
  "name": "systemLdapAccounts_alphaUser",
  "source": "system/ldap/account",
  "target": "managed/alpha_user",
  "properties": [
    {"source": "mail", "target": "mail"},
    {"target": "password", "default": {"$crypto": {"type": "x-simple-encryption", "value": {"data": "RGVmYXVsdA==", "iv": "aXY="}}}},
    {"target": "kbaInfo", "default": {"$crypto": {"type": "salted-hash", "value": {"algorithm": "SHA-256", "data": "aGFzaA=="}}}}
  ]
}`,
	// IDM managed object: an onCreate script that mentions $crypto in a
	// string and reads an ESV through identityServer.
	"managed-objects/alpha_user/alpha_user.json": `{
  "name": "alpha_user",
  "schema": {"properties": {"password": {"type": "string", "encryption": {"purpose": "idm.password.encryption"}}}},
  "onCreate": {"type": "text/javascript", "source": "if (object.password && object.password.$crypto) { logger.info(identityServer.getProperty(\"esv.audit.level\")); }"}
}`,
}

// fixtureESVs defines everything fixture references, correctly typed.
var fixtureESVs = map[string]integrity.ESV{
	"esv-ldap-host":                {Type: esv.TypeString},
	"esv-ldap-min-password-length": {Type: esv.TypeInt},
	"esv-ldap-admin-dn":            {Type: esv.TypeString},
	"esv-ldap-admin-password":      {Secret: true, UseInPlaceholders: true},
	"esv-ldap-port":                {Type: esv.TypeInt},
	"esv-ldap-ssl":                 {Type: esv.TypeBool},
	"esv-ldap-base-contexts":       {Type: esv.TypeList},
	"esv-risk-endpoint":            {Type: esv.TypeString},
	"esv-risk-api-key":             {Secret: true},
	"esv-session-max-minutes":      {Type: esv.TypeInt}, // $number takes int
	"esv-zero-page-login":          {Type: esv.TypeBool},
	"esv-email-domain":             {}, // zero Type: string
	"esv-brand-name":               {Type: esv.TypeString},
	"esv-tenant-fqdn":              {Type: esv.TypeString},
	"esv-smtp-host":                {Type: esv.TypeString},
	"esv-smtp-port":                {Type: esv.TypeInt},
	"esv-smtp-user":                {Type: esv.TypeString},
	"esv-audit-level":              {Type: esv.TypeString},
}

// Paths used in expectations.
const (
	ldapNode    = "realms/alpha/journeys/Login/nodes/LDAP Decision - 6b7d5b9e.json"
	riskScript  = "realms/alpha/scripts/script-content/AUTHENTICATION_TREE_DECISION_NODE/Risk Check.js"
	authConfig  = "realms/alpha/realm-config/authentication.json"
	welcome     = "email-templates/welcome/welcome.json"
	welcomeHTML = "email-templates/welcome/welcome.en.html"
	emailProv   = "email-provider/external.email.json"
	connector   = "sync/connectors/ldap.json"
	mapping     = "sync/mappings/ldap_alpha_user.json"
	alphaUser   = "managed-objects/alpha_user/alpha_user.json"
)

// tenant returns fixture with edits applied (a nil value deletes a file).
func tenant(t testing.TB, edits map[string]*string) *store.Snapshot {
	t.Helper()
	files := map[string][]byte{}
	for p, s := range fixture {
		files[p] = []byte(s)
	}
	for p, s := range edits {
		if s == nil {
			delete(files, p)
		} else {
			files[p] = []byte(*s)
		}
	}
	snap, err := store.New(files)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func ptr(s string) *string { return &s }

// esvsWith returns fixtureESVs with changes applied (a nil value removes).
func esvsWith(changes map[string]*integrity.ESV) map[string]integrity.ESV {
	m := maps.Clone(fixtureESVs)
	for n, e := range changes {
		if e == nil {
			delete(m, n)
		} else {
			m[n] = *e
		}
	}
	return m
}

// brief renders findings compactly for table comparison.
func brief(fs []integrity.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s:%d (%s) %s", f.Severity, f.Check, f.Path, f.Line, f.JSONPath, f.ESV)))
	}
	return out
}

// checkCase is one row of a per-check table.
type checkCase struct {
	name    string
	edits   map[string]*string
	esvs    map[string]*integrity.ESV
	op      integrity.Operation // zero: Promotion
	ignore  bool
	want    []string // brief(Result.Findings)
	ignored []string // brief(Result.Ignored)
}

func runTable(t *testing.T, c integrity.Check, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op := tc.op
			if op == 0 {
				op = integrity.Promotion
			}
			in := &integrity.Input{Static: tenant(t, tc.edits), Operation: op, ESVs: esvsWith(tc.esvs), IgnoreEncryptedSecrets: tc.ignore}
			res, err := integrity.Run(context.Background(), []integrity.Check{c}, in)
			if res == nil {
				t.Fatalf("Run: nil result, err %v", err)
			}
			if diff := cmp.Diff(tc.want, brief(res.Findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.ignored, brief(res.Ignored)); diff != "" {
				t.Errorf("ignored (-want +got):\n%s", diff)
			}
			if blocks := len(res.Blocking()) > 0; blocks != (err != nil) {
				t.Errorf("err = %v with %d blocking findings", err, len(res.Blocking()))
			}
			for _, f := range append(res.Findings, res.Ignored...) {
				if f.Message == "" || f.Hint == "" || f.Column <= 0 {
					t.Errorf("finding lacks message, hint or column: %+v", f)
				}
			}
		})
	}
}
