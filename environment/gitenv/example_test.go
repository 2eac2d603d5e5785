package gitenv_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/gitenv"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

// Every change is a commit on the environments branch.
func Example() {
	ctx := context.Background()
	repo := gitstore.NewMemory(gitstore.Options{})
	envs, err := gitenv.New(repo, gitenv.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, err := environment.New(envs, licenses{}, environment.Options{})
	if err != nil {
		panic(err)
	}
	admin := environment.Principal{ID: "ada", Roles: []environment.RoleAssignment{{
		Role:  environment.OrganizationAdmin,
		Scope: environment.Scope{Type: environment.ScopeOrganization, ID: "acme"},
	}}}

	e, _ := reg.Create(ctx, admin, environment.Environment{Name: "Prod", Type: environment.Production, Region: environment.RegionEU})
	_, _ = reg.UpdateStatus(ctx, admin, e.ID, environment.DeletePending, "")

	log, _ := repo.Log(ctx, gitenv.DefaultBranch, store.LogOptions{})
	for _, c := range log {
		fmt.Println(c.Author+":", strings.ReplaceAll(c.Message, e.ID, "<id>"))
	}
	head, _ := repo.Snapshot(ctx, log[0].Revision)
	doc, _ := head.ReadFile("environments/" + e.ID + ".json")
	fmt.Println(strings.Contains(string(doc), `"status": "DELETE_PENDING"`))
	// Output:
	// ada: soft-delete environment "Prod" (<id>)
	// ada: create environment "Prod" (<id>)
	// true
}

// licenses gives every organization one non-trial license.
type licenses struct{}

func (licenses) Active(_ context.Context, org string) ([]environment.License, error) {
	return []environment.License{{ID: "lic-" + org, Organization: org}}, nil
}
