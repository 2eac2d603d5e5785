package httpapi_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/gitenv"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/gitesv"
	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/internal/testclock"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

const (
	orgID     = "0f3c2f6e-8a53-4c89-9d1c-6c8f1e0b7a10"
	licenseID = "34f0efac-21d9-4a17-8a35-196bb3362983"
	trialID   = "a1b2c3d4-0000-4000-8000-000000000001"

	adminToken    = "admin-token"    // Organization Admin, every scope
	esvReadToken  = "esv-read-token" // Organization Admin, fr:idc:esv:read only
	promoterToken = "promoter-token" // Organization Admin, fr:idc:promotion:* only
	noRolesToken  = "no-roles-token" // every scope, no roles
)

var admin = environment.Principal{ID: "ada", Roles: []environment.RoleAssignment{{
	Role: environment.OrganizationAdmin, Scope: environment.Scope{Type: environment.ScopeOrganization, ID: orgID},
}}}

func tokens() *httpapi.StaticTokens {
	return httpapi.NewStaticTokens(map[string]httpapi.Principal{
		adminToken:    {Principal: admin, Scopes: []string{httpapi.ScopePromotion, httpapi.ScopeESVAll}},
		esvReadToken:  {Principal: environment.Principal{ID: "reader", Roles: admin.Roles}, Scopes: []string{httpapi.ScopeESVRead}},
		promoterToken: {Principal: environment.Principal{ID: "promoter", Roles: admin.Roles}, Scopes: []string{httpapi.ScopePromotion}},
		noRolesToken:  {Principal: environment.Principal{ID: "nobody"}, Scopes: []string{httpapi.ScopePromotion, httpapi.ScopeESVAll}},
	})
}

// fixture is an organization served over loopback HTTP, every part backed
// by Git repositories on disk, reached through a client that checks every
// response against the vendor specs.
type fixture struct {
	t        testing.TB
	url      string
	client   *http.Client
	api      *httpapi.Server
	clock    *testclock.Clock
	registry *environment.Registry
	esv      *esv.Service
	licenses *memenv.Licenses
	repo     *gitstore.Repo
	locker   *lock.Manager
	promoter *promotion.Promoter
	ids      map[string]string // dev, staging, prod → environment id
}

type fixtureOptions struct {
	// environments names SANDBOX environments created in the Registry and
	// served under their names.
	environments []string
	// group adds dev, staging and prod in a promotion group, mounted at
	// /dev, /staging and /prod, dev holding tenant's next version and
	// staging tenant, with every ESV tenant uses but tenant.Missing.
	group  bool
	tenant *tenantgen.Tenant
	// auth replaces the fixture's tokens.
	auth httpapi.Authenticator
}

