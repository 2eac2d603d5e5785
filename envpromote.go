package envpromote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/gitenv"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/gitesv"
	"github.com/envpromote/envpromote/esv/memesv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/lock/memlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/memstore"
)

// DefaultOrganization is the organization a Tenant serves when
// Options.Organization is empty.
const DefaultOrganization = "default"

// DefaultPurgeInterval is how often a Tenant removes soft-deleted
// environments whose hardDeleteAllowedAt has come, when
// Options.PurgeInterval is zero.
const DefaultPurgeInterval = time.Hour

// Options configures a Tenant. Only Dir (for Open) and Key (for Open) are
// required; every other field has a useful zero value.
type Options struct {
	// Dir is the Git repository on disk that holds everything —
	// configuration, environments, licenses, ESVs, locks, reports. Open
	// creates it (bare) when it does not exist. NewMemory ignores it.
	Dir string
	// Remote, if set, is the URL of a Git repository several machines
	// share (git://, https://, ssh://, or a path); Dir is then the local
	// cache and the remote the authority (see gitstore.Options.Remote).
	Remote string
	// Key encrypts ESV secret values in Git: 16, 24 or 32 bytes, kept out
	// of the repository. Required by Open; NewMemory ignores it.
	Key []byte
	// Organization is the PingOne organization id the Tenant serves; ""
	// means DefaultOrganization.
	Organization string
	// Region is where CreateGroup creates environments; "" means
	// environment.RegionNA.
	Region environment.Region
	// Clock is the one clock of the Tenant (commits, leases, ESV changes,
	// soft-delete times); nil means time.Now.
	Clock func() time.Time
	// Logger receives a record per operation and per janitor failure; nil
	// discards them.
	Logger *slog.Logger
	// PurgeInterval is how often the janitor hard-deletes expired
	// soft-deleted environments: 0 means DefaultPurgeInterval, negative
	// turns the janitor off (call Purge yourself).
	PurgeInterval time.Duration
	// LockTTL bounds promotion locks; 0 means until unlocked (see
	// promotion.Config.LockTTL).
	LockTTL time.Duration
	// Layout and Checks are passed to every Promoter; nil means
	// promotion.DefaultLayout and integrity.Builtin().
	Layout promotion.Layout
	Checks []integrity.Check
	// Auditor receives every environment change; nil discards them.
	Auditor environment.Auditor
}

// Tenant is one organization's environments, their configuration, ESVs
// and locks, wired safely over one store: the ESV service is always guarded
// by the locker, promoters always take their group from the Registry, and
// one clock and one logger serve everything. Create it with Open or
// NewMemory and Close it when done. It is safe for concurrent use.
type Tenant struct {
	opts     Options
	repo     store.Repo
	locker   lock.Locker
	registry *environment.Registry
	licenses *environment.StoreLicenses
	esvs     *esv.Service

	mu        sync.Mutex
	promoters map[string]*promoterEntry
	names     names

	stop context.CancelFunc
	done chan struct{}
}

type promoterEntry struct {
	group environment.Group
	names map[string]string
	p     *promotion.Promoter
}

// Open opens the Git repository at opts.Dir, creating it when it does not
// exist, and returns the Tenant kept in it. Environments and licenses live on
// the branch "environments", ESVs on "esv/<environment id>", each
// environment's configuration on the branch named by its id, and locks and
// dry-run reports beside them; `git log` shows who changed what. The
// symbolic ref refs/names/<Slug(name)> names each environment once it has
// configuration, so `git log names/staging` reads its history; the Tenant
// rewrites these names here and keeps them in step with every rename and
// hard delete it makes (with a remote, in the local repository only).
func Open(ctx context.Context, opts Options) (*Tenant, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("%w: Options.Dir is empty; name the directory of the Git repository (it is created if missing), or use NewMemory", ErrInvalid)
	}
	if n := len(opts.Key); n != 16 && n != 24 && n != 32 {
		return nil, fmt.Errorf("%w: Options.Key has %d bytes; ESV secrets are encrypted with AES, whose keys are 16, 24 or 32 bytes (keep it out of the repository)", ErrInvalid, n)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	gopts := gitstore.Options{Clock: opts.Clock, Remote: opts.Remote}
	repo, err := gitstore.Open(opts.Dir, gopts)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Clean(opts.Dir), 0o755); err == nil {
			repo, err = gitstore.Init(opts.Dir, gopts)
		}
	}
	if err != nil {
		return nil, err
	}
	envs, err := gitenv.New(repo, gitenv.Options{})
	if err != nil {
		return nil, err
	}
	var t *Tenant // ESV commits call environments by name, which t knows once made
	secrets, err := gitesv.New(repo, gitesv.Options{Key: opts.Key, Name: func(ctx context.Context, env string) string {
		e, err := t.registry.Lookup(ctx, env)
		if err != nil {
			return ""
		}
		return e.Name
	}})
	if err != nil {
		return nil, err
	}
	t, err = newTenant(ctx, opts, repo, gitlock.New(repo, gitlock.Options{Now: opts.Clock}), envs, secrets)
	return t, err
}

