package promotion_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

func TestPromoteAndUnlock_UnlocksAfterSuccessAndFailure(t *testing.T) {
	for _, tc := range []struct {
		name      string
		blocked   bool // staging lacks the ESV dev's config uses
		keep      bool
		wantLock  lock.State
		wantError error
	}{
		{"success", false, false, lock.StateUnlocked, nil},
		{"success, keep asked", false, true, lock.StateUnlocked, nil},
		{"blocked", true, false, lock.StateUnlocked, promotion.ErrIntegrity},
		{"blocked, keep asked", true, true, lock.StateLocked, promotion.ErrIntegrity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.put(dev, devConfig)
			f.put(staging, stagingConfig)
			if !tc.blocked {
				f.setVar(staging, "esv-email-from", "staging@example.com")
			}
			head := f.head(staging)
			rep, err := f.p.PromoteAndUnlock(ctx, promotion.Request{Upper: staging, KeepLockOnFailure: tc.keep})
			if !errors.Is(err, tc.wantError) || (err == nil) != (rep != nil) {
				t.Fatalf("PromoteAndUnlock = %v, %v; want a report or an error wrapping %v", rep, err, tc.wantError)
			}
			if st, _ := f.p.LockState(ctx, "", staging); st.Result != tc.wantLock {
				t.Errorf("afterwards the pair is %s, want %s", st.Result, tc.wantLock)
			}
			if moved := f.head(staging) != head; moved != !tc.blocked {
				t.Errorf("staging moved: %v, want %v", moved, !tc.blocked)
			}
			if rep != nil && rep.Promoter != "tester" {
				t.Errorf("report promoter %q, want the context's actor", rep.Promoter)
			}
		})
	}
}

// TestBlockedErrorReadsOnceAndCarriesTheFix: the error of a blocked
// promotion names its cause once (not "integrity checks failed: integrity
// check failed") and carries each finding's fix; errors.As gets the
// findings.
func TestBlockedErrorReadsOnceAndCarriesTheFix(t *testing.T) {
	f := newFixture(t)
	f.put(dev, devConfig)
	_, err := f.p.PromoteAndUnlock(ctx, promotion.Request{Upper: staging})
	var ierr *integrity.Error
	if !errors.As(err, &ierr) || len(ierr.Findings) == 0 || !errors.Is(err, promotion.ErrIntegrity) {
		t.Fatalf("blocked promotion: %v; want an *integrity.Error matching ErrIntegrity", err)
	}
	msg := err.Error()
	if strings.Count(msg, "failed") != 1 {
		t.Errorf("error stutters: %q", msg)
	}
	if h := ierr.Findings[0].Hint; h == "" || !strings.Contains(msg, h) {
		t.Errorf("error %q lacks the finding's fix %q", msg, h)
	}
}

// TestWritesNeedAnActor: every write names who made it, explicitly or
// through the context, and Git commits are authored by that actor.
func TestWritesNeedAnActor(t *testing.T) {
	f := seeded(t)
	none := context.Background()
	edit := func(b *store.Builder) error { return b.Put("email-templates/x/x.json", []byte(`{}`)) }
	for name, write := range map[string]func() error{
		"Lock":              func() error { _, err := f.p.Lock(none, dev, staging, ""); return err },
		"Edit":              func() error { _, err := f.p.Edit(none, dev, edit, store.CommitInfo{}); return err },
		"RevertDevelopment": func() error { _, err := f.p.RevertDevelopment(none, dev, time.Now()); return err },
		"PromoteAndUnlock":  func() error { _, err := f.p.PromoteAndUnlock(none, promotion.Request{Upper: staging}); return err },
	} {
		if err := write(); !errors.Is(err, actor.ErrMissing) {
			t.Errorf("%s with no actor: %v, want actor.ErrMissing", name, err)
		}
	}
	c, err := f.p.Edit(actor.With(none, "ada"), dev, edit, store.CommitInfo{Message: "x"})
	if err != nil || c.Author != "ada" {
		t.Fatalf("Edit with the context's actor: author %q, %v; want ada", c.Author, err)
	}
	f.clock.Advance(time.Hour)
	c, err = f.p.RevertDevelopment(actor.With(none, "bob"), dev, c.Time)
	if err != nil || c.Author != "bob" {
		t.Fatalf("RevertDevelopment: author %q, %v; want bob, not a fixed name", c.Author, err)
	}
}

func TestEditRefusesANilEdit(t *testing.T) {
	f := seeded(t)
	head := f.head(dev)
	if _, err := f.p.Edit(ctx, dev, nil, store.CommitInfo{Message: "nothing"}); !errors.Is(err, promotion.ErrInvalidEdit) {
		t.Fatalf("Edit(nil) = %v, want ErrInvalidEdit", err)
	}
	if f.head(dev) != head {
		t.Fatal("a refused edit committed")
	}
}

// TestCommitSubjectsNameEnvironments: a person reading `git log` sees
// environment names; the ids are in the metadata (Git trailers).
func TestCommitSubjectsNameEnvironments(t *testing.T) {
	f := seeded(t, func(c *promotion.Config) {
		c.Names = map[string]string{dev: "Development", staging: "Staging"}
	})
	if _, err := f.p.PromoteAndUnlock(ctx, promotion.Request{Upper: staging}); err != nil {
		t.Fatal(err)
	}
	c, err := f.repo.Head(ctx, staging)
	if err != nil {
		t.Fatal(err)
	}
	if c.Message != "Promote Development to Staging" || c.Metadata[promotion.MetaLower] != dev || c.Metadata[promotion.MetaUpper] != staging {
		t.Fatalf("commit %q with metadata %v; want names in the subject, ids in lower/upper", c.Message, c.Metadata)
	}
}
