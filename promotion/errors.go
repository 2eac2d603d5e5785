package promotion

import "errors"

// Sentinel errors. Every error the package returns wraps one of them, or an
// error of the package it called (store, lock, environment, integrity), with
// context; match them with errors.Is. Pairs that are not adjacent members of
// the group fail with environment.ErrInvalidPair, and writes refused because
// an environment is locked wrap lock.ErrLocked.
var (
	// ErrInvalidConfig: New was given an unusable Config; the message names
	// the field and what is allowed.
	ErrInvalidConfig = errors.New("invalid promotion config")
	// ErrNotLocked: the pair is not locked by a current promotion lease of
	// the group, or the lease named is not the one holding it.
	ErrNotLocked = errors.New("environments not locked for promotion")
	// ErrIntegrity: blocking integrity findings stopped the operation. The
	// error also wraps the *integrity.Error carrying every finding.
	ErrIntegrity = errors.New("integrity checks failed")
	// ErrNothingToRollback: the upper environment has no promotion to roll
	// back, or its last promotion was already rolled back.
	ErrNothingToRollback = errors.New("nothing to roll back")
	// ErrInProgress: a promotion or rollback of the environment is already
	// running in this Promoter.
	ErrInProgress = errors.New("a promotion or rollback is already running")
	// ErrNotDevelopment: RevertDevelopment was asked to revert an
	// environment that is not the group's development environment.
	ErrNotDevelopment = errors.New("not the development environment")
	// ErrNoHistory: an environment has no configuration yet, or none
	// before the time asked for.
	ErrNoHistory = errors.New("no configuration history")
	// ErrReportNotFound: no report has the id.
	ErrReportNotFound = errors.New("report not found")
	// ErrUnlockFailed: the operation completed, but unlocking the
	// environments afterwards (Request.UnlockAfter) failed; they are still
	// locked by the lease.
	ErrUnlockFailed = errors.New("completed, but unlocking failed")
)
