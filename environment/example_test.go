package environment_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/memenv"
)

var admin = environment.Principal{ID: "ada", Roles: []environment.RoleAssignment{{
	Role:  environment.OrganizationAdmin,
	Scope: environment.Scope{Type: environment.ScopeOrganization, ID: "acme"},
}}}

// Create an environment: the organization comes from the principal's role,
// the license from the organization's only active license, and the bill of
// materials is the default.
func Example() {
	ctx := context.Background()
	licenses := memenv.NewLicenses(environment.License{ID: "lic-1", Organization: "acme"})
	reg, err := environment.New(memenv.New(), licenses, environment.Options{})
	if err != nil {
		panic(err)
	}

	e, err := reg.Create(ctx, admin, environment.Environment{Name: "Production", Type: environment.Production, Region: environment.RegionEU})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Name, e.Type, e.Region, e.Status, e.Organization.ID, e.License.ID, e.BillOfMaterials.Products[0].Type)

	_, err = reg.Create(ctx, admin, environment.Environment{Name: "PRODUCTION", Type: environment.Sandbox, Region: environment.RegionEU})
	fmt.Println(errors.Is(err, environment.ErrNameTaken))
	// Output:
	// Production PRODUCTION EU ACTIVE acme lic-1 PING_ONE_BASE
	// true
}

// Soft-delete a PRODUCTION environment, restore it, soft-delete it again
// and hard-delete it once the clock has moved 30 days.
func ExampleRegistry_UpdateStatus() {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	reg, err := environment.New(memenv.New(),
		memenv.NewLicenses(environment.License{ID: "lic-1", Organization: "acme"}),
		environment.Options{Clock: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}

	e, _ := reg.Create(ctx, admin, environment.Environment{Name: "Prod", Type: environment.Production, Region: environment.RegionNA})
	e, _ = reg.UpdateStatus(ctx, admin, e.ID, environment.DeletePending, "")
	fmt.Println(e.Status, "until", e.HardDeleteAllowedAt.Format(time.DateOnly))

	err = reg.Delete(ctx, admin, e.ID)
	fmt.Println("delete now:", errors.Is(err, environment.ErrInvalidState))

	e, _ = reg.UpdateStatus(ctx, admin, e.ID, environment.Active, "lic-1")
	fmt.Println(e.Status, e.SoftDeletedAt.IsZero(), e.HardDeleteAllowedAt.IsZero())

	e, _ = reg.UpdateStatus(ctx, admin, e.ID, environment.DeletePending, "")
	now = now.Add(30 * 24 * time.Hour)
	fmt.Println("delete after 30 days:", reg.Delete(ctx, admin, e.ID))
	// Output:
	// DELETE_PENDING until 2030-01-31
	// delete now: true
	// ACTIVE true true
	// delete after 30 days: <nil>
}

// A group allows promotion only between adjacent members.
func ExampleGroup_Pair() {
	g := environment.Group{Name: "alpha", Organization: environment.Ref{ID: "acme"}, Members: []environment.Member{
		{ID: "dev", Tier: environment.TierDevelopment},
		{ID: "uat", Tier: environment.TierUAT},
		{ID: "staging", Tier: environment.TierStaging},
		{ID: "prod", Tier: environment.TierProduction},
	}}
	fmt.Println(g.Validate())
	fmt.Println(g.Pair("dev", "uat"))
	fmt.Println(g.Pair("staging", "prod"))
	fmt.Println(g.Pair("dev", "prod"))
	// Output:
	// <nil>
	// <nil>
	// <nil>
	// invalid promotion pair: group "alpha" cannot promote dev (development) to prod (production): the only upper environment allowed for dev is uat (uat)
}

func ExampleParseFilter() {
	f, err := environment.ParseFilter(`Name SW "prod" AND status eq "active"`)
	fmt.Println(f, err)
	fmt.Println(f.Match(environment.Environment{Name: "Production", Status: environment.Active}))

	_, err = environment.ParseFilter(`name sw "prod" or status eq "ACTIVE"`)
	fmt.Println(err)
	// Output:
	// name sw "prod" and status eq "ACTIVE" <nil>
	// true
	// invalid filter at offset 15: operator "or" is not supported (supported: name sw "…"; id, organization.id, license.id or status eq "…"; joined by and)
}
