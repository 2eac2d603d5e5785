package esv

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/internal/retry"
)

// Guard is consulted before every write to an environment's ESVs. A non-nil
// error refuses the write; the write's error wraps it, so a promotion lock's
// lock.ErrLocked stays matchable with errors.Is.
type Guard func(ctx context.Context, env string) error

// Lookup returns the value of the ESV named name, and whether it has one.
type Lookup func(name string) (value string, ok bool)

// Options configures a Service. The zero value is useful: no guard, the
// system clock, restarts that complete at once.
type Options struct {
	Guard Guard            // nil: writes are never refused
	Now   func() time.Time // nil: time.Now
	// RestartDelay is how long an environment stays Restarting after
	// Restart before its pending changes are loaded; zero loads them at once.
	RestartDelay time.Duration
}

// Service is the ESV API of a set of environments: it enforces every ESV
// rule once, over any Store. It is safe for concurrent use, also by several
// processes sharing one Store.
//
// Every change is pending until the environment restarts: Restart snapshots
// the current variables and enabled secret versions, and once the restart
// completes the environment runs with (has "loaded") that snapshot.
type Service struct {
	store Store
	opts  Options
}

// New returns a Service over store.
func New(store Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

// WithActor returns a context whose writes are recorded as made by who
// (lastChangedBy, and the author of a gitesv commit). It is actor.With:
// every write needs an actor, and one without is refused (actor.ErrMissing).
func WithActor(ctx context.Context, who string) context.Context {
	return actor.With(ctx, who)
}

// Change describes the write a Store.Save carries out: who makes it and
// what it does, such as "set variable esv-greeting". Service puts it in the
// context it passes to Save; stores that keep history (gitesv) record it.
type Change struct {
	Actor   string
	Summary string
}

type changeKey struct{}

// ChangeOf returns the Change of a Save's context; the zero Change outside
// Service.
func ChangeOf(ctx context.Context) Change {
	c, _ := ctx.Value(changeKey{}).(Change)
	return c
}

// errNoop ends an update that has nothing to write.
var errNoop = errors.New("no change")

// update applies fn to env's current state and saves the result by
// compare-and-set, retrying from a fresh state when another write won,
// within the library's retry policy. The guard is asked before every
// attempt.
func (s *Service) update(ctx context.Context, env, what string, fn func(st *State, now time.Time) error) error {
	wrap := func(err error) error { return fmt.Errorf("esv: %s in %q: %w", what, env, err) }
	if env == "" {
		return wrap(fmt.Errorf("%w: empty environment name", ErrInvalid))
	}
	who, err := actor.Resolve(ctx, "", "esv: "+what+" in "+strconv.Quote(env))
	if err != nil {
		return err
	}
	ctx = context.WithValue(ctx, changeKey{}, Change{Actor: who, Summary: what})
	for loop := retry.Default.Start(); ; {
		if err := ctx.Err(); err != nil {
			return wrap(err)
		}
		if s.opts.Guard != nil {
			if err := s.opts.Guard(ctx, env); err != nil {
				return wrap(err)
			}
		}
		st, rev, err := s.store.Load(ctx, env)
		if err != nil {
			return wrap(err)
		}
		now := s.opts.Now()
		settle(&st, now)
		if err := fn(&st, now); err != nil {
			if errors.Is(err, errNoop) {
				return nil
			}
			return wrap(err)
		}
		_, err = s.store.Save(ctx, env, rev, st)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrConflict) {
			return wrap(err)
		}
		if err := loop.Wait(ctx, err); err != nil {
			return wrap(err)
		}
	}
}

// view returns env's current state, with a completed restart applied.
func (s *Service) view(ctx context.Context, env, what string) (State, error) {
	if env == "" {
		return State{}, fmt.Errorf("esv: %s in %q: %w: empty environment name", what, env, ErrInvalid)
	}
	st, _, err := s.store.Load(ctx, env)
	if err != nil {
		return State{}, fmt.Errorf("esv: %s in %q: %w", what, env, err)
	}
	settle(&st, s.opts.Now())
	return st, nil
}

// settle completes a restart whose time has come.
func settle(st *State, now time.Time) {
	if p := st.Restart.Pending; p != nil && !now.Before(st.Restart.ReadyAt) {
		st.Loaded, st.Restart = *p, Restart{}
	}
}

