package environment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/internal/retry"
)

// Record keys. Environment ids are global, so environments are keyed by id
// alone; groups belong to an organization.
const (
	envPrefix   = "environments/"
	groupPrefix = "groups/"
	orgPrefix   = "organizations/"
)

func envKey(id string) string          { return envPrefix + id }
func groupKey(org, name string) string { return groupPrefix + org + "/" + name }
func orgKey(org string) string         { return orgPrefix + org }

// orgRecord is the organization's serialization point: every change in the
// organization rewrites it by compare-and-set with a new revision.
type orgRecord struct {
	ID        string    `json:"id"`
	Revision  int64     `json:"revision"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type stored[T any] struct {
	v       T
	version Version
}

// orgState is what a change in an organization is checked against: the
// organization's environments and groups as of its record's version.
type orgState struct {
	org    orgRecord
	rec    Record
	envs   []stored[Environment]
	groups []stored[Group]
}

// change is what a step of inOrg wants stored, and the events to emit
// once it is.
type change struct {
	message string
	writes  []Write
	events  []Event
}

func (c *change) add(o change) {
	c.writes = append(c.writes, o.writes...)
	c.events = append(c.events, o.events...)
}

// inOrg runs step against the current state of organization org and stores
// the change it returns together with the organization record, all or
// nothing. When another writer changed the organization in between, it
// loads the new state and runs step again, within the library's retry
// policy. step returning no writes means
// nothing to do. After storing, it sends the change's events to the
// Auditor.
func (r *Registry) inOrg(ctx context.Context, p Principal, org string, step func(st *orgState, now time.Time) (change, error)) error {
	if strings.TrimSpace(p.ID) == "" {
		return fmt.Errorf("%w: the principal's ID is empty", actor.ErrMissing)
	}
	for loop := retry.Default.Start(); ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := r.load(ctx, org)
		if err != nil {
			return err
		}
		now := r.clock().UTC().Truncate(time.Millisecond)
		c, err := step(st, now)
		if err != nil || len(c.writes) == 0 {
			return err
		}
		orgDoc := orgRecord{ID: org, Revision: st.org.Revision + 1, UpdatedAt: now}
		b := Batch{
			Actor:   p.ID,
			Message: c.message,
			Time:    now,
			Writes:  append(c.writes, Write{Key: orgKey(org), Version: st.rec.Version, Data: encode(orgDoc)}),
		}
		err = r.store.Apply(ctx, b)
		if errors.Is(err, ErrConflict) {
			if err := loop.Wait(ctx, err); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if r.auditor != nil {
			for _, e := range c.events {
				e.Time, e.Actor, e.Organization = now, p.ID, org
				r.auditor.Audit(ctx, e)
			}
		}
		return nil
	}
}

func (r *Registry) load(ctx context.Context, org string) (*orgState, error) {
	st := &orgState{org: orgRecord{ID: org}}
	rec, err := r.store.Get(ctx, orgKey(org))
	switch {
	case err == nil:
		st.rec = rec
		err = decode(rec, &st.org)
	case errors.Is(err, ErrNotFound):
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("organization %s: %w", org, err)
	}
	envs, err := r.store.List(ctx, envPrefix)
	if err != nil {
		return nil, err
	}
	for _, rec := range envs {
		var e Environment
		if err := decode(rec, &e); err != nil {
			return nil, err
		}
		if e.Organization.ID == org {
			st.envs = append(st.envs, stored[Environment]{e, rec.Version})
		}
	}
	groups, err := r.store.List(ctx, groupKey(org, ""))
	if err != nil {
		return nil, err
	}
	for _, rec := range groups {
		var g Group
		if err := decode(rec, &g); err != nil {
			return nil, err
		}
		st.groups = append(st.groups, stored[Group]{g, rec.Version})
	}
	return st, nil
}

func (st *orgState) find(id string) (stored[Environment], bool) {
	i := slices.IndexFunc(st.envs, func(s stored[Environment]) bool { return s.v.ID == id })
	if i < 0 {
		return stored[Environment]{}, false
	}
	return st.envs[i], true
}

// env returns environment id if p covers it.
func (st *orgState) env(p Principal, id string) (Environment, error) {
	s, ok := st.find(id)
	switch {
	case !ok:
		return Environment{}, fmt.Errorf("%w: no environment %s", ErrNotFound, id)
	case !p.covers(s.v.Organization.ID, id):
		return Environment{}, forbidden(p, s.v)
	}
	return s.v, nil
}

// operational returns environment id if p covers it and it is ACTIVE: a
// DELETE_PENDING environment is not operational and cannot be changed
// until restored.
func (st *orgState) operational(p Principal, id string) (Environment, error) {
	e, err := st.env(p, id)
	if err == nil && e.Status != Active {
		err = fmt.Errorf("%w: environment is %s since %s; restore it (status ACTIVE) first", ErrInvalidState, e.Status, e.SoftDeletedAt.Format(time.RFC3339))
	}
	return e, err
}

// nameFree reports ErrNameTaken if an environment other than self has name,
// compared case-insensitively.
func (st *orgState) nameFree(name, self string) error {
	for _, s := range st.envs {
		if s.v.ID != self && strings.EqualFold(s.v.Name, name) {
			return fmt.Errorf("%w: organization %s already has environment %q (%s)", ErrNameTaken, st.org.ID, s.v.Name, s.v.ID)
		}
	}
	return nil
}

func (st *orgState) count(s Status) int {
	n := 0
	for _, e := range st.envs {
		if e.v.Status == s {
			n++
		}
	}
	return n
}

func (st *orgState) notInGroup(id string) error {
	for _, g := range st.groups {
		if g.v.member(id) {
			return fmt.Errorf("%w: environment %s is a member of promotion group %q; remove it from the group first", ErrInUse, id, g.v.Name)
		}
	}
	return nil
}

// putEnv writes next over before (nil: a new environment).
func (st *orgState) putEnv(a Action, verb string, before *Environment, next Environment) change {
	s, _ := st.find(next.ID)
	after := next.clone()
	return change{
		message: fmt.Sprintf("%s environment %q (%s)", verb, next.Name, next.ID),
		writes:  []Write{{Key: envKey(next.ID), Version: s.version, Data: encode(next)}},
		events:  []Event{{Action: a, EnvironmentID: next.ID, Before: before, After: &after}},
	}
}

func (st *orgState) deleteEnv(e Environment) change {
	s, _ := st.find(e.ID)
	return change{
		message: fmt.Sprintf("delete environment %q (%s)", e.Name, e.ID),
		writes:  []Write{{Key: envKey(e.ID), Version: s.version}},
		events:  []Event{{Action: ActionDeleted, EnvironmentID: e.ID, Before: &e}},
	}
}

func (st *orgState) putGroup(g Group) change {
	c := change{
		message: fmt.Sprintf("save promotion group %q", g.Name),
		events:  []Event{{Action: ActionGroupSaved, Group: g.Name, GroupAfter: &g}},
	}
	w := Write{Key: groupKey(g.Organization.ID, g.Name), Data: encode(g)}
	if i := slices.IndexFunc(st.groups, func(s stored[Group]) bool { return s.v.Name == g.Name }); i >= 0 {
		w.Version = st.groups[i].version
		c.events[0].GroupBefore = &st.groups[i].v
	}
	c.writes = []Write{w}
	return c
}

func (st *orgState) deleteGroup(s stored[Group]) change {
	return change{
		message: fmt.Sprintf("delete promotion group %q", s.v.Name),
		writes:  []Write{{Key: groupKey(s.v.Organization.ID, s.v.Name), Version: s.version}},
		events:  []Event{{Action: ActionGroupDeleted, Group: s.v.Name, GroupBefore: &s.v}},
	}
}
