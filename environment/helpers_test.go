package environment_test

import (
	"errors"
	"testing"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/internal/testclock"
)

const (
	org      = "org-1"
	otherOrg = "org-2"
)

var (
	start       = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	orgAdmin    = principal("ada", role(environment.OrganizationAdmin, environment.ScopeOrganization, org))
	orgEnvAdmin = principal("eve", role(environment.EnvironmentAdmin, environment.ScopeOrganization, org))
	otherAdmin  = principal("oscar", role(environment.OrganizationAdmin, environment.ScopeOrganization, otherOrg))
	fullLicense = environment.License{ID: "lic-full", Organization: org}
)

func role(r environment.Role, t environment.ScopeType, id string) environment.RoleAssignment {
	return environment.RoleAssignment{Role: r, Scope: environment.Scope{Type: t, ID: id}}
}

func principal(id string, roles ...environment.RoleAssignment) environment.Principal {
	return environment.Principal{ID: id, Roles: roles}
}

// envAdmin is an Environment Admin scoped to the given environments.
func envAdmin(ids ...string) environment.Principal {
	p := environment.Principal{ID: "erin"}
	for _, id := range ids {
		p.Roles = append(p.Roles, role(environment.EnvironmentAdmin, environment.ScopeEnvironment, id))
	}
	return p
}

type harness struct {
	*environment.Registry
	t     *testing.T
	clock *testclock.Clock
	audit *memenv.AuditLog
	lic   *memenv.Licenses
}

// newHarness returns a Registry over memenv whose organizations hold ls (by
// default one non-trial license in org and one in otherOrg).
func newHarness(t *testing.T, ls ...environment.License) *harness {
	if ls == nil {
		ls = []environment.License{fullLicense, {ID: "lic-other", Organization: otherOrg}}
	}
	h := &harness{t: t, clock: testclock.New(start), audit: &memenv.AuditLog{}, lic: memenv.NewLicenses(ls...)}
	var err error
	h.Registry, err = environment.New(memenv.New(), h.lic, environment.Options{Clock: h.clock.Now, Auditor: h.audit})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) create(p environment.Principal, e environment.Environment) environment.Environment {
	h.t.Helper()
	out, err := h.Create(h.t.Context(), p, e)
	if err != nil {
		h.t.Fatalf("Create(%q): %v", e.Name, err)
	}
	return out
}

func (h *harness) prod(name string) environment.Environment {
	h.t.Helper()
	return h.create(orgAdmin, environment.Environment{Name: name, Type: environment.Production, Region: environment.RegionEU})
}

func (h *harness) sandbox(name string) environment.Environment {
	h.t.Helper()
	return h.create(orgAdmin, environment.Environment{Name: name, Type: environment.Sandbox, Region: environment.RegionEU})
}

// pending creates a PRODUCTION environment and soft-deletes it.
func (h *harness) pending(name string) environment.Environment {
	h.t.Helper()
	e, err := h.UpdateStatus(h.t.Context(), orgAdmin, h.prod(name).ID, environment.DeletePending, "")
	if err != nil {
		h.t.Fatalf("soft delete %q: %v", name, err)
	}
	return e
}

func (h *harness) get(id string) environment.Environment {
	h.t.Helper()
	e, err := h.Get(h.t.Context(), orgAdmin, id)
	if err != nil {
		h.t.Fatalf("Get(%s): %v", id, err)
	}
	return e
}

// check fails t unless err is nil when want is, or wraps want.
func check(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("error = %v, want none", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error = %v, want %v", err, want)
	}
}
