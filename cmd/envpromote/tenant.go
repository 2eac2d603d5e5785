package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/envpromote/envpromote"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

// system is the front door (an envpromote.Tenant) as the command uses it:
// the repository's organization, the actor, and the actor's principal.
type system struct {
	t          *envpromote.Tenant
	opts       envpromote.Options
	org, actor string
	p          environment.Principal
	// observer, when set, receives the promotion events of this run.
	observer func(promotion.Event)

	servedMu   sync.Mutex
	lastServed *servedAnswer // see served
}

// orgBranch holds the organization init recorded, so that every later
// command — on this machine or, through --remote, another — opens the
// Tenant of that organization.
const (
	orgBranch = "organization"
	orgFile   = "organization"
)

// open opens the Tenant behind --repo/--remote; only init, or a --remote
// cache, creates its repository.
func (a *app) open(ctx context.Context) (*system, error) {
	if a.sys != nil {
		return a.sys, nil
	}
	key, err := a.key()
	if err != nil {
		return nil, err
	}
	clock, err := a.clock()
	if err != nil {
		return nil, err
	}
	// Only init creates a repository: a mistyped --repo must not leave an
	// empty one behind. With --remote, --repo is a cache made on demand.
	if _, err := os.Stat(a.repo); errors.Is(err, fs.ErrNotExist) && !a.initing && a.remote == "" {
		return nil, fmt.Errorf("no envpromote repository at %s: create it with envpromote init, or point --repo or $ENVPROMOTE_REPO at it", a.repo)
	}
	s := &system{actor: a.as}
	s.opts = envpromote.Options{Dir: a.repo, Remote: a.remote, Key: key, Clock: clock, Logger: slog.New(eventHandler{s, slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})})}
	if s.t, err = envpromote.Open(ctx, s.opts); err != nil {
		return nil, err
	}
	a.sys = s // closed by a.close from here on
	org, err := s.recordedOrg(ctx)
	if err != nil {
		return nil, err
	}
	if org != "" {
		if err := s.reopen(ctx, org); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// reopen opens the Tenant of org, the repository's organization.
func (s *system) reopen(ctx context.Context, org string) error {
	s.t.Close()
	s.opts.Organization = org
	t, err := envpromote.Open(ctx, s.opts)
	if err != nil {
		return err
	}
	s.t, s.org, s.p = t, org, t.Admin(s.actor)
	return nil
}

func (a *app) close() {
	if a.sys != nil {
		a.sys.t.Close()
	}
}

// clock is the Tenant's clock: fixed at $ENVPROMOTE_TIME (RFC 3339) when
// set, like GIT_COMMITTER_DATE, for scripts that replay history; else the
// system clock.
func (a *app) clock() (func() time.Time, error) {
	v := a.getenv("ENVPROMOTE_TIME")
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, usagef("$ENVPROMOTE_TIME %q: not an RFC 3339 time (2026-11-30T17:00:00Z)", v)
	}
	return func() time.Time { return t }, nil
}

// recordedOrg reads the organization init recorded; "" before init.
func (s *system) recordedOrg(ctx context.Context) (string, error) {
	head, err := s.t.Repo().Head(ctx, orgBranch)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	snap, err := s.t.Repo().Snapshot(ctx, head.Revision)
	if err != nil {
		return "", err
	}
	b, err := snap.ReadFile(orgFile)
	return strings.TrimSpace(string(b)), err
}

// initOrg records org (once) and grants it lic.
func (s *system) initOrg(ctx context.Context, org string, lic environment.License) error {
	if s.org == "" {
		snap, err := store.New(map[string][]byte{orgFile: []byte(org + "\n")})
		if err != nil {
			return err
		}
		if _, err := s.t.Repo().Commit(ctx, orgBranch, "", snap, store.CommitInfo{
			Author: s.actor, Message: "Initialize organization " + org}); err != nil {
			return err
		}
		if err := s.reopen(ctx, org); err != nil {
			return err
		}
	}
	return s.t.Licenses().Put(ctx, lic)
}

func (s *system) Registry() *environment.Registry { return s.t.Registry() }
func (s *system) ESV() *esv.Service               { return s.t.ESVs() }
func (s *system) Repo() store.Repo                { return s.t.Repo() }
func (s *system) Locker() lock.Locker             { return s.t.Locker() }

// Promoter returns the Promoter of the group named name.
func (s *system) Promoter(ctx context.Context, name string) (*promotion.Promoter, error) {
	if s.org == "" {
		return nil, errNoOrg
	}
	return s.t.Promoter(ctx, name)
}

func (s *system) observe(fn func(promotion.Event)) { s.observer = fn }

// eventHandler turns the Tenant's log records of promotion events (the
// Promoter logs each Event with its fields as attributes) back into Events
// for the progress display, since the front door has no per-call observer.
// Every other record, and every record when nothing observes (serve), goes
// to next: warnings on stderr, such as a failed purge.
type eventHandler struct {
	s    *system
	next slog.Handler
}

func (h eventHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.s.observer != nil || h.next.Enabled(ctx, l)
}
func (h eventHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return eventHandler{h.s, h.next.WithAttrs(as)}
}
func (h eventHandler) WithGroup(g string) slog.Handler { return eventHandler{h.s, h.next.WithGroup(g)} }

func (h eventHandler) Handle(ctx context.Context, r slog.Record) error {
	ev := promotion.Event{Time: r.Time, Message: r.Message}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "op":
			ev.Op = a.Value.String()
		case "lower":
			ev.Lower = a.Value.String()
		case "upper":
			ev.Upper = a.Value.String()
		case "promotionId":
			ev.PromotionID = a.Value.String()
		case "status":
			ev.Status = promotion.Status(fmt.Sprint(a.Value.Any()))
		}
		return true
	})
	if ev.Op != "" && h.s.observer != nil {
		h.s.observer(ev)
		return nil
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}
