package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
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
