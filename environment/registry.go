package environment

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/envpromote/envpromote/internal/uuid"
	"github.com/hashicorp/go-multierror"
)

// HardDeleteDelay is how long a soft-deleted PRODUCTION environment stays
// DELETE_PENDING before it may be hard-deleted.
const HardDeleteDelay = 30 * 24 * time.Hour

// MaxDeletePending is the most DELETE_PENDING environments an organization
// may have at once.
const MaxDeletePending = 100

// Options configures a Registry. The zero value is ready to use.
type Options struct {
	// Clock returns the current time; nil means time.Now. Tests pass a
	// clock they can move 30 days ahead.
	Clock func() time.Time
	// Auditor receives an Event for every change; nil discards them.
	Auditor Auditor
}

// Registry manages the environments and promotion groups of organizations,
// enforcing every rule of the PingOne environments API once, over any
// Store. It is safe for concurrent use, also by several Registries (in
// several processes) sharing one Store: every change of an organization is
// one Store.Apply that also moves the organization's record
// ("organizations/<id>") by compare-and-set, so changes within an
// organization are serialized and organization-wide rules (unique names,
// the DELETE_PENDING limit, group membership) hold under concurrency. A
// change that loses the race is re-checked and retried.
type Registry struct {
	store    Store
	licenses Licenses
	clock    func() time.Time
	auditor  Auditor
}

// New returns a Registry over store that asks licenses which licenses an
// organization holds. A nil store or licenses is an error wrapping
// ErrInvalid.
func New(store Store, licenses Licenses, opts Options) (*Registry, error) {
	switch {
	case store == nil:
		return nil, fmt.Errorf("%w: environment.New needs a Store (memenv.New or gitenv.New)", ErrInvalid)
	case licenses == nil:
		return nil, fmt.Errorf("%w: environment.New needs Licenses (NewStoreLicenses or memenv.NewLicenses)", ErrInvalid)
	}
	r := &Registry{store: store, licenses: licenses, clock: opts.Clock, auditor: opts.Auditor}
	if r.clock == nil {
		r.clock = time.Now
	}
	return r, nil
}

// Create stores a new environment and returns it with its id, ACTIVE
// status and timestamps assigned (an id or timestamps given are ignored; a
// status other than ACTIVE is refused with ErrInvalid).
// Organization.ID may be left empty when p is organization-level in exactly
// one organization. Name, Type and Region are required; an empty
// BillOfMaterials gets DefaultBillOfMaterials; License.ID may be left empty
// when the organization has exactly one active license.
//
// Errors wrap ErrForbidden unless p is organization-level in the
// organization, ErrInvalid for a bad field, ErrNameTaken, or ErrLicense.
func (r *Registry) Create(ctx context.Context, p Principal, e Environment) (Environment, error) {
	e = e.clone()
	if orgs := p.orgs(); e.Organization.ID == "" && len(orgs) == 1 {
		e.Organization.ID = orgs[0]
	}
	out, err := r.create(ctx, p, e)
	if err != nil {
		return Environment{}, fmt.Errorf("create environment %q: %w", e.Name, err)
	}
	return out, nil
}

func (r *Registry) create(ctx context.Context, p Principal, e Environment) (Environment, error) {
	org := e.Organization.ID
	if err := validateID(ErrInvalid, "organization.id", org); err != nil {
		return e, err
	}
	if !p.orgLevel(org) {
		return e, orgLevelOnly(p, org, "creating environments")
	}
	if err := errors.Join(validateName(e.Name), e.Type.Validate(), e.Region.Validate(), validateBOM(e.BillOfMaterials)); err != nil {
		return e, err
	}
	if e.Status != "" && e.Status != Active {
		return e, fmt.Errorf("%w: a new environment is ACTIVE; status %q cannot be set on create", ErrInvalid, e.Status)
	}
	if len(e.BillOfMaterials.Products) == 0 {
		e.BillOfMaterials = DefaultBillOfMaterials()
	}
	active, err := r.activeLicenses(ctx, org)
	if err != nil {
		return e, err
	}
	if e.License.ID, err = pickLicense(active, org, e.License.ID, e.Type); err != nil {
		return e, err
	}
	err = r.inOrg(ctx, p, org, func(st *orgState, now time.Time) (change, error) {
		if err := st.nameFree(e.Name, ""); err != nil {
			return change{}, err
		}
		e.ID, e.Status, e.CreatedAt, e.UpdatedAt = uuid.New(), Active, now, now
		e.BillOfMaterials, _ = e.BillOfMaterials.settle(BillOfMaterials{}, now) // no error on create
		e.SoftDeletedAt, e.HardDeleteAllowedAt = time.Time{}, time.Time{}
		return st.putEnv(ActionCreated, "create", nil, e), nil
	})
	return e, err
}

