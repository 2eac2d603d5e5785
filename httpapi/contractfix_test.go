package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/internal/tenantgen"
)

// TestRule_Resource10ListsReturnEveryItem: the spec pages resource 2.0
// only; a 1.0 list of variables or secrets has them all, whatever the
// query says, so clients that never page (frodo) lose none.
func TestRule_Resource10ListsReturnEveryItem(t *testing.T) {
	f := newFixture(t, fixtureOptions{environments: []string{"dev"}})
	ctx := actor.With(context.Background(), "seed")
	const n = 30
	for i := range n {
		if _, err := f.esv.SetVariable(ctx, f.ids["dev"], fmt.Sprintf("esv-v-%02d", i), esv.VariableSpec{Value: "x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.esv.CreateSecret(ctx, f.ids["dev"], fmt.Sprintf("esv-s-%02d", i), esv.SecretSpec{Encoding: esv.Encoding("generic"), Value: esv.NewSecretValue([]byte("s"))}); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{"/dev/environment/variables", "/dev/environment/variables?_pageSize=5", "/dev/environment/secrets", "/dev/environment/secrets?_pageSize=5"} {
		p := decode[pageJSON[variableJSON]](f.req("GET", path, adminToken, nil).want(http.StatusOK))
		if len(p.Result) != n || p.ResultCount != n || p.PagedResultsCookie != nil || p.RemainingPagedResults != 0 || p.TotalPagedResults != n {
			t.Errorf("%s (resource 1.0): %d of %d items, cookie %v", path, len(p.Result), n, p.PagedResultsCookie)
		}
	}
	if p := decode[pageJSON[variableJSON]](f.req("GET", "/dev/environment/variables", adminToken, nil, v2).want(http.StatusOK)); len(p.Result) != 25 || p.PagedResultsCookie == nil {
		t.Errorf("resource 2.0 first page: %d items, cookie %v", len(p.Result), p.PagedResultsCookie)
	}
}

// TestRule_BillOfMaterialsTakesEverySpecField: solutionType, products[].tags
// and bookmarks go in on create and on a BOM update and come back, with
// the product ids the server assigns; an unknown field is named by its
// path, with the fields allowed there.
func TestRule_BillOfMaterialsTakesEverySpecField(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	bom := map[string]any{"solutionType": "CUSTOMER", "products": []map[string]any{
		{"type": "PING_ONE_DAVINCI", "tags": []string{"DAVINCI_MINIMAL"}},
		{"type": "PING_ONE_MFA", "bookmarks": []map[string]string{{"name": "Docs", "href": "https://docs.example.com"}}},
	}}
	type bomJSON struct {
		SolutionType string `json:"solutionType"`
		Products     []struct {
			ID, Type  string
			Tags      []string
			Bookmarks []struct{ Name, Href string }
		} `json:"products"`
	}
	created := decode[struct {
		ID  string  `json:"id"`
		BOM bomJSON `json:"billOfMaterials"`
	}](f.req("POST", "/v1/environments", adminToken, map[string]any{
		"name": "bom", "type": "SANDBOX", "region": "EU", "license": map[string]string{"id": licenseID}, "billOfMaterials": bom,
	}).want(http.StatusCreated))
	got := created.BOM
	if got.SolutionType != "CUSTOMER" || len(got.Products) != 2 || got.Products[0].ID == "" || got.Products[0].Tags[0] != "DAVINCI_MINIMAL" ||
		got.Products[1].Bookmarks[0].Href != "https://docs.example.com" {
		t.Fatalf("created bill of materials %+v", got)
	}
	bom["products"] = []map[string]any{{"type": "PING_ONE_MFA", "tags": []string{"DAVINCI_MINIMAL"}, "bookmarks": []map[string]string{{"name": "Console", "href": "https://c.example.com"}}}}
	upd := decode[bomJSON](f.req("PUT", "/v1/environments/"+created.ID+"/billOfMaterials", adminToken, bom).want(http.StatusOK))
	back := decode[bomJSON](f.req("GET", "/v1/environments/"+created.ID+"/billOfMaterials", adminToken, nil).want(http.StatusOK))
	if fmt.Sprint(upd) != fmt.Sprint(back) || back.Products[0].ID != got.Products[1].ID || back.Products[0].Bookmarks[0].Name != "Console" {
		t.Errorf("after update %+v, read back %+v", upd, back)
	}

	bom["products"] = []map[string]any{{"type": "PING_ONE_MFA", "color": "blue"}}
	e := decode[p1ErrorJSON](f.req("PUT", "/v1/environments/"+created.ID+"/billOfMaterials", adminToken, bom).want(http.StatusBadRequest))
	for _, want := range []string{`"products[0].color"`, "id, type, description, console, tags, softwareLicense, deployment, bookmarks"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("unknown-field message %q lacks %q", e.Message, want)
		}
	}
	e = decode[p1ErrorJSON](f.req("POST", "/v1/environments", adminToken, map[string]any{"name": "x", "colour": 1}).want(http.StatusBadRequest))
	if !strings.Contains(e.Message, `"colour"`) || !strings.Contains(e.Message, "name, description, type, region, license") {
		t.Errorf("unknown top-level field message %q does not list the environment's fields", e.Message)
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestRule_ReportsCarryTheSpecFields: every field of promotionReport,
// and a provisional report a real id.
func TestRule_ReportsCarryTheSpecFields(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 60})})
	for _, path := range []string{"/report/provisional", "/report/provisional-rollback"} {
		r := f.req("GET", "/staging/environment/promotion"+path, promoterToken, nil)
		if r.status == http.StatusConflict && strings.Contains(string(r.body), "nothing to roll back") {
			continue // a failed precondition: nothing was promoted yet
		}
		body := decode[map[string]any](r.want(http.StatusOK))
		for _, field := range []string{"reportId", "reportName", "promotionId", "createdDate", "dryRun", "type", "promoter", "promotionDescription", "report"} {
			if _, ok := body[field]; !ok {
				t.Errorf("%s has no %s: %s", path, field, r.body)
			}
		}
		if id, _ := body["reportId"].(string); !uuidPattern.MatchString(id) {
			t.Errorf("%s reportId %q is not a UUID", path, id)
		}
	}
}

