package environment_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/environment"
)

func chain(name string, members ...environment.Member) environment.Group {
	return environment.Group{Name: name, Organization: environment.Ref{ID: org}, Members: members}
}

func m(id string, t environment.Tier) environment.Member { return environment.Member{ID: id, Tier: t} }

const (
	dev  = environment.TierDevelopment
	uat  = environment.TierUAT
	stg  = environment.TierStaging
	prod = environment.TierProduction
)

func TestRule_GroupShape(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    environment.Group
		want error
	}{
		{"dev staging prod", chain("g", m("d", dev), m("s", stg), m("p", prod)), nil},
		{"with UAT", chain("g", m("d", dev), m("u", uat), m("s", stg), m("p", prod)), nil},
		{"with two UATs", chain("g", m("d", dev), m("u", uat), m("u2", uat), m("s", stg), m("p", prod)), nil},
		{"dev prod only", chain("g", m("d", dev), m("p", prod)), environment.ErrInvalidGroup},
		{"duplicate member", chain("g", m("d", dev), m("d", uat), m("s", stg), m("p", prod)), environment.ErrInvalidGroup},
		{"production first", chain("g", m("p", prod), m("s", stg), m("d", dev)), environment.ErrInvalidGroup},
		{"development not first", chain("g", m("u", uat), m("d", dev), m("s", stg), m("p", prod)), environment.ErrInvalidGroup},
		{"production not last", chain("g", m("d", dev), m("s", stg), m("p", prod), m("u", uat)), environment.ErrInvalidGroup},
		{"no staging", chain("g", m("d", dev), m("u", uat), m("p", prod)), environment.ErrInvalidGroup},
		{"unknown tier", chain("g", m("d", dev), m("q", "qa"), m("s", stg), m("p", prod)), environment.ErrInvalidGroup},
		{"empty member id", chain("g", m("d", dev), m("", stg), m("p", prod)), environment.ErrInvalidGroup},
		{"bad name", chain("a/b", m("d", dev), m("s", stg), m("p", prod)), environment.ErrInvalidGroup},
		{"no organization", environment.Group{Name: "g", Members: []environment.Member{m("d", dev), m("s", stg), m("p", prod)}}, environment.ErrInvalidGroup},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.g.Validate(), tc.want) })
	}
}

func TestRule_GroupPairsOnlyAdjacent(t *testing.T) {
	g := chain("g", m("dev", dev), m("uat", uat), m("uat2", uat), m("stg", stg), m("prod", prod))
	short := chain("short", m("dev", dev), m("stg", stg), m("prod", prod))
	for _, tc := range []struct {
		g            environment.Group
		lower, upper string
		wantNamed    string // the allowed upper the error names; "" = allowed
	}{
		{g, "dev", "uat", ""},
		{g, "uat", "uat2", ""},
		{g, "uat2", "stg", ""},
		{g, "stg", "prod", ""},
		{short, "dev", "stg", ""},
		{short, "dev", "prod", "stg"},
		{g, "dev", "prod", "uat"},
		{g, "dev", "stg", "uat"},
		{g, "uat", "stg", "uat2"},
		{g, "prod", "stg", "nothing is promoted"},
		{g, "stg", "uat", "prod"},
		{g, "dev", "dev", "uat"},
		{g, "dev", "elsewhere", "not a member"},
		{g, "elsewhere", "uat", "not a member"},
	} {
		t.Run(fmt.Sprintf("%s/%s→%s", tc.g.Name, tc.lower, tc.upper), func(t *testing.T) {
			err := tc.g.Pair(tc.lower, tc.upper)
			if tc.wantNamed == "" {
				check(t, err, nil)
				return
			}
			check(t, err, environment.ErrInvalidPair)
			if !strings.Contains(err.Error(), tc.wantNamed) {
				t.Fatalf("error %q does not name %q", err, tc.wantNamed)
			}
		})
	}
}

