package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/memesv"
	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

// memoryServer is a Server over the in-memory backends, with the group of
// fixtureOptions.group, for fuzzing at speed.
func memoryServer(t testing.TB) *httpapi.Server {
	ctx := context.Background()
	registry, err := environment.New(memenv.New(), memenv.NewLicenses(environment.License{ID: licenseID, Organization: orgID}), environment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	locker := memlock.New(memlock.Options{})
	svc := esv.New(memesv.New(), esv.Options{Guard: promotion.ESVGuard(locker)})
	repo := memstore.New(memstore.Options{})
	g := environment.Group{Name: "main", Organization: environment.Ref{ID: orgID}}
	envs := map[string]string{}
	for _, m := range []struct {
		name string
		tier environment.Tier
	}{{"dev", environment.TierDevelopment}, {"staging", environment.TierStaging}, {"prod", environment.TierProduction}} {
		e, err := registry.Create(ctx, admin, environment.Environment{Name: m.name, Type: environment.Production, Region: environment.RegionEU})
		if err != nil {
			t.Fatal(err)
		}
		envs[m.name] = e.ID
		g.Members = append(g.Members, environment.Member{ID: e.ID, Tier: m.tier})
	}
	if _, err := registry.SaveGroup(ctx, admin, g); err != nil {
		t.Fatal(err)
	}
	p, err := promotion.New(promotion.Config{Group: g, Repo: repo, Locker: locker, ESVs: promotion.ESVService(svc)})
	if err != nil {
		t.Fatal(err)
	}
	tenant := tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 60})
	if _, err := p.Edit(ctx, envs["dev"], func(b *store.Builder) error {
		for path, data := range tenant.Files {
			if err := b.Put(path, data); err != nil {
				return err
			}
		}
		return nil
	}, store.CommitInfo{Author: "seed"}); err != nil {
		t.Fatal(err)
	}
	defineESVs(t, svc, envs["staging"], tenant)
	api, err := httpapi.New(httpapi.Config{Authenticator: tokens(), Registry: registry, ESV: svc, Promoters: []*promotion.Promoter{p}, Environments: envs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	return api
}

var (
	fuzzMethods  = []string{"GET", "POST", "PUT", "DELETE", "PATCH"}
	fuzzPrefixes = []string{
		"/staging/environment/promotion/", "/staging/environment/variables/", "/staging/environment/secrets/",
		"/staging/environment/", "/dev/environment/", "/v1/environments/", "/v1/environments", "/",
	}
	fuzzTokens = []string{adminToken, esvReadToken, promoterToken, "", "wrong"}
)

// FuzzHandler sends arbitrary requests: the server never panics, never
// answers 500, and answers every request but a 204 or a redirect with a
// JSON body; error bodies carry a message.
func FuzzHandler(f *testing.F) {
	f.Add(uint8(1), uint8(0), "lock", "", "protocol=1.0,resource=1.0", uint8(2), []byte(nil))
	f.Add(uint8(1), uint8(0), "promote", "", "protocol=1.0,resource=1.0", uint8(0), []byte(`{"dryRun":true}`))
	f.Add(uint8(0), uint8(0), "lock/state", "localLockOnly", "resource=1", uint8(2), []byte(nil))
	f.Add(uint8(2), uint8(1), "esv-port", "", "", uint8(0), []byte(`{"valueBase64":"NDY1","expressionType":"int"}`))
	f.Add(uint8(2), uint8(2), "esv-key", "", "resource=2.0", uint8(0), []byte(`{"encoding":"pem","useInPlaceholders":false,"valueBase64":"eA=="}`))
	f.Add(uint8(1), uint8(2), "esv-key/versions/latest", "_action=changestatus", "", uint8(0), []byte(`{"status":"DISABLED"}`))
	f.Add(uint8(0), uint8(1), "", "_pageSize=2&_pagedResultsCookie=ZXN2LWE", "", uint8(1), []byte(nil))
	f.Add(uint8(1), uint8(3), "startup", "_action=restart", "", uint8(0), []byte(nil))
	f.Add(uint8(1), uint8(6), "", "", "", uint8(0), []byte(`{"name":"x","type":"SANDBOX","region":"EU"}`))
	f.Add(uint8(0), uint8(6), "", "filter=name%20sw%20%22d%22&limit=1", "", uint8(0), []byte(nil))
	f.Add(uint8(2), uint8(5), "x/status", "", "", uint8(0), []byte(`{"status":"DELETE_PENDING"}`))
	api := memoryServer(f)
	f.Fuzz(func(t *testing.T, method, prefix uint8, path, query, version string, token uint8, body []byte) {
		req := &http.Request{
			Method: fuzzMethods[int(method)%len(fuzzMethods)],
			URL:    &url.URL{Path: fuzzPrefixes[int(prefix)%len(fuzzPrefixes)] + path, RawQuery: query},
			Header: http.Header{"Accept-Api-Version": {version}},
			Body:   io.NopCloser(bytes.NewReader(body)),
			Host:   "example.com",
		}
		if tok := fuzzTokens[int(token)%len(fuzzTokens)]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		req = req.WithContext(context.Background())
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable:
			t.Fatalf("%s %s: %d %s", req.Method, req.URL, rec.Code, rec.Body)
		case rec.Code == http.StatusNoContent, rec.Code >= 300 && rec.Code < 400:
			return
		}
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s %s: %d, not a JSON body: %q", req.Method, req.URL, rec.Code, rec.Body)
		}
		if m, _ := v.(map[string]any); rec.Code >= 400 && (m == nil || m["message"] == "" || m["message"] == nil) {
			t.Fatalf("%s %s: %d without a message: %s", req.Method, req.URL, rec.Code, rec.Body)
		}
	})
}
