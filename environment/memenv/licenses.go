package memenv

import (
	"context"
	"slices"
	"sync"

	"github.com/envpromote/envpromote/environment"
)

// Licenses is an in-memory environment.Licenses: every license it holds
// is active. Safe for concurrent use.
type Licenses struct {
	mu sync.RWMutex
	ls []environment.License
}

var _ environment.Licenses = (*Licenses)(nil)

// NewLicenses returns Licenses holding ls.
func NewLicenses(ls ...environment.License) *Licenses {
	return &Licenses{ls: slices.Clone(ls)}
}

// Active returns the licenses of organization org.
func (l *Licenses) Active(_ context.Context, org string) ([]environment.License, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []environment.License
	for _, x := range l.ls {
		if x.Organization == org {
			out = append(out, x)
		}
	}
	return out, nil
}

// Add makes ls active.
func (l *Licenses) Add(ls ...environment.License) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ls = append(l.ls, ls...)
}

// Remove ends the license with the given id.
func (l *Licenses) Remove(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ls = slices.DeleteFunc(l.ls, func(x environment.License) bool { return x.ID == id })
}
