package environment

import (
	"context"
	"time"
)

// Auditor receives an Event for every change a Registry makes, after the
// change is stored. Delivering it durably (buffering, retrying) is the
// Auditor's job, so Audit returns nothing. memenv.AuditLog keeps events in
// memory and answers queries.
type Auditor interface {
	Audit(ctx context.Context, e Event)
}

// Event records one change: who, what, when, and the resource before and
// after it. Environment actions fill Before/After, group actions
// GroupBefore/GroupAfter; nil means the resource did not exist.
type Event struct {
	Time         time.Time `json:"time"`
	Actor        string    `json:"actor"`
	Action       Action    `json:"action"`
	Organization string    `json:"organizationId"`
	// EnvironmentID or Group names the changed resource.
	EnvironmentID string       `json:"environmentId,omitempty"`
	Group         string       `json:"group,omitempty"`
	Before        *Environment `json:"before,omitempty"`
	After         *Environment `json:"after,omitempty"`
	GroupBefore   *Group       `json:"groupBefore,omitempty"`
	GroupAfter    *Group       `json:"groupAfter,omitempty"`
}

// Action names the kind of change, in PingOne's audit style.
type Action string

// Actions.
const (
	ActionCreated      Action = "ENVIRONMENT.CREATED"
	ActionUpdated      Action = "ENVIRONMENT.UPDATED"
	ActionTypeChanged  Action = "ENVIRONMENT.TYPE_CHANGED"
	ActionSoftDeleted  Action = "ENVIRONMENT.SOFT_DELETED"
	ActionRestored     Action = "ENVIRONMENT.RESTORED"
	ActionDeleted      Action = "ENVIRONMENT.DELETED" // a SANDBOX delete or a hard delete
	ActionGroupSaved   Action = "PROMOTION_GROUP.SAVED"
	ActionGroupDeleted Action = "PROMOTION_GROUP.DELETED"
)
