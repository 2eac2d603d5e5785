package envpromote_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/envpromote/envpromote"
	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/gitesv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

// TestEverySentinelHasOneKind: each package keeps its sentinels, and each
// matches exactly one kind with errors.Is, also when wrapped.
func TestEverySentinelHasOneKind(t *testing.T) {
	kinds := []envpromote.Kind{envpromote.NotFound, envpromote.Conflict, envpromote.Invalid, envpromote.Locked, envpromote.Forbidden, envpromote.FailedPrecondition}
	for _, tc := range []struct {
		err  error
		kind envpromote.Kind
	}{
		{store.ErrNotFound, envpromote.NotFound},
		{store.ErrConflict, envpromote.Conflict},
		{store.ErrInvalidPath, envpromote.Invalid},
		{store.ErrInvalidBranch, envpromote.Invalid},
		{store.ErrInvalidMetadata, envpromote.Invalid},
		{lock.ErrLocked, envpromote.Locked},
		{&lock.LockedError{Env: "dev"}, envpromote.Locked},
		{lock.ErrNotHeld, envpromote.Conflict},
		{lock.ErrInvalid, envpromote.Invalid},
		{environment.ErrNotFound, envpromote.NotFound},
		{environment.ErrForbidden, envpromote.Forbidden},
		{environment.ErrInvalid, envpromote.Invalid},
		{environment.ErrNameTaken, envpromote.Conflict},
		{environment.ErrLicense, envpromote.Invalid},
		{environment.ErrInvalidState, envpromote.FailedPrecondition},
		{environment.ErrLimitExceeded, envpromote.FailedPrecondition},
		{environment.ErrInUse, envpromote.FailedPrecondition},
		{environment.ErrInvalidGroup, envpromote.Invalid},
		{environment.ErrInvalidPair, envpromote.Invalid},
		{environment.ErrInvalidFilter, envpromote.Invalid},
		{environment.ErrConflict, envpromote.Conflict},
		{esv.ErrInvalidName, envpromote.Invalid},
		{esv.ErrInvalid, envpromote.Invalid},
		{esv.ErrNotFound, envpromote.NotFound},
		{esv.ErrExists, envpromote.Conflict},
		{esv.ErrLatestVersion, envpromote.Invalid},
		{esv.ErrConflict, envpromote.Conflict},
		{esv.ErrMalformed, envpromote.Invalid},
		{esv.ErrMissing, envpromote.NotFound},
		{esv.ErrType, envpromote.Invalid},
		{gitesv.ErrDecrypt, envpromote.FailedPrecondition},
		{integrity.ErrFailed, envpromote.FailedPrecondition},
		{&integrity.Error{}, envpromote.FailedPrecondition},
		{integrity.ErrInvalidInput, envpromote.Invalid},
		{promotion.ErrInvalidConfig, envpromote.Invalid},
		{promotion.ErrInvalidEdit, envpromote.Invalid},
		{promotion.ErrNotLocked, envpromote.FailedPrecondition},
		{promotion.ErrIntegrity, envpromote.FailedPrecondition},
		{promotion.ErrNothingToRollback, envpromote.FailedPrecondition},
		{promotion.ErrInProgress, envpromote.Conflict},
		{promotion.ErrNotDevelopment, envpromote.Invalid},
		{promotion.ErrNoHistory, envpromote.NotFound},
		{promotion.ErrReportNotFound, envpromote.NotFound},
		{promotion.ErrUnlockFailed, envpromote.Locked},
		{actor.ErrMissing, envpromote.Invalid},
		{envpromote.ErrInvalid, envpromote.Invalid},
	} {
		wrapped := fmt.Errorf("context: %w", tc.err)
		if got := envpromote.KindOf(wrapped); got != tc.kind {
			t.Errorf("KindOf(%v) = %q, want %q", tc.err, got, tc.kind)
		}
		for _, k := range kinds {
			if errors.Is(wrapped, k) != (k == tc.kind) {
				t.Errorf("errors.Is(%v, %q) = %v", tc.err, k, !(k == tc.kind))
			}
		}
		if !errors.Is(wrapped, tc.err) {
			t.Errorf("%v no longer matches itself", tc.err)
		}
	}
}
