package promotion_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

var errInjected = errors.New("injected fault")

// faults fails (or cancels the context at) the k-th call made through the
// Repo and Locker it wraps, counting from 1. With after set, the call is
// made and only its reply is lost, as when a connection drops.
type faults struct {
	mu     sync.Mutex
	k, n   int
	after  bool
	cancel context.CancelFunc // when set, the k-th call cancels instead of failing
	failed string             // the name of the k-th call, once made
}

// hit counts a call named name and reports whether it is the one to fail.
func (f *faults) hit(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.n == f.k {
		f.failed = name
	}
	return f.n == f.k
}

func (f *faults) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// do runs call, failing it if it is the k-th.
func do[T any](f *faults, name string, call func() (T, error)) (T, error) {
	if !f.hit(name) {
		return call()
	}
	if f.cancel != nil {
		f.cancel()
		return call()
	}
	var zero T
	if f.after {
		if _, err := call(); err != nil {
			return zero, err
		}
	}
	return zero, fmt.Errorf("%s: %w", name, errInjected)
}

type faultyRepo struct {
	store.Repo
	f *faults
}

func (r faultyRepo) Head(ctx context.Context, b string) (store.Commit, error) {
	return do(r.f, "Head", func() (store.Commit, error) { return r.Repo.Head(ctx, b) })
}

func (r faultyRepo) Snapshot(ctx context.Context, rev store.Revision) (*store.Snapshot, error) {
	return do(r.f, "Snapshot", func() (*store.Snapshot, error) { return r.Repo.Snapshot(ctx, rev) })
}

func (r faultyRepo) Commit(ctx context.Context, b string, parent store.Revision, s *store.Snapshot, info store.CommitInfo) (store.Commit, error) {
	return do(r.f, "Commit", func() (store.Commit, error) { return r.Repo.Commit(ctx, b, parent, s, info) })
}

func (r faultyRepo) Log(ctx context.Context, b string, o store.LogOptions) ([]store.Commit, error) {
	return do(r.f, "Log", func() ([]store.Commit, error) { return r.Repo.Log(ctx, b, o) })
}

type faultyLocker struct {
	lock.Locker
	f *faults
}

func (l faultyLocker) Lock(ctx context.Context, envs []string, owner string, o lock.Options) (lock.Lease, error) {
	return do(l.f, "Lock", func() (lock.Lease, error) { return l.Locker.Lock(ctx, envs, owner, o) })
}

func (l faultyLocker) Unlock(ctx context.Context, lease lock.Lease) error {
	_, err := do(l.f, "Unlock", func() (struct{}, error) { return struct{}{}, l.Locker.Unlock(ctx, lease) })
	return err
}

func (l faultyLocker) State(ctx context.Context, env string) (lock.Status, error) {
	return do(l.f, "State", func() (lock.Status, error) { return l.Locker.State(ctx, env) })
}

func (l faultyLocker) Validate(ctx context.Context, lease lock.Lease) error {
	_, err := do(l.f, "Validate", func() (struct{}, error) { return struct{}{}, l.Locker.Validate(ctx, lease) })
	return err
}

// TestFaults_OperationsAreAtomic fails the k-th call to the Repo or Locker
// during a promotion and a rollback, for every k, in three ways (the call
// fails, its reply is lost, the context is cancelled at it). Each time the
// operation either fully happened (one commit whose report can be read, the
// lock released as asked or still visibly held) or did not happen at all
// (no commit, no report, the lock still held and Progress saying why).
func TestFaults_OperationsAreAtomic(t *testing.T) {
	for _, op := range []promotion.Type{promotion.TypePromotion, promotion.TypeRollback} {
		for _, mode := range []string{"fail", "lost-reply", "cancel"} {
			t.Run(fmt.Sprintf("%s/%s", op, mode), func(t *testing.T) {
				for k := 1; ; k++ {
					if !faultRun(t, op, mode, k) {
						if k < 5 {
							t.Fatalf("only %d calls: the test does not exercise the operation", k)
						}
						return
					}
				}
			})
		}
	}
}

