package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/promotion"
)

// env resolves an environment named by name (or id) to the environment.
func (s *system) env(ctx context.Context, name string) (environment.Environment, error) {
	envs, err := s.Registry().List(ctx, s.p, "")
	if err != nil {
		return environment.Environment{}, err
	}
	for _, e := range envs {
		if e.Name == name || e.ID == name {
			return e, nil
		}
	}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	if len(names) == 0 {
		return environment.Environment{}, fmt.Errorf("unknown environment %q: there are none yet (envpromote env create)", name)
	}
	return environment.Environment{}, fmt.Errorf("unknown environment %q; the environments are: %s", name, strings.Join(names, ", "))
}

// names maps environment ids to names, for output.
func (s *system) names(ctx context.Context) (map[string]string, error) {
	envs, err := s.Registry().List(ctx, s.p, "")
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(envs))
	for _, e := range envs {
		m[e.ID] = e.Name
	}
	return m, nil
}

// groupOf finds the promotion group in which match(members) holds, and
// opens its Promoter.
func (s *system) groupOf(ctx context.Context, what string, match func(g environment.Group) bool) (*promotion.Promoter, error) {
	groups, err := s.Registry().Groups(ctx, s.p, s.org)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if match(g) {
			return s.Promoter(ctx, g.Name)
		}
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("%s: there is no promotion group yet (envpromote group save GROUP ENV…)", what)
	}
	return nil, fmt.Errorf("%s: no promotion group has it", what)
}

func index(g environment.Group, id string) int {
	return slices.IndexFunc(g.Members, func(m environment.Member) bool { return m.ID == id })
}

// pair resolves lower and upper by name and the Promoter of their group. A
// pair that is not adjacent in its group gets the group's own refusal.
func (s *system) pair(ctx context.Context, lower, upper string) (*promotion.Promoter, environment.Environment, environment.Environment, error) {
	lo, err := s.env(ctx, lower)
	if err != nil {
		return nil, lo, lo, err
	}
	up, err := s.env(ctx, upper)
	if err != nil {
		return nil, lo, up, err
	}
	p, err := s.groupOf(ctx, fmt.Sprintf("%s → %s", lo.Name, up.Name), func(g environment.Group) bool {
		return index(g, lo.ID) >= 0 && index(g, up.ID) >= 0
	})
	if err != nil {
		return nil, lo, up, err
	}
	if err := p.Group().Pair(lo.ID, up.ID); err != nil {
		return nil, lo, up, fmt.Errorf("%s → %s: %w", lo.Name, up.Name, err)
	}
	return p, lo, up, nil
}

// member resolves env by name and the Promoter of a group it is in; upper
// requires it to be an upper environment (not the first member).
func (s *system) member(ctx context.Context, name string, upper bool) (*promotion.Promoter, environment.Environment, error) {
	e, err := s.env(ctx, name)
	if err != nil {
		return nil, e, err
	}
	p, err := s.groupOf(ctx, e.Name, func(g environment.Group) bool {
		i := index(g, e.ID)
		return i > 0 || i == 0 && !upper
	})
	if err != nil && upper {
		if _, derr := s.groupOf(ctx, e.Name, func(g environment.Group) bool { return index(g, e.ID) == 0 }); derr == nil {
			return nil, e, usagef("%s is the development environment of its group: nothing is promoted into it (name the upper environment of a pair)", e.Name)
		}
	}
	return p, e, err
}

var errNoOrg = errors.New("the repository has no organization yet: run envpromote init --org ORG --license ID first")
