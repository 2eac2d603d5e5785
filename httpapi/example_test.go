package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
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

// A promotion from dev to staging, driven over HTTP the way AIC clients
// drive it: lock, promote, poll, read the report, unlock.
func Example() {
	ctx := context.Background()
	const org = "example-org"
	ada := environment.Principal{ID: "ada", Roles: []environment.RoleAssignment{{
		Role: environment.OrganizationAdmin, Scope: environment.Scope{Type: environment.ScopeOrganization, ID: org},
	}}}

	// An organization with dev → staging → prod, all in memory.
	registry, err := environment.New(memenv.New(), memenv.NewLicenses(environment.License{ID: "lic", Organization: org}), environment.Options{})
	if err != nil {
		panic(err)
	}
	group := environment.Group{Name: "main", Organization: environment.Ref{ID: org}}
	paths := map[string]string{}
	for _, m := range []environment.Member{{ID: "dev", Tier: environment.TierDevelopment}, {ID: "staging", Tier: environment.TierStaging}, {ID: "prod", Tier: environment.TierProduction}} {
		e, err := registry.Create(ctx, ada, environment.Environment{Name: m.ID, Type: environment.Production, Region: environment.RegionEU})
		if err != nil {
			log.Fatal(err)
		}
		paths[m.ID] = e.ID
		group.Members = append(group.Members, environment.Member{ID: e.ID, Tier: m.Tier})
	}
	if _, err := registry.SaveGroup(ctx, ada, group); err != nil {
		log.Fatal(err)
	}
	locker := memlock.New(memlock.Options{})
	esvs := esv.New(memesv.New(), esv.Options{Guard: promotion.ESVGuard(locker)})
	promoter, err := promotion.New(promotion.Config{Group: group, Repo: memstore.New(memstore.Options{}), Locker: locker, ESVs: promotion.ESVService(esvs)})
	if err != nil {
		log.Fatal(err)
	}
	// dev has a journey.
	if _, err := promoter.Edit(ctx, paths["dev"], func(b *store.Builder) error {
		return b.Put("realms/alpha/journeys/Login/Login.json", []byte(`{"_id":"Login"}`))
	}, store.CommitInfo{Author: "ada", Message: "add the Login journey"}); err != nil {
		log.Fatal(err)
	}

	api, err := httpapi.New(httpapi.Config{
		Authenticator: httpapi.NewStaticTokens(map[string]httpapi.Principal{
			"s3cr3t": {Principal: ada, Scopes: []string{httpapi.ScopePromotion, httpapi.ScopeESVAll}},
		}),
		Registry:     registry,
		ESV:          esvs,
		Promoters:    []*promotion.Promoter{promoter},
		Environments: paths, // /dev, /staging and /prod
	})
	if err != nil {
		log.Fatal(err)
	}
	defer api.Close()
	srv := httptest.NewServer(api)
	defer srv.Close()

	// call sends a request to staging's promotion API and decodes the answer.
	call := func(method, path, body string, v any) int {
		req, _ := http.NewRequest(method, srv.URL+"/staging/environment/promotion"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cr3t")
		req.Header.Set("Accept-API-Version", "protocol=1.0,resource=1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if v != nil {
			if err := json.Unmarshal(data, v); err != nil {
				log.Fatal(err)
			}
		}
		return resp.StatusCode
	}
	var lock struct{ PromotionID, Result string }
	fmt.Println("POST lock:", call("POST", "/lock", "", &lock), lock.Result)
	fmt.Println("POST promote:", call("POST", "/promote", `{"dryRun":false,"promoter":"Ada"}`, nil))
	var progress struct{ Status string }
	for call("GET", "/promote", "", &progress); progress.Status == "RUNNING"; call("GET", "/promote", "", &progress) {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("GET promote:", progress.Status)
	var report struct {
		Type   string
		Report struct {
			AMConfig []struct {
				ConfigItem   string
				ConfigChange struct {
					Added []struct{ Name, Realm string }
				}
			}
		}
	}
	call("GET", "/report", "", &report)
	item := report.Report.AMConfig[0]
	fmt.Printf("GET report: %s added %s %s/%s\n", report.Type, item.ConfigItem, item.ConfigChange.Added[0].Realm, item.ConfigChange.Added[0].Name)
	fmt.Println("DELETE lock:", call("DELETE", "/lock/"+lock.PromotionID, "", &lock), lock.Result)
	// Output:
	// POST lock: 202 locked
	// POST promote: 202
	// GET promote: COMPLETE
	// GET report: promotion added Authentication > Journeys /alpha/Login
	// DELETE lock: 202 unlocking
}

// StaticTokens keeps only digests of its tokens.
func ExampleNewStaticTokens() {
	auth := httpapi.NewStaticTokens(map[string]httpapi.Principal{
		"reader-token": {Principal: environment.Principal{ID: "ci"}, Scopes: []string{httpapi.ScopeESVRead}},
	})
	p, err := auth.Authenticate(context.Background(), "reader-token")
	fmt.Println(p.ID, p.HasScope(httpapi.ScopeESVRead), p.HasScope(httpapi.ScopeESVUpdate), err)
	_, err = auth.Authenticate(context.Background(), "guess")
	fmt.Println(err)
	// Output:
	// ci true false <nil>
	// invalid or expired token
}
