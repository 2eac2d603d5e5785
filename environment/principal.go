package environment

import "slices"

// Principal is the caller of a Registry operation: a user or a service,
// with the roles it holds. httpapi maps bearer tokens to Principals, and
// promotion passes them through.
//
// What roles allow:
//   - OrganizationAdmin with an ORGANIZATION scope, and EnvironmentAdmin with
//     an ORGANIZATION scope, are "organization-level": they create, read and
//     change every environment and promotion group of that organization,
//     and they alone soft-delete, hard-delete, restore or purge PRODUCTION
//     environments, turn PRODUCTION into SANDBOX, and change groups.
//   - EnvironmentAdmin with an ENVIRONMENT scope reads and changes just that
//     environment (including deleting it when it is a SANDBOX) and reads
//     groups whose every member it covers; anything else is ErrForbidden.
//   - Any other combination (such as an OrganizationAdmin assignment with an
//     ENVIRONMENT scope) grants nothing.
type Principal struct {
	ID    string           `json:"id"`
	Roles []RoleAssignment `json:"roles"`
}

// RoleAssignment is one role held over one scope.
type RoleAssignment struct {
	Role  Role  `json:"role"`
	Scope Scope `json:"scope"`
}

// Role is a PingOne administrator role.
type Role string

// Roles.
const (
	OrganizationAdmin Role = "Organization Admin"
	EnvironmentAdmin  Role = "Environment Admin"
)

// Scope is what a role assignment covers: a whole organization or one
// environment, named by ID.
type Scope struct {
	Type ScopeType `json:"type"`
	ID   string    `json:"id"`
}

// ScopeType says what a Scope's ID names.
type ScopeType string

// Scope types.
const (
	ScopeOrganization ScopeType = "ORGANIZATION"
	ScopeEnvironment  ScopeType = "ENVIRONMENT"
)

// orgLevel reports whether p is organization-level in org.
func (p Principal) orgLevel(org string) bool {
	for _, r := range p.Roles {
		if r.Scope.Type == ScopeOrganization && r.Scope.ID == org && (r.Role == OrganizationAdmin || r.Role == EnvironmentAdmin) {
			return true
		}
	}
	return false
}

// covers reports whether p may read and change environment id of org.
func (p Principal) covers(org, id string) bool {
	if p.orgLevel(org) {
		return true
	}
	for _, r := range p.Roles {
		if r.Role == EnvironmentAdmin && r.Scope.Type == ScopeEnvironment && r.Scope.ID == id {
			return true
		}
	}
	return false
}

// readsGroup reports whether p may read g: it covers every member.
func (p Principal) readsGroup(g Group) bool {
	for _, m := range g.Members {
		if !p.covers(g.Organization.ID, m.ID) {
			return false
		}
	}
	return true
}

// orgs lists the organizations where p is organization-level.
func (p Principal) orgs() []string {
	var out []string
	for _, r := range p.Roles {
		if r.Scope.Type == ScopeOrganization && p.orgLevel(r.Scope.ID) && !slices.Contains(out, r.Scope.ID) {
			out = append(out, r.Scope.ID)
		}
	}
	return out
}
