// Package retry is the one policy that bounds every retry loop in the
// library: compare-and-set loops that lost a race, waits for a ref lock
// file, and polls for a lock to be freed. A loop asks the Policy for the
// next pause; the Policy says stop after MaxAttempts tries or once
// MaxElapsed has passed since the first, whichever comes first, so no loop
// spins until its context ends.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrExhausted: a loop used up its Policy. Errors wrapping it also wrap
// the last failure, so callers can still match what kept failing.
var ErrExhausted = errors.New("retries exhausted")

// Policy bounds a retry loop. The zero value means Default.
type Policy struct {
	// First is the first pause; each later one doubles, up to Max, with
	// random jitter (half to the whole pause) so racing writers spread out.
	First, Max time.Duration
	// MaxAttempts bounds the tries (the first one included); 0 means no
	// bound on the count, only on the time.
	MaxAttempts int
	// MaxElapsed bounds the time from the first try to the last; 0 means
	// no bound on the time, only on the count. A Policy with neither bound
	// is taken as Default.
	MaxElapsed time.Duration
}

// Default is the policy of every loop that has no reason for another:
// compare-and-set races are resolved in a few tries, so 50 tries or 10 s
// means something is wrong and the caller should hear about it.
var Default = Policy{First: time.Millisecond, Max: 100 * time.Millisecond, MaxAttempts: 50, MaxElapsed: 10 * time.Second}

func (p Policy) norm() Policy {
	if p.MaxAttempts <= 0 && p.MaxElapsed <= 0 {
		p.MaxAttempts, p.MaxElapsed = Default.MaxAttempts, Default.MaxElapsed
	}
	if p.First <= 0 {
		p.First = Default.First
	}
	if p.Max < p.First {
		p.Max = max(p.First, Default.Max)
	}
	return p
}

// Loop is one run of a Policy. Use it as
//
//	for l := p.Start(); ; {
//		err := try()
//		if !transient(err) { return err }
//		if err := l.Wait(ctx, err); err != nil { return err }
//	}
type Loop struct {
	p     Policy
	start time.Time
	tries int
	pause time.Duration
	wake  <-chan struct{}
}

// Start begins a loop at the first try.
func (p Policy) Start() *Loop {
	p = p.norm()
	return &Loop{p: p, start: time.Now(), pause: p.First}
}

// Poll begins a loop bounded only by its context, at the Policy's pauses:
// for a wait the caller asked for (lock.Options.Wait), not for a retry.
func (p Policy) Poll() *Loop {
	p = p.norm()
	p.MaxAttempts, p.MaxElapsed = 0, 0
	return &Loop{p: p, start: time.Now(), pause: p.First}
}

// WakeOn makes the next Wait return early when ch is closed (e.g. a lock
// released in this process).
func (l *Loop) WakeOn(ch <-chan struct{}) { l.wake = ch }

// Wait pauses before the next try after a try failed with last. It returns
// an error wrapping ErrExhausted and last when the Policy is used up, or the
// context's cause (wrapping last) when ctx ends first.
func (l *Loop) Wait(ctx context.Context, last error) error {
	l.tries++
	elapsed := time.Since(l.start)
	if l.p.MaxAttempts > 0 && l.tries >= l.p.MaxAttempts || l.p.MaxElapsed > 0 && elapsed >= l.p.MaxElapsed {
		return fmt.Errorf("%w after %d tries in %v: %w", ErrExhausted, l.tries, elapsed.Round(time.Millisecond), last)
	}
	d := l.pause/2 + rand.N(l.pause/2+1)
	if l.p.MaxElapsed > 0 {
		d = min(d, l.p.MaxElapsed-elapsed)
	}
	l.pause = min(2*l.pause, l.p.Max)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w (%w)", context.Cause(ctx), last)
	case <-t.C:
	case <-l.wake:
	}
	l.wake = nil
	return nil
}
