package integrity_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/store"
)

func Example() {
	static, _ := store.New(map[string][]byte{
		"realms/alpha/journeys/Login/nodes/LDAP Decision - 6b7d.json": []byte(`{
  "primaryServers": ["&{esv.ldap.host}:636"],
  "minimumPasswordLength": {"$int": "&{esv.ldap.min.length}"}
}`),
		"sync/connectors/ldap.json": []byte(`{
  "configurationProperties": {
    "credentials": {"$crypto": {"type": "x-simple-encryption", "value": {"data": "c2VjcmV0"}}}
  }
}`),
	})
	in := &integrity.Input{
		Static:    static,
		Operation: integrity.Promotion,
		ESVs:      map[string]integrity.ESV{"esv-ldap-min-length": {Type: esv.TypeString}},
	}
	res, err := integrity.Run(context.Background(), integrity.Builtin(), in)
	for _, f := range res.Findings {
		fmt.Println(f.Check, f.Where())
	}
	fmt.Println("missingESVs:", res.MissingESVs())
	fmt.Println("blocked:", errors.Is(err, integrity.ErrFailed))
	// Output:
	// missing-esvs realms/alpha/journeys/Login/nodes/LDAP Decision - 6b7d.json:2:23 (primaryServers.0)
	// placeholder-types realms/alpha/journeys/Login/nodes/LDAP Decision - 6b7d.json:3:38 (minimumPasswordLength.\$int)
	// encrypted-secrets sync/connectors/ldap.json:3:20 (configurationProperties.credentials)
	// missingESVs: [esv-ldap-host]
	// blocked: true
}

// A promotion that goes ahead despite encrypted secrets lists them apart,
// for the report's previouslyIgnoredEncryptedSecrets.
func ExampleResult_IgnoredEncryptedSecrets() {
	static, _ := store.New(map[string][]byte{
		"email-provider/external.email.json": []byte(`{"auth": {"password": {"$crypto": {"type": "x-simple-encryption", "value": {}}}}}`),
	})
	in := &integrity.Input{Static: static, Operation: integrity.Promotion, IgnoreEncryptedSecrets: true}
	res, err := integrity.Run(context.Background(), integrity.Builtin(), in)
	fmt.Println(err, res.EncryptedSecrets(), res.IgnoredEncryptedSecrets())
	// Output:
	// <nil> [] [email-provider/external.email.json:1:23 (auth.password)]
}

// Keep one Runner: a re-check scans only what changed.
func ExampleRunner() {
	var r integrity.Runner
	static, _ := store.New(map[string][]byte{
		"email-templates/welcome/welcome.json":        []byte(`{"from": "noreply@&{esv.email.domain}"}`),
		"realms/alpha/scripts/script-content/Risk.js": []byte(`var url = systemEnv.getProperty("esv.risk.url");`),
	})
	in := &integrity.Input{Static: static, Operation: integrity.Rollback, ESVs: map[string]integrity.ESV{"esv-email-domain": {}}}
	res, _ := r.Run(context.Background(), integrity.Builtin(), in)
	fmt.Println(res.MissingESVs())

	in.Static, _ = static.With("realms/alpha/scripts/script-content/Risk.js", []byte(`var url = "https://risk.example.com";`))
	res, _ = r.Run(context.Background(), integrity.Builtin(), in)
	fmt.Println(res.MissingESVs())
	// Output:
	// [esv-risk-url]
	// []
}

// noPlainHTTP is a user's own check: no plain-HTTP URLs in configuration.
type noPlainHTTP struct{}

func (noPlainHTTP) Name() string { return "no-plain-http" }

func (noPlainHTTP) Run(_ context.Context, in *integrity.Input) ([]integrity.Finding, error) {
	var out []integrity.Finding
	err := in.Static.Walk(func(path string, data []byte) error {
		if bytes.Contains(data, []byte("http://")) {
			out = append(out, integrity.Finding{Check: "no-plain-http", Severity: integrity.Warning, Path: path,
				Message: "plain-HTTP URL", Hint: "use https://"})
		}
		return nil
	})
	return out, err
}

func ExampleCheck() {
	static, _ := store.New(map[string][]byte{
		"cors/cors-config.json": []byte(`{"allowedOrigins": ["http://localhost:8080"]}`),
	})
	checks := append(integrity.Builtin(), noPlainHTTP{})
	res, err := integrity.Run(context.Background(), checks, &integrity.Input{Static: static, Operation: integrity.Promotion})
	fmt.Println(res.Findings[0], err)
	// Output:
	// cors/cors-config.json: warning no-plain-http: plain-HTTP URL; fix: use https:// <nil>
}

func ExampleError() {
	static, _ := store.New(map[string][]byte{"realms/alpha/journeys/Login/Login.json": []byte(`{"_id": "Login",}`)})
	_, err := integrity.Run(context.Background(), integrity.Builtin(), &integrity.Input{Static: static, Operation: integrity.Promotion})
	var ierr *integrity.Error
	if errors.As(err, &ierr) {
		for _, f := range ierr.Findings {
			fmt.Println(f.Where(), f.Check)
		}
	}
	// Output:
	// realms/alpha/journeys/Login/Login.json:1:17 invalid-json
}
