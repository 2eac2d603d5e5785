package memenv_test

import (
	"context"
	"fmt"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/memenv"
)

// A Registry over memenv, with its audit events queried from an AuditLog.
func Example() {
	ctx := context.Background()
	audit := &memenv.AuditLog{}
	reg, err := environment.New(memenv.New(),
		memenv.NewLicenses(environment.License{ID: "lic-1", Organization: "acme"}),
		environment.Options{Auditor: audit})
	if err != nil {
		panic(err)
	}
	admin := environment.Principal{ID: "ada", Roles: []environment.RoleAssignment{{
		Role:  environment.OrganizationAdmin,
		Scope: environment.Scope{Type: environment.ScopeOrganization, ID: "acme"},
	}}}

	e, _ := reg.Create(ctx, admin, environment.Environment{Name: "Sandbox", Type: environment.Sandbox, Region: environment.RegionAU})
	_ = reg.Delete(ctx, admin, e.ID)
	for _, ev := range audit.Events(e.ID) {
		fmt.Println(ev.Actor, ev.Action, ev.Before != nil, ev.After != nil)
	}
	// Output:
	// ada ENVIRONMENT.CREATED false true
	// ada ENVIRONMENT.DELETED true false
}
