package envpromote

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/store"
)

// maxSlug bounds the part of an alias taken from an environment's name.
const maxSlug = 64

// Slug returns the alias an environment named name gets in a Git-backed
// Tenant's repository (refs/names/<slug>, so `git log names/<slug>`): the
// name in lower case with Latin accents dropped, each run of characters
// other than ASCII letters and digits written as one '-', without leading
// or trailing '-', cut to 64 bytes; "env" if nothing is left. "Dev QA (EU)"
// → "dev-qa-eu", "Producción" → "produccion". ASCII keeps refs portable:
// some file systems fold case or normalise Unicode in file names.
//
// Two environments whose names give the same slug ("Dev QA" and "dev-qa")
// share it thus: the one the alias already names keeps it, else the oldest
// takes it, and each other one gets "<slug>-<first 8 characters of its
// id>" (or "<slug>-<id>" if that too is taken), so every environment stays
// reachable and an alias never moves to another environment while the one
// it names keeps its name.
func Slug(name string) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(name) {
		plain := string(r)
		if f, ok := latin[r]; ok {
			plain = f
		}
		if c := plain[0]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if gap && b.Len() > 0 {
				b.WriteByte('-')
			}
			gap = false
			b.WriteString(plain)
			continue
		}
		gap = true
	}
	s := b.String()
	if len(s) > maxSlug {
		s = strings.TrimRight(s[:maxSlug], "-")
	}
	if s == "" {
		s = "env"
	}
	return s
}

// latin maps the lower-case Latin letters with diacritics (Latin-1 and
// Latin Extended-A) to ASCII.
var latin = func() map[rune]string {
	m := map[rune]string{}
	for ascii, runes := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ďđð", "e": "èéêëēĕėęě", "g": "ĝğġģ",
		"h": "ĥħ", "i": "ìíîïĩīĭįı", "j": "ĵ", "k": "ķĸ", "l": "ĺļľŀł", "n": "ñńņňŉŋ",
		"o": "òóôõöøōŏő", "r": "ŕŗř", "s": "śŝşšſ", "t": "ţťŧ", "u": "ùúûüũūŭůűų",
		"w": "ŵ", "y": "ýÿŷ", "z": "źżž", "ss": "ß", "ae": "æ", "oe": "œ", "th": "þ", "ij": "ĳ",
	} {
		for _, r := range runes {
			m[r] = ascii
		}
	}
	return m
}()

// names keeps the repository's aliases (store.Namer) in step with the
// Registry's environment names. It is a convenience for people reading the
// repository: a failure is logged, never returned to the change that caused
// it.
type names struct {
	t     *Tenant
	n     store.Namer // nil: the repository keeps no aliases
	mu    sync.Mutex  // one sync at a time; guards the maps
	named map[string]bool
	// branch holds the environments known to have a configuration
	// branch, which is never deleted, so sync asks the Repo (a round trip
	// with a remote) only about the others.
	branch map[string]bool
}

// sync rewrites the aliases of the organization's environments whose
// configuration branch exists, and deletes aliases of environments the
// Registry no longer has. Aliases of another organization's environments
// (sharing the repository) are left alone.
func (ns *names) sync(ctx context.Context) error {
	if ns.n == nil {
		return nil
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	t := ns.t
	envs, err := t.registry.List(ctx, t.system(), "")
	if err != nil {
		return err
	}
	cur, err := ns.n.Aliases(ctx)
	if err != nil {
		return err
	}
	ours := map[string]bool{}
	var live []environment.Environment
	if ns.branch == nil {
		ns.branch = map[string]bool{}
	}
	for _, e := range envs {
		ours[e.ID] = true
		if !ns.branch[e.ID] {
			_, err := t.repo.Head(ctx, e.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			ns.branch[e.ID] = err == nil
		}
		if ns.branch[e.ID] {
			live = append(live, e)
		}
	}
	taken := map[string]bool{} // aliases that are not ours to give
	for alias, branch := range cur {
		if ours[branch] {
			continue
		}
		if _, err := t.registry.Lookup(ctx, branch); err == nil {
			taken[alias] = true
		} else if errors.Is(err, environment.ErrNotFound) {
			if err := ns.n.DeleteAlias(ctx, alias); err != nil {
				return err
			}
		} else {
			return err
		}
	}
	want := assign(live, cur, taken)
	for alias, branch := range cur {
		if _, kept := want[alias]; ours[branch] && !kept { // a kept one is rewritten below
			if err := ns.n.DeleteAlias(ctx, alias); err != nil {
				return err
			}
		}
	}
	ns.named = map[string]bool{}
	for alias, id := range want {
		if cur[alias] != id {
			if err := ns.n.SetAlias(ctx, alias, id); err != nil {
				return err
			}
		}
		ns.named[id] = true
	}
	return nil
}

// assign gives each environment its alias by the rules of Slug: cur are
// the aliases as they are, taken those that may not be given.
func assign(envs []environment.Environment, cur map[string]string, taken map[string]bool) map[string]string {
	bySlug := map[string][]environment.Environment{}
	for _, e := range envs {
		s := Slug(e.Name)
		bySlug[s] = append(bySlug[s], e)
	}
	want := map[string]string{}
	var rest []environment.Environment
	for s, es := range bySlug {
		holder := func(e environment.Environment) int {
			if e.ID == cur[s] {
				return 0
			}
			return 1
		}
		slices.SortFunc(es, func(a, b environment.Environment) int {
			return cmp.Or(cmp.Compare(holder(a), holder(b)), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
		if taken[s] {
			rest = append(rest, es...)
			continue
		}
		want[s] = es[0].ID
		rest = append(rest, es[1:]...)
	}
	slices.SortFunc(rest, func(a, b environment.Environment) int { return cmp.Compare(a.ID, b.ID) })
	for _, e := range rest {
		s, id := Slug(e.Name), strings.ToLower(e.ID)
		for _, alias := range []string{s + "-" + Slug(id[:min(8, len(id))]), s + "-" + Slug(id)} {
			if _, used := want[alias]; !used && !taken[alias] {
				want[alias] = e.ID
				break
			}
		}
	}
	return want
}

// changed is called after every Registry change: a renamed or hard-deleted
// environment moves the aliases. A created one has no branch to name yet
// (see committed).
func (ns *names) changed(ctx context.Context, e environment.Event) {
	switch {
	case e.Action == environment.ActionDeleted,
		e.Action == environment.ActionUpdated && e.Before != nil && e.After != nil && e.Before.Name != e.After.Name:
		ns.resync(ctx)
	}
}

// committed is called after each completed promotion, rollback, edit or
// revert into env (or its dry run): an environment's first commit creates
// the branch its alias can name.
func (ns *names) committed(ctx context.Context, env string) {
	if ns.n == nil {
		return
	}
	ns.mu.Lock()
	done := ns.named[env]
	ns.mu.Unlock()
	if !done {
		ns.resync(ctx)
	}
}

func (ns *names) resync(ctx context.Context) {
	if err := ns.sync(ctx); err != nil {
		ns.t.opts.Logger.Warn("updating the environment names of the repository (refs/names) failed", "err", err)
	}
}
