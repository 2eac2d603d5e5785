package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/internal/tenantgen"
)

type aicErrorJSON struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// TestRule_MissingOrInvalidTokenIs401WithChallenge on every endpoint family.
func TestRule_MissingOrInvalidTokenIs401WithChallenge(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 60})})
	for _, path := range []string{"/staging/environment/promotion/lock/state", "/staging/environment/variables", "/v1/environments"} {
		for _, tc := range []struct{ name, header, wantError string }{
			{"no header", "", ""},
			{"basic scheme", "Authorization: Basic YTpi", "invalid_token"},
			{"empty bearer", "Authorization: Bearer ", "invalid_token"},
			{"unknown token", "Authorization: Bearer nope", "invalid_token"},
		} {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				var hdr []string
				if tc.header != "" {
					hdr = append(hdr, tc.header)
				}
				r := f.req("GET", path, "", nil, hdr...).want(http.StatusUnauthorized)
				ch := r.header.Get("WWW-Authenticate")
				if !strings.HasPrefix(ch, `Bearer realm="envpromote"`) || !strings.Contains(ch, tc.wantError) {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge with %q", ch, tc.wantError)
				}
				if strings.HasPrefix(path, "/v1") {
					if e := decode[p1ErrorJSON](r); e.Code != "ACCESS_FAILED" {
						t.Errorf("body %s", r.body)
					}
				} else if e := decode[aicErrorJSON](r); e.Code != 401 {
					t.Errorf("body %s", r.body)
				}
			})
		}
	}
}

// TestRule_MissingScopeOrRoleIs403: AIC endpoints check scopes, the
// environments API checks PingOne roles.
func TestRule_MissingScopeOrRoleIs403(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 60})})
	for _, tc := range []struct {
		name, token, method, path string
		body                      any
		scope                     string
	}{
		{"promotion needs promotion scope", esvReadToken, "POST", "/staging/environment/promotion/lock", nil, httpapi.ScopePromotion},
		{"ESV read needs esv scope", promoterToken, "GET", "/staging/environment/variables", nil, httpapi.ScopeESVRead},
		{"ESV write needs update scope", esvReadToken, "PUT", "/staging/environment/variables/esv-x", map[string]string{"valueBase64": "eA=="}, httpapi.ScopeESVUpdate},
		{"restart needs restart scope", esvReadToken, "POST", "/staging/environment/startup?_action=restart", nil, httpapi.ScopeESVRestart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.req(tc.method, tc.path, tc.token, tc.body).want(http.StatusForbidden)
			if ch := r.header.Get("WWW-Authenticate"); !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, tc.scope) {
				t.Errorf("WWW-Authenticate %q", ch)
			}
			if e := decode[aicErrorJSON](r); e.Code != 403 || !strings.Contains(e.Message, tc.scope) {
				t.Errorf("body %s", r.body)
			}
		})
	}
	// A token without roles creates nothing and sees no environment.
	f.req("POST", "/v1/environments", noRolesToken, map[string]any{"name": "X", "type": "SANDBOX", "region": "EU", "license": map[string]string{"id": licenseID}, "organization": map[string]string{"id": orgID}}).want(http.StatusForbidden)
	f.req("GET", "/v1/environments/"+f.ids["dev"], noRolesToken, nil).want(http.StatusForbidden)
	if l := decode[listJSON](f.req("GET", "/v1/environments", noRolesToken, nil).want(http.StatusOK)); l.Count != 0 {
		t.Errorf("roleless token lists %d environments", l.Count)
	}
}

// TestRule_EnvironmentScopedAdminSeesOnlyItsEnvironment through the API.
func TestRule_EnvironmentScopedAdminSeesOnlyItsEnvironment(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 60})})
	envAdmin := httpapi.Principal{Principal: environment.Principal{ID: "eve", Roles: []environment.RoleAssignment{{
		Role: environment.EnvironmentAdmin, Scope: environment.Scope{Type: environment.ScopeEnvironment, ID: f.ids["dev"]},
	}}}}
	api, err := httpapi.New(httpapi.Config{Authenticator: httpapi.NewStaticTokens(map[string]httpapi.Principal{"eve": envAdmin}), Registry: f.registry})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	f.url = startServer(t, api)
	if l := decode[listJSON](f.req("GET", "/v1/environments", "eve", nil).want(http.StatusOK)); l.Count != 1 || l.Embedded.Environments[0].ID != f.ids["dev"] {
		t.Errorf("environment admin lists %+v", l)
	}
	f.req("GET", "/v1/environments/"+f.ids["prod"], "eve", nil).want(http.StatusForbidden)
	f.req("POST", "/v1/environments", "eve", map[string]any{"name": "X", "type": "SANDBOX", "region": "EU", "license": map[string]string{"id": licenseID}, "organization": map[string]string{"id": orgID}}).want(http.StatusForbidden)
}