func notFound(kind, name string) error {
	return fmt.Errorf("%w: no %s named %q", ErrNotFound, kind, name)
}

// checkFree refuses a name already used by the other kind of ESV: a
// placeholder could not tell them apart.
func checkFree(st *State, name string, variable bool) error {
	_, isVar := st.Variables[name]
	_, isSecret := st.Secrets[name]
	switch {
	case variable && isSecret:
		return fmt.Errorf("%w: a secret named %q exists; variable and secret names share one namespace", ErrExists, name)
	case !variable && isVar:
		return fmt.Errorf("%w: a variable named %q exists; variable and secret names share one namespace", ErrExists, name)
	}
	return nil
}

// ---- variables

// Variables lists env's variables sorted by name.
func (s *Service) Variables(ctx context.Context, env string, opts ListOptions) ([]Variable, error) {
	st, err := s.view(ctx, env, "list variables")
	if err != nil {
		return nil, err
	}
	var out []Variable
	for _, name := range slices.Sorted(maps.Keys(st.Variables)) {
		if v := variableView(&st, name); !opts.OnlyPending || !v.Loaded {
			out = append(out, v)
		}
	}
	return out, nil
}

// Variable returns one variable (ErrNotFound if env has none named name).
func (s *Service) Variable(ctx context.Context, env, name string) (Variable, error) {
	st, err := s.view(ctx, env, "get variable "+name)
	if err != nil {
		return Variable{}, err
	}
	if _, ok := st.Variables[name]; !ok {
		return Variable{}, fmt.Errorf("esv: get variable in %q: %w", env, notFound("variable", name))
	}
	return variableView(&st, name), nil
}

func variableView(st *State, name string) Variable {
	v := st.Variables[name]
	l, ok := st.Loaded.Variables[name]
	v.Loaded = ok && l.Value == v.Value && l.ExpressionType == v.ExpressionType
	return v
}

// SetVariable creates or updates a variable. The name must be valid
// (ErrInvalidName) and not a secret's (ErrExists); the expression type is
// fixed at creation and the value must fit it (ErrInvalid). The change is
// pending until Restart.
func (s *Service) SetVariable(ctx context.Context, env, name string, spec VariableSpec) (Variable, error) {
	var out Variable
	err := s.update(ctx, env, "set variable "+name, func(st *State, now time.Time) error {
		if err := ValidateName(name); err != nil {
			return err
		}
		if err := checkDescription(spec.Description); err != nil {
			return err
		}
		if err := checkFree(st, name, true); err != nil {
			return err
		}
		typ := cmp.Or(spec.ExpressionType, TypeString)
		if old, ok := st.Variables[name]; ok {
			typ = cmp.Or(spec.ExpressionType, old.ExpressionType)
			if typ != old.ExpressionType {
				return fmt.Errorf("%w: expressionType is fixed at creation: %q is %s, not %s", ErrInvalid, name, old.ExpressionType, typ)
			}
		}
		if err := typ.Check([]byte(spec.Value)); err != nil {
			return err
		}
		if st.Variables == nil {
			st.Variables = map[string]Variable{}
		}
		st.Variables[name] = Variable{Name: name, Description: spec.Description, ExpressionType: typ, Value: spec.Value,
			LastChangedBy: actor.From(ctx), LastChangeDate: now}
		out = variableView(st, name)
		return nil
	})
	return out, err
}

// SetVariableDescription changes a variable's description (ErrNotFound,
// ErrInvalid).
func (s *Service) SetVariableDescription(ctx context.Context, env, name, description string) (Variable, error) {
	var out Variable
	err := s.update(ctx, env, "set description of variable "+name, func(st *State, now time.Time) error {
		v, ok := st.Variables[name]
		if !ok {
			return notFound("variable", name)
		}
		if err := checkDescription(description); err != nil {
			return err
		}
		v.Description, v.LastChangedBy, v.LastChangeDate = description, actor.From(ctx), now
		st.Variables[name] = v
		out = variableView(st, name)
		return nil
	})
	return out, err
}

