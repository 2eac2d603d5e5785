package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/envpromote/envpromote/environment"
)

// envJSON is an environment as a client reads it.
type envJSON struct {
	Links               map[string]struct{ Href string } `json:"_links"`
	ID                  string                           `json:"id"`
	Name                string                           `json:"name"`
	Type                string                           `json:"type"`
	Region              string                           `json:"region"`
	Status              string                           `json:"status"`
	License             struct{ ID string }              `json:"license"`
	BillOfMaterials     environment.BillOfMaterials      `json:"billOfMaterials"`
	SoftDeletedAt       string                           `json:"softDeletedAt"`
	HardDeleteAllowedAt string                           `json:"hardDeleteAllowedAt"`
}

type listJSON struct {
	Links    map[string]struct{ Href string } `json:"_links"`
	Embedded struct {
		Environments []envJSON `json:"environments"`
	} `json:"_embedded"`
	Count int `json:"count"`
	Size  int `json:"size"`
}

type p1ErrorJSON struct {
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Code, Target, Message string
	} `json:"details"`
}

func (f *fixture) createEnv(name, typ string) envJSON {
	f.t.Helper()
	return decode[envJSON](f.req("POST", "/v1/environments", adminToken, map[string]any{
		"name": name, "type": typ, "region": "EU", "license": map[string]string{"id": licenseID},
	}).want(http.StatusCreated))
}

func TestEnvironments_CRUDWithFiltersAndSoftDelete(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	dev := f.createEnv("Dev", "SANDBOX")
	stg := f.createEnv("Staging", "PRODUCTION")
	prod := f.createEnv("Prod", "PRODUCTION")
	if dev.ID == "" || dev.Status != "ACTIVE" || dev.Links["self"].Href != f.url+"/v1/environments/"+dev.ID {
		t.Fatalf("created %+v", dev)
	}
	if len(dev.BillOfMaterials.Products) == 0 {
		t.Errorf("created without products, got no default bill of materials")
	}

	list := func(query string) listJSON {
		return decode[listJSON](f.req("GET", "/v1/environments"+query, adminToken, nil).want(http.StatusOK))
	}
	names := func(l listJSON) string {
		var out []string
		for _, e := range l.Embedded.Environments {
			out = append(out, e.Name)
		}
		return strings.Join(out, ",")
	}
	if got := list(""); names(got) != "Dev,Prod,Staging" || got.Count != 3 || got.Size != 3 {
		t.Errorf("list all = %s count %d size %d", names(got), got.Count, got.Size)
	}
	for _, tc := range []struct{ filter, want string }{
		{`name sw "P"`, "Prod"},
		{`id eq "` + stg.ID + `"`, "Staging"},
		{`status eq "ACTIVE" and name sw "S"`, "Staging"},
		{`license.id eq "` + licenseID + `"`, "Dev,Prod,Staging"},
		{`organization.id eq "` + orgID + `" and name sw "D"`, "Dev"},
	} {
		if got := names(list("?filter=" + url.QueryEscape(tc.filter))); got != tc.want {
			t.Errorf("filter %s = %q, want %q", tc.filter, got, tc.want)
		}
	}

	// Paging: limit 2 gives a next link that yields the rest.
	page := list("?limit=2")
	if names(page) != "Dev,Prod" || page.Count != 3 || page.Size != 2 || page.Links["next"].Href == "" {
		t.Fatalf("first page = %s count %d size %d links %v", names(page), page.Count, page.Size, page.Links)
	}
	next, err := url.Parse(page.Links["next"].Href)
	if err != nil {
		t.Fatal(err)
	}
	if got := list("?" + next.RawQuery); names(got) != "Staging" || got.Links["next"].Href != "" {
		t.Errorf("second page = %s, links %v", names(got), got.Links)
	}

	// Update, type change, bill of materials.
	upd := decode[envJSON](f.req("PUT", "/v1/environments/"+dev.ID, adminToken, map[string]any{
		"name": "Development", "type": "SANDBOX", "region": "EU", "license": map[string]string{"id": licenseID},
	}).want(http.StatusOK))
	if upd.Name != "Development" {
		t.Errorf("updated name = %q", upd.Name)
	}
	if got := decode[envJSON](f.req("PUT", "/v1/environments/"+dev.ID+"/type", adminToken, map[string]string{"type": "PRODUCTION"}).want(http.StatusOK)); got.Type != "PRODUCTION" {
		t.Errorf("type = %q", got.Type)
	}
	bom := map[string]any{"products": []map[string]string{{"type": "PING_ONE_DAVINCI"}, {"type": "PING_ONE_VERIFY"}}}
	f.req("PUT", "/v1/environments/"+dev.ID+"/billOfMaterials", adminToken, bom).want(http.StatusOK)
	gotBOM := decode[environment.BillOfMaterials](f.req("GET", "/v1/environments/"+dev.ID+"/billOfMaterials", adminToken, nil).want(http.StatusOK))
	if len(gotBOM.Products) != 2 || gotBOM.Products[1].Type != environment.PingOneVerify {
		t.Errorf("bill of materials = %+v", gotBOM)
	}
	if got := decode[envJSON](f.req("GET", "/v1/environments/"+dev.ID, adminToken, nil).want(http.StatusOK)); got.Name != "Development" || got.Type != "PRODUCTION" {
		t.Errorf("after bill of materials update: %+v (name and type must be kept)", got)
	}

	// Soft delete of a PRODUCTION environment, hard delete refused before
	// hardDeleteAllowedAt, restore with a license.
	soft := decode[envJSON](f.req("PUT", "/v1/environments/"+prod.ID+"/status", adminToken, map[string]string{"status": "DELETE_PENDING"}).want(http.StatusOK))
	if soft.Status != "DELETE_PENDING" || soft.SoftDeletedAt == "" || soft.HardDeleteAllowedAt == "" {
		t.Fatalf("soft-deleted = %+v", soft)
	}
	allowed, err := time.Parse(time.RFC3339, soft.HardDeleteAllowedAt)
	if err != nil || !allowed.Equal(f.clock.Now().Add(environment.HardDeleteDelay)) {
		t.Errorf("hardDeleteAllowedAt = %s (%v), want now + 30 days", soft.HardDeleteAllowedAt, err)
	}
	if names(list("?filter="+url.QueryEscape(`status eq "DELETE_PENDING"`))) != "Prod" {
		t.Errorf("DELETE_PENDING filter does not find the soft-deleted environment")
	}
	e := decode[p1ErrorJSON](f.req("DELETE", "/v1/environments/"+prod.ID, adminToken, nil).want(http.StatusConflict))
	if !strings.Contains(e.Message, allowed.Format("2006-01-02")) {
		t.Errorf("early hard delete message %q does not name the allowed time", e.Message)
	}
	// The spec's EnvironmentStatus has only status: the current license
	// stays. A trial license is refused for PRODUCTION.
	f.req("PUT", "/v1/environments/"+prod.ID+"/status", adminToken, map[string]any{"status": "ACTIVE", "license": map[string]string{"id": trialID}}).want(http.StatusBadRequest)
	restored := decode[envJSON](f.req("PUT", "/v1/environments/"+prod.ID+"/status", adminToken, map[string]string{"status": "ACTIVE"}).want(http.StatusOK))
	if restored.Status != "ACTIVE" || restored.SoftDeletedAt != "" || restored.HardDeleteAllowedAt != "" || restored.License.ID != licenseID {
		t.Errorf("restored = %+v", restored)
	}

	// Soft delete again, wait out the 30 days, hard delete.
	f.req("PUT", "/v1/environments/"+prod.ID+"/status", adminToken, map[string]string{"status": "DELETE_PENDING"}).want(http.StatusOK)
	f.clock.Advance(environment.HardDeleteDelay)
	f.req("DELETE", "/v1/environments/"+prod.ID, adminToken, nil).want(http.StatusNoContent)
	f.req("GET", "/v1/environments/"+prod.ID, adminToken, nil).want(http.StatusNotFound)

	// A SANDBOX goes at once.
	sb := f.createEnv("Scratch", "SANDBOX")
	f.req("DELETE", "/v1/environments/"+sb.ID, adminToken, nil).want(http.StatusNoContent)
	if got := names(list("")); got != "Development,Staging" {
		t.Errorf("remaining = %s", got)
	}
}