// faultRun runs op with the k-th call faulty and checks the outcome. It
// returns false once op made fewer than k calls (no fault was injected).
func faultRun(t *testing.T, op promotion.Type, mode string, k int) bool {
	t.Helper()
	f := seeded(t)
	f.lock(dev, staging)
	if op == promotion.TypeRollback {
		if _, err := f.p.Promote(ctx, promotion.Request{Upper: staging}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := f.repo.Head(ctx, staging)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := f.locker.State(ctx, staging)
	if err != nil {
		t.Fatal(err)
	}
	reports, err := f.p.Reports(ctx, staging)
	if err != nil {
		t.Fatal(err)
	}

	fl := &faults{k: k, after: mode == "lost-reply"}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if mode == "cancel" {
		fl.cancel = cancel
	}
	cfg := f.cfg
	cfg.Repo, cfg.Locker = faultyRepo{f.repo, fl}, faultyLocker{f.locker, fl}
	p, err := promotion.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	req := promotion.Request{Upper: staging, UnlockAfter: true, Promoter: "alice"}
	var rep *promotion.Report
	if op == promotion.TypePromotion {
		rep, err = p.Promote(runCtx, req)
	} else {
		rep, err = p.Rollback(runCtx, req)
	}
	injected := fl.calls() >= k
	where := fmt.Sprintf("k=%d: %v", k, err)

	after, herr := f.repo.Head(ctx, staging)
	if herr != nil {
		t.Fatal(herr)
	}
	st, serr := f.locker.State(ctx, staging)
	if serr != nil {
		t.Fatal(serr)
	}
	happened := after.Revision != before.Revision
	switch {
	case happened:
		// Exactly one commit, of the right type, with a report.
		if after.Parent != before.Revision || after.Metadata["type"] != string(op) {
			t.Fatalf("%s: the head moved to %+v, not one %s commit on the old head", where, after, op)
		}
		if err != nil && !errors.Is(err, promotion.ErrUnlockFailed) {
			t.Fatalf("%s: the %s happened but failed with an error other than ErrUnlockFailed", where, op)
		}
		if rep != nil && rep.Revision != after.Revision {
			t.Fatalf("%s: report of revision %s, commit %s", where, rep.Revision, after.Revision)
		}
		fresh := f.fresh()
		got, rerr := fresh.Report(ctx, after.Metadata["reportId"])
		if rerr != nil || got.Revision != after.Revision {
			t.Fatalf("%s: report of the commit: %v, %v", where, got, rerr)
		}
		if err == nil && st.State != lock.StateUnlocked {
			t.Fatalf("%s: succeeded with UnlockAfter but the lock is %s", where, st.State)
		}
		if err != nil && st.State != lock.StateUnlocked && st.Lease.ID != lease.Lease.ID {
			t.Fatalf("%s: lock is %+v", where, st)
		}
	default:
		if err == nil {
			t.Fatalf("k=%d: no error, but nothing was committed", k)
		}
		if !injected {
			t.Fatalf("%s: failed without a fault", where)
		}
		// Not happened: lock still held by the same lease, and the faulty
		// Promoter says why.
		if st.State != lock.StateLocked || st.Lease.ID != lease.Lease.ID {
			t.Fatalf("%s: lock after a failed %s = %+v, want still held", where, op, st)
		}
		if list, lerr := f.p.Reports(ctx, staging); lerr != nil || !slices.Equal(list, reports) {
			t.Fatalf("%s: a failed %s changed the reports to %v (%v)", where, op, list, lerr)
		}
		prog, perr := p.Progress(ctx, staging)
		if perr != nil {
			t.Fatal(perr)
		}
		if prog.Status == promotion.StatusReady && (errors.Is(err, errInjected) || errors.Is(err, context.Canceled)) {
			break // the fault hit reading the lock, before the operation began
		}
		if prog.Status != promotion.StatusError || prog.Message == "" {
			t.Fatalf("%s: progress = %+v, want ERROR with a reason", where, prog)
		}
	}
	return injected
}

// TestFaults_PromoteAndUnlockLeavesNoLockBehind fails the k-th Repo or
// Locker call of a one-call promotion, for every k. The promotion happened
// or not (as in TestFaults_OperationsAreAtomic), and the pair ends unlocked
// unless the fault hit the unlock itself, which the error then says
// (ErrUnlockFailed, with the report when the promotion happened).
func TestFaults_PromoteAndUnlockLeavesNoLockBehind(t *testing.T) {
	for _, mode := range []string{"fail", "lost-reply"} {
		t.Run(mode, func(t *testing.T) {
			for k := 1; ; k++ {
				f := seeded(t)
				before := f.head(staging)
				fl := &faults{k: k, after: mode == "lost-reply"}
				cfg := f.cfg
				cfg.Repo, cfg.Locker = faultyRepo{f.repo, fl}, faultyLocker{f.locker, fl}
				p, err := promotion.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				rep, err := p.PromoteAndUnlock(ctx, promotion.Request{Upper: staging})
				if fl.calls() < k {
					if err != nil || k < 5 {
						t.Fatalf("k=%d: no fault injected, yet %v", k, err)
					}
					return
				}
				where := fmt.Sprintf("%s k=%d: %v", mode, k, err)
				happened := f.head(staging) != before
				var uerr *promotion.UnlockError
				switch {
				case err == nil && (!happened || rep == nil):
					t.Fatalf("%s: no error, but happened=%v report=%v", where, happened, rep)
				case happened && err != nil && !errors.As(err, &uerr):
					t.Fatalf("%s: the promotion happened but the error is not an *UnlockError", where)
				case uerr != nil && uerr.Report == nil:
					t.Fatalf("%s: UnlockError without the report", where)
				}
				st, serr := f.locker.State(ctx, staging)
				if serr != nil {
					t.Fatal(serr)
				}
				if mode == "lost-reply" && fl.failed == "Lock" {
					// The lock may have been taken: nothing knows its lease,
					// so the error must say how to find and release it.
					if !strings.Contains(err.Error(), "LockState") {
						t.Fatalf("%s: a lock whose reply was lost must point at LockState", where)
					}
					continue
				}
				if st.State != lock.StateUnlocked && !errors.Is(err, promotion.ErrUnlockFailed) {
					t.Fatalf("%s: the pair is left %s without ErrUnlockFailed", where, st.State)
				}
			}
		})
	}
}

// unlockFails is a Locker whose Unlock fails with a cause that names the
// lease, as a store's error may.
type unlockFails struct{ lock.Locker }

func (unlockFails) Unlock(_ context.Context, l lock.Lease) error {
	return fmt.Errorf("ref locks/x moved under lease %s", l.ID)
}

// Pollers read Progress: when UnlockAfter fails, the caller gets the cause
// and the lease in the UnlockError, the progress message neither.
func TestRule_FailedUnlockAfterKeepsItsCauseOutOfProgress(t *testing.T) {
	f := seeded(t)
	cfg := f.cfg
	cfg.Locker = unlockFails{f.locker}
	p, err := promotion.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := p.Lock(ctx, dev, staging, "ada")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Promote(ctx, promotion.Request{Upper: staging, UnlockAfter: true})
	var uerr *promotion.UnlockError
	if !errors.As(err, &uerr) || !strings.Contains(err.Error(), lease.ID) {
		t.Fatalf("Promote = %v, want an UnlockError naming the lease for the caller", err)
	}
	pr, err := p.Progress(ctx, staging)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Status != promotion.StatusComplete || strings.Contains(pr.Message, lease.ID) || strings.Contains(pr.Message, "locks/x") {
		t.Fatalf("Progress = %s %q: want COMPLETE, without the unlock's cause or the lease", pr.Status, pr.Message)
	}
}