// Get returns the environment with the given id. Errors wrap ErrNotFound,
// ErrInvalid for a malformed id, or ErrForbidden when p's roles do not
// cover the environment.
func (r *Registry) Get(ctx context.Context, p Principal, id string) (Environment, error) {
	e, err := r.locate(ctx, p, id)
	if err != nil {
		return Environment{}, fmt.Errorf("get environment %s: %w", id, err)
	}
	return e, nil
}

// Lookup returns the environment with the given id without checking any
// principal's roles: it is for front ends, such as httpapi, that decide
// with their own rules who may do what to an environment and so need its
// organization, type and status first. Errors wrap ErrNotFound or
// ErrInvalid for a malformed id.
func (r *Registry) Lookup(ctx context.Context, id string) (Environment, error) {
	e, err := r.lookup(ctx, id)
	if err != nil {
		return Environment{}, fmt.Errorf("look up environment %s: %w", id, err)
	}
	return e, nil
}

// List returns the environments p's roles cover that match the SCIM
// filter (see ParseFilter; "" matches all), sorted by name. Errors wrap
// ErrInvalidFilter.
func (r *Registry) List(ctx context.Context, p Principal, filter string) ([]Environment, error) {
	f, err := ParseFilter(filter)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	recs, err := r.store.List(ctx, envPrefix)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	var out []Environment
	for _, rec := range recs {
		var e Environment
		if err := decode(rec, &e); err != nil {
			return nil, fmt.Errorf("list environments: %w", err)
		}
		if p.covers(e.Organization.ID, e.ID) && f.Match(e) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Environment) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Update replaces the name, description, icon, and (when given) bill of
// materials of the ACTIVE environment e.ID. Type, Region, Status,
// License.ID and Organization.ID must be empty or unchanged: the region and
// license are immutable (PingOne's data model; UpdateStatus sets the license
// on restore), and ChangeType and UpdateStatus change the others. Products
// keep their ids (see SetBillOfMaterials). Read-only fields are ignored.
//
// Errors wrap ErrNotFound, ErrForbidden, ErrInvalid, ErrNameTaken, or
// ErrInvalidState when the environment is DELETE_PENDING.
func (r *Registry) Update(ctx context.Context, p Principal, e Environment) (Environment, error) {
	e = e.clone()
	out, err := r.update(ctx, p, e)
	if err != nil {
		return Environment{}, fmt.Errorf("update environment %s: %w", e.ID, err)
	}
	return out, nil
}

func (r *Registry) update(ctx context.Context, p Principal, e Environment) (Environment, error) {
	cur, err := r.locate(ctx, p, e.ID)
	if err != nil {
		return cur, err
	}
	if err := errors.Join(validateName(e.Name), validateBOM(e.BillOfMaterials)); err != nil {
		return cur, err
	}
	var next Environment
	err = r.inOrg(ctx, p, cur.Organization.ID, func(st *orgState, now time.Time) (change, error) {
		cur, err := st.operational(p, e.ID)
		if err != nil {
			return change{}, err
		}
		for _, f := range []struct{ field, got, want string }{
			{"region", string(e.Region), string(cur.Region)},
			{"type", string(e.Type), string(cur.Type)},
			{"status", string(e.Status), string(cur.Status)},
			{"organization.id", e.Organization.ID, cur.Organization.ID},
			{"license.id", e.License.ID, cur.License.ID},
		} {
			if f.got != "" && f.got != f.want {
				return change{}, fmt.Errorf("%w: %s cannot change from %s to %s here (%s)", ErrInvalid, f.field, f.want, f.got, immutableHint[f.field])
			}
		}
		if err := st.nameFree(e.Name, cur.ID); err != nil {
			return change{}, err
		}
		next = cur.clone()
		next.Name, next.Description, next.Icon, next.UpdatedAt = e.Name, e.Description, e.Icon, now
		if len(e.BillOfMaterials.Products) > 0 {
			if next.BillOfMaterials, err = e.BillOfMaterials.settle(cur.BillOfMaterials, now); err != nil {
				return change{}, err
			}
		}
		return st.putEnv(ActionUpdated, "update", &cur, next), nil
	})
	return next, err
}

// SetBillOfMaterials replaces the bill of materials of the ACTIVE
// environment id, leaving every other field as it is. It is one atomic
// change, so unlike a Get followed by an Update it cannot undo a change
// another caller made in between.
//
// Errors wrap ErrNotFound, ErrForbidden, ErrInvalid (an empty or invalid
// bill of materials), or ErrInvalidState when the environment is
// DELETE_PENDING.
func (r *Registry) SetBillOfMaterials(ctx context.Context, p Principal, id string, bom BillOfMaterials) (Environment, error) {
	fail := func(err error) (Environment, error) {
		return Environment{}, fmt.Errorf("set bill of materials of environment %s: %w", id, err)
	}
	cur, err := r.locate(ctx, p, id)
	if err != nil {
		return fail(err)
	}
	if len(bom.Products) == 0 {
		return fail(fmt.Errorf("%w: billOfMaterials.products needs at least one product", ErrInvalid))
	}
	if err := validateBOM(bom); err != nil {
		return fail(err)
	}
	var next Environment
	err = r.inOrg(ctx, p, cur.Organization.ID, func(st *orgState, now time.Time) (change, error) {
		cur, err := st.operational(p, id)
		if err != nil {
			return change{}, err
		}
		next = cur.clone()
		if next.BillOfMaterials, err = bom.settle(cur.BillOfMaterials, now); err != nil {
			return change{}, err
		}
		next.UpdatedAt = now
		return st.putEnv(ActionUpdated, "update", &cur, next), nil
	})
	if err != nil {
		return fail(err)
	}
	return next, nil
}

var immutableHint = map[string]string{
	"region":          "the region is fixed when the environment is created",
	"type":            "use ChangeType",
	"status":          "use UpdateStatus",
	"organization.id": "an environment never moves between organizations",
	"license.id":      "the license is set at creation, and by UpdateStatus when a soft-deleted environment is restored",
}

// ChangeType sets the type of the ACTIVE environment id. SANDBOX→PRODUCTION
// needs a non-trial license. PRODUCTION→SANDBOX needs an organization-level
// principal, because a SANDBOX can then be deleted at once, and is refused
// for a promotion group member. Setting the current type changes nothing.
//
// Errors wrap ErrNotFound, ErrForbidden, ErrInvalid, ErrLicense, ErrInUse,
// or ErrInvalidState when the environment is DELETE_PENDING.
func (r *Registry) ChangeType(ctx context.Context, p Principal, id string, t Type) (Environment, error) {
	out, err := r.changeType(ctx, p, id, t)
	if err != nil {
		return Environment{}, fmt.Errorf("change type of environment %s to %s: %w", id, t, err)
	}
	return out, nil
}

func (r *Registry) changeType(ctx context.Context, p Principal, id string, t Type) (Environment, error) {
	if err := t.Validate(); err != nil {
		return Environment{}, err
	}
	cur, err := r.locate(ctx, p, id)
	if err != nil {
		return cur, err
	}
	var active []License
	if t == Production {
		if active, err = r.activeLicenses(ctx, cur.Organization.ID); err != nil {
			return cur, err
		}
	}
	var next Environment
	err = r.inOrg(ctx, p, cur.Organization.ID, func(st *orgState, now time.Time) (change, error) {
		cur, err := st.operational(p, id)
		if err != nil || cur.Type == t {
			next = cur
			return change{}, err
		}
		switch t {
		case Sandbox:
			if !p.orgLevel(cur.Organization.ID) {
				return change{}, orgLevelOnly(p, cur.Organization.ID, "turning PRODUCTION into SANDBOX (which makes it deletable at once)")
			}
			if err := st.notInGroup(id); err != nil {
				return change{}, err
			}
		case Production:
			if _, err := pickLicense(active, cur.Organization.ID, cur.License.ID, Production); err != nil {
				return change{}, err
			}
		}
		next = cur.clone()
		next.Type, next.UpdatedAt = t, now
		return st.putEnv(ActionTypeChanged, "change type of", &cur, next), nil
	})
	return next, err
}

// UpdateStatus soft-deletes or restores a PRODUCTION environment, as
// PingOne's PUT /environments/{id}/status does. Both need an
// organization-level principal.
//
// DELETE_PENDING soft-deletes an ACTIVE PRODUCTION environment: status
// DELETE_PENDING, softDeletedAt now, hardDeleteAllowedAt now +
// HardDeleteDelay. An organization holds at most MaxDeletePending of them,
// and a promotion group member cannot be soft-deleted. licenseID must be
// empty.
//
// ACTIVE restores a DELETE_PENDING environment under licenseID, or, when
// it is empty (clients generated from the PingOne spec send only the
// status), under the environment's current license. Either must be an
// active non-trial license of the organization, or the restore fails with
// ErrLicense saying which license is no longer valid or is a trial. Both
// deletion timestamps are cleared.
//
// Errors wrap ErrNotFound, ErrForbidden, ErrInvalid, ErrInvalidState (a
// SANDBOX, or already in the status), ErrLimitExceeded, ErrInUse, or
// ErrLicense.
func (r *Registry) UpdateStatus(ctx context.Context, p Principal, id string, s Status, licenseID string) (Environment, error) {
	out, err := r.updateStatus(ctx, p, id, s, licenseID)
	if err != nil {
		return Environment{}, fmt.Errorf("set status of environment %s to %s: %w", id, s, err)
	}
	return out, nil
}

func (r *Registry) updateStatus(ctx context.Context, p Principal, id string, s Status, licenseID string) (Environment, error) {
	if err := s.Validate(); err != nil {
		return Environment{}, err
	}
	switch {
	case s == DeletePending && licenseID != "":
		return Environment{}, fmt.Errorf("%w: a license id is given only to restore (status ACTIVE)", ErrInvalid)
	}
	cur, err := r.locate(ctx, p, id)
	if err != nil {
		return cur, err
	}
	var active []License
	if s == Active {
		if active, err = r.activeLicenses(ctx, cur.Organization.ID); err != nil {
			return cur, err
		}
	}
	var next Environment
	err = r.inOrg(ctx, p, cur.Organization.ID, func(st *orgState, now time.Time) (change, error) {
		cur, err := st.env(p, id)
		if err != nil {
			return change{}, err
		}
		switch {
		case cur.Type == Sandbox:
			return change{}, fmt.Errorf("%w: a SANDBOX environment has no DELETE_PENDING state; Delete removes it at once", ErrInvalidState)
		case cur.Status == s:
			return change{}, fmt.Errorf("%w: environment is already %s", ErrInvalidState, s)
		case !p.orgLevel(cur.Organization.ID):
			return change{}, orgLevelOnly(p, cur.Organization.ID, "soft-deleting or restoring a PRODUCTION environment")
		}
		next = cur.clone()
		next.Status, next.UpdatedAt = s, now
		if s == Active {
			if next.License.ID, err = restoreLicense(active, cur, licenseID); err != nil {
				return change{}, err
			}
			next.SoftDeletedAt, next.HardDeleteAllowedAt = time.Time{}, time.Time{}
			return st.putEnv(ActionRestored, "restore", &cur, next), nil
		}
		if err := st.notInGroup(id); err != nil {
			return change{}, err
		}
		if n := st.count(DeletePending); n >= MaxDeletePending {
			return change{}, fmt.Errorf("%w: organization %s already has %d DELETE_PENDING environments, the most allowed; hard-delete or restore one first", ErrLimitExceeded, cur.Organization.ID, n)
		}
		next.SoftDeletedAt, next.HardDeleteAllowedAt = now, now.Add(HardDeleteDelay)
		return st.putEnv(ActionSoftDeleted, "soft-delete", &cur, next), nil
	})
	return next, err
}

// Delete removes environment id for good: a SANDBOX at once; a PRODUCTION
// environment only once it is DELETE_PENDING and its hardDeleteAllowedAt
// has come (the hard delete), and only by an organization-level principal.
//
// Errors wrap ErrNotFound, ErrForbidden, or ErrInvalidState for an ACTIVE
// PRODUCTION environment (soft-delete it first) or a hard delete before
// hardDeleteAllowedAt (the message states that time).
func (r *Registry) Delete(ctx context.Context, p Principal, id string) error {
	cur, err := r.locate(ctx, p, id)
	if err == nil {
		err = r.inOrg(ctx, p, cur.Organization.ID, func(st *orgState, now time.Time) (change, error) {
			cur, err := st.env(p, id)
			switch {
			case err != nil:
				return change{}, err
			case cur.Type == Sandbox:
				return st.deleteEnv(cur), nil
			case !p.orgLevel(cur.Organization.ID):
				return change{}, orgLevelOnly(p, cur.Organization.ID, "deleting a PRODUCTION environment")
			case cur.Status == Active:
				return change{}, fmt.Errorf("%w: an ACTIVE PRODUCTION environment is not deleted directly; soft-delete it first (status DELETE_PENDING), then delete it after %v", ErrInvalidState, HardDeleteDelay)
			case now.Before(cur.HardDeleteAllowedAt):
				return change{}, fmt.Errorf("%w: environment cannot be hard-deleted before %s (hardDeleteAllowedAt)", ErrInvalidState, cur.HardDeleteAllowedAt.Format(time.RFC3339))
			}
			return st.deleteEnv(cur), nil
		})
	}
	if err != nil {
		return fmt.Errorf("delete environment %s: %w", id, err)
	}
	return nil
}

// Purge hard-deletes every DELETE_PENDING environment whose
// hardDeleteAllowedAt has come, in every organization where p is
// organization-level, and returns them. Failures in one organization do
// not stop the others; they are returned together.
func (r *Registry) Purge(ctx context.Context, p Principal) ([]Environment, error) {
	var purged []Environment
	var errs *multierror.Error
	for _, org := range p.orgs() {
		var gone []Environment
		err := r.inOrg(ctx, p, org, func(st *orgState, now time.Time) (change, error) {
			var c change
			gone = gone[:0]
			for _, s := range st.envs {
				if e := s.v; e.Status == DeletePending && !now.Before(e.HardDeleteAllowedAt) {
					c.add(st.deleteEnv(e))
					gone = append(gone, e)
				}
			}
			c.message = fmt.Sprintf("purge %d expired environments", len(gone))
			return c, nil
		})
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("purge organization %s: %w", org, err))
			continue
		}
		purged = append(purged, gone...)
	}
	return purged, errs.ErrorOrNil()
}

