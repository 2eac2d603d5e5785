package environment

import "errors"

// Sentinel errors. Every error the package returns wraps one of them with
// context; match with errors.Is.
var (
	// ErrNotFound: no environment or group has the given id or name.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the principal's roles do not cover the operation.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid: a field has a value outside what is allowed; the message
	// names the field and the allowed values.
	ErrInvalid = errors.New("invalid environment")
	// ErrNameTaken: another environment of the organization has the name
	// (compared case-insensitively).
	ErrNameTaken = errors.New("environment name taken")
	// ErrLicense: the license is missing, not an active license of the
	// organization, or a trial license for a PRODUCTION environment.
	ErrLicense = errors.New("license")
	// ErrInvalidState: the environment's type or status does not permit the
	// operation, such as a hard delete before hardDeleteAllowedAt.
	ErrInvalidState = errors.New("invalid state")
	// ErrLimitExceeded: the organization already has MaxDeletePending
	// environments in DELETE_PENDING.
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrInUse: the environment is a member of a promotion group, which
	// must change first.
	ErrInUse = errors.New("environment in use")
	// ErrInvalidGroup: a promotion group breaks a group rule.
	ErrInvalidGroup = errors.New("invalid promotion group")
	// ErrInvalidPair: the two environments are not an adjacent lower→upper
	// pair of the group.
	ErrInvalidPair = errors.New("invalid promotion pair")
	// ErrInvalidFilter: a SCIM filter uses an unsupported operator or
	// attribute or is malformed. The error is a *FilterError.
	ErrInvalidFilter = errors.New("invalid filter")
	// ErrConflict: a Store write lost a compare-and-set race. Store
	// implementations return it; the Registry retries on it.
	ErrConflict = errors.New("conflict: record changed")
)
