package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/errkind"
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

// answer maps an error of the library to its HTTP answer by its kind
// (errkind), for both dialects: not found 404, forbidden 403, invalid 400,
// locked, conflict and failed precondition 409. PingOne's clients also
// read a detail code, and PingOne answers a taken name or the
// DELETE_PENDING limit with 400: p1Details refines those. Messages of the
// library never quote secret values; those of lock conflicts name lease
// ids and fencing tokens, which let their holder unlock, so lockConflict
// replaces them. An error of no kind is unexpected: nil here, and fail
// answers 500.
func answer(err error) *apiError {
	if e, ok := errors.AsType[*apiError](err); ok {
		return e
	}
	kind := errkind.Of(err)
	e := &apiError{message: err.Error()}
	switch kind {
	case errkind.NotFound:
		e.status, e.code = http.StatusNotFound, "NOT_FOUND"
	case errkind.Forbidden:
		e.status, e.code = http.StatusForbidden, "ACCESS_FAILED"
	case errkind.Invalid:
		e.status, e.code, e.detailCode = http.StatusBadRequest, "INVALID_DATA", "INVALID_VALUE"
	case errkind.Locked, errkind.Conflict, errkind.FailedPrecondition:
		e.status, e.code = http.StatusConflict, "REQUEST_FAILED"
	default:
		return nil
	}
	if kind == errkind.Locked || errors.Is(err, lock.ErrNotHeld) || errors.Is(err, promotion.ErrNotLocked) {
		e.message = lockConflict(err)
	}
	for _, d := range p1Details {
		if errors.Is(err, d.err) {
			e.status, e.code, e.detailCode, e.target = http.StatusBadRequest, "INVALID_DATA", d.code, d.target
		}
	}
	return e
}

// p1Details are the PingOne detail codes of environment errors.
var p1Details = []struct {
	err          error
	code, target string
}{
	{environment.ErrInvalidFilter, "INVALID_FILTER", "filter"},
	{environment.ErrNameTaken, "UNIQUENESS_VIOLATION", "name"},
	{environment.ErrLicense, "INVALID_VALUE", "license.id"},
	{environment.ErrLimitExceeded, "LIMIT_EXCEEDED", "status"},
}

// lockConflict says why a lock is in the way without naming a lease id
// or fencing token.
func lockConflict(err error) string {
	switch le, ok := errors.AsType[*lock.LockedError](err); {
	case ok && promotion.IsGroupLock(le.Env):
		return fmt.Sprintf("another promotion of the group holds its lock, taken by %q since %s; promotions of the group wait until it is unlocked",
			le.Holder.Owner, le.Holder.Acquired.UTC().Format(time.RFC3339))
	case ok:
		return fmt.Sprintf("environment %s is locked by %q since %s for another promotion; ESV changes, locks and promotions wait until it is unlocked",
			le.Env, le.Holder.Owner, le.Holder.Acquired.UTC().Format(time.RFC3339))
	case errors.Is(err, lock.ErrNotHeld):
		return "the promotion's lock is no longer held (it expired or was released): lock the environments again"
	case errors.Is(err, promotion.ErrNotLocked):
		return "Environment is not in locked state for this promotion: lock it first (see lock/state)"
	}
	return "the environments are locked for a promotion: see lock/state"
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