// SaveGroup creates or replaces promotion group g (keyed by organization
// and name). It needs an organization-level principal. Besides
// g.Validate, every member must be an ACTIVE PRODUCTION-type environment of
// the organization. Errors wrap ErrForbidden or ErrInvalidGroup.
func (r *Registry) SaveGroup(ctx context.Context, p Principal, g Group) (Group, error) {
	g = g.clone()
	err := g.Validate()
	if err == nil && !p.orgLevel(g.Organization.ID) {
		err = orgLevelOnly(p, g.Organization.ID, "changing promotion groups")
	}
	if err == nil {
		err = r.inOrg(ctx, p, g.Organization.ID, func(st *orgState, _ time.Time) (change, error) {
			for _, m := range g.Members {
				switch s, ok := st.find(m.ID); {
				case !ok:
					return change{}, fmt.Errorf("%w: %s is not an environment of organization %s", ErrInvalidGroup, m.ID, g.Organization.ID)
				case s.v.Type == Sandbox:
					return change{}, fmt.Errorf("%w: SANDBOX environment %s (%q) cannot be in a promotion group", ErrInvalidGroup, m.ID, s.v.Name)
				case s.v.Status != Active:
					return change{}, fmt.Errorf("%w: environment %s (%q) is %s", ErrInvalidGroup, m.ID, s.v.Name, s.v.Status)
				}
			}
			return st.putGroup(g), nil
		})
	}
	if err != nil {
		return Group{}, fmt.Errorf("save promotion group %q: %w", g.Name, err)
	}
	return g, nil
}

