package promotion

import (
	"fmt"

	"github.com/envpromote/envpromote/errkind"
	"github.com/envpromote/envpromote/lock"
)

// Sentinel errors. Every error the package returns wraps one of them, or an
// error of the package it called (store, lock, environment, integrity), with
// context; match them with errors.Is, or by kind: each matches the errkind
// kind it is made with (errkind.Of). Pairs that are not adjacent members of
// the group fail with environment.ErrInvalidPair, and writes refused because
// an environment is locked wrap lock.ErrLocked.
var (
	// ErrInvalidConfig: New was given an unusable Config; the message names
	// the field and what is allowed.
	ErrInvalidConfig = errkind.New(errkind.Invalid, "invalid promotion config")
	// ErrInvalidEdit: Edit was given no edit function.
	ErrInvalidEdit = errkind.New(errkind.Invalid, "invalid edit")
	// ErrNotLocked: the pair is not locked by a current promotion lease of
	// the group, or the lease named is not the one holding it.
	ErrNotLocked = errkind.New(errkind.FailedPrecondition, "environments not locked for promotion")
	// ErrIntegrity: blocking integrity findings stopped the operation. The
	// error also wraps the *integrity.Error carrying every finding.
	ErrIntegrity = errkind.New(errkind.FailedPrecondition, "integrity checks failed")
	// ErrNothingToRollback: the upper environment has no promotion to roll
	// back, or its last promotion was already rolled back.
	ErrNothingToRollback = errkind.New(errkind.FailedPrecondition, "nothing to roll back")
	// ErrInProgress: a promotion or rollback of the environment is already
	// running in this Promoter.
	ErrInProgress = errkind.New(errkind.Conflict, "a promotion or rollback is already running")
	// ErrNotDevelopment: RevertDevelopment was asked to revert an
	// environment that is not the group's development environment.
	ErrNotDevelopment = errkind.New(errkind.Invalid, "not the development environment")
	// ErrNoHistory: an environment has no configuration yet, or none
	// before the time asked for.
	ErrNoHistory = errkind.New(errkind.NotFound, "no configuration history")
	// ErrReportNotFound: no report has the id.
	ErrReportNotFound = errkind.New(errkind.NotFound, "report not found")
	// ErrUnlockFailed: the operation completed, but unlocking the
	// environments afterwards (Request.UnlockAfter) failed; they are still
	// locked by the lease.
	ErrUnlockFailed = errkind.New(errkind.Locked, "completed, but unlocking failed")
)

// UnlockError is the error of PromoteAndUnlock and RollbackAndUnlock when
// the operation completed but unlocking failed: the change is made, and the
// environments are still locked by Lease (Unlock with Lease.ID releases
// them). It matches ErrUnlockFailed.
type UnlockError struct {
	Report *Report // the completed operation's report
	Lease  lock.Lease
	Err    error // why unlocking failed
}

func (e *UnlockError) Error() string {
	return fmt.Sprintf("%s %s → %s completed (report %s), but unlocking failed: %v; unlock promotion %s to release the environments",
		e.Report.Type, e.Report.Lower, e.Report.Upper, e.Report.ReportID, e.Err, e.Lease.ID)
}

func (e *UnlockError) Unwrap() []error { return []error{ErrUnlockFailed, e.Err} }
