package httpapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/envpromote/envpromote/environment"
)

// operation is a kind of call the authorization table rules on.
type operation string

// The operations of both APIs. An AIC call touches the environment it is
// made on; lock, unlock, promote, rollback and the provisional reports,
// which read the lower environment's configuration, touch the lower
// environment too.
const (
	opESVRead       operation = "esv.read"
	opESVUpdate     operation = "esv.update"
	opESVRestart    operation = "esv.restart"
	opPromotionRead operation = "promotion.read"
	opPromotionRun  operation = "promotion.run"

	opEnvRead          operation = "environments.read"
	opEnvCreate        operation = "environments.create"
	opEnvUpdate        operation = "environments.update"
	opEnvToProduction  operation = "environments.type.production"
	opEnvToSandbox     operation = "environments.type.sandbox"
	opEnvDeleteSandbox operation = "environments.delete.sandbox"
	opEnvSoftDelete    operation = "environments.softDelete"
	opEnvHardDelete    operation = "environments.hardDelete"
	opEnvRestore       operation = "environments.restore"
)

// grant is one column of the table: a role held over a kind of scope. An
// ORGANIZATION scope covers the environments of the organization it
// names, an ENVIRONMENT scope the one environment it names.
type grant struct {
	role  environment.Role
	scope environment.ScopeType
}

var (
	orgAdmin    = grant{environment.OrganizationAdmin, environment.ScopeOrganization}
	orgEnvAdmin = grant{environment.EnvironmentAdmin, environment.ScopeOrganization}
	envAdmin    = grant{environment.EnvironmentAdmin, environment.ScopeEnvironment}
	envOrgAdmin = grant{environment.OrganizationAdmin, environment.ScopeEnvironment}
)

// grants are the table's columns, in the order the documentation shows.
var grants = []grant{orgAdmin, orgEnvAdmin, envAdmin, envOrgAdmin}

// permissions is the authorization table, role × scope × operation: the
// grants that allow each operation; every other cell denies. It follows
// the environment rules: only organization-level roles create
// environments and soft-delete, hard-delete or restore PRODUCTION ones
// (and turn PRODUCTION into SANDBOX, which could then be deleted at
// once); an ENVIRONMENT-scoped Environment Admin does everything else on
// its environment; an Organization Admin assignment with an ENVIRONMENT
// scope grants nothing. The Registry enforces the same rules for its own
// callers; a test checks that the two agree cell by cell.
var permissions = []struct {
	op     operation
	grants []grant
}{
	{opESVRead, []grant{orgAdmin, orgEnvAdmin, envAdmin}},
	{opESVUpdate, []grant{orgAdmin, orgEnvAdmin, envAdmin}},
	{opESVRestart, []grant{orgAdmin, orgEnvAdmin, envAdmin}},
	{opPromotionRead, []grant{orgAdmin, orgEnvAdmin, envAdmin}},
	{opPromotionRun, []grant{orgAdmin, orgEnvAdmin, envAdmin}},
	{opEnvRead, []grant{orgAdmin, orgEnvAdmin, envAdmin}},
	{opEnvCreate, []grant{orgAdmin, orgEnvAdmin}},
	{opEnvUpdate, []grant{orgAdmin, orgEnvAdmin, envAdmin}},
	{opEnvToProduction, []grant{orgAdmin, orgEnvAdmin, envAdmin}},
	{opEnvToSandbox, []grant{orgAdmin, orgEnvAdmin}},
	{opEnvDeleteSandbox, []grant{orgAdmin, orgEnvAdmin, envAdmin}},
	{opEnvSoftDelete, []grant{orgAdmin, orgEnvAdmin}},
	{opEnvHardDelete, []grant{orgAdmin, orgEnvAdmin}},
	{opEnvRestore, []grant{orgAdmin, orgEnvAdmin}},
}

// allows reports whether the table grants op to g.
func allows(op operation, g grant) bool {
	for _, row := range permissions {
		if row.op == op {
			return slices.Contains(row.grants, g)
		}
	}
	return false
}

// target is an environment a call touches, with its organization.
type target struct{ org, id string }

// authorize returns nil when p's roles allow op on every target, else a
// 403 naming the first environment they do not cover.
func authorize(p environment.Principal, op operation, targets ...target) error {
	for _, t := range targets {
		if !permits(p, op, t) {
			return forbidden("principal %q has no role allowing %s on environment %s (see the authorization table in httpapi's documentation)", p.ID, op, t.id)
		}
	}
	return nil
}

// permits reports whether one of p's role assignments allows op on t.
func permits(p environment.Principal, op operation, t target) bool {
	for _, r := range p.Roles {
		g := grant{r.Role, r.Scope.Type}
		covers := g.scope == environment.ScopeOrganization && r.Scope.ID == t.org && t.org != "" ||
			g.scope == environment.ScopeEnvironment && r.Scope.ID == t.id
		if covers && allows(op, g) {
			return true
		}
	}
	return false
}

// authorizeCreate checks creating an environment in org; an empty org
// (the Registry then picks the principal's one organization) needs an
// ORGANIZATION-scoped grant somewhere.
func authorizeCreate(p environment.Principal, org string) error {
	for _, r := range p.Roles {
		g := grant{r.Role, r.Scope.Type}
		if g.scope == environment.ScopeOrganization && (org == "" || r.Scope.ID == org) && allows(opEnvCreate, g) {
			return nil
		}
	}
	return forbidden("creating environments needs an Organization Admin or an ORGANIZATION-scoped Environment Admin role in the organization, which principal %q lacks", p.ID)
}

// permissionTable renders the table as httpapi's documentation shows it.
func permissionTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-30s", "operation")
	for _, g := range grants {
		fmt.Fprintf(&b, "  %s", g.label())
	}
	b.WriteString("\n")
	for _, row := range permissions {
		fmt.Fprintf(&b, "%-30s", row.op)
		for _, g := range grants {
			mark := "-"
			if slices.Contains(row.grants, g) {
				mark = "yes"
			}
			fmt.Fprintf(&b, "  %-*s", len(g.label()), mark)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (g grant) label() string {
	role := map[environment.Role]string{environment.OrganizationAdmin: "OrgAdmin", environment.EnvironmentAdmin: "EnvAdmin"}[g.role]
	return role + "@" + string(g.scope)
}