func newFixture(t testing.TB, opts fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))}
	repo, err := gitstore.Init(t.TempDir(), gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() }) // before its directory goes
	envStore, err := gitenv.New(repo, gitenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.licenses = memenv.NewLicenses(
		environment.License{ID: licenseID, Organization: orgID},
		environment.License{ID: trialID, Organization: orgID, Trial: true},
	)
	if f.registry, err = environment.New(envStore, f.licenses, environment.Options{Clock: f.clock.Now}); err != nil {
		t.Fatal(err)
	}
	esvStore, err := gitesv.New(repo, gitesv.Options{Key: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	f.repo = repo
	f.locker = gitlock.New(repo, gitlock.Options{})
	f.esv = esv.New(esvStore, esv.Options{Guard: promotion.ESVGuard(f.locker)})
	cfg := httpapi.Config{Authenticator: cmp.Or[httpapi.Authenticator](opts.auth, tokens()), Registry: f.registry, ESV: f.esv, Environments: map[string]string{}}
	f.ids = map[string]string{}
	for _, name := range opts.environments {
		e, err := f.registry.Create(context.Background(), admin, environment.Environment{Name: name, Type: environment.Sandbox, Region: environment.RegionEU, License: environment.Ref{ID: licenseID}})
		if err != nil {
			t.Fatal(err)
		}
		f.ids[name], cfg.Environments[name] = e.ID, e.ID
	}
	if opts.group {
		f.addGroup(opts.tenant)
		cfg.Promoters = []*promotion.Promoter{f.promoter}
		cfg.Environments = map[string]string{"dev": f.ids["dev"], "staging": f.ids["staging"], "prod": f.ids["prod"]}
	}
	f.api, err = httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.url = startServer(t, f.api)
	f.client = &http.Client{Transport: &contractTransport{t: t, contract: loadContract(t), base: http.DefaultTransport}}
	return f
}

// startServer serves api on a loopback port until the test ends, then
// shuts it down, and returns its URL.
func startServer(t testing.TB, api *httpapi.Server) string {
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		srv.Close()
		if err := api.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return srv.URL
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

// addGroup creates the promotion group of fixtureOptions.group.
func (f *fixture) addGroup(tenant *tenantgen.Tenant) {
	f.t.Helper()
	ctx := context.Background()
	g := environment.Group{Name: "main", Organization: environment.Ref{ID: orgID}}
	for _, m := range []struct {
		name string
		tier environment.Tier
	}{{"dev", environment.TierDevelopment}, {"staging", environment.TierStaging}, {"prod", environment.TierProduction}} {
		e, err := f.registry.Create(ctx, admin, environment.Environment{Name: m.name, Type: environment.Production, Region: environment.RegionEU, License: environment.Ref{ID: licenseID}})
		if err != nil {
			f.t.Fatal(err)
		}
		f.ids[m.name] = e.ID
		g.Members = append(g.Members, environment.Member{ID: e.ID, Tier: m.tier})
	}
	if _, err := f.registry.SaveGroup(ctx, admin, g); err != nil {
		f.t.Fatal(err)
	}
	var err error
	f.promoter, err = promotion.New(promotion.Config{Group: g, Repo: f.repo, Locker: f.locker, ESVs: promotion.ESVService(f.esv)})
	if err != nil {
		f.t.Fatal(err)
	}
	next, _ := tenant.Edit(2, 5)
	for env, t := range map[string]*tenantgen.Tenant{"dev": next, "staging": tenant} {
		_, err := f.promoter.Edit(ctx, f.ids[env], func(b *store.Builder) error {
			for p, data := range t.Files {
				if err := b.Put(p, data); err != nil {
					return err
				}
			}
			return nil
		}, store.CommitInfo{Author: "seed", Message: "import tenant"})
		if err != nil {
			f.t.Fatal(err)
		}
	}
	defineESVs(f.t, f.esv, f.ids["staging"], tenant)
}

// defineESVs defines in env every ESV tenant defines, with values valid
// for their types; tenant.Missing stays undefined.
func defineESVs(t testing.TB, svc *esv.Service, env string, tenant *tenantgen.Tenant) {
	t.Helper()
	ctx := actor.With(context.Background(), "seed")
	for name, typ := range tenant.Vars {
		if _, err := svc.SetVariable(ctx, env, name, esv.VariableSpec{ExpressionType: esv.ExpressionType(typ), Value: sampleValues[typ]}); err != nil {
			t.Fatalf("variable %s: %v", name, err)
		}
	}
	for name, enc := range tenant.Secrets {
		spec := esv.SecretSpec{Encoding: esv.Encoding(enc), UseInPlaceholders: true, Value: esv.NewSecretValue([]byte(sampleValues[enc]))}
		if _, err := svc.CreateSecret(ctx, env, name, spec); err != nil {
			t.Fatalf("secret %s: %v", name, err)
		}
	}
}

// sampleValues are valid values of each expression type and encoding.
var sampleValues = map[string]string{
	"string": "text", "list": "a,b", "array": `["a"]`, "object": `{"a":1}`, "bool": "true", "int": "465",
	"number": "1.5", "base64encodedinlined": "dGV4dA==", "keyvaluelist": "a=1,b=2",
	"generic": "s3cret", "base64hmac": "c2VjcmV0LWhtYWMta2V5", "base64aes": "AAECAwQFBgcICQoLDA0ODw==",
	"pem": "-----BEGIN PRIVATE KEY-----\nAAECAwQFBgcICQoLDA0ODw==\n-----END PRIVATE KEY-----\n",
}

// result is one response.
type result struct {
	t      testing.TB
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the body into a new T.
func decode[T any](r *result) T {
	r.t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		r.t.Fatalf("decode %T from %s: %v", v, r.body, err)
	}
	return v
}

// want fails the test unless the response has status.
func (r *result) want(status int) *result {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// req sends a request. body is JSON-encoded unless it is a string, sent
// as is. header holds extra "Name: value" lines; requests to AIC endpoints
// carry the promotion API version unless header sets Accept-API-Version.
func (f *fixture) req(method, path, token string, body any, header ...string) *result {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.Contains(path, "/environment/") {
		req.Header.Set("Accept-API-Version", "protocol=1.0,resource=1.0")
	}
	for _, h := range header {
		k, v, _ := strings.Cut(h, ": ")
		if k == "Host" {
			req.Host = v
		}
		req.Header.Set(k, v)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return &result{t: f.t, status: resp.StatusCode, header: resp.Header, body: data}
}
