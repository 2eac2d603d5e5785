package memenv

import (
	"context"
	"slices"
	"sync"

	"github.com/envpromote/envpromote/environment"
)

// AuditLog is an in-memory environment.Auditor that keeps every event and
// answers queries. Safe for concurrent use; the zero value is ready.
type AuditLog struct {
	mu     sync.RWMutex
	events []environment.Event
}

var _ environment.Auditor = (*AuditLog)(nil)

// Audit records e.
func (a *AuditLog) Audit(_ context.Context, e environment.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
}

// Events returns the recorded events in order, only those about
// environment id unless id is empty.
func (a *AuditLog) Events(id string) []environment.Event {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if id == "" {
		return slices.Clone(a.events)
	}
	var out []environment.Event
	for _, e := range a.events {
		if e.EnvironmentID == id {
			out = append(out, e)
		}
	}
	return out
}