// TestRule_NonJSONBodyIs415 when the request says so.
func TestRule_NonJSONBodyIs415(t *testing.T) {
	f := newFixture(t, fixtureOptions{environments: []string{"dev"}})
	r := f.req("PUT", "/dev/environment/variables/esv-a", adminToken, `<valueBase64>eA==</valueBase64>`, "Content-Type: application/xml").want(http.StatusUnsupportedMediaType)
	if e := decode[aicErrorJSON](r); e.Code != 415 || !strings.Contains(e.Message, "application/json") {
		t.Errorf("body %s", r.body)
	}
	f.req("PUT", "/dev/environment/variables/esv-a", adminToken, `{"valueBase64":"eA=="}`, "Content-Type: application/json; charset=utf-8").want(http.StatusOK)
	f.req("POST", "/v1/environments", adminToken, `name=x`, "Content-Type: application/x-www-form-urlencoded").want(http.StatusUnsupportedMediaType)
}

// TestRule_DuplicateAuthorizationIs400: no guessing which one counts.
func TestRule_DuplicateAuthorizationIs400(t *testing.T) {
	f := newFixture(t, fixtureOptions{environments: []string{"dev"}})
	for _, path := range []string{"/dev/environment/variables", "/v1/environments"} {
		req, _ := http.NewRequest("GET", f.url+path, nil)
		req.Header.Add("Authorization", "Bearer "+adminToken)
		req.Header.Add("Authorization", "Bearer "+noRolesToken)
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Authorization headers") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// TestRule_ErrorBodiesNameNoLeaseOrToken: the 409s of a held lock (another
// lock, an ESV write, an unlock by the wrong id) name the holder, never
// the lease id that would let a caller unlock it, nor its fencing token.
func TestRule_ErrorBodiesNameNoLeaseOrToken(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 60})})
	const api = "/staging/environment/promotion"
	lk := decode[struct{ PromotionID string }](f.req("POST", api+"/lock", promoterToken, nil).want(http.StatusAccepted))
	f.awaitLock("staging", "locked")
	for _, r := range []*result{
		f.req("POST", api+"/lock", adminToken, nil).want(http.StatusConflict),
		f.req("POST", "/prod/environment/promotion/lock", adminToken, nil).want(http.StatusConflict),
		f.req("PUT", "/staging/environment/variables/esv-new", adminToken, map[string]string{"valueBase64": "eA=="}).want(http.StatusConflict),
		f.req("DELETE", api+"/lock/not-the-lease", adminToken, nil).want(http.StatusConflict),
	} {
		if strings.Contains(string(r.body), lk.PromotionID) || strings.Contains(string(r.body), "token") {
			t.Errorf("error body names the lease: %s", r.body)
		}
	}
}
