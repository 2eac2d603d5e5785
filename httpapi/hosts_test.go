package httpapi_test

import (
	"context"
	"errors"
	stdmaps "maps"
	"net/http"
	"sync"
	"testing"

	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/promotion"
)

// TestRule_HostNamesServeEnvironmentsAtTheirRoot: with Config.Hosts, the
// AIC endpoints of staging are at the root of staging.<domain>, as a
// tenant's are, and its path prefix still works; a host that names no
// environment serves none at its root.
func TestRule_HostNamesServeEnvironmentsAtTheirRoot(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 60})})
	api, err := httpapi.New(httpapi.Config{
		Authenticator: tokens(), Registry: f.registry, ESV: f.esv, Promoters: []*promotion.Promoter{f.promoter},
		Environments: map[string]string{"dev": f.ids["dev"], "staging": f.ids["staging"], "prod": f.ids["prod"]},
		Hosts:        httpapi.SubdomainHosts("tenant.test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.url = startServer(t, api)
	state := func(host, path string) *result {
		return f.req("GET", path, adminToken, nil, "Host: "+host)
	}
	byHost := decode[lockStateJSON](state("staging.tenant.test", "/environment/promotion/lock/state").want(http.StatusOK))
	byPath := decode[lockStateJSON](state("127.0.0.1", "/staging/environment/promotion/lock/state").want(http.StatusOK))
	if byHost.Result != byPath.Result || byHost.LowerEnv == nil {
		t.Errorf("by host %+v, by path %+v", byHost, byPath)
	}
	state("STAGING.Tenant.Test:443", "/environment/promotion/lock/state").want(http.StatusOK)
	state("qa.tenant.test", "/environment/promotion/lock/state").want(http.StatusNotFound)
	state("tenant.test", "/environment/variables").want(http.StatusNotFound)
	state("a.staging.tenant.test", "/environment/variables").want(http.StatusNotFound)
	f.req("GET", "/environment/variables", "", nil, "Host: staging.tenant.test").want(http.StatusUnauthorized)
	f.req("GET", "/v1/environments", adminToken, nil, "Host: staging.tenant.test").want(http.StatusOK)
}

// With Config.Refresh, what is served follows it at every request: an
// environment added (or renamed) after New is served at once, by host and
// by path, one removed is not, and a failed Refresh keeps the last answer.
func TestRule_RefreshServesEnvironmentsAddedAfterNew(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 60})})
	var mu sync.Mutex
	envs := map[string]string{"dev": f.ids["dev"]}
	var fail error
	api, err := httpapi.New(httpapi.Config{
		Authenticator: tokens(), Registry: f.registry, ESV: f.esv, Hosts: httpapi.SubdomainHosts("tenant.test"),
		Refresh: func(context.Context) (map[string]string, []*promotion.Promoter, error) {
			mu.Lock()
			defer mu.Unlock()
			return stdmaps.Clone(envs), []*promotion.Promoter{f.promoter}, fail
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.url = startServer(t, api)
	get := func(host, path string) *result { return f.req("GET", path, adminToken, nil, "Host: "+host) }
	get("qa.tenant.test", "/environment/variables").want(http.StatusNotFound)
	get("127.0.0.1", "/qa/environment/variables").want(http.StatusNotFound)
	mu.Lock()
	envs["qa"] = f.ids["staging"]
	mu.Unlock()
	get("qa.tenant.test", "/environment/variables").want(http.StatusOK)
	get("qa.tenant.test", "/environment/promotion/lock/state").want(http.StatusOK)
	get("127.0.0.1", "/qa/environment/variables").want(http.StatusOK)
	mu.Lock()
	delete(envs, "qa")
	envs["qa2"] = f.ids["staging"]
	fail = errors.New("registry unreachable")
	mu.Unlock()
	get("qa.tenant.test", "/environment/variables").want(http.StatusOK) // the last good answer
	mu.Lock()
	fail = nil
	mu.Unlock()
	get("qa.tenant.test", "/environment/variables").want(http.StatusNotFound)
	get("qa2.tenant.test", "/environment/variables").want(http.StatusOK)
}