// NewMemory returns a Tenant kept in memory, for tests and trials: the same
// rules, nothing kept after the process ends.
func NewMemory(opts Options) (*Tenant, error) {
	return newTenant(context.Background(), opts, memstore.New(memstore.Options{Clock: opts.Clock}), memlock.New(memlock.Options{Now: opts.Clock}), memenv.New(), memesv.New())
}

func newTenant(ctx context.Context, opts Options, repo store.Repo, locker lock.Locker, envs environment.Store, secrets esv.Store) (*Tenant, error) {
	if opts.Organization == "" {
		opts.Organization = DefaultOrganization
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Region == "" {
		opts.Region = environment.RegionNA
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PurgeInterval == 0 {
		opts.PurgeInterval = DefaultPurgeInterval
	}
	licenses, err := environment.NewStoreLicenses(envs, opts.Clock)
	if err != nil {
		return nil, err
	}
	t := &Tenant{
		opts:      opts,
		repo:      repo,
		locker:    locker,
		licenses:  licenses,
		esvs:      esv.New(secrets, esv.Options{Guard: promotion.ESVGuard(locker), Now: opts.Clock}),
		promoters: map[string]*promoterEntry{},
		done:      make(chan struct{}),
	}
	t.names.t = t
	t.names.n, _ = repo.(store.Namer)
	t.registry, err = environment.New(envs, licenses, environment.Options{Clock: opts.Clock, Auditor: auditor{t}})
	if err != nil {
		return nil, err
	}
	// Aliases may be missing or stale: made by an older version, or by
	// another machine sharing the remote.
	t.names.resync(ctx)
	ctx, t.stop = context.WithCancel(context.Background())
	go t.janitor(ctx)
	return t, nil
}

// Close stops the purge janitor and waits for the repository's background
// maintenance, if any, so that nothing writes to it once Close returns.
func (t *Tenant) Close() error {
	t.stop()
	<-t.done
	if c, ok := t.repo.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Organization returns the organization id the Tenant serves.
func (t *Tenant) Organization() string { return t.opts.Organization }

// Registry returns the environments and promotion groups.
func (t *Tenant) Registry() *environment.Registry { return t.registry }

// Licenses returns the organization's licenses, kept in the same store as
// the environments. Grant one with Put before creating environments.
func (t *Tenant) Licenses() *environment.StoreLicenses { return t.licenses }

// ESVs returns the ESV service. Its writes are refused while the
// environment is locked for a promotion.
func (t *Tenant) ESVs() *esv.Service { return t.esvs }

// Repo returns the configuration store, for reading history and for
// advanced use. Write configuration through a Promoter's Edit.
func (t *Tenant) Repo() store.Repo { return t.repo }

// Locker returns the locker promotions lock with, for advanced use.
func (t *Tenant) Locker() lock.Locker { return t.locker }

// Admin returns a principal named who with the Organization Admin role over
// the Tenant's organization: every Registry operation is allowed to it.
func (t *Tenant) Admin(who string) environment.Principal {
	return environment.Principal{ID: who, Roles: []environment.RoleAssignment{{
		Role:  environment.OrganizationAdmin,
		Scope: environment.Scope{Type: environment.ScopeOrganization, ID: t.opts.Organization},
	}}}
}

// system is the principal the Tenant itself acts as (group lookups, the
// janitor).
func (t *Tenant) system() environment.Principal { return t.Admin("envpromote") }

// Promoter returns the Promoter of the promotion group named group, as the
// Registry has it now: its members are ACTIVE PRODUCTION-type environments of
// the organization, so a SANDBOX, deleted or foreign environment can never be
// promoted into. The same Promoter (with its progress and report cache) is
// returned while the group is unchanged.
//
// Errors wrap environment.ErrNotFound for an unknown group.
func (t *Tenant) Promoter(ctx context.Context, group string) (*promotion.Promoter, error) {
	pe, err := t.promoter(ctx, group)
	if err != nil {
		return nil, err
	}
	return pe.p, nil
}

func (t *Tenant) promoter(ctx context.Context, group string) (*promoterEntry, error) {
	g, err := t.registry.Group(ctx, t.system(), t.opts.Organization, group)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(g.Members))
	for _, m := range g.Members {
		e, err := t.member(ctx, m.ID)
		if err != nil {
			return nil, fmt.Errorf("promotion group %q: %w", group, err)
		}
		names[e.ID] = e.Name
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if pe := t.promoters[group]; pe != nil && slices.Equal(pe.group.Members, g.Members) && maps.Equal(pe.names, names) {
		return pe, nil
	}
	p, err := promotion.New(promotion.Config{
		Group:   g,
		Repo:    t.repo,
		Locker:  t.locker,
		ESVs:    promotion.ESVService(t.esvs),
		Layout:  t.opts.Layout,
		Checks:  t.opts.Checks,
		Clock:   t.opts.Clock,
		Logger:  t.opts.Logger,
		LockTTL: t.opts.LockTTL,
		Names:   names,
		Observer: func(ev promotion.Event) {
			if ev.Status == promotion.StatusComplete && ev.Op != "lock" && ev.Op != "unlock" {
				t.names.committed(context.Background(), ev.Upper)
			}
		},
		Admit: func(ctx context.Context, env string) error { return t.admit(ctx, group, env) },
	})
	if err != nil {
		return nil, err
	}
	pe := &promoterEntry{group: g, names: names, p: p}
	t.promoters[group] = pe
	return pe, nil
}

// Promoters returns the Promoter of every promotion group of the
// organization, sorted by group name: what httpapi.Config.Promoters wants.
func (t *Tenant) Promoters(ctx context.Context) ([]*promotion.Promoter, error) {
	groups, err := t.registry.Groups(ctx, t.system(), t.opts.Organization)
	if err != nil {
		return nil, err
	}
	out := make([]*promotion.Promoter, 0, len(groups))
	for _, g := range groups {
		p, err := t.Promoter(ctx, g.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// admit refuses a change to env unless it is still an ACTIVE PRODUCTION
// environment of the organization and a member of group in the Registry, so
// a Promoter kept across Registry changes cannot write into an environment
// that left the group, was soft-deleted or turned into a SANDBOX.
func (t *Tenant) admit(ctx context.Context, group, env string) error {
	g, err := t.registry.Group(ctx, t.system(), t.opts.Organization, group)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(g.Members, func(m environment.Member) bool { return m.ID == env }) {
		return fmt.Errorf("%w: environment %s is no longer a member of promotion group %q", environment.ErrInvalidGroup, env, group)
	}
	_, err = t.member(ctx, env)
	return err
}

// member returns environment id if it may be in a promotion group: ACTIVE,
// PRODUCTION-type, of the Tenant's organization.
func (t *Tenant) member(ctx context.Context, id string) (environment.Environment, error) {
	e, err := t.registry.Get(ctx, t.system(), id)
	if err != nil {
		return e, fmt.Errorf("member %s: %w", id, err)
	}
	if e.Type != environment.Production || e.Status != environment.Active || e.Organization.ID != t.opts.Organization {
		return e, fmt.Errorf("%w: member %s (%s) is a %s %s environment of organization %s; only ACTIVE PRODUCTION environments of %s are promoted into",
			environment.ErrInvalidGroup, e.Name, e.ID, e.Status, e.Type, e.Organization.ID, t.opts.Organization)
	}
	return e, nil
}

// Promote promotes along group in one call — lock, check, promote, unlock —
// with the policy of promotion.Promoter.PromoteAndUnlock: the pair is
// unlocked afterwards, also on failure unless req.KeepLockOnFailure. The
// actor is req.Promoter, else the context's (WithActor). req.Lower and
// req.Upper may name environments by id or by name.
func (t *Tenant) Promote(ctx context.Context, group string, req promotion.Request) (*promotion.Report, error) {
	pe, err := t.promoter(ctx, group)
	if err != nil {
		return nil, err
	}
	return pe.p.PromoteAndUnlock(ctx, pe.ids(req))
}

// Rollback rolls back the last promotion into req.Upper in one call, like
// Promote.
func (t *Tenant) Rollback(ctx context.Context, group string, req promotion.Request) (*promotion.Report, error) {
	pe, err := t.promoter(ctx, group)
	if err != nil {
		return nil, err
	}
	return pe.p.RollbackAndUnlock(ctx, pe.ids(req))
}

// ids returns req with environments named by name replaced by their ids.
func (pe *promoterEntry) ids(req promotion.Request) promotion.Request {
	for id, name := range pe.names {
		if strings.EqualFold(req.Lower, name) {
			req.Lower = id
		}
		if strings.EqualFold(req.Upper, name) {
			req.Upper = id
		}
	}
	return req
}

// CreateGroup creates ACTIVE PRODUCTION environments named envs, lowest
// first, in Options.Region, and the promotion group name over them: the first
// is the development environment, the last production, the one before it
// staging, any others UAT. At least three are needed. The organization needs
// a license (Licenses().Put). The context's actor (WithActor) makes the
// changes as an organization admin.
func (t *Tenant) CreateGroup(ctx context.Context, name string, envs ...string) (environment.Group, error) {
	who, err := actor.Resolve(ctx, "", "create group "+name)
	if err != nil {
		return environment.Group{}, err
	}
	if len(envs) < 3 {
		return environment.Group{}, fmt.Errorf("%w: group %q needs at least 3 environments (development, staging, production), got %d", ErrInvalid, name, len(envs))
	}
	g := environment.Group{Name: name, Organization: environment.Ref{ID: t.opts.Organization}}
	for i, n := range envs {
		tier := environment.TierUAT
		switch i {
		case 0:
			tier = environment.TierDevelopment
		case len(envs) - 2:
			tier = environment.TierStaging
		case len(envs) - 1:
			tier = environment.TierProduction
		}
		e, err := t.registry.Create(ctx, t.Admin(who), environment.Environment{Name: n, Type: environment.Production, Region: t.opts.Region})
		if err != nil {
			return environment.Group{}, err
		}
		g.Members = append(g.Members, environment.Member{ID: e.ID, Tier: tier})
	}
	return t.registry.SaveGroup(ctx, t.Admin(who), g)
}

// auditor passes the Registry's events to Options.Auditor and keeps the
// repository's environment names (see Slug) in step.
type auditor struct{ t *Tenant }

func (a auditor) Audit(ctx context.Context, e environment.Event) {
	if a.t.opts.Auditor != nil {
		a.t.opts.Auditor.Audit(ctx, e)
	}
	a.t.names.changed(ctx, e)
}

// Purge hard-deletes now every soft-deleted environment of the organization
// whose hardDeleteAllowedAt has come, as the janitor does every
// PurgeInterval, and returns them. The deletions are made by the context's
// actor, or by "envpromote" (the janitor's name) when it has none.
func (t *Tenant) Purge(ctx context.Context) ([]environment.Environment, error) {
	p := t.system()
	if who := actor.From(ctx); who != "" {
		p.ID = who
	}
	return t.registry.Purge(ctx, p)
}

// janitor runs Purge every PurgeInterval until Close.
func (t *Tenant) janitor(ctx context.Context) {
	defer close(t.done)
	if t.opts.PurgeInterval < 0 {
		return
	}
	tick := time.NewTicker(t.opts.PurgeInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			gone, err := t.Purge(ctx)
			for _, e := range gone {
				t.opts.Logger.Info("purged expired soft-deleted environment", "environment", e.ID, "name", e.Name)
			}
			if err != nil && ctx.Err() == nil {
				t.opts.Logger.Warn("purge of expired soft-deleted environments failed", "err", err)
			}
		}
	}
}
