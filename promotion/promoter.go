package promotion

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/store"
)

// Type is the kind of a change to an environment's configuration, recorded
// as the "type" metadata of its commit.
type Type string

// The types. Promotions and rollbacks have reports; edits and reverts do
// not.
const (
	TypePromotion Type = "promotion"
	TypeRollback  Type = "rollback"
	TypeEdit      Type = "edit"
	TypeRevert    Type = "revert"
)

// Commit metadata keys the Promoter writes.
const (
	MetaType        = "type"        // a Type
	MetaPromotionID = "promotionId" // the lease id of the promotion or rollback
	MetaReportID    = "reportId"    // the report's id
	MetaSource      = "source"      // the revision the static config came from
	MetaLower       = "lower"       // the lower environment of a promotion (its id)
	MetaUpper       = "upper"       // the environment changed (its id)
	MetaReport      = "report"      // the report header, compact JSON
)

// Config configures a Promoter. Group, Repo, Locker and ESVs are required;
// every other field has a useful zero value.
type Config struct {
	// Group is the chain of environments promoted along. Each member's id
	// names its branch in Repo, so it must pass store.ValidateBranch
	// (environment ids, which are UUIDs, do), and its lock in Locker.
	Group environment.Group
	// Repo holds each environment's configuration on the branch named by
	// its id, and dry-run reports on the branch "reports/<id>".
	Repo store.Repo
	// Locker locks promotion pairs; use the same one for ESVGuard.
	Locker lock.Locker
	// ESVs tells the integrity checks which ESVs the upper environment
	// defines (see ESVService).
	ESVs ESVs
	// Layout tells static config from dynamic and names report items; nil
	// means DefaultLayout.
	Layout Layout
	// Checks run before every promotion and rollback; nil means
	// integrity.Builtin().
	Checks []integrity.Check
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Logger receives a record per operation; nil discards them.
	Logger *slog.Logger
	// Observer, if set, is called synchronously for every step of every
	// operation (see Event). It must not block or call back into the
	// Promoter.
	Observer func(Event)
	// Admit, if set, is asked before every change to an environment (a
	// promotion or rollback into it, an edit, a revert); an error refuses
	// the change and is returned wrapped. envpromote.Tenant uses it to
	// re-check, against the Registry, that the environment is still an
	// ACTIVE PRODUCTION member of the group.
	Admit func(ctx context.Context, env string) error
	// Names maps environment ids to the names commit subjects use
	// ("Promote Development to Staging"); the ids are always in the
	// commit's metadata trailers. Missing names read as ids.
	Names map[string]string
	// LockTTL bounds the leases Lock takes; 0 means lock.DefaultTTL. Every
	// lease ends, so a crashed holder frees the pair by itself; a running
	// promotion or rollback renews its lease, and a caller holding a pair
	// longer renews it through the Locker (Renew, lock.KeepAlive). A lease
	// that expires before the commit cannot commit.
	LockTTL time.Duration
}

// Event is one step of an operation, for Config.Observer.
type Event struct {
	Time time.Time
	// Op is "lock", "unlock", or a Type.
	Op           string
	Lower, Upper string // Upper is the environment changed; Lower is empty for edits
	PromotionID  string
	Status       Status // RUNNING, COMPLETE or ERROR
	Message      string
	Err          error // set when Status is ERROR
}

// Promoter runs promotions, rollbacks and reverts along one promotion group.
// It is safe for concurrent use, also by several Promoters (in several
// processes) sharing the Repo and Locker: the lock admits one promotion per
// group and every commit is a compare-and-set.
type Promoter struct {
	group    environment.Group
	repo     store.Repo
	locker   lock.Locker
	esvs     ESVs
	layout   Layout
	checks   []integrity.Check
	runner   integrity.Runner // caches scans across runs
	now      func() time.Time
	logger   *slog.Logger
	observer func(Event)
	ttl      time.Duration
	// groupLock and legacyLock are the group's two lock names (groupLocks).
	groupLock, legacyLock string
	names                 map[string]string
	admit                 func(ctx context.Context, env string) error

	mu       sync.Mutex
	progress map[string]Progress // by upper environment
	running  map[string]bool     // upper environments with an operation under way
	reports  *reportCache        // reports derived from commits
	indexes  map[string]*index   // by environment, see history.go
}