// DeleteVariable deletes a variable (ErrNotFound). The environment keeps
// running with it until Restart.
func (s *Service) DeleteVariable(ctx context.Context, env, name string) error {
	return s.update(ctx, env, "delete variable "+name, func(st *State, _ time.Time) error {
		if _, ok := st.Variables[name]; !ok {
			return notFound("variable", name)
		}
		delete(st.Variables, name)
		return nil
	})
}

// ---- secrets

// Secrets lists env's secrets sorted by name, without values.
func (s *Service) Secrets(ctx context.Context, env string, opts ListOptions) ([]Secret, error) {
	st, err := s.view(ctx, env, "list secrets")
	if err != nil {
		return nil, err
	}
	var out []Secret
	for _, name := range slices.Sorted(maps.Keys(st.Secrets)) {
		if v := secretView(&st, name); !opts.OnlyPending || !v.Loaded {
			out = append(out, v)
		}
	}
	return out, nil
}

// Secret returns one secret's metadata (ErrNotFound).
func (s *Service) Secret(ctx context.Context, env, name string) (Secret, error) {
	st, err := s.view(ctx, env, "get secret "+name)
	if err != nil {
		return Secret{}, err
	}
	if _, ok := st.Secrets[name]; !ok {
		return Secret{}, fmt.Errorf("esv: get secret in %q: %w", env, notFound("secret", name))
	}
	return secretView(&st, name), nil
}

func secretView(st *State, name string) Secret {
	ss := st.Secrets[name]
	sec := ss.Secret
	sec.ActiveVersion = ss.Versions[len(ss.Versions)-1].Version
	l, ok := st.Loaded.Secrets[name]
	sec.LoadedVersion = l.Version
	sec.Loaded = ok && l.Version == sec.ActiveVersion && l.UseInPlaceholders == sec.UseInPlaceholders
	enabled := 0
	for _, v := range ss.Versions {
		if v.Status == Enabled {
			enabled++
			sec.Loaded = sec.Loaded && versionLoaded(l, v)
		}
	}
	sec.Loaded = sec.Loaded && enabled == len(l.Versions)
	return sec
}

func versionLoaded(l LoadedSecret, v VersionState) bool {
	lv, ok := l.Versions[v.Version]
	return ok && lv.Equal(v.Value)
}

// CreateSecret creates a secret with its first version. The name must be
// valid (ErrInvalidName) and unused (ErrExists); the encoding must be known
// and the value valid for it (ErrInvalid).
func (s *Service) CreateSecret(ctx context.Context, env, name string, spec SecretSpec) (Secret, error) {
	var out Secret
	err := s.update(ctx, env, "create secret "+name, func(st *State, now time.Time) error {
		if err := ValidateName(name); err != nil {
			return err
		}
		if err := checkDescription(spec.Description); err != nil {
			return err
		}
		if _, ok := st.Secrets[name]; ok {
			return fmt.Errorf("%w: a secret named %q exists", ErrExists, name)
		}
		if err := checkFree(st, name, false); err != nil {
			return err
		}
		enc := cmp.Or(spec.Encoding, EncodingGeneric)
		if err := enc.Check(spec.Value.Reveal()); err != nil {
			return err
		}
		if st.Secrets == nil {
			st.Secrets = map[string]SecretState{}
		}
		st.Secrets[name] = SecretState{
			Secret: Secret{Name: name, Description: spec.Description, Encoding: enc, UseInPlaceholders: spec.UseInPlaceholders,
				LastChangedBy: actor.From(ctx), LastChangeDate: now},
			Versions: []VersionState{{SecretVersion{Version: 1, CreateDate: now, Status: Enabled}, spec.Value}},
		}
		out = secretView(st, name)
		return nil
	})
	return out, err
}

// changeSecret runs fn on the named secret (ErrNotFound), stamps the change
// and returns the state written (or, when fn returns errNoop, read).
func (s *Service) changeSecret(ctx context.Context, env, name, what string, fn func(ss *SecretState, now time.Time) error) (State, error) {
	var out State
	err := s.update(ctx, env, what+" of secret "+name, func(st *State, now time.Time) error {
		ss, ok := st.Secrets[name]
		if !ok {
			return notFound("secret", name)
		}
		out = *st
		if err := fn(&ss, now); err != nil {
			return err
		}
		ss.LastChangedBy, ss.LastChangeDate = actor.From(ctx), now
		st.Secrets[name] = ss
		out = *st
		return nil
	})
	return out, err
}

