package integrity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/store"
	"github.com/google/go-cmp/cmp"
)

func esvPtr(e integrity.ESV) *integrity.ESV { return &e }

func TestRule_MissingESVsBlockPromotionAndRollback(t *testing.T) {
	ldapHostMissing := []string{
		"blocking missing-esvs " + ldapNode + ":4 (primaryServers.0) esv-ldap-host",
		"blocking missing-esvs " + connector + ":5 (configurationProperties.host) esv-ldap-host",
	}
	runTable(t, integrity.MissingESVs{}, []checkCase{
		{name: "every reference defined, secrets included"},
		{name: "missing variable blocks promotion",
			esvs: map[string]*integrity.ESV{"esv-ldap-host": nil}, want: ldapHostMissing},
		{name: "missing variable blocks rollback", op: integrity.Rollback,
			esvs: map[string]*integrity.ESV{"esv-ldap-host": nil}, want: ldapHostMissing},
		{name: "missing secret in a placeholder",
			esvs: map[string]*integrity.ESV{"esv-ldap-admin-password": nil},
			want: []string{"blocking missing-esvs " + ldapNode + ":7 (adminPassword) esv-ldap-admin-password"}},
		{name: "placeholder default satisfies it, with a warning",
			esvs: map[string]*integrity.ESV{"esv-brand-name": nil},
			want: []string{"warning missing-esvs " + welcome + ":5 (subject.en) esv-brand-name"}},
		{name: "typed placeholder default satisfies it, with a warning",
			esvs: map[string]*integrity.ESV{"esv-smtp-port": nil},
			want: []string{`warning missing-esvs ` + emailProv + `:4 (port.\$int) esv-smtp-port`}},
		{name: "script default does not satisfy it",
			esvs: map[string]*integrity.ESV{"esv-risk-api-key": nil},
			want: []string{"blocking missing-esvs " + riskScript + ":3 () esv-risk-api-key"}},
		{name: "AM script read",
			esvs: map[string]*integrity.ESV{"esv-risk-endpoint": nil},
			want: []string{"blocking missing-esvs " + riskScript + ":2 () esv-risk-endpoint"}},
		{name: "IDM script inside a JSON string",
			esvs: map[string]*integrity.ESV{"esv-audit-level": nil},
			want: []string{"blocking missing-esvs " + alphaUser + ":4 (onCreate.source) esv-audit-level"}},
		{name: "placeholders inside longer strings, in JSON and HTML",
			esvs: map[string]*integrity.ESV{"esv-tenant-fqdn": nil},
			want: []string{
				"blocking missing-esvs " + welcomeHTML + ":3 () esv-tenant-fqdn",
				"blocking missing-esvs " + welcome + ":7 (message.en) esv-tenant-fqdn",
			}},
		{name: "reference removed with its file",
			esvs:  map[string]*integrity.ESV{"esv-audit-level": nil},
			edits: map[string]*string{alphaUser: nil}},
		{name: "undefined ESV that nothing references",
			esvs: map[string]*integrity.ESV{"esv-unused": esvPtr(integrity.ESV{})}},
	})
}

func TestRule_EncryptedSecretsBlockPromotionUnlessIgnored(t *testing.T) {
	found := []string{
		"blocking encrypted-secrets " + emailProv + ":8 (auth.password)",
		"blocking encrypted-secrets " + connector + ":9 (configurationProperties.credentials)",
		"blocking encrypted-secrets " + mapping + ":7 (properties.1.default)",
	}
	ignored := []string{
		"ignored encrypted-secrets " + emailProv + ":8 (auth.password)",
		"ignored encrypted-secrets " + connector + ":9 (configurationProperties.credentials)",
		"ignored encrypted-secrets " + mapping + ":7 (properties.1.default)",
	}
	noCrypto := map[string]*string{emailProv: nil, connector: nil}
	noCrypto[mapping] = ptr(`{"properties": [{"target": "kbaInfo", "default": {"$crypto": {"type": "salted-hash", "value": {"algorithm": "SHA-256", "data": "aGFzaA=="}}}}]}`)
	runTable(t, integrity.EncryptedSecrets{}, []checkCase{
		{name: "promotion blocks on $crypto in objects and arrays", want: found},
		{name: "rollback is not checked", op: integrity.Rollback},
		{name: "ignored by the request: listed apart, not blocking", ignore: true, ignored: ignored},
		{name: "salted hashes and $crypto in script text are not encrypted secrets", edits: noCrypto},
		{name: "a non-JSON file is not searched",
			edits: map[string]*string{emailProv: nil, connector: nil, mapping: nil,
				riskScript: ptr(`var v = {"$crypto": {"type": "x-simple-encryption", "value": {}}};`)}},
		{name: "whole file is one encrypted value",
			edits: map[string]*string{emailProv: nil, connector: nil, mapping: nil,
				"sync/connectors/rest.json": ptr(`{"$crypto": {"type": "x-simple-encryption", "value": {"data": "eA=="}}}`)},
			want: []string{"blocking encrypted-secrets sync/connectors/rest.json:1 ()"}},
	})
}

