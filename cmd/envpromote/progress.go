package main

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/envpromote/envpromote/promotion"
)

// progress shows the steps of a one-call job (lock, check and promote,
// unlock): a bar redrawn in place on a terminal, plain lines anywhere else
// (pipes, CI logs), one per step.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	total int
	done  int
	names map[string]string
}

func newProgress(w io.Writer, total int, names map[string]string) *progress {
	return &progress{w: w, tty: isTerminal(w), total: total, names: names}
}

// observe is a promotion.Config Observer.
func (p *progress) observe(ev promotion.Event) {
	var msg string
	switch {
	case ev.Op == "lock":
		msg = fmt.Sprintf("locked %s → %s", p.names[ev.Lower], p.names[ev.Upper])
	case ev.Op == "unlock":
		msg = fmt.Sprintf("unlocked %s → %s", p.names[ev.Lower], p.names[ev.Upper])
	case ev.Status == promotion.StatusRunning:
		msg = fmt.Sprintf("%s %s → %s: checking", ev.Op, p.names[ev.Lower], p.names[ev.Upper])
	case ev.Status == promotion.StatusError:
		msg = fmt.Sprintf("%s %s → %s stopped: %s is unchanged", ev.Op, p.names[ev.Lower], p.names[ev.Upper], p.names[ev.Upper])
	case ev.Status == promotion.StatusComplete && (ev.Op == string(promotion.TypePromotion) || ev.Op == string(promotion.TypeRollback)):
		// The message ends with the count: "… complete: 2 change(s)".
		_, count, _ := strings.Cut(ev.Message, " complete: ")
		msg = fmt.Sprintf("%s %s → %s complete: %s", ev.Op, p.names[ev.Lower], p.names[ev.Upper], count)
	default:
		return
	}
	p.step(msg)
}

func (p *progress) step(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = min(p.done+1, p.total)
	if !p.tty {
		fmt.Fprintf(p.w, "[%d/%d] %s\n", p.done, p.total, msg)
		return
	}
	const width = 24
	fill := width * p.done / p.total
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %d/%d %s", strings.Repeat("█", fill), strings.Repeat("░", width-fill), p.done, p.total, msg)
}

// finish ends the bar's line on a terminal.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.done > 0 {
		fmt.Fprintln(p.w)
		p.tty = false // once
	}
}