// SaveGroup accepts only ACTIVE PRODUCTION-type environments of the
// group's organization, and only from organization-level principals.
func TestRule_GroupMembersAreActiveProductionEnvironments(t *testing.T) {
	h := newHarness(t)
	d, s, p := h.prod("dev"), h.prod("staging"), h.prod("prod")
	sb, pend := h.sandbox("sandbox"), h.pending("pending")
	foreign := h.create(otherAdmin, environment.Environment{Name: "foreign", Type: environment.Production, Region: environment.RegionEU})
	for _, tc := range []struct {
		name string
		p    environment.Principal
		g    environment.Group
		want error
	}{
		{"valid", orgAdmin, chain("ok", m(d.ID, dev), m(s.ID, stg), m(p.ID, prod)), nil},
		{"SANDBOX member", orgAdmin, chain("sb", m(d.ID, dev), m(sb.ID, stg), m(p.ID, prod)), environment.ErrInvalidGroup},
		{"DELETE_PENDING member", orgAdmin, chain("pend", m(d.ID, dev), m(s.ID, stg), m(pend.ID, prod)), environment.ErrInvalidGroup},
		{"member of another organization", orgAdmin, chain("foreign", m(d.ID, dev), m(s.ID, stg), m(foreign.ID, prod)), environment.ErrInvalidGroup},
		{"unknown member", orgAdmin, chain("unknown", m(d.ID, dev), m(s.ID, stg), m("nope", prod)), environment.ErrInvalidGroup},
		{"environment admin of every member", envAdmin(d.ID, s.ID, p.ID), chain("env-admin", m(d.ID, dev), m(s.ID, stg), m(p.ID, prod)), environment.ErrForbidden},
		{"organization-scoped environment admin", orgEnvAdmin, chain("org-env-admin", m(d.ID, dev), m(s.ID, stg), m(p.ID, prod)), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.SaveGroup(t.Context(), tc.p, tc.g)
			check(t, err, tc.want)
			_, err = h.Group(t.Context(), orgAdmin, org, tc.g.Name)
			if tc.want != nil {
				check(t, err, environment.ErrNotFound)
				return
			}
			check(t, err, nil)
		})
	}
}

// Group members stay ACTIVE PRODUCTION environments: they cannot be
// soft-deleted or turned into SANDBOX until they leave the group.
func TestRule_GroupMembersCannotBeDeletedOrMadeSandbox(t *testing.T) {
	h := newHarness(t)
	g := h.savedChain()
	d, p := g.Members[0], g.Members[2]
	ctx := t.Context()
	ops := []struct {
		name string
		op   func() error
	}{
		{"soft delete", func() error { _, err := h.UpdateStatus(ctx, orgAdmin, p.ID, environment.DeletePending, ""); return err }},
		{"make SANDBOX", func() error { _, err := h.ChangeType(ctx, orgAdmin, d.ID, environment.Sandbox); return err }},
	}
	for _, tc := range ops {
		t.Run(tc.name+"/in group", func(t *testing.T) {
			err := tc.op()
			check(t, err, environment.ErrInUse)
			if !strings.Contains(err.Error(), `"chain"`) {
				t.Fatalf("error %q does not name the group", err)
			}
		})
	}
	check(t, h.DeleteGroup(ctx, orgAdmin, org, "chain"), nil)
	for _, tc := range ops {
		t.Run(tc.name+"/after leaving", func(t *testing.T) { check(t, tc.op(), nil) })
	}
}

