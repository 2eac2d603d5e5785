package interop

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/memesv"
	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

const (
	org     = "interop-org"
	license = "interop-license"
	trial   = "interop-trial"
	token   = "interop-token"
	// missingESV is used by development's new email template and not
	// defined in staging until the test defines it.
	missingESV = "esv-support-email"
)

// server is an organization with dev → staging → prod served on a
// loopback port: staging at base+"/staging" and at the root of
// staging.localhost.
type server struct {
	base     string // http://127.0.0.1:PORT
	port     string
	ids      map[string]string // dev, staging, prod → environment id
	registry *environment.Registry
	// client reaches every host name on this server, as a resolver
	// mapping *.localhost to the loopback address would.
	client *http.Client
}

var admin = environment.Principal{ID: "interop-admin", Roles: []environment.RoleAssignment{{
	Role: environment.OrganizationAdmin, Scope: environment.Scope{Type: environment.ScopeOrganization, ID: org},
}}}

func startServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	repo := memstore.New(memstore.Options{})
	locker := memlock.New(memlock.Options{})
	esvs := esv.New(memesv.New(), esv.Options{Guard: promotion.ESVGuard(locker), RestartDelay: 50 * time.Millisecond})
	registry := environment.New(memenv.New(), memenv.NewLicenses(
		environment.License{ID: license, Organization: org},
		environment.License{ID: trial, Organization: org, Trial: true},
	), environment.Options{})
	s := &server{ids: map[string]string{}, registry: registry}
	group := environment.Group{Name: "main", Organization: environment.Ref{ID: org}}
	for _, m := range []environment.Member{{ID: "dev", Tier: environment.TierDevelopment}, {ID: "staging", Tier: environment.TierStaging}, {ID: "prod", Tier: environment.TierProduction}} {
		e, err := registry.Create(ctx, admin, environment.Environment{Name: m.ID, Type: environment.Production, Region: environment.RegionEU, License: environment.Ref{ID: license}})
		if err != nil {
			t.Fatal(err)
		}
		s.ids[m.ID] = e.ID
		group.Members = append(group.Members, environment.Member{ID: e.ID, Tier: m.Tier})
	}
	if _, err := registry.SaveGroup(ctx, admin, group); err != nil {
		t.Fatal(err)
	}
	promoter, err := promotion.New(promotion.Config{Group: group, Repo: repo, Locker: locker, ESVs: promotion.ESVService(esvs)})
	if err != nil {
		t.Fatal(err)
	}
	tenant := map[string]map[string]string{
		"staging": {"realms/alpha/journeys/Login/Login.json": `{"_id":"Login","enabled":true}` + "\n"},
		"dev": {
			"realms/alpha/journeys/Login/Login.json":        `{"_id":"Login","enabled":true,"description":"new"}` + "\n",
			"email-templates/welcome/welcome.json":          `{"_id":"emailTemplate/welcome","from":"&{esv.support.email}"}` + "\n",
			"realms/alpha/journeys/Signup/Signup.json":      `{"_id":"Signup","enabled":true}` + "\n",
			"realms/alpha/realm-config/authentication.json": `{"_id":"authentication"}` + "\n",
		},
	}
	for env, files := range tenant {
		if _, err := promoter.Edit(ctx, s.ids[env], func(b *store.Builder) error {
			for p, data := range files {
				if err := b.Put(p, []byte(data)); err != nil {
					return err
				}
			}
			return nil
		}, store.CommitInfo{Author: "interop", Message: "seed " + env}); err != nil {
			t.Fatal(err)
		}
	}
	api, err := httpapi.New(httpapi.Config{
		Authenticator: httpapi.NewStaticTokens(map[string]httpapi.Principal{
			token: {Principal: admin, Scopes: []string{httpapi.ScopePromotion, httpapi.ScopeESVAll}},
		}),
		Registry:     registry,
		ESV:          esvs,
		Promoters:    []*promotion.Promoter{promoter},
		Environments: map[string]string{"dev": s.ids["dev"], "staging": s.ids["staging"], "prod": s.ids["prod"]},
		Hosts:        httpapi.SubdomainHosts("localhost"),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		srv.Close()
		if err := api.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	s.base = srv.URL
	_, s.port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	addr := srv.Listener.Addr().String()
	s.client = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	return s
}

// await calls f until it reports done, for at most a minute.
func await(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !f(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still waiting after a minute", what)
		}
	}
}
