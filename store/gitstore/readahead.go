package gitstore

import (
	"runtime"
	"slices"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// Read-ahead bounds: how far past the object being read a window reaches,
// in objects and in compressed bytes, and how many packs have one.
const (
	aheadObjects = 64
	aheadBytes   = 1 << 20
	aheadPacks   = 4 // windows kept at a time
)

// readahead inflates, on another goroutine, the objects that follow in a
// pack the one a caller reads, once it reads two in a row in pack order, as
// loading a snapshot does (commits and Maintain write trees before their
// entries, in the order Snapshot reads them). The caller and the
// read-ahead leapfrog: each takes the next object nobody has started, so
// reading a whole tenant uses two cores. Inflating is most of the cost of
// reading a pack.
//
// A reader of a tenant's files skips the trees between them, and one
// loading trees skips the files: a read further on in the window is still
// in order, and the read-ahead passes over objects of another type than
// the one last read, which the reader is not going to ask for.
type readahead struct {
	mu   sync.Mutex
	wins map[*pack]*window
}

// window is the read-ahead of one pack.
type window struct {
	last    int           // index in pack.sorted of the last object read
	hi      int           // highest index given a slot
	slots   map[int]*slot // by index in pack.sorted
	queue   []int         // indexes not yet started, ascending
	running bool          // a goroutine works through queue
}

type slot struct {
	done    chan struct{}
	skipped bool // of another type than the reader's: not inflated
	t       plumbing.ObjectType
	data    []byte
	err     error
}

// take returns the read-ahead's result for the object at off, waiting for
// it if it is being inflated, or nil when the caller must read it itself;
// either way it extends the window past off when reads are sequential.
func (ra *readahead) take(db *objectDB, p *pack, off int64) *slot {
	if runtime.GOMAXPROCS(0) < 2 {
		return nil
	}
	i, ok := slices.BinarySearch(p.sorted, off)
	if !ok {
		return nil
	}
	ra.mu.Lock()
	defer ra.mu.Unlock()
	if ra.wins == nil {
		ra.wins = map[*pack]*window{}
	}
	w := ra.wins[p]
	if w == nil {
		if len(ra.wins) >= aheadPacks {
			for q := range ra.wins { // bound what abandoned windows hold
				delete(ra.wins, q)
				break
			}
		}
		w = &window{last: -2}
		ra.wins[p] = w
	}
	s := w.slots[i]
	switch {
	case s != nil:
		// In order, perhaps past objects the reader does not want: drop
		// their slots, and start none of them.
		for j := w.last + 1; j <= i; j++ {
			delete(w.slots, j)
		}
		k, queued := slices.BinarySearch(w.queue, i)
		if queued {
			s = nil // not started: the caller inflates it
			k++
		}
		w.queue = w.queue[k:]
	case i != w.last+1:
		// Not sequential: start over from here.
		w.slots, w.queue, w.hi = nil, nil, i
		w.last = i
		return nil
	}
	w.last = i
	w.hi = max(w.hi, i)
	for w.hi < len(p.sorted)-2 && w.hi-i < aheadObjects && p.sorted[w.hi+1]-off < aheadBytes {
		w.hi++
		if w.slots == nil {
			w.slots = map[int]*slot{}
		}
		w.slots[w.hi] = &slot{done: make(chan struct{})}
		w.queue = append(w.queue, w.hi)
	}
	if len(w.queue) > 0 && !w.running {
		w.running = true
		go ra.run(db, p, w)
	}
	return s
}

// run inflates the window's queued objects in order until none is left.
func (ra *readahead) run(db *objectDB, p *pack, w *window) {
	for ra.next(db, p, w) {
	}
	ra.mu.Lock()
	w.running = false
	ra.mu.Unlock()
}

// wait waits for s, inflating the window's next queued objects meanwhile.
func (ra *readahead) wait(db *objectDB, p *pack, s *slot) {
	for {
		select {
		case <-s.done:
			return
		default:
		}
		ra.mu.Lock()
		w := ra.wins[p]
		ra.mu.Unlock()
		if w == nil || !ra.next(db, p, w) {
			<-s.done
			return
		}
	}
}

// next inflates the window's first queued object, unless it is a whole
// object of another type than the one the reader last read; false if none
// is queued.
func (ra *readahead) next(db *objectDB, p *pack, w *window) bool {
	ra.mu.Lock()
	if len(w.queue) == 0 || ra.wins[p] != w {
		ra.mu.Unlock()
		return false
	}
	i, last := w.queue[0], w.last
	w.queue = w.queue[1:]
	s := w.slots[i]
	ra.mu.Unlock()
	if p.otherType(db, p.sorted[i], p.sorted[last]) {
		s.skipped = true
	} else {
		s.t, s.data, s.err = p.readAt(db, p.sorted[i], 0)
	}
	close(s.done)
	return true
}

// otherType reports whether the objects at off and at ref are whole
// objects of different types (a delta's type is its base's: unknown here).
func (p *pack) otherType(db *objectDB, off, ref int64) bool {
	a, err := p.typeAt(db, off)
	if err != nil || a >= plumbing.OFSDeltaObject {
		return false
	}
	b, err := p.typeAt(db, ref)
	return err == nil && b < plumbing.OFSDeltaObject && a != b
}

// forget drops the window of a pack that vanished.
func (ra *readahead) forget(p *pack) {
	ra.mu.Lock()
	delete(ra.wins, p)
	ra.mu.Unlock()
}