func TestRule_InvalidJSONBlocks(t *testing.T) {
	login := "realms/alpha/journeys/Login/Login.json"
	runTable(t, integrity.InvalidJSON{}, []checkCase{
		{name: "valid JSON and non-JSON files"},
		{name: "trailing comma", edits: map[string]*string{login: ptr("{\n  \"_id\": \"Login\",\n  \"enabled\": true,\n}\n")},
			want: []string{"blocking invalid-json " + login + ":4 ()"}},
		{name: "truncated", edits: map[string]*string{login: ptr("{\n  \"_id\": \"Login\",\n  \"enabled\": tr")},
			want: []string{"blocking invalid-json " + login + ":3 ()"}},
		{name: "empty file", edits: map[string]*string{login: ptr("")},
			want: []string{"blocking invalid-json " + login + ":1 ()"}},
		{name: "two values", edits: map[string]*string{login: ptr("{}\n{}")},
			want: []string{"blocking invalid-json " + login + ":2 ()"}},
		{name: "extension in upper case", edits: map[string]*string{"ui/themes.JSON": ptr("{'single': 'quotes'}")},
			want: []string{"blocking invalid-json ui/themes.JSON:1 ()"}},
		{name: "a script is not JSON", edits: map[string]*string{riskScript: ptr("outcome = {true: 1,};")}},
	})
}

func TestRule_PlaceholderTypeMatchesExpressionType(t *testing.T) {
	runTable(t, integrity.PlaceholderTypes{}, []checkCase{
		{name: "every wrapper matches, $number takes int"},
		{name: "$int on a string variable",
			esvs: map[string]*integrity.ESV{"esv-ldap-port": esvPtr(integrity.ESV{Type: esv.TypeString})},
			want: []string{`blocking placeholder-types ` + connector + `:6 (configurationProperties.port.\$int) esv-ldap-port`}},
		{name: "$bool on an int variable",
			esvs: map[string]*integrity.ESV{"esv-zero-page-login": esvPtr(integrity.ESV{Type: esv.TypeInt})},
			want: []string{`blocking placeholder-types ` + authConfig + `:5 (security.zeroPageLoginEnabled.\$bool) esv-zero-page-login`}},
		{name: "$number on a bool variable",
			esvs: map[string]*integrity.ESV{"esv-session-max-minutes": esvPtr(integrity.ESV{Type: esv.TypeBool})},
			want: []string{`blocking placeholder-types ` + authConfig + `:4 (trees.authenticationSessionsMaxDuration.\$number) esv-session-max-minutes`}},
		{name: "$list on an array variable",
			esvs: map[string]*integrity.ESV{"esv-ldap-base-contexts": esvPtr(integrity.ESV{Type: esv.TypeArray})},
			want: []string{`blocking placeholder-types ` + connector + `:15 (configurationProperties.baseContexts.\$list) esv-ldap-base-contexts`}},
		{name: "typed placeholder with a default is still typed",
			esvs: map[string]*integrity.ESV{"esv-smtp-port": esvPtr(integrity.ESV{Type: esv.TypeList})},
			want: []string{`blocking placeholder-types ` + emailProv + `:4 (port.\$int) esv-smtp-port`}},
		{name: "a plain placeholder takes any type",
			esvs: map[string]*integrity.ESV{"esv-ldap-host": esvPtr(integrity.ESV{Type: esv.TypeObject})}},
		{name: "secrets have no type to check",
			esvs: map[string]*integrity.ESV{"esv-ldap-port": esvPtr(integrity.ESV{Secret: true, UseInPlaceholders: true})}},
		{name: "missing ESVs are left to MissingESVs",
			esvs: map[string]*integrity.ESV{"esv-ldap-port": nil}},
	})
}

