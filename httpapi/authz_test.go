package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/internal/tenantgen"
)

// jsonTokens is an Authenticator whose tokens are JSON-encoded role lists,
// so a test can mint a principal per cell.
type jsonTokens struct{}

func (jsonTokens) Authenticate(_ context.Context, token string) (httpapi.Principal, error) {
	var roles []environment.RoleAssignment
	if err := json.Unmarshal([]byte(token), &roles); err != nil {
		return httpapi.Principal{}, httpapi.ErrInvalidToken
	}
	return httpapi.Principal{Principal: environment.Principal{ID: "cell", Roles: roles}, Scopes: []string{httpapi.ScopePromotion, httpapi.ScopeESVAll}}, nil
}

func mint(roles []environment.RoleAssignment) string {
	b, _ := json.Marshal(roles)
	return string(b)
}

func role(r environment.Role, t environment.ScopeType, id string) environment.RoleAssignment {
	return environment.RoleAssignment{Role: r, Scope: environment.Scope{Type: t, ID: id}}
}

// principalKinds are the rows of the matrix: who calls, relative to the
// organization and the environments a call touches (touched[0] is the
// environment called; a pair's lower comes second).
var principalKinds = []struct {
	name  string
	roles func(org string, touched []string, other string) []environment.RoleAssignment
}{
	{"org admin", func(org string, _ []string, _ string) []environment.RoleAssignment {
		return []environment.RoleAssignment{role(environment.OrganizationAdmin, environment.ScopeOrganization, org)}
	}},
	{"org-scoped env admin", func(org string, _ []string, _ string) []environment.RoleAssignment {
		return []environment.RoleAssignment{role(environment.EnvironmentAdmin, environment.ScopeOrganization, org)}
	}},
	{"env admin of every touched environment", func(_ string, touched []string, _ string) []environment.RoleAssignment {
		var out []environment.RoleAssignment
		for _, id := range touched {
			out = append(out, role(environment.EnvironmentAdmin, environment.ScopeEnvironment, id))
		}
		return out
	}},
	{"env admin of the called environment only", func(_ string, touched []string, _ string) []environment.RoleAssignment {
		return []environment.RoleAssignment{role(environment.EnvironmentAdmin, environment.ScopeEnvironment, touched[0])}
	}},
	{"env admin of another environment", func(_ string, _ []string, other string) []environment.RoleAssignment {
		return []environment.RoleAssignment{role(environment.EnvironmentAdmin, environment.ScopeEnvironment, other)}
	}},
	{"org admin role with environment scope", func(_ string, touched []string, _ string) []environment.RoleAssignment {
		var out []environment.RoleAssignment
		for _, id := range touched {
			out = append(out, role(environment.OrganizationAdmin, environment.ScopeEnvironment, id))
		}
		return out
	}},
	{"admin of another organization", func(string, []string, string) []environment.RoleAssignment {
		return []environment.RoleAssignment{role(environment.OrganizationAdmin, environment.ScopeOrganization, "other-org")}
	}},
	{"no roles", func(string, []string, string) []environment.RoleAssignment { return nil }},
}

// tableAllows is the matrix's expectation, read from the table alone: some
// role assignment whose (role, scope type) the table grants op covers each
// touched environment (an ORGANIZATION scope by the organization id, an
// ENVIRONMENT scope by the environment id; a new environment has none).
func tableAllows(t *testing.T, op string, roles []environment.RoleAssignment, org string, touched []string) bool {
	i := slices.IndexFunc(httpapi.Permissions(), func(r httpapi.PermissionRow) bool { return r.Op == op })
	if i < 0 {
		t.Fatalf("operation %s is not in the table", op)
	}
	grants := httpapi.Permissions()[i].Grants
	for _, id := range touched {
		if !slices.ContainsFunc(roles, func(ra environment.RoleAssignment) bool {
			granted := slices.ContainsFunc(grants, func(g environment.RoleAssignment) bool { return g.Role == ra.Role && g.Scope.Type == ra.Scope.Type })
			covers := ra.Scope.Type == environment.ScopeOrganization && ra.Scope.ID == org ||
				ra.Scope.Type == environment.ScopeEnvironment && id != "" && ra.Scope.ID == id
			return granted && covers
		}) {
			return false
		}
	}
	return true
}

// cellRequest is one call of an operation.
type cellRequest struct {
	method, path string
	body         any
	touches      []string // fixture names; "new" is the environment the cell prepares
}