// TestRule_BadInputIs400NamingTheField on the AIC endpoints.
func TestRule_BadInputIs400NamingTheField(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 60})})
	const promote = "/staging/environment/promotion/promote"
	big := `{"dryRun":true,"promoter":"` + strings.Repeat("x", httpapi.DefaultMaxBodyBytes) + `"}`
	for _, tc := range []struct {
		name, method, path string
		body               any
		header             []string
		status             int
		mention            string
	}{
		{"wrong type", "POST", promote, `{"dryRun":"yes"}`, nil, 400, `"dryRun" must be a boolean`},
		{"missing required", "POST", promote, `{"promoter":"x"}`, nil, 400, `"dryRun" is required`},
		{"null required", "POST", promote, `{"dryRun":null}`, nil, 400, `"dryRun" is required`},
		{"unknown field", "POST", promote, `{"dryRun":true,"force":true}`, nil, 400, `unknown field "force"`},
		{"not json", "POST", promote, `dryRun=true`, nil, 400, "JSON object"},
		{"array", "POST", promote, `[{"dryRun":true}]`, nil, 400, "JSON object"},
		{"truncated", "POST", promote, `{"dryRun":true`, nil, 400, "not valid JSON"},
		{"trailing data", "POST", promote, `{"dryRun":true}{}`, nil, 400, "after the JSON object"},
		{"empty", "POST", promote, ``, nil, 400, "request body is required"},
		{"too large", "POST", promote, big, nil, 413, "larger than"},
		{"nested wrong type", "PUT", "/staging/environment/variables/esv-a", `{"valueBase64":"eA==","description":5}`, nil, 400, `"description" must be a string`},
		{"bad base64", "PUT", "/staging/environment/variables/esv-a", `{"valueBase64":"not base64!"}`, nil, 400, `"valueBase64" is not valid`},
		{"bad ESV name", "PUT", "/staging/environment/variables/ESV-Upper", `{"valueBase64":"eA=="}`, nil, 400, "ESV name"},
		{"bad expression type", "PUT", "/staging/environment/variables/esv-a", `{"valueBase64":"eA==","expressionType":"float"}`, nil, 400, "float"},
		{"missing version header", "GET", "/staging/environment/promotion/lock/state", nil, []string{"Accept-API-Version: "}, 400, "Accept-API-Version header is required"},
		{"unsupported version", "GET", "/staging/environment/promotion/lock/state", nil, []string{"Accept-API-Version: protocol=1.0,resource=2.0"}, 400, "resource version must be one of 1.0"},
		{"unknown version key", "GET", "/staging/environment/variables", nil, []string{"Accept-API-Version: flavour=1.0"}, 400, "unknown key"},
		{"wrong action", "POST", "/staging/environment/startup?_action=reboot", nil, nil, 400, `_action must be "restart"`},
		{"bad page size", "GET", "/staging/environment/variables?_pageSize=101", nil, []string{v2}, 400, "_pageSize"},
		{"bad cookie", "GET", "/staging/environment/secrets?_pagedResultsCookie=xyz", nil, []string{v2}, 400, "_pagedResultsCookie"},
		{"bad boolean", "GET", "/staging/environment/promotion/lock/state?localLockOnly=maybe", nil, nil, 400, "localLockOnly"},
		{"bad version id", "GET", "/staging/environment/secrets/esv-a/versions/01", nil, nil, 400, "versionId"},
		{"unknown environment", "GET", "/qa/environment/variables", nil, nil, 404, "/qa"},
		{"not an upper environment", "GET", "/dev/environment/promotion/lock/state", nil, nil, 404, "upper environment"},
		{"no endpoint", "GET", "/staging/environment/nothing", nil, nil, 404, "no endpoint"},
		{"method", "PATCH", "/staging/environment/variables/esv-a", nil, nil, 405, "allowed: DELETE, GET, POST, PUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.req(tc.method, tc.path, adminToken, tc.body, tc.header...).want(tc.status)
			if e := decode[aicErrorJSON](r); e.Code != tc.status || !strings.Contains(e.Message, tc.mention) {
				t.Errorf("error %+v, want code %d mentioning %q", e, tc.status, tc.mention)
			}
		})
	}
}