// Group returns promotion group name of organization org. p must be
// organization-level or cover every member. Errors wrap ErrNotFound,
// ErrForbidden, or ErrInvalidGroup for a malformed org or name.
func (r *Registry) Group(ctx context.Context, p Principal, org, name string) (Group, error) {
	g, err := r.group(ctx, p, org, name)
	if err != nil {
		return Group{}, fmt.Errorf("promotion group %q: %w", name, err)
	}
	return g, nil
}

func (r *Registry) group(ctx context.Context, p Principal, org, name string) (Group, error) {
	var g Group
	if err := validateGroupKey(org, name); err != nil {
		return g, err
	}
	rec, err := r.store.Get(ctx, groupKey(org, name))
	if errors.Is(err, ErrNotFound) {
		return g, fmt.Errorf("%w: organization %s has no promotion group %q; create it with SaveGroup", ErrNotFound, org, name)
	}
	if err == nil {
		err = decode(rec, &g)
	}
	if err == nil && !p.readsGroup(g) {
		err = fmt.Errorf("%w: principal %q does not cover every member of the group", ErrForbidden, p.ID)
	}
	return g, err
}

// Groups returns the promotion groups of organization org that p may read
// (see Group), sorted by name.
func (r *Registry) Groups(ctx context.Context, p Principal, org string) ([]Group, error) {
	if err := validateID(ErrInvalidGroup, "organization id", org); err != nil {
		return nil, fmt.Errorf("list promotion groups: %w", err)
	}
	recs, err := r.store.List(ctx, groupKey(org, ""))
	if err != nil {
		return nil, fmt.Errorf("list promotion groups of %s: %w", org, err)
	}
	var out []Group
	for _, rec := range recs {
		var g Group
		if err := decode(rec, &g); err != nil {
			return nil, fmt.Errorf("list promotion groups of %s: %w", org, err)
		}
		if p.readsGroup(g) {
			out = append(out, g)
		}
	}
	return out, nil
}