// SetSecretDescription changes a secret's description (ErrNotFound,
// ErrInvalid).
func (s *Service) SetSecretDescription(ctx context.Context, env, name, description string) (Secret, error) {
	st, err := s.changeSecret(ctx, env, name, "set description", func(ss *SecretState, _ time.Time) error {
		if err := checkDescription(description); err != nil {
			return err
		}
		ss.Description = description
		return nil
	})
	if err != nil {
		return Secret{}, err
	}
	return secretView(&st, name), nil
}

// DeleteSecret deletes a secret and all its versions (ErrNotFound). The
// environment keeps running with it until Restart.
func (s *Service) DeleteSecret(ctx context.Context, env, name string) error {
	return s.update(ctx, env, "delete secret "+name, func(st *State, _ time.Time) error {
		if _, ok := st.Secrets[name]; !ok {
			return notFound("secret", name)
		}
		delete(st.Secrets, name)
		return nil
	})
}

// SecretVersions lists a secret's versions, oldest first, without values
// (ErrNotFound).
func (s *Service) SecretVersions(ctx context.Context, env, name string) ([]SecretVersion, error) {
	st, err := s.view(ctx, env, "list versions of secret "+name)
	if err != nil {
		return nil, err
	}
	ss, ok := st.Secrets[name]
	if !ok {
		return nil, fmt.Errorf("esv: list secret versions in %q: %w", env, notFound("secret", name))
	}
	out := make([]SecretVersion, len(ss.Versions))
	for i, v := range ss.Versions {
		out[i] = versionView(&st, name, v)
	}
	return out, nil
}

// SecretVersion returns one version of a secret, without its value; version
// Latest names the latest (ErrNotFound).
func (s *Service) SecretVersion(ctx context.Context, env, name string, version int) (SecretVersion, error) {
	st, err := s.view(ctx, env, "get version of secret "+name)
	if err != nil {
		return SecretVersion{}, err
	}
	ss, ok := st.Secrets[name]
	i, err := findVersion(ss, ok, name, version)
	if err != nil {
		return SecretVersion{}, fmt.Errorf("esv: get secret version in %q: %w", env, err)
	}
	return versionView(&st, name, ss.Versions[i]), nil
}

func versionView(st *State, name string, v VersionState) SecretVersion {
	out := v.SecretVersion
	out.Loaded = versionLoaded(st.Loaded.Secrets[name], v)
	return out
}

// findVersion returns the index of version (Latest: the last) in ss.
func findVersion(ss SecretState, exists bool, name string, version int) (int, error) {
	if !exists {
		return 0, notFound("secret", name)
	}
	if version == Latest {
		return len(ss.Versions) - 1, nil
	}
	i, ok := slices.BinarySearchFunc(ss.Versions, version, func(v VersionState, n int) int { return cmp.Compare(v.Version, n) })
	if !ok {
		return 0, fmt.Errorf("%w: secret %q has no version %d", ErrNotFound, name, version)
	}
	return i, nil
}

// CreateSecretVersion adds a version holding value, which becomes the
// latest, enabled and active. When value equals the latest version's the
// call changes nothing and returns the latest version. Errors: ErrNotFound,
// ErrInvalid (value not valid for the secret's encoding).
func (s *Service) CreateSecretVersion(ctx context.Context, env, name string, value SecretValue) (SecretVersion, error) {
	var number int
	st, err := s.changeSecret(ctx, env, name, "create version", func(ss *SecretState, now time.Time) error {
		latest := ss.Versions[len(ss.Versions)-1]
		number = latest.Version
		if latest.Value.Equal(value) {
			return errNoop
		}
		if err := ss.Encoding.Check(value.Reveal()); err != nil {
			return err
		}
		number++
		ss.Versions = append(ss.Versions, VersionState{SecretVersion{Version: number, CreateDate: now, Status: Enabled}, value})
		return nil
	})
	if err != nil {
		return SecretVersion{}, err
	}
	return versionView(&st, name, st.Secrets[name].Versions[len(st.Secrets[name].Versions)-1]), nil
}

