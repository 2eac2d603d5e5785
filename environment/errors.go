package environment

import "github.com/envpromote/envpromote/errkind"

// Sentinel errors. Every error the package returns wraps one of them with
// context; match with errors.Is. Each also matches the errkind kind it
// is made with.
var (
	// ErrNotFound: no environment or group has the given id or name.
	ErrNotFound = errkind.New(errkind.NotFound, "not found")
	// ErrForbidden: the principal's roles do not cover the operation.
	ErrForbidden = errkind.New(errkind.Forbidden, "forbidden")
	// ErrInvalid: a field has a value outside what is allowed; the message
	// names the field and the allowed values.
	ErrInvalid = errkind.New(errkind.Invalid, "invalid environment")
	// ErrNameTaken: another environment of the organization has the name
	// (compared case-insensitively).
	ErrNameTaken = errkind.New(errkind.Conflict, "environment name taken")
	// ErrLicense: the license is missing, not an active license of the
	// organization, or a trial license for a PRODUCTION environment.
	ErrLicense = errkind.New(errkind.Invalid, "license")
	// ErrInvalidState: the environment's type or status does not permit the
	// operation, such as a hard delete before hardDeleteAllowedAt.
	ErrInvalidState = errkind.New(errkind.FailedPrecondition, "invalid state")
	// ErrLimitExceeded: the organization already has MaxDeletePending
	// environments in DELETE_PENDING.
	ErrLimitExceeded = errkind.New(errkind.FailedPrecondition, "limit exceeded")
	// ErrInUse: the environment is a member of a promotion group, which
	// must change first.
	ErrInUse = errkind.New(errkind.FailedPrecondition, "environment in use")
	// ErrInvalidGroup: a promotion group breaks a group rule.
	ErrInvalidGroup = errkind.New(errkind.Invalid, "invalid promotion group")
	// ErrInvalidPair: the two environments are not an adjacent lower→upper
	// pair of the group.
	ErrInvalidPair = errkind.New(errkind.Invalid, "invalid promotion pair")
	// ErrInvalidFilter: a SCIM filter uses an unsupported operator or
	// attribute or is malformed. The error is a *FilterError.
	ErrInvalidFilter = errkind.New(errkind.Invalid, "invalid filter")
	// ErrConflict: a Store write lost a compare-and-set race. Store
	// implementations return it; the Registry retries on it.
	ErrConflict = errkind.New(errkind.Conflict, "conflict: record changed")
)