// New validates cfg and returns a Promoter. Errors wrap ErrInvalidConfig
// and name the field at fault.
func New(cfg Config) (*Promoter, error) {
	bad := func(format string, args ...any) (*Promoter, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	if err := cfg.Group.Validate(); err != nil {
		return bad("Group: %v", err)
	}
	for _, m := range cfg.Group.Members {
		if err := store.ValidateBranch(m.ID); err != nil {
			return bad("Group member %s cannot name a config branch: %v", m.ID, err)
		}
		if err := lock.ValidateEnvironment(m.ID); err != nil {
			return bad("Group member %s cannot be locked: %v", m.ID, err)
		}
		if strings.HasPrefix(m.ID, groupLockPrefix) {
			return bad("Group member %s cannot be locked: names starting with %q are the locks of promotion groups", m.ID, groupLockPrefix)
		}
	}
	switch {
	case cfg.Repo == nil:
		return bad("Repo is nil (use memstore.New or gitstore.Init)")
	case cfg.Locker == nil:
		return bad("Locker is nil (use memlock.New or gitlock.New)")
	case cfg.ESVs == nil:
		return bad("ESVs is nil (use ESVService)")
	case cfg.LockTTL < 0:
		return bad("LockTTL is %v; it must be 0 (lock.DefaultTTL) or positive", cfg.LockTTL)
	case slices.Contains(cfg.Checks, nil):
		return bad("Checks holds a nil check")
	}
	p := &Promoter{
		group:    cfg.Group,
		repo:     cfg.Repo,
		locker:   cfg.Locker,
		esvs:     cfg.ESVs,
		layout:   cfg.Layout,
		checks:   cfg.Checks,
		now:      cfg.Clock,
		logger:   cfg.Logger,
		observer: cfg.Observer,
		ttl:      cfg.LockTTL,
		names:    maps.Clone(cfg.Names),
		admit:    cfg.Admit,
		progress: map[string]Progress{},
		running:  map[string]bool{},
		reports:  newReportCache(reportCacheSize),
		indexes:  map[string]*index{},
	}
	p.group.Members = slices.Clone(cfg.Group.Members)
	p.groupLock, p.legacyLock = groupLocks(cfg.Group.Name)
	if p.layout == nil {
		p.layout = DefaultLayout{}
	}
	if p.checks == nil {
		p.checks = integrity.Builtin()
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// groupLockPrefix starts the lock name of every promotion group
// (GroupLock), so no group member may start with it.
const groupLockPrefix = "group-"

// GroupLock returns the name of the lock every promotion of the group named
// name holds besides its two environments, so only one runs per group:
// "group-<name>", which gitlock keeps as refs/locks/group-<name> when name
// is lower case. A name too long for a lock name (lock.MaxEnvironmentLen) is
// hashed. Promotions also hold the group's legacy lock name; see "Locks" in
// the package documentation.
func GroupLock(name string) string {
	readable, _ := groupLocks(name)
	return readable
}

// IsGroupLock reports whether a lock name is a promotion group's (see
// GroupLock) rather than an environment's: no member id may start like one.
func IsGroupLock(name string) bool { return strings.HasPrefix(name, groupLockPrefix) }

// groupLocks returns the group's lock name and its legacy one,
// "group:<name>", the only one earlier versions lock.
func groupLocks(name string) (readable, legacy string) {
	key := func(prefix string) string {
		if k := prefix + name; lock.ValidateEnvironment(k) == nil {
			return k
		}
		sum := sha256.Sum256([]byte(name))
		return prefix + hex.EncodeToString(sum[:16])
	}
	return key(groupLockPrefix), key("group:")
}

// lockName names one of a lease's environments for people: an environment
// by its name, either of the group's locks as the group (Status.Describe
// names it once; an earlier version's lease holds only the legacy one).
func (p *Promoter) lockName(env string) string {
	if env == p.groupLock || env == p.legacyLock {
		return fmt.Sprintf("group %q", p.group.Name)
	}
	return p.name(env)
}

// admitted asks Config.Admit whether env may change.
func (p *Promoter) admitted(ctx context.Context, env string) error {
	if p.admit == nil {
		return nil
	}
	return p.admit(ctx, env)
}

// name returns env's name for commit subjects, or its id.
func (p *Promoter) name(env string) string {
	if n := p.names[env]; n != "" {
		return n
	}
	return env
}

// Group returns the group the Promoter works on.
func (p *Promoter) Group() environment.Group {
	g := p.group
	g.Members = slices.Clone(g.Members)
	return g
}

// pair resolves an empty lower to the member before upper and checks that
// lower→upper is an adjacent pair (environment.ErrInvalidPair).
func (p *Promoter) pair(lower, upper string) (string, string, error) {
	if lower == "" {
		i := slices.IndexFunc(p.group.Members, func(m environment.Member) bool { return m.ID == upper })
		if i <= 0 {
			return "", "", fmt.Errorf("%w: %s is not an upper environment of group %q", environment.ErrInvalidPair, upper, p.group.Name)
		}
		lower = p.group.Members[i-1].ID
	}
	if err := p.group.Pair(lower, upper); err != nil {
		return "", "", err
	}
	return lower, upper, nil
}

func (p *Promoter) member(env string) error {
	if slices.ContainsFunc(p.group.Members, func(m environment.Member) bool { return m.ID == env }) {
		return nil
	}
	return fmt.Errorf("%w: environment %s is not a member of group %q", environment.ErrNotFound, env, p.group.Name)
}

// Lock locks lower and upper for a promotion or rollback by owner, together
// with the group, so no other promotion of the group can start. lower may be
// empty: the member before upper. owner may be empty: the context's actor
// (actor.With). The lease's ID is the promotion id.
//
// Errors wrap environment.ErrInvalidPair for a pair that is not adjacent,
// lock.ErrLocked (a *lock.LockedError naming the holder) when another lease
// holds any of them, actor.ErrMissing when no one is named, or
// lock.ErrInvalid for a bad owner.
func (p *Promoter) Lock(ctx context.Context, lower, upper, owner string) (lock.Lease, error) {
	lower, upper, err := p.pair(lower, upper)
	if err != nil {
		return lock.Lease{}, fmt.Errorf("lock: %w", err)
	}
	if owner, err = actor.Resolve(ctx, owner, "lock "+lower+" → "+upper); err != nil {
		return lock.Lease{}, err
	}
	lease, err := p.locker.Lock(ctx, []string{lower, upper, p.groupLock, p.legacyLock}, owner, lock.Options{
		TTL:         p.ttl,
		Description: fmt.Sprintf("promotion %s → %s in group %s", lower, upper, p.group.Name),
	})
	if le, ok := errors.AsType[*lock.LockedError](err); ok {
		// Named as one lock, whichever of the group's names was found
		// held, and without the Locker's list of all four.
		held := *le
		if held.Env == p.legacyLock {
			held.Env = p.groupLock
		}
		err = &held
	}
	if err != nil {
		return lock.Lease{}, fmt.Errorf("lock %s → %s: %w", lower, upper, err)
	}
	p.emit(Event{Op: "lock", Lower: lower, Upper: upper, PromotionID: lease.ID, Status: StatusComplete, Message: "locked by " + owner})
	return lease, nil
}

// Unlock releases the promotion lock with id promotionID on lower and
// upper (lower may be empty: the member before upper), also when a crash
// left only part of it held.
//
// Errors wrap environment.ErrInvalidPair, ErrNotLocked when no part of the
// pair is locked by that promotion, or lock.ErrNotHeld when the lease ran out.
func (p *Promoter) Unlock(ctx context.Context, lower, upper, promotionID string) error {
	lower, upper, err := p.pair(lower, upper)
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	var st lock.Status
	// A half-held lease holds a prefix of its sorted set, and any of
	// the four may come first.
	for _, env := range []string{upper, lower, p.groupLock, p.legacyLock} {
		if st, err = p.locker.State(ctx, env); err != nil {
			return fmt.Errorf("unlock %s → %s: %w", lower, upper, err)
		}
		if st.State != lock.StateUnlocked && st.State != lock.StateError && st.Lease.ID == promotionID && p.covers(st.Lease, lower, upper) {
			break
		}
	}
	if st.State == lock.StateUnlocked || st.State == lock.StateError || st.Lease.ID != promotionID || !p.covers(st.Lease, lower, upper) {
		st, _ = p.locker.State(ctx, upper)
		return fmt.Errorf("unlock %s → %s: %w: %s", lower, upper, ErrNotLocked, describeLock(upper, st, promotionID))
	}
	if err := p.locker.Unlock(ctx, st.Lease); err != nil {
		return fmt.Errorf("unlock %s → %s: %w", lower, upper, err)
	}
	p.emit(Event{Op: "unlock", Lower: lower, Upper: upper, PromotionID: promotionID, Status: StatusComplete, Message: "unlocked"})
	return nil
}

// covers reports whether lease is a promotion lease of this group on lower
// and upper. Either of the group's lock names shuts out every other
// promotion of the group (every version locks the legacy one, this one
// both), so a lease an earlier version took covers the pair too.
func (p *Promoter) covers(l lock.Lease, lower, upper string) bool {
	return slices.Contains(l.Envs, lower) && slices.Contains(l.Envs, upper) &&
		(slices.Contains(l.Envs, p.groupLock) || slices.Contains(l.Envs, p.legacyLock))
}

func describeLock(env string, st lock.Status, want string) string {
	switch {
	case st.State == lock.StateUnlocked:
		return env + " is unlocked"
	case st.State == lock.StateError:
		return fmt.Sprintf("the lock of %s is in error: %s", env, st.Detail)
	case want != "" && st.Lease.ID != want:
		return fmt.Sprintf("%s is %s by promotion %s of %q, not %s", env, st.State, st.Lease.ID, st.Lease.Owner, want)
	}
	return fmt.Sprintf("%s is %s by promotion %s of %q (%s)", env, st.State, st.Lease.ID, st.Lease.Owner, st.Lease.Description)
}

// LockState is the lock state of a pair; httpapi answers AIC's lock/state
// with it.
type LockState struct {
	// Result is the pair's state: unlocked, locking, locked or unlocking.
	// Locking and unlocking also describe a pair a crash left half held:
	// Description then names the lease's end and the way out (Unlock with
	// PromotionID). Result is error only when a lock record is unreadable
	// or the two environments are held by different leases.
	Result      lock.State
	PromotionID string
	Description string
	Lower       EnvLock
	Upper       EnvLock
	// Lease is the lease holding the pair, when Result is locked.
	Lease lock.Lease
}

// EnvLock is one environment's side of a LockState.
type EnvLock struct {
	ID          string
	PromotionID string
	State       lock.State
}

// LockState reports whether lower and upper are locked for a promotion, and
// by which lease. lower may be empty: the member before upper. Errors wrap
// environment.ErrInvalidPair or the Locker's errors.
func (p *Promoter) LockState(ctx context.Context, lower, upper string) (LockState, error) {
	lower, upper, err := p.pair(lower, upper)
	if err != nil {
		return LockState{}, fmt.Errorf("lock state: %w", err)
	}
	var sts [2]lock.Status
	for i, env := range []string{lower, upper} {
		if sts[i], err = p.locker.State(ctx, env); err != nil {
			return LockState{}, fmt.Errorf("lock state of %s: %w", env, err)
		}
	}
	ls := LockState{
		Lower: EnvLock{ID: lower, PromotionID: sts[0].Lease.ID, State: sts[0].State},
		Upper: EnvLock{ID: upper, PromotionID: sts[1].Lease.ID, State: sts[1].State},
	}
	lo, up := sts[0], sts[1]
	held, other := up, lo // held: a side some lease holds
	if held.State == lock.StateUnlocked {
		held, other = lo, up
	}
	switch {
	case lo.State == lock.StateError || up.State == lock.StateError:
		ls.Result = lock.StateError
		ls.Description = strings.TrimSpace(lo.Detail + " " + up.Detail)
	case lo.State == lock.StateUnlocked && up.State == lock.StateUnlocked:
		ls.Result = lock.StateUnlocked
	case other.State != lock.StateUnlocked && other.Lease.ID != held.Lease.ID:
		ls.Result = lock.StateError
		ls.Description = describeLock(lower, lo, "") + "; " + describeLock(upper, up, "")
	default:
		// One lease, on one side or both. The two States are read one
		// after the other, so a Lock or Unlock may have moved between
		// them: the pair is in the step either side saw, never error.
		ls.Result, ls.PromotionID, ls.Description = held.State, held.Lease.ID, held.Lease.Description
		switch {
		case lo.State == lock.StateUnlocking || up.State == lock.StateUnlocking:
			ls.Result = lock.StateUnlocking
		case lo.State == lock.StateLocking || up.State == lock.StateLocking:
			ls.Result = lock.StateLocking
		case !p.covers(held.Lease, lower, upper):
			// Held by a lease of another pair of the group, or a revert.
		case other.State == lock.StateUnlocked: // released between the reads
			ls.Result = lock.StateUnlocking
		default:
			ls.Lease = held.Lease
		}
		if d := cmp.Or(held.Describe(p.lockName), other.Describe(p.lockName)); d != "" {
			ls.Description += ": " + d
		}
	}
	return ls, nil
}

// currentLease returns the lease holding lower and upper for this group,
// or an error wrapping ErrNotLocked.
func (p *Promoter) currentLease(ctx context.Context, lower, upper string) (lock.Lease, error) {
	st, err := p.locker.State(ctx, upper)
	if err != nil {
		return lock.Lease{}, err
	}
	if st.State != lock.StateLocked || !p.covers(st.Lease, lower, upper) {
		return lock.Lease{}, fmt.Errorf("%w: %s; lock the pair first (Lock), or use PromoteAndUnlock, which locks and unlocks", ErrNotLocked, describeLock(upper, st, ""))
	}
	return st.Lease, nil
}

// head returns env's newest commit and snapshot; a zero Commit and the
// empty snapshot when env has no history.
func (p *Promoter) head(ctx context.Context, env string) (store.Commit, *store.Snapshot, error) {
	c, err := p.repo.Head(ctx, env)
	if errors.Is(err, store.ErrNotFound) {
		return store.Commit{}, nil, ctx.Err()
	}
	if err != nil {
		return store.Commit{}, nil, err
	}
	snap, err := p.repo.Snapshot(ctx, c.Revision)
	return c, snap, err
}

// snapshot returns the tree at rev; the empty snapshot for the zero rev.
func (p *Promoter) snapshot(ctx context.Context, rev store.Revision) (*store.Snapshot, error) {
	if rev == "" {
		return nil, nil
	}
	return p.repo.Snapshot(ctx, rev)
}

// Edit changes env's configuration through edit, which gets a Builder on
// the current head, and records the result as one commit of type edit.
// An edit that changes nothing commits nothing and returns the head. The
// commit's author is info.Author, else the context's actor (actor.With).
//
// Errors wrap actor.ErrMissing when no one is named, ErrInvalidEdit for a
// nil edit, environment.ErrNotFound when env is not in the group,
// lock.ErrLocked while env is locked for a promotion, the error edit
// returns, or store.ErrConflict when env changed meanwhile (edit again).
func (p *Promoter) Edit(ctx context.Context, env string, edit func(*store.Builder) error, info store.CommitInfo) (store.Commit, error) {
	if err := p.member(env); err != nil {
		return store.Commit{}, fmt.Errorf("edit: %w", err)
	}
	if edit == nil {
		return store.Commit{}, fmt.Errorf("edit %s: %w: the edit function is nil; pass one that changes the Builder", env, ErrInvalidEdit)
	}
	who, err := actor.Resolve(ctx, info.Author, "edit "+env)
	if err != nil {
		return store.Commit{}, err
	}
	if err := p.admitted(ctx, env); err != nil {
		return store.Commit{}, fmt.Errorf("edit %s: %w", env, err)
	}
	info.Author = store.Author(who)
	if err := unlocked(ctx, p.locker, env); err != nil {
		return store.Commit{}, fmt.Errorf("edit %s: %w", env, err)
	}
	head, snap, err := p.head(ctx, env)
	if err != nil {
		return store.Commit{}, fmt.Errorf("edit %s: %w", env, err)
	}
	b := store.NewBuilder(snap)
	if err := edit(b); err != nil {
		return store.Commit{}, fmt.Errorf("edit %s: %w", env, err)
	}
	next := b.Snapshot()
	if head.Revision != "" {
		// Diff, not Equal: the same files may hash differently where the
		// backend keeps what a snapshot cannot hold (an executable bit).
		d, err := store.Diff(snap, next)
		if err != nil {
			return store.Commit{}, fmt.Errorf("edit %s: %w", env, err)
		}
		if len(d) == 0 {
			return head, nil
		}
	}
	info.Metadata = withMeta(info.Metadata, map[string]string{MetaType: string(TypeEdit), MetaUpper: env})
	if info.Time.IsZero() {
		info.Time = p.now()
	}
	c, err := p.repo.Commit(ctx, env, head.Revision, next, info)
	if err != nil {
		return store.Commit{}, fmt.Errorf("edit %s: %w", env, err)
	}
	p.emit(Event{Op: string(TypeEdit), Upper: env, Status: StatusComplete, Message: "edited: " + c.Message})
	return c, nil
}

// withMeta returns a copy of base with add set.
func withMeta(base, add map[string]string) map[string]string {
	m := maps.Clone(base)
	if m == nil {
		m = map[string]string{}
	}
	maps.Copy(m, add)
	return m
}

// RevertDevelopment restores the static configuration of env, the group's
// development environment, to what it was at its latest commit made before
// the time before, as a new commit of type revert. Dynamic config is kept as
// it is now, and history is never rewritten. The commit's author is the
// context's actor (actor.With).
//
// Errors wrap actor.ErrMissing when the context names no actor,
// ErrNotDevelopment for any other environment, lock.ErrLocked
// while env is locked, ErrNoHistory when no commit is that old, or
// store.ErrConflict when env changed meanwhile.
func (p *Promoter) RevertDevelopment(ctx context.Context, env string, before time.Time) (store.Commit, error) {
	if p.group.Members[0].ID != env {
		return store.Commit{}, fmt.Errorf("revert %s: %w: the development environment of group %q is %s", env, ErrNotDevelopment, p.group.Name, p.group.Members[0].ID)
	}
	who, err := actor.Resolve(ctx, "", "revert "+env)
	if err != nil {
		return store.Commit{}, err
	}
	if err := p.admitted(ctx, env); err != nil {
		return store.Commit{}, fmt.Errorf("revert %s: %w", env, err)
	}
	// A short lease on env fences the commit: a promotion that locks env
	// meanwhile waits for it or makes it fail, never overtakes it.
	lease, err := p.locker.Lock(ctx, []string{env}, who, lock.Options{TTL: p.ttl, Description: "revert of " + env})
	if err != nil {
		return store.Commit{}, fmt.Errorf("revert %s: %w", env, err)
	}
	defer p.locker.Unlock(context.WithoutCancel(ctx), lease)
	head, snap, err := p.head(ctx, env)
	if err != nil {
		return store.Commit{}, fmt.Errorf("revert %s: %w", env, err)
	}
	point, at, err := p.backupPoint(ctx, env, head.Revision, before)
	if err != nil {
		return store.Commit{}, fmt.Errorf("revert %s: %w", env, err)
	}
	old, err := p.repo.Snapshot(ctx, point)
	if err != nil {
		return store.Commit{}, fmt.Errorf("revert %s: %w", env, err)
	}
	target, _, err := mergeStatic(p.layout, snap, old)
	if err != nil {
		return store.Commit{}, fmt.Errorf("revert %s: %w", env, err)
	}
	c, err := p.locker.Commit(ctx, lease, p.repo, store.Update{Branch: env, Parent: head.Revision, Snapshot: target, Info: store.CommitInfo{
		Author:   store.Author(who),
		Time:     p.now(),
		Message:  fmt.Sprintf("Revert the static config of %s to %s (%s)", p.name(env), point, at.UTC().Format(time.RFC3339)),
		Metadata: map[string]string{MetaType: string(TypeRevert), MetaSource: string(point), MetaUpper: env},
	}})
	if err != nil {
		return store.Commit{}, fmt.Errorf("revert %s: %w", env, err)
	}
	p.emit(Event{Op: string(TypeRevert), Upper: env, Status: StatusComplete, Message: c.Message})
	return c, nil
}

func (p *Promoter) emit(e Event) {
	e.Time = p.now()
	level := slog.LevelInfo
	if e.Status == StatusError {
		level = slog.LevelWarn
	}
	p.logger.Log(context.Background(), level, e.Message, "op", e.Op, "lower", e.Lower, "upper", e.Upper, "promotionId", e.PromotionID, "status", e.Status)
	if p.observer != nil {
		p.observer(e)
	}
}

// newID returns a random UUID (version 4).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