// Revision returns organization org's revision: a counter that every
// change of its environments and groups increases (the Registry moves it in
// the same Store.Apply as the change), 0 before the first. It is one
// Store.Get, so a caller that keeps what it read, such as the routing of
// `envpromote serve`, asks it instead of listing again and rereads only
// when it moved. It reveals nothing of the organization, so it takes no
// Principal. Errors wrap ErrInvalid for a malformed org.
func (r *Registry) Revision(ctx context.Context, org string) (int64, error) {
	if err := validateID(ErrInvalid, "organization id", org); err != nil {
		return 0, fmt.Errorf("revision: %w", err)
	}
	rec, err := r.store.Get(ctx, orgKey(org))
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	var o orgRecord
	if err == nil {
		err = decode(rec, &o)
	}
	if err != nil {
		return 0, fmt.Errorf("revision of %s: %w", org, err)
	}
	return o.Revision, nil
}

// DeleteGroup removes promotion group name of organization org. It needs
// an organization-level principal. Errors wrap ErrNotFound or ErrForbidden.
func (r *Registry) DeleteGroup(ctx context.Context, p Principal, org, name string) error {
	err := validateGroupKey(org, name)
	if err == nil && !p.orgLevel(org) {
		err = orgLevelOnly(p, org, "changing promotion groups")
	}
	if err == nil {
		err = r.inOrg(ctx, p, org, func(st *orgState, _ time.Time) (change, error) {
			i := slices.IndexFunc(st.groups, func(s stored[Group]) bool { return s.v.Name == name })
			if i < 0 {
				return change{}, fmt.Errorf("%w: organization %s has no promotion group %q", ErrNotFound, org, name)
			}
			return st.deleteGroup(st.groups[i]), nil
		})
	}
	if err != nil {
		return fmt.Errorf("delete promotion group %q: %w", name, err)
	}
	return nil
}