func TestGroupsPersistAndReadsNeedCoverage(t *testing.T) {
	h := newHarness(t)
	g := h.savedChain()
	d, s, p := g.Members[0], g.Members[1], g.Members[2]
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		p    environment.Principal
		want error
	}{
		{"organization admin", orgAdmin, nil},
		{"admin of every member", envAdmin(d.ID, s.ID, p.ID), nil},
		{"admin of some members", envAdmin(d.ID, s.ID), environment.ErrForbidden},
		{"other organization", otherAdmin, environment.ErrForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := h.Group(ctx, tc.p, org, "chain")
			check(t, err, tc.want)
			if err == nil && fmt.Sprint(got) != fmt.Sprint(g) {
				t.Fatalf("Group = %+v, want %+v", got, g)
			}
			list, err := h.Groups(ctx, tc.p, org)
			check(t, err, nil)
			if want := map[bool]int{true: 1, false: 0}[tc.want == nil]; len(list) != want {
				t.Fatalf("Groups lists %d, want %d", len(list), want)
			}
		})
	}
	check(t, h.DeleteGroup(ctx, envAdmin(d.ID, s.ID, p.ID), org, "chain"), environment.ErrForbidden)
	check(t, h.DeleteGroup(ctx, orgAdmin, org, "chain"), nil)
	check(t, h.DeleteGroup(ctx, orgAdmin, org, "chain"), environment.ErrNotFound)
	events := h.audit.Events("")
	if a := events[len(events)-1]; a.Action != environment.ActionGroupDeleted || a.Group != "chain" || a.GroupBefore == nil || a.GroupAfter != nil {
		t.Fatalf("last event = %+v, want the group deletion", a)
	}
}

// savedChain saves and returns group "chain" of new environments dev,
// staging and prod.
func (h *harness) savedChain() environment.Group {
	h.t.Helper()
	d, s, p := h.prod("dev"), h.prod("staging"), h.prod("prod")
	g, err := h.SaveGroup(h.t.Context(), orgAdmin, chain("chain", m(d.ID, dev), m(s.ID, stg), m(p.ID, prod)))
	if err != nil {
		h.t.Fatal(err)
	}
	return g
}

// The organization's revision moves with every change of its environments
// and groups, and with nothing else: a reader that keeps what it read
// (serve's routing) may trust it.
func TestRule_RevisionMovesWithEveryChangeOfTheOrganization(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	rev := func() int64 {
		t.Helper()
		r, err := h.Revision(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := rev(); r != 0 {
		t.Fatalf("revision before any change = %d, want 0", r)
	}
	d, s, p := h.prod("dev"), h.prod("staging"), h.prod("prod")
	x := h.prod("x")
	for _, tc := range []struct {
		name   string
		change func() error
		moves  bool
	}{
		{"rename", func() error { x.Name = "y"; _, err := h.Update(ctx, orgAdmin, x); return err }, true},
		{"save a group", func() error {
			_, err := h.SaveGroup(ctx, orgAdmin, chain("web", m(d.ID, dev), m(s.ID, stg), m(p.ID, prod)))
			return err
		}, true},
		{"delete a group", func() error { return h.DeleteGroup(ctx, orgAdmin, org, "web") }, true},
		{"soft delete", func() error { _, err := h.UpdateStatus(ctx, orgAdmin, x.ID, environment.DeletePending, ""); return err }, true},
		{"restore", func() error { _, err := h.UpdateStatus(ctx, orgAdmin, x.ID, environment.Active, ""); return err }, true},
		{"reads", func() error {
			_, err := h.List(ctx, orgAdmin, "")
			if err == nil {
				_, err = h.Groups(ctx, orgAdmin, org)
			}
			return err
		}, false},
		{"a change in another organization", func() error {
			_, err := h.Create(ctx, otherAdmin, environment.Environment{Name: "theirs", Organization: environment.Ref{ID: otherOrg}, Type: environment.Production, Region: environment.RegionEU})
			return err
		}, false},
	} {
		before := rev()
		if err := tc.change(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if after := rev(); (after > before) != tc.moves || after < before {
			t.Errorf("%s: revision %d → %d, want moved: %v", tc.name, before, after, tc.moves)
		}
	}
	if _, err := h.Revision(ctx, "../x"); !errors.Is(err, environment.ErrInvalid) {
		t.Errorf("Revision(malformed org) = %v, want ErrInvalid", err)
	}
}
