package gitenv_test

import (
	"fmt"
	"testing"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/gitenv"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/memstore"
)

// BenchmarkRegistry measures Registry operations over an organization of n
// environments on each backend; memenv is the peer the Git backends are
// compared with.
func BenchmarkRegistry(b *testing.B) {
	backends := []struct {
		name string
		new  func(b *testing.B) environment.Store
	}{
		{"memenv", func(*testing.B) environment.Store { return memenv.New() }},
		{"gitenv-memstore", func(b *testing.B) environment.Store {
			s, _ := gitenv.New(memstore.New(memstore.Options{}), gitenv.Options{})
			return s
		}},
		{"gitenv-gitstore-disk", func(b *testing.B) environment.Store {
			repo, err := gitstore.Init(b.TempDir(), gitstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			s, _ := gitenv.New(repo, gitenv.Options{})
			return s
		}},
	}
	admin := environment.Principal{ID: "bench", Roles: []environment.RoleAssignment{{
		Role: environment.OrganizationAdmin, Scope: environment.Scope{Type: environment.ScopeOrganization, ID: "org"},
	}}}
	for _, n := range []int{100, 500} {
		for _, be := range backends {
			reg, err := environment.New(be.new(b), licenses{}, environment.Options{})
			if err != nil {
				b.Fatal(err)
			}
			var last environment.Environment
			for i := range n {
				typ := environment.Production
				if i%2 == 1 {
					typ = environment.Sandbox
				}
				var err error
				last, err = reg.Create(b.Context(), admin, environment.Environment{Name: fmt.Sprintf("env-%04d", i), Type: typ, Region: environment.RegionEU})
				if err != nil {
					b.Fatal(err)
				}
			}
			name := fmt.Sprintf("envs=%d/backend=%s/", n, be.name)
			b.Run(name+"op=get", func(b *testing.B) {
				for b.Loop() {
					if _, err := reg.Get(b.Context(), admin, last.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(name+"op=list-filtered", func(b *testing.B) {
				for b.Loop() {
					if envs, err := reg.List(b.Context(), admin, `name sw "env-00" and status eq "ACTIVE"`); err != nil || len(envs) != 100 {
						b.Fatal(len(envs), err)
					}
				}
			})
			b.Run(name+"op=update", func(b *testing.B) {
				i := 0
				for b.Loop() {
					i++
					if _, err := reg.Update(b.Context(), admin, environment.Environment{ID: last.ID, Name: last.Name, Description: fmt.Sprint(i)}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
