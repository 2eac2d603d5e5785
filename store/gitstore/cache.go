package gitstore

import (
	"container/list"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/envpromote/envpromote/store"
)

// treeCache keeps the most recently used loaded trees by Git tree id. A
// cached tree shares its nodes with every snapshot built from it, so the
// memory it holds is the distinct content of the cached trees, typically
// the last few versions of each branch. It is guarded by Repo.mu.
type treeCache struct {
	max   int
	order *list.List // of plumbing.Hash, most recently used first
	trees map[plumbing.Hash]cached
}

type cached struct {
	snap *store.Snapshot
	elem *list.Element
}

func newTreeCache(max int) *treeCache {
	if max == 0 {
		max = DefaultCacheTrees
	}
	return &treeCache{max: max, order: list.New(), trees: map[plumbing.Hash]cached{}}
}

func (c *treeCache) get(h plumbing.Hash) (*store.Snapshot, bool) {
	e, ok := c.trees[h]
	if ok {
		c.order.MoveToFront(e.elem)
	}
	return e.snap, ok
}

func (c *treeCache) add(h plumbing.Hash, s *store.Snapshot) {
	if c.max < 0 {
		return
	}
	if e, ok := c.trees[h]; ok {
		c.order.MoveToFront(e.elem)
		return
	}
	c.trees[h] = cached{s, c.order.PushFront(h)}
	if c.order.Len() > c.max {
		delete(c.trees, c.order.Remove(c.order.Back()).(plumbing.Hash))
	}
}