// TestRule_HardDeleteTimeIsEmittedUnderBothNames: the spec's
// hardDeletedAllowedAt, which generated clients read, and the docs'
// hardDeleteAllowedAt; a body read back with both is accepted.
func TestRule_HardDeleteTimeIsEmittedUnderBothNames(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	prod := f.createEnv("Prod", "PRODUCTION")
	r := f.req("PUT", "/v1/environments/"+prod.ID+"/status", adminToken, map[string]string{"status": "DELETE_PENDING"}).want(http.StatusOK)
	var raw map[string]any
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["hardDeleteAllowedAt"] == nil || raw["hardDeletedAllowedAt"] != raw["hardDeleteAllowedAt"] {
		t.Errorf("want hardDeleteAllowedAt and hardDeletedAllowedAt, equal, in %s", r.body)
	}
	raw["description"] = "read, changed, written back"
	f.req("PUT", "/v1/environments/"+prod.ID, adminToken, raw).want(http.StatusConflict) // DELETE_PENDING cannot be updated
	f.req("PUT", "/v1/environments/"+prod.ID+"/status", adminToken, map[string]any{"status": "ACTIVE", "license": map[string]string{"id": licenseID}}).want(http.StatusOK)
	got := decode[map[string]any](f.req("GET", "/v1/environments/"+prod.ID, adminToken, nil).want(http.StatusOK))
	got["description"] = "read, changed, written back"
	got["hardDeletedAllowedAt"] = "2026-01-01T00:00:00Z"
	if back := decode[map[string]any](f.req("PUT", "/v1/environments/"+prod.ID, adminToken, got).want(http.StatusOK)); back["description"] != got["description"] {
		t.Errorf("description after PUT of a read body = %v", back["description"])
	}
}

