package promotion

import (
	"context"
	"errors"
	"fmt"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/lock"
)

// PromoteAndUnlock is the whole job in one call: it locks req.Lower and
// req.Upper, runs the checks, promotes (or, for a dry run, reports), and
// unlocks. It returns the report, or an error: blocking findings give an
// error wrapping ErrIntegrity from which errors.As gets the
// *integrity.Error carrying every finding.
//
// Unlock policy: the pair is unlocked whether the promotion succeeded or
// failed, unless req.KeepLockOnFailure asks to keep a failed promotion's
// lock for inspection (Progress and LockState then show it; Unlock with the
// report's or Progress's promotion id releases it). The actor is
// req.Promoter, else the context's (actor.With).
func (p *Promoter) PromoteAndUnlock(ctx context.Context, req Request) (*Report, error) {
	return p.lockedRun(ctx, TypePromotion, req)
}

// RollbackAndUnlock is Rollback in one call, with the lock and unlock policy
// of PromoteAndUnlock.
func (p *Promoter) RollbackAndUnlock(ctx context.Context, req Request) (*Report, error) {
	return p.lockedRun(ctx, TypeRollback, req)
}

func (p *Promoter) lockedRun(ctx context.Context, typ Type, req Request) (*Report, error) {
	who, err := actor.Resolve(ctx, req.Promoter, string(typ))
	if err != nil {
		return nil, err
	}
	req.Promoter = who
	lease, err := p.Lock(ctx, req.Lower, req.Upper, who)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	req.UnlockAfter = false
	rep, err := p.run(ctx, typ, req)
	if err != nil && req.KeepLockOnFailure {
		return nil, fmt.Errorf("%w (the environments stay locked by promotion %s, as asked)", err, lease.ID)
	}
	// Unlock even when ctx ended: leaving the pair locked needs a hand to
	// undo.
	if uerr := p.locker.Unlock(context.WithoutCancel(ctx), lease); uerr != nil && !errors.Is(uerr, lock.ErrNotHeld) {
		if err != nil {
			return nil, errors.Join(err, fmt.Errorf("%w: %w", ErrUnlockFailed, uerr))
		}
		return nil, &UnlockError{Report: rep, Lease: lease, Err: uerr}
	}
	if err == nil {
		p.emit(Event{Op: "unlock", Lower: rep.Lower, Upper: rep.Upper, PromotionID: lease.ID, Status: StatusComplete, Message: "unlocked"})
	}
	return rep, err
}
