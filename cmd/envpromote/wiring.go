package main

// TEMPORARY: hand wiring until the front door (issue 15) lands; replaced by
// envpromote.Open.

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/gitenv"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/gitesv"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

type system struct {
	org, actor string
	p          environment.Principal
	reg        *environment.Registry
	esvs       *esv.Service
	repo       store.Repo
	locker     lock.Locker
	observer   func(promotion.Event)
}

type orgFile struct {
	ID       string                `json:"id"`
	Licenses []environment.License `json:"licenses"`
}

func (s *system) Active(ctx context.Context, org string) ([]environment.License, error) {
	f, _, err := readOrg(ctx, s.repo)
	if err != nil || f.ID != org {
		return nil, err
	}
	return f.Licenses, nil
}

func readOrg(ctx context.Context, repo store.Repo) (orgFile, store.Revision, error) {
	var f orgFile
	h, err := repo.Head(ctx, "organization")
	if errors.Is(err, store.ErrNotFound) {
		return f, "", nil
	}
	if err != nil {
		return f, "", err
	}
	snap, err := repo.Snapshot(ctx, h.Revision)
	if err != nil {
		return f, "", err
	}
	b, err := snap.ReadFile("organization.json")
	if err != nil {
		return f, "", err
	}
	return f, h.Revision, json.Unmarshal(b, &f)
}

func openSystem(ctx context.Context, dir, remote string, key []byte, actor string) (*system, error) {
	repo, err := gitstore.Open(dir, gitstore.Options{Remote: remote})
	if err != nil {
		repo, err = gitstore.Init(dir, gitstore.Options{Remote: remote})
	}
	if err != nil {
		return nil, err
	}
	s := &system{actor: actor, repo: repo}
	f, _, err := readOrg(ctx, repo)
	if err != nil {
		return nil, err
	}
	s.org = f.ID
	s.p = principal(actor, f.ID)
	envStore, err := gitenv.New(repo, gitenv.Options{})
	if err != nil {
		return nil, err
	}
	esvStore, err := gitesv.New(repo, gitesv.Options{Key: key})
	if err != nil {
		return nil, err
	}
	s.locker = gitlock.New(repo, gitlock.Options{})
	s.esvs = esv.New(esvStore, esv.Options{Guard: promotion.ESVGuard(s.locker)})
	s.reg = environment.New(envStore, s, environment.Options{})
	return s, nil
}

func (s *system) initOrg(ctx context.Context, org string, lic environment.License) error {
	f, rev, err := readOrg(ctx, s.repo)
	if err != nil {
		return err
	}
	f.ID = org
	f.Licenses = append(f.Licenses, lic)
	b, _ := json.Marshal(f)
	snap, _ := store.New(map[string][]byte{"organization.json": b})
	_, err = s.repo.Commit(ctx, "organization", rev, snap, store.CommitInfo{Author: s.actor, Message: "init"})
	s.org, s.p = org, principal(s.actor, org)
	return err
}

func (s *system) Registry() *environment.Registry { return s.reg }
func (s *system) ESV() *esv.Service               { return s.esvs }
func (s *system) Repo() store.Repo                { return s.repo }
func (s *system) Locker() lock.Locker             { return s.locker }
func (s *system) Close()                          {}

func (s *system) Promoter(ctx context.Context, name string) (*promotion.Promoter, error) {
	if s.org == "" {
		return nil, errNoOrg
	}
	g, err := s.reg.Group(ctx, s.p, s.org, name)
	if err != nil {
		return nil, err
	}
	return promotion.New(promotion.Config{Group: g, Repo: s.repo, Locker: s.locker, ESVs: promotion.ESVService(s.esvs),
		Observer: s.observer, Logger: slog.New(slog.DiscardHandler)})
}

func (s *system) observe(fn func(promotion.Event)) { s.observer = fn }
