package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
)

// apiError is an error with the HTTP answer it gets. Handlers return it,
// or any other error, which is unexpected (500), and the endpoint family
// renders it in its own dialect: AIC's {code, message} or PingOne's
// P1Error.
type apiError struct {
	status  int
	message string
	// code and target fill P1Error's code and details[0].target/code.
	code, detailCode, target string
	// challenge is the WWW-Authenticate value of a 401 or 403.
	challenge string
}

func (e *apiError) Error() string { return e.message }

// answer maps an error of the library to its HTTP answer, by kind, for
// both dialects: not found 404, forbidden 403, invalid input 400, a state
// that forbids the call (locked, not locked, already running, changed
// meanwhile) 409. The packages' messages never quote secret values; those
// of lock conflicts name lease ids and fencing tokens, which let their
// holder unlock, so they are replaced by ones that name only the holder.
// Any other error is unexpected (nil here; fail answers 500).
func answer(err error) *apiError {
	if e, ok := errors.AsType[*apiError](err); ok {
		return e
	}
	e := func(status int, code, detail, target string) *apiError {
		return &apiError{status: status, code: code, detailCode: detail, target: target, message: err.Error()}
	}
	switch {
	case errors.Is(err, environment.ErrNotFound), errors.Is(err, esv.ErrNotFound),
		errors.Is(err, promotion.ErrReportNotFound), errors.Is(err, promotion.ErrNoHistory), errors.Is(err, promotion.ErrNothingToRollback):
		return e(http.StatusNotFound, "NOT_FOUND", "", "")
	case errors.Is(err, environment.ErrForbidden):
		return e(http.StatusForbidden, "ACCESS_FAILED", "", "")
	case errors.Is(err, environment.ErrInvalidFilter):
		return e(http.StatusBadRequest, "INVALID_DATA", "INVALID_FILTER", "filter")
	case errors.Is(err, environment.ErrNameTaken):
		return e(http.StatusBadRequest, "INVALID_DATA", "UNIQUENESS_VIOLATION", "name")
	case errors.Is(err, environment.ErrLicense):
		return e(http.StatusBadRequest, "INVALID_DATA", "INVALID_VALUE", "license.id")
	case errors.Is(err, environment.ErrLimitExceeded):
		return e(http.StatusBadRequest, "INVALID_DATA", "LIMIT_EXCEEDED", "status")
	case errors.Is(err, environment.ErrInvalid), errors.Is(err, environment.ErrInvalidPair), errors.Is(err, lock.ErrInvalid),
		errors.Is(err, esv.ErrInvalidName), errors.Is(err, esv.ErrInvalid), errors.Is(err, esv.ErrLatestVersion):
		return e(http.StatusBadRequest, "INVALID_DATA", "INVALID_VALUE", "")
	case errors.Is(err, lock.ErrLocked), errors.Is(err, lock.ErrNotHeld), errors.Is(err, promotion.ErrNotLocked):
		return conflict("%s", lockConflict(err))
	case errors.Is(err, environment.ErrInvalidState), errors.Is(err, environment.ErrInUse), errors.Is(err, environment.ErrConflict),
		errors.Is(err, promotion.ErrInProgress), errors.Is(err, esv.ErrExists), errors.Is(err, esv.ErrConflict):
		return e(http.StatusConflict, "REQUEST_FAILED", "", "")
	}
	return nil
}

// lockConflict says why a lock is in the way without naming a lease id
// or fencing token.
func lockConflict(err error) string {
	if le, ok := errors.AsType[*lock.LockedError](err); ok {
		return fmt.Sprintf("environment %s is locked by %q since %s for another promotion; ESV changes, locks and promotions wait until it is unlocked",
			le.Env, le.Holder.Owner, le.Holder.Acquired.UTC().Format(time.RFC3339))
	}
	if errors.Is(err, lock.ErrNotHeld) {
		return "the promotion's lock is no longer held (it expired or was released): lock the environments again"
	}
	return "Environment is not in locked state for this promotion: lock it first (see lock/state)"
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "INVALID_DATA", detailCode: "INVALID_VALUE", message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, code: "NOT_FOUND", message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, code: "REQUEST_FAILED", message: fmt.Sprintf(format, args...)}
}

// realm names the protection space in WWW-Authenticate challenges.
const realm = `Bearer realm="envpromote"`

func unauthorized(detail string) *apiError {
	challenge := realm
	if detail != "" {
		challenge += fmt.Sprintf(`, error="invalid_token", error_description=%q`, detail)
	}
	return &apiError{status: http.StatusUnauthorized, code: "ACCESS_FAILED", message: "unauthorized: " + orDefault(detail, "a bearer token is required"), challenge: challenge}
}

func forbidden(format string, args ...any) *apiError {
	return &apiError{status: http.StatusForbidden, code: "ACCESS_FAILED", message: "forbidden: " + fmt.Sprintf(format, args...)}
}

func insufficientScope(scope string) *apiError {
	return &apiError{
		status:    http.StatusForbidden,
		code:      "ACCESS_FAILED",
		message:   fmt.Sprintf("forbidden: the token has neither scope %s nor the family's \"*\" scope", scope),
		challenge: fmt.Sprintf(`%s, error="insufficient_scope", scope=%q`, realm, scope),
	}
}

// aicError is the body of AIC errors: the spec's Error, esvError,
// Unauthorized and InternalServerError schemas all fit it.
type aicError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// p1Error is PingOne's P1Error body.
type p1Error struct {
	ID      string     `json:"id"`
	Code    string     `json:"code"`
	Message string     `json:"message"`
	Details []p1Detail `json:"details,omitempty"`
}

type p1Detail struct {
	Code    string `json:"code"`
	Target  string `json:"target,omitempty"`
	Message string `json:"message"`
}

// writeJSON writes v with status; v is always one of this package's wire
// types, so a marshalling failure is a bug and answers 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":500,"message":"internal error: response encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