func validateGroupKey(org, name string) error {
	return errors.Join(validateID(ErrInvalidGroup, "organization id", org), validateID(ErrInvalidGroup, "group name", name))
}

func (r *Registry) activeLicenses(ctx context.Context, org string) ([]License, error) {
	ls, err := r.licenses.Active(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("licenses of organization %s: %w", org, err)
	}
	return ls, nil
}

// pickLicense returns the license an environment of type t gets: id when it
// is one of the organization's active licenses, or the only active license
// when id is empty. PRODUCTION needs a non-trial license.
func pickLicense(active []License, org, id string, t Type) (string, error) {
	var l License
	switch i := slices.IndexFunc(active, func(l License) bool { return l.ID == id }); {
	case id == "" && len(active) == 1:
		l = active[0]
	case id == "" && len(active) == 0:
		return "", fmt.Errorf("%w: organization %s has no active license; grant one first (StoreLicenses.Put, or your Licenses implementation)", ErrLicense, org)
	case id == "":
		return "", fmt.Errorf("%w: license.id is required because organization %s has %d active licenses", ErrLicense, org, len(active))
	case i < 0:
		return "", fmt.Errorf("%w: %s is not an active license of organization %s", ErrLicense, id, org)
	default:
		l = active[i]
	}
	if t == Production && l.Trial {
		return "", fmt.Errorf("%w: a PRODUCTION environment needs a non-trial license; %s is a trial license", ErrLicense, l.ID)
	}
	return l.ID, nil
}

