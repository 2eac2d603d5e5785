package gitstore

import (
	"container/list"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// lru keeps the most recently used values decoded from immutable Git
// objects, by object id, within a budget: each value has a cost (bytes, or
// 1 to bound a count). It is safe for concurrent use, since reads of a
// repository on disk take no Repo lock.
//
// The tree cache holds loaded trees, each one level whose files and
// subdirectories are lazy, and the blob cache the contents read most
// recently, so their memory is their budget whatever the tenant size. The
// commit cache spares Head, Log and every lock or report lookup from
// inflating the same commits again.
type lru[V any] struct {
	mu    sync.Mutex
	max   int64      // < 0: cache nothing
	used  int64      // sum of the costs of items
	order *list.List // of plumbing.Hash, most recently used first
	items map[plumbing.Hash]entry[V]
}

type entry[V any] struct {
	v    V
	cost int64
	elem *list.Element
}

func newLRU[V any](max int64) *lru[V] {
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

// add keeps v at cost, evicting the least recently used items beyond the
// budget; a value costing more than the whole budget is not kept.
func (c *lru[V]) add(h plumbing.Hash, v V, cost int64) {
	if c.max < 0 || cost > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[h]; ok {
		c.order.MoveToFront(e.elem)
		return
	}
	c.items[h] = entry[V]{v, cost, c.order.PushFront(h)}
	c.used += cost
	for c.used > c.max {
		old := c.order.Remove(c.order.Back()).(plumbing.Hash)
		c.used -= c.items[old].cost
		delete(c.items, old)
	}
}