// TestRule_EveryProductTypeOfTheEnumIsAccepted: all of the spec's
// EnumProductType, and any other type is rejected by name.
func TestRule_EveryProductTypeOfTheEnumIsAccepted(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	env := f.createEnv("Env", "SANDBOX")
	for _, pt := range environment.ProductTypes() {
		t.Run(string(pt), func(t *testing.T) {
			body := map[string]any{"products": []map[string]string{{"type": string(pt)}}}
			f.req("PUT", "/v1/environments/"+env.ID+"/billOfMaterials", adminToken, body).want(http.StatusOK)
		})
	}
	e := decode[p1ErrorJSON](f.req("PUT", "/v1/environments/"+env.ID+"/billOfMaterials", adminToken,
		map[string]any{"products": []map[string]string{{"type": "PING_ONE_TELEPATHY"}}}).want(http.StatusBadRequest))
	if !strings.Contains(e.Message, "PING_ONE_TELEPATHY") || e.Code != "INVALID_DATA" {
		t.Errorf("unknown product type error = %+v", e)
	}
}

// TestRule_FilterOutsideTheSubsetIsRejected: PingOne's SCIM subset only;
// never silently ignored.
func TestRule_FilterOutsideTheSubsetIsRejected(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.createEnv("Env", "SANDBOX")
	for _, filter := range []string{
		`name co "E"`, `name eq "Env" or name sw "X"`, `name gt "A"`, `region eq "EU"`, `name pr`, `not (name sw "E")`, `name sw`, `name sw "E" and`,
	} {
		t.Run(filter, func(t *testing.T) {
			e := decode[p1ErrorJSON](f.req("GET", "/v1/environments?filter="+url.QueryEscape(filter), adminToken, nil).want(http.StatusBadRequest))
			if e.Code != "INVALID_DATA" || len(e.Details) != 1 || e.Details[0].Target != "filter" || e.Details[0].Code != "INVALID_FILTER" {
				t.Errorf("error = %+v", e)
			}
		})
	}
}

// TestRule_EnvironmentErrorsAreP1Errors: status, code and the field at fault.
func TestRule_EnvironmentErrorsAreP1Errors(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	env := f.createEnv("Taken", "PRODUCTION")
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code, target       string
	}{
		{"unknown field", "POST", "/v1/environments", `{"name":"X","type":"SANDBOX","region":"EU","colour":"red"}`, 400, "INVALID_DATA", ""},
		{"wrong type", "POST", "/v1/environments", `{"name":7}`, 400, "INVALID_DATA", "name"},
		{"bad json", "POST", "/v1/environments", `{"name":`, 400, "INVALID_DATA", ""},
		{"name taken", "POST", "/v1/environments", map[string]any{"name": "taken", "type": "SANDBOX", "region": "EU", "license": map[string]string{"id": licenseID}}, 400, "INVALID_DATA", "name"},
		{"trial license for production", "POST", "/v1/environments", map[string]any{"name": "P2", "type": "PRODUCTION", "region": "EU", "license": map[string]string{"id": trialID}}, 400, "INVALID_DATA", "license.id"},
		{"unknown region", "POST", "/v1/environments", map[string]any{"name": "R", "type": "SANDBOX", "region": "MARS", "license": map[string]string{"id": licenseID}}, 400, "INVALID_DATA", ""},
		{"region is immutable", "PUT", "/v1/environments/" + env.ID, map[string]any{"name": "Taken", "region": "NA"}, 400, "INVALID_DATA", ""},
		{"missing status", "PUT", "/v1/environments/" + env.ID + "/status", `{}`, 400, "INVALID_DATA", "status"},
		{"not found", "GET", "/v1/environments/9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", nil, 404, "NOT_FOUND", ""},
		{"id mismatch", "PUT", "/v1/environments/" + env.ID, map[string]any{"id": "other", "name": "Taken"}, 400, "INVALID_DATA", "id"},
		{"bad limit", "GET", "/v1/environments?limit=0", nil, 400, "INVALID_DATA", "limit"},
		{"bad cursor", "GET", "/v1/environments?cursor=%21", nil, 400, "INVALID_DATA", "cursor"},
		{"method", "PATCH", "/v1/environments/" + env.ID, nil, 405, "INVALID_REQUEST", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.req(tc.method, tc.path, adminToken, tc.body).want(tc.status)
			e := decode[p1ErrorJSON](r)
			if e.ID == "" || e.ID != r.header.Get("X-ForgeRock-TransactionId") || e.Code != tc.code || e.Message == "" {
				t.Errorf("error = %+v", e)
			}
			if tc.target != "" && (len(e.Details) == 0 || e.Details[0].Target != tc.target) {
				t.Errorf("details = %+v, want target %s", e.Details, tc.target)
			}
		})
	}
}