// restoreLicense picks the license a restore of e uses: id, or e's current
// license when id is empty.
func restoreLicense(active []License, e Environment, id string) (string, error) {
	if id != "" {
		return pickLicense(active, e.Organization.ID, id, e.Type)
	}
	i := slices.IndexFunc(active, func(l License) bool { return l.ID == e.License.ID })
	switch {
	case i < 0:
		return "", fmt.Errorf("%w: the environment's license %s is no longer an active license of organization %s; restore it with license.id set to an active license", ErrLicense, e.License.ID, e.Organization.ID)
	case e.Type == Production && active[i].Trial:
		return "", fmt.Errorf("%w: the environment's license %s is a trial license, which cannot back a PRODUCTION environment; restore it with license.id set to a non-trial license", ErrLicense, e.License.ID)
	}
	return e.License.ID, nil
}

// locate reads environment id for p, outside any organization change.
func (r *Registry) locate(ctx context.Context, p Principal, id string) (Environment, error) {
	e, err := r.lookup(ctx, id)
	if err == nil && !p.covers(e.Organization.ID, e.ID) {
		err = forbidden(p, e)
	}
	return e, err
}

// lookup reads environment id, outside any organization change.
func (r *Registry) lookup(ctx context.Context, id string) (Environment, error) {
	var e Environment
	if err := validateID(ErrInvalid, "environment id", id); err != nil {
		return e, err
	}
	rec, err := r.store.Get(ctx, envKey(id))
	if err == nil {
		err = decode(rec, &e)
	}
	return e, err
}

// orgLevelOnly is the error for what only organization-level principals
// may do.
func orgLevelOnly(p Principal, org, what string) error {
	return fmt.Errorf("%w: %s in organization %s needs an Organization Admin or an ORGANIZATION-scoped Environment Admin role, which principal %q lacks", ErrForbidden, what, org, p.ID)
}

func forbidden(p Principal, e Environment) error {
	return fmt.Errorf("%w: principal %q has no role covering environment %s", ErrForbidden, p.ID, e.ID)
}

func decode(rec Record, v any) error {
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return fmt.Errorf("stored record %s: %w", rec.Key, err)
	}
	return nil
}

// encode renders a stored document: indented, so Git diffs read well.
func encode(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // only plain data types are encoded
	}
	return append(b, '\n')
}