func TestRule_SecretInPlaceholderNeedsUseInPlaceholders(t *testing.T) {
	runTable(t, integrity.SecretNotForPlaceholders{}, []checkCase{
		{name: "secret allows placeholders; a script reads a secret that does not"},
		{name: "secret without useInPlaceholders in a placeholder",
			esvs: map[string]*integrity.ESV{"esv-ldap-admin-password": esvPtr(integrity.ESV{Secret: true})},
			want: []string{"blocking secret-not-for-placeholders " + ldapNode + ":7 (adminPassword) esv-ldap-admin-password"}},
		{name: "secret inside a longer string",
			esvs: map[string]*integrity.ESV{"esv-email-domain": esvPtr(integrity.ESV{Secret: true})},
			want: []string{"blocking secret-not-for-placeholders " + welcome + ":4 (from) esv-email-domain"}},
		{name: "script reads are not placeholders",
			esvs: map[string]*integrity.ESV{"esv-risk-endpoint": esvPtr(integrity.ESV{Secret: true})}},
		{name: "variables need no flag",
			esvs: map[string]*integrity.ESV{"esv-ldap-admin-password": esvPtr(integrity.ESV{Type: esv.TypeString})}},
	})
}

func TestRule_MalformedReferencesBlock(t *testing.T) {
	runTable(t, integrity.MalformedReferences{}, []checkCase{
		{name: "well-formed references"},
		{name: "hyphens instead of dots",
			edits: map[string]*string{welcome: ptr("{\n  \"from\": \"noreply@&{esv.email-domain}\"\n}")},
			want:  []string{"blocking malformed-references " + welcome + ":2 (from)"}},
		{name: "unclosed script argument",
			edits: map[string]*string{riskScript: ptr("var a = 1;\nvar e = systemEnv.getProperty(\"esv.risk.endpoint);\n")},
			want:  []string{"blocking malformed-references " + riskScript + ":2 ()"}},
	})
}

func TestRule_ChecksScanWholeConfigNotOnlyChanges(t *testing.T) {
	// Only Login.json changes; every finding below is in an unchanged file.
	changes := []store.Change{{Path: "realms/alpha/journeys/Login/Login.json", Op: store.Modified}}
	for _, tc := range []struct {
		name  string
		check integrity.Check
		op    integrity.Operation
		esvs  map[string]*integrity.ESV
		want  []string
	}{
		{"missing ESV on promotion", integrity.MissingESVs{}, integrity.Promotion,
			map[string]*integrity.ESV{"esv-smtp-host": nil},
			[]string{"blocking missing-esvs " + emailProv + ":3 (host) esv-smtp-host"}},
		{"missing ESV on rollback", integrity.MissingESVs{}, integrity.Rollback,
			map[string]*integrity.ESV{"esv-smtp-host": nil},
			[]string{"blocking missing-esvs " + emailProv + ":3 (host) esv-smtp-host"}},
		{"encrypted secret", integrity.EncryptedSecrets{}, integrity.Promotion, nil,
			[]string{
				"blocking encrypted-secrets " + emailProv + ":8 (auth.password)",
				"blocking encrypted-secrets " + connector + ":9 (configurationProperties.credentials)",
				"blocking encrypted-secrets " + mapping + ":7 (properties.1.default)",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &integrity.Input{Static: tenant(t, nil), Changes: func() []store.Change { return changes }, Operation: tc.op, ESVs: esvsWith(tc.esvs)}
			res, err := integrity.Run(context.Background(), []integrity.Check{tc.check}, in)
			if !errors.Is(err, integrity.ErrFailed) {
				t.Fatalf("err = %v, want ErrFailed for problems in unchanged files", err)
			}
			if diff := cmp.Diff(tc.want, brief(res.Findings)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