// TestRule_TransactionIDIsEchoedOrMinted: a well-formed client id comes
// back; anything else is replaced by a fresh one.
func TestRule_TransactionIDIsEchoedOrMinted(t *testing.T) {
	f := newFixture(t, fixtureOptions{environments: []string{"dev"}})
	for _, tc := range []struct{ header, want string }{
		{"X-ForgeRock-TransactionId: abc-123", "abc-123"},
		{"ForgeRock-Transaction-ID: frodo/42", "frodo/42"},
		{"X-ForgeRock-TransactionId: bad id\twith tab", ""},
		{"X-ForgeRock-TransactionId: " + strings.Repeat("a", 129), ""},
	} {
		r := f.req("GET", "/dev/environment/variables", adminToken, nil, tc.header)
		got := r.header.Get("X-ForgeRock-TransactionId")
		if tc.want != "" && got != tc.want || tc.want == "" && (got == "" || strings.Contains(tc.header, got)) {
			t.Errorf("%s: transaction id %q", tc.header, got)
		}
	}
}

// TestNew_RejectsBadConfig: New says what is wrong.
func TestNew_RejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     httpapi.Config
		mention string
	}{
		{"no authenticator", httpapi.Config{}, "Authenticator"},
		{"bad segment", httpapi.Config{Authenticator: tokens(), Environments: map[string]string{"a/b": "x"}}, "path segment"},
		{"v1 segment", httpapi.Config{Authenticator: tokens(), Environments: map[string]string{"v1": "x"}}, "v1"},
		{"empty environment", httpapi.Config{Authenticator: tokens(), Environments: map[string]string{"dev": ""}}, "names no environment"},
	} {
		if _, err := httpapi.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: New error %v, want one mentioning %q", tc.name, err, tc.mention)
		}
	}
}

// failingAuth is an Authenticator whose backend is down.
type failingAuth struct{}

func (failingAuth) Authenticate(context.Context, string) (httpapi.Principal, error) {
	return httpapi.Principal{}, errors.New("token service unreachable: dial tcp 10.0.0.1:443")
}

// TestRule_UnexpectedErrorsAre500NamingOnlyTheTransaction: internal
// detail stays in the log.
func TestRule_UnexpectedErrorsAre500NamingOnlyTheTransaction(t *testing.T) {
	registry, err := environment.New(memenv.New(), memenv.NewLicenses(), environment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Authenticator: failingAuth{}, Registry: registry})
	if err != nil {
		t.Fatal(err)
	}
	url := startServer(t, api)
	req, _ := http.NewRequest("GET", url+"/v1/environments", nil)
	req.Header.Set("Authorization", "Bearer x")
	client := &http.Client{Transport: &contractTransport{t: t, contract: loadContract(t), base: http.DefaultTransport}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body p1ErrorJSON
	if err := jsonDecode(resp, &body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 500 || strings.Contains(body.Message, "10.0.0.1") || !strings.Contains(body.Message, resp.Header.Get("X-ForgeRock-TransactionId")) {
		t.Errorf("%d %+v", resp.StatusCode, body)
	}
}

// TestRule_StarScopeGrantsItsFamily: fr:idc:esv:* covers read, update and
// restart; nothing covers another family.
func TestRule_StarScopeGrantsItsFamily(t *testing.T) {
	for _, tc := range []struct {
		held []string
		want string
		ok   bool
	}{
		{[]string{httpapi.ScopeESVAll}, httpapi.ScopeESVRead, true},
		{[]string{httpapi.ScopeESVAll}, httpapi.ScopeESVUpdate, true},
		{[]string{httpapi.ScopeESVAll}, httpapi.ScopeESVRestart, true},
		{[]string{httpapi.ScopeESVRead}, httpapi.ScopeESVRead, true},
		{[]string{httpapi.ScopeESVRead}, httpapi.ScopeESVUpdate, false},
		{[]string{httpapi.ScopeESVAll}, httpapi.ScopePromotion, false},
		{[]string{httpapi.ScopePromotion}, httpapi.ScopeESVRead, false},
		{[]string{"fr:idc:*"}, httpapi.ScopeESVRead, false},
		{nil, httpapi.ScopePromotion, false},
	} {
		if got := (httpapi.Principal{Scopes: tc.held}).HasScope(tc.want); got != tc.ok {
			t.Errorf("%v HasScope(%s) = %v, want %v", tc.held, tc.want, got, tc.ok)
		}
	}
}