// SetSecretVersionStatus enables or disables a version (Latest: the latest).
// The latest version cannot be disabled (ErrLatestVersion). Errors also:
// ErrNotFound, ErrInvalid (unknown status).
func (s *Service) SetSecretVersionStatus(ctx context.Context, env, name string, version int, status VersionStatus) (SecretVersion, error) {
	var i int
	st, err := s.changeSecret(ctx, env, name, fmt.Sprintf("set status of version %d", version), func(ss *SecretState, _ time.Time) error {
		if status != Enabled && status != Disabled {
			return fmt.Errorf("%w: status %.40q is unknown (allowed: %q, %q)", ErrInvalid, status, Enabled, Disabled)
		}
		var err error
		if i, err = findVersion(*ss, true, name, version); err != nil {
			return err
		}
		if status == Disabled && i == len(ss.Versions)-1 {
			return fmt.Errorf("%w: version %d of %q is the latest", ErrLatestVersion, ss.Versions[i].Version, name)
		}
		if ss.Versions[i].Status == status {
			return errNoop
		}
		ss.Versions[i].Status = status
		return nil
	})
	if err != nil {
		return SecretVersion{}, err
	}
	return versionView(&st, name, st.Secrets[name].Versions[i]), nil
}

// DeleteSecretVersion deletes a version (Latest: the latest). The latest
// version cannot be deleted (ErrLatestVersion); errors also: ErrNotFound.
// Version numbers are never reused.
func (s *Service) DeleteSecretVersion(ctx context.Context, env, name string, version int) error {
	_, err := s.changeSecret(ctx, env, name, fmt.Sprintf("delete version %d", version), func(ss *SecretState, _ time.Time) error {
		i, err := findVersion(*ss, true, name, version)
		if err != nil {
			return err
		}
		if i == len(ss.Versions)-1 {
			return fmt.Errorf("%w: version %d of %q is the latest", ErrLatestVersion, ss.Versions[i].Version, name)
		}
		ss.Versions = slices.Delete(ss.Versions, i, i+1)
		return nil
	})
	return err
}

// ---- restart and expansion

// Restart restarts env so that it loads every pending change: the current
// variables and, for each secret, its enabled versions with the latest
// active. It returns Restarting while Options.RestartDelay has not passed,
// then the environment is Ready with the snapshot taken here; changes made
// meanwhile stay pending. Restart is a write: the Guard may refuse it.
func (s *Service) Restart(ctx context.Context, env string) (RestartStatus, error) {
	status := Ready
	err := s.update(ctx, env, "restart", func(st *State, now time.Time) error {
		snap := Loaded{Variables: maps.Clone(st.Variables), Secrets: map[string]LoadedSecret{}}
		for name, ss := range st.Secrets {
			l := LoadedSecret{Version: ss.Versions[len(ss.Versions)-1].Version, UseInPlaceholders: ss.UseInPlaceholders, Versions: map[int]SecretValue{}}
			for _, v := range ss.Versions {
				if v.Status == Enabled {
					l.Versions[v.Version] = v.Value
				}
			}
			snap.Secrets[name] = l
		}
		st.Restart = Restart{Pending: &snap, ReadyAt: now.Add(s.opts.RestartDelay)}
		settle(st, now)
		if st.Restart.Pending != nil {
			status = Restarting
		}
		return nil
	})
	return status, err
}

// RestartStatus returns Restarting while a restart is in progress, else
// Ready.
func (s *Service) RestartStatus(ctx context.Context, env string) (RestartStatus, error) {
	st, err := s.view(ctx, env, "get restart status")
	if err != nil {
		return "", err
	}
	if st.Restart.Pending != nil {
		return Restarting, nil
	}
	return Ready, nil
}

// Lookup returns the values env runs with, for Expand: the variables and the
// active versions of the secrets that allow use in placeholders, as loaded
// by the last completed restart. It is the only method that reveals secret
// values.
func (s *Service) Lookup(ctx context.Context, env string) (Lookup, error) {
	st, err := s.view(ctx, env, "look up values")
	if err != nil {
		return nil, err
	}
	loaded := st.Loaded
	return func(name string) (string, bool) {
		if v, ok := loaded.Variables[name]; ok {
			return v.Value, true
		}
		if sec, ok := loaded.Secrets[name]; ok && sec.UseInPlaceholders {
			return string(sec.Versions[sec.Version].Reveal()), true
		}
		return "", false
	}, nil
}
