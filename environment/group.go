package environment

import (
	"fmt"
	"slices"
)

// Group is a promotion group: an ordered chain of environments of one
// organization, from development through zero or more UAT environments and
// staging to production. Configuration is promoted only between adjacent
// members, lower to upper (see Pair). Members are ACTIVE PRODUCTION-type
// environments; the Registry keeps it so by refusing to delete a member or
// turn it into a SANDBOX (ErrInUse).
type Group struct {
	Name         string   `json:"name"`
	Organization Ref      `json:"organization"`
	Members      []Member `json:"members"`
}

// Member is one environment of a Group and its tier.
type Member struct {
	ID   string `json:"id"`
	Tier Tier   `json:"tier"`
}

// Tier is a member's place in the chain.
type Tier string

// Tiers, lowest first.
const (
	TierDevelopment Tier = "development"
	TierUAT         Tier = "uat"
	TierStaging     Tier = "staging"
	TierProduction  Tier = "production"
)

// Validate checks the shape of g: a valid name and organization id, and
// members with distinct ids whose tiers run development, uat (zero or
// more), staging, production. Whether the members exist and are not
// SANDBOX is checked by Registry.SaveGroup. Errors wrap ErrInvalidGroup.
func (g Group) Validate() error {
	if err := validateID(ErrInvalidGroup, "group name", g.Name); err != nil {
		return err
	}
	if err := validateID(ErrInvalidGroup, "group organization.id", g.Organization.ID); err != nil {
		return fmt.Errorf("group %q: %w", g.Name, err)
	}
	n := len(g.Members)
	if n < 3 {
		return fmt.Errorf("%w: group %q has %d members; it needs at least development, staging and production", ErrInvalidGroup, g.Name, n)
	}
	seen := make(map[string]bool, n)
	for i, m := range g.Members {
		if m.ID == "" {
			return fmt.Errorf("%w: group %q: members[%d] has no environment id", ErrInvalidGroup, g.Name, i)
		}
		if seen[m.ID] {
			return fmt.Errorf("%w: group %q: environment %s is listed twice", ErrInvalidGroup, g.Name, m.ID)
		}
		seen[m.ID] = true
		want := TierUAT
		switch i {
		case 0:
			want = TierDevelopment
		case n - 1:
			want = TierProduction
		case n - 2:
			want = TierStaging
		}
		if m.Tier != want {
			return fmt.Errorf("%w: group %q: members[%d] (%s) has tier %q, want %q (order: development, uat…, staging, production)", ErrInvalidGroup, g.Name, i, m.ID, m.Tier, want)
		}
	}
	return nil
}

// Pair reports whether configuration may be promoted from lower to upper:
// only when upper is the member right after lower (development→uat or
// →staging, uat→uat, uat→staging, staging→production). Otherwise the error
// wraps ErrInvalidPair and names the allowed upper environment for lower.
func (g Group) Pair(lower, upper string) error {
	li := slices.IndexFunc(g.Members, func(m Member) bool { return m.ID == lower })
	ui := slices.IndexFunc(g.Members, func(m Member) bool { return m.ID == upper })
	switch {
	case li < 0:
		return fmt.Errorf("%w: environment %s is not a member of group %q", ErrInvalidPair, lower, g.Name)
	case ui < 0:
		return fmt.Errorf("%w: environment %s is not a member of group %q", ErrInvalidPair, upper, g.Name)
	case li == len(g.Members)-1:
		return fmt.Errorf("%w: %s is the %s environment of group %q; nothing is promoted from it", ErrInvalidPair, lower, g.Members[li].Tier, g.Name)
	case ui != li+1:
		l, u, next := g.Members[li], g.Members[ui], g.Members[li+1]
		return fmt.Errorf("%w: group %q cannot promote %s (%s) to %s (%s): the only upper environment allowed for %s is %s (%s)",
			ErrInvalidPair, g.Name, l.ID, l.Tier, u.ID, u.Tier, l.ID, next.ID, next.Tier)
	}
	return nil
}

func (g Group) member(id string) bool {
	return slices.ContainsFunc(g.Members, func(m Member) bool { return m.ID == id })
}

func (g Group) clone() Group {
	g.Members = slices.Clone(g.Members)
	return g
}