// TestRule_AuthorizationMatrixFollowsTheTable sends every request of every
// operation of the table as every kind of principal, and checks that the
// table's cells that allow are never 401 or 403, and those that deny are
// 403; for the environment operations it also asks the Registry directly,
// which enforces the seed's environment rules, and checks it agrees.
func TestRule_AuthorizationMatrixFollowsTheTable(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 60}), auth: jsonTokens{}})
	ctx := context.Background()
	const stg = "/staging/environment"
	put := map[string]string{"valueBase64": "eA=="}
	// prepare makes the environment a PingOne cell acts on.
	type prepare func(t *testing.T) environment.Environment
	n := 0
	fresh := func(typ environment.Type, softDeleted bool) prepare {
		return func(t *testing.T) environment.Environment {
			n++
			e, err := f.registry.Create(ctx, admin, environment.Environment{Name: fmt.Sprint("cell-", n), Type: typ, Region: environment.RegionEU, License: environment.Ref{ID: licenseID}})
			if err == nil && softDeleted {
				e, err = f.registry.UpdateStatus(ctx, admin, e.ID, environment.DeletePending, "")
			}
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
	}
	aic := map[string][]cellRequest{
		"esv.read": {
			{"GET", stg + "/variables", nil, []string{"staging"}},
			{"GET", stg + "/variables/esv-x", nil, []string{"staging"}},
			{"GET", stg + "/secrets", nil, []string{"staging"}},
			{"GET", stg + "/secrets/esv-x/versions", nil, []string{"staging"}},
			{"GET", stg + "/count", nil, []string{"staging"}},
			{"GET", stg + "/startup", nil, []string{"staging"}},
		},
		"esv.update": {
			{"PUT", stg + "/variables/esv-matrix", put, []string{"staging"}},
			{"DELETE", stg + "/variables/esv-none", nil, []string{"staging"}},
			{"PUT", stg + "/secrets/esv-matrix", map[string]any{"encoding": "generic", "useInPlaceholders": true, "valueBase64": "eA=="}, []string{"staging"}},
			{"POST", stg + "/secrets/esv-matrix/versions?_action=create", put, []string{"staging"}},
			{"PUT", "/dev/environment/variables/esv-matrix", put, []string{"dev"}},
		},
		"esv.restart":    {{"POST", stg + "/startup?_action=restart", nil, []string{"staging"}}},
		"promotion.read": {{"GET", stg + "/promotion/lock/state", nil, []string{"staging"}}, {"GET", stg + "/promotion/promote", nil, []string{"staging"}}, {"GET", stg + "/promotion/reports", nil, []string{"staging"}}, {"GET", stg + "/promotion/report/provisional", nil, []string{"staging", "dev"}}, {"GET", stg + "/promotion/report/provisional-rollback", nil, []string{"staging"}}},
		"promotion.run": {
			{"POST", stg + "/promotion/lock", nil, []string{"staging", "dev"}},
			{"POST", stg + "/promotion/promote", map[string]any{"dryRun": true}, []string{"staging", "dev"}},
			{"POST", stg + "/promotion/rollback", map[string]any{}, []string{"staging", "dev"}},
			{"DELETE", stg + "/promotion/lock/not-a-lease", nil, []string{"staging", "dev"}},
		},
	}
	newEnv := map[string]any{"name": "cell", "type": "SANDBOX", "region": "EU", "license": map[string]string{"id": licenseID}}
	type p1Cell struct {
		prepare prepare
		method  string
		path    string // after /v1/environments/{id}
		body    any
		direct  func(p environment.Principal, e environment.Environment) error
	}
	p1 := map[string][]p1Cell{
		"environments.read": {
			{fresh(environment.Production, false), "GET", "", nil, func(p environment.Principal, e environment.Environment) error {
				_, err := f.registry.Get(ctx, p, e.ID)
				return err
			}},
			{fresh(environment.Production, false), "GET", "/billOfMaterials", nil, nil},
		},
		"environments.update": {
			{fresh(environment.Production, false), "PUT", "", map[string]any{"name": "renamed"}, func(p environment.Principal, e environment.Environment) error {
				e.Name += "-renamed"
				_, err := f.registry.Update(ctx, p, e)
				return err
			}},
			{fresh(environment.Production, false), "PUT", "/billOfMaterials", map[string]any{"products": []map[string]string{{"type": "PING_ONE_MFA"}}}, nil},
		},
		"environments.type.production": {{fresh(environment.Sandbox, false), "PUT", "/type", map[string]string{"type": "PRODUCTION"}, func(p environment.Principal, e environment.Environment) error {
			_, err := f.registry.ChangeType(ctx, p, e.ID, environment.Production)
			return err
		}}},
		"environments.type.sandbox": {{fresh(environment.Production, false), "PUT", "/type", map[string]string{"type": "SANDBOX"}, func(p environment.Principal, e environment.Environment) error {
			_, err := f.registry.ChangeType(ctx, p, e.ID, environment.Sandbox)
			return err
		}}},
		"environments.delete.sandbox": {{fresh(environment.Sandbox, false), "DELETE", "", nil, func(p environment.Principal, e environment.Environment) error {
			return f.registry.Delete(ctx, p, e.ID)
		}}},
		"environments.softDelete": {{fresh(environment.Production, false), "PUT", "/status", map[string]string{"status": "DELETE_PENDING"}, func(p environment.Principal, e environment.Environment) error {
			_, err := f.registry.UpdateStatus(ctx, p, e.ID, environment.DeletePending, "")
			return err
		}}},
		"environments.hardDelete": {{fresh(environment.Production, true), "DELETE", "", nil, func(p environment.Principal, e environment.Environment) error {
			return f.registry.Delete(ctx, p, e.ID)
		}}},
		"environments.restore": {{fresh(environment.Production, true), "PUT", "/status", map[string]any{"status": "ACTIVE", "license": map[string]string{"id": licenseID}}, func(p environment.Principal, e environment.Environment) error {
			_, err := f.registry.UpdateStatus(ctx, p, e.ID, environment.Active, licenseID)
			return err
		}}},
	}
	var covered []string
	check := func(t *testing.T, r *result, allowed bool) {
		t.Helper()
		switch {
		case allowed && (r.status == http.StatusForbidden || r.status == http.StatusUnauthorized):
			t.Errorf("the table allows this cell; got %d %s", r.status, r.body)
		case !allowed && r.status != http.StatusForbidden:
			t.Errorf("the table denies this cell; got %d %s", r.status, r.body)
		}
	}
	for op, reqs := range aic {
		covered = append(covered, op)
		for _, rq := range reqs {
			for _, k := range principalKinds {
				t.Run(op+"/"+rq.method+" "+rq.path+"/"+k.name, func(t *testing.T) {
					var touched []string
					for _, n := range rq.touches {
						touched = append(touched, f.ids[n])
					}
					roles := k.roles(orgID, touched, f.ids["prod"])
					check(t, f.req(rq.method, rq.path, mint(roles), rq.body, "Accept-API-Version: protocol=1.0,resource=1.0"), tableAllows(t, op, roles, orgID, touched))
				})
			}
		}
	}
	for op, cells := range p1 {
		covered = append(covered, op)
		for _, c := range cells {
			for _, k := range principalKinds {
				t.Run(op+"/"+c.method+" "+c.path+"/"+k.name, func(t *testing.T) {
					e := c.prepare(t)
					roles := k.roles(orgID, []string{e.ID}, f.ids["prod"])
					allowed := tableAllows(t, op, roles, orgID, []string{e.ID})
					check(t, f.req(c.method, "/v1/environments/"+e.ID+c.path, mint(roles), c.body), allowed)
					if c.direct == nil {
						return
					}
					e = c.prepare(t)
					roles = k.roles(orgID, []string{e.ID}, f.ids["prod"])
					if err := c.direct(environment.Principal{ID: "cell", Roles: roles}, e); errors.Is(err, environment.ErrForbidden) == allowed {
						t.Errorf("the Registry disagrees with the table (allowed %v): %v", allowed, err)
					}
				})
			}
		}
	}
	covered = append(covered, "environments.create")
	for _, withOrg := range []bool{true, false} {
		for _, k := range principalKinds {
			t.Run("environments.create/"+k.name, func(t *testing.T) {
				roles := k.roles(orgID, []string{""}, f.ids["prod"])
				// Without organization.id, the environment goes to the
				// principal's own organization.
				org := orgID
				body := maps(newEnv, "name", "create "+strings.ReplaceAll(t.Name(), "/", " "))
				if withOrg {
					body["organization"] = map[string]string{"id": orgID}
				} else if i := slices.IndexFunc(roles, func(r environment.RoleAssignment) bool { return r.Scope.Type == environment.ScopeOrganization }); i >= 0 {
					org = roles[i].Scope.ID
				}
				allowed := tableAllows(t, "environments.create", roles, org, []string{""})
				check(t, f.req("POST", "/v1/environments", mint(roles), body), allowed)
				_, err := f.registry.Create(ctx, environment.Principal{ID: "cell", Roles: roles}, environment.Environment{Name: "direct " + t.Name(), Type: environment.Sandbox, Region: environment.RegionEU, Organization: environment.Ref{ID: org}, License: environment.Ref{ID: licenseID}})
				if errors.Is(err, environment.ErrForbidden) == allowed {
					t.Errorf("the Registry disagrees with the table (allowed %v): %v", allowed, err)
				}
			})
		}
	}
	var ops []string
	for _, row := range httpapi.Permissions() {
		ops = append(ops, row.Op)
	}
	slices.Sort(ops)
	slices.Sort(covered)
	if !slices.Equal(ops, covered) {
		t.Errorf("the matrix covers %v; the table has %v", covered, ops)
	}
}

// maps returns a copy of m with k set to v.
func maps(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for mk, mv := range m {
		if mk != k {
			out[mk] = mv
		}
	}
	return out
}

// TestDoc_ShowsTheAuthorizationTable: the table in doc.go is the one the
// server enforces.
func TestDoc_ShowsTheAuthorizationTable(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for line := range strings.Lines(httpapi.PermissionTable()) {
		want.WriteString("//\t" + strings.TrimRight(line, " \n") + "\n")
	}
	if !strings.Contains(string(doc), want.String()) {
		t.Errorf("doc.go does not show the authorization table; it should contain:\n%s", want.String())
	}
}
