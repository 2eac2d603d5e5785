package gitstore

import (
	"container/list"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// lru keeps the most recently used values decoded from immutable Git
// objects, by object id. It is safe for concurrent use.
//
// The tree cache's snapshots share their nodes with every snapshot built
// from them, so the memory it holds is the distinct content of the cached
// trees, typically the last few versions of each branch. The commit cache
// spares Head, Log and every lock or report lookup from inflating the same
// commits again.
type lru[V any] struct {
	mu    sync.Mutex
	max   int        // < 0: cache nothing
	order *list.List // of plumbing.Hash, most recently used first
	items map[plumbing.Hash]entry[V]
}

type entry[V any] struct {
	v    V
	elem *list.Element
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, order: list.New(), items: map[plumbing.Hash]entry[V]{}}
}

func (c *lru[V]) get(h plumbing.Hash) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[h]
	if ok {
		c.order.MoveToFront(e.elem)
	}
	return e.v, ok
}

func (c *lru[V]) add(h plumbing.Hash, v V) {
	if c.max < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[h]; ok {
		c.order.MoveToFront(e.elem)
		return
	}
	c.items[h] = entry[V]{v, c.order.PushFront(h)}
	if c.order.Len() > c.max {
		delete(c.items, c.order.Remove(c.order.Back()).(plumbing.Hash))
	}
}
