package promotion

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock"
)

// Status is the state of the latest promotion or rollback of an
// environment, as AIC's promotion progress reports it.
type Status string

// The statuses. A promotion stopped by integrity findings is ERROR with
// BlockingError set and the findings listed.
const (
	StatusReady    Status = "READY"    // nothing running; a promotion may start once locked
	StatusRunning  Status = "RUNNING"  // a promotion or rollback is under way
	StatusComplete Status = "COMPLETE" // the latest one succeeded
	StatusError    Status = "ERROR"    // the latest one failed; Message says why
)

// Progress is the state of an environment's latest promotion or rollback;
// httpapi answers AIC's GET /environment/promotion/promote with it.
type Progress struct {
	Status  Status
	Message string
	// Err is the error of a failed run (Status ERROR), whose text Message
	// is: it may name leases or internal detail, so servers show people
	// text derived from its kind instead (see httpapi).
	Err           error
	BlockingError bool
	// MissingESVs and EncryptedSecrets list what blocked it (encrypted
	// secrets by location, never value).
	MissingESVs      []string
	EncryptedSecrets []string
	// GlobalLock is the upper environment's lock state in capitals
	// (LOCKED, UNLOCKED, …), read at the time of the call.
	GlobalLock  string
	Type        Type
	PromotionID string
	ReportID    string
	Time        time.Time
	// Findings are the blocking integrity findings, with locations and
	// hints.
	Findings []integrity.Finding
}

// record stores pr as upper's progress and tells the observer.
func (p *Promoter) record(ev Event, pr Progress) {
	pr.Type, pr.PromotionID, pr.Time = Type(ev.Op), ev.PromotionID, p.now()
	p.mu.Lock()
	p.progress[ev.Upper] = pr
	p.mu.Unlock()
	ev.Status, ev.Message = pr.Status, pr.Message
	p.emit(ev)
}

// Progress reports the latest promotion or rollback of upper run by this
// Promoter. When it has run none, the state follows from the lock: READY,
// with a message saying whether the pair is locked. Errors wrap
// environment.ErrInvalidPair or the Locker's errors.
func (p *Promoter) Progress(ctx context.Context, upper string) (Progress, error) {
	lower, upper, err := p.pair("", upper)
	if err != nil {
		return Progress{}, fmt.Errorf("progress: %w", err)
	}
	st, err := p.locker.State(ctx, upper)
	if err != nil {
		return Progress{}, fmt.Errorf("progress of %s: %w", upper, err)
	}
	p.mu.Lock()
	pr, ok := p.progress[upper]
	p.mu.Unlock()
	if !ok {
		pr = Progress{Status: StatusReady, Time: p.now(), PromotionID: st.Lease.ID}
		switch {
		case st.State == lock.StateLocked && p.covers(st.Lease, lower, upper):
			pr.Message = "Environments locked; ready for promotion"
		case st.State == lock.StateUnlocked:
			pr.Message = "Environments unlocked; lock them to promote"
		default:
			pr.Message = describeLock(upper, st, "")
		}
	}
	pr.GlobalLock = strings.ToUpper(string(st.State))
	return pr, nil
}
