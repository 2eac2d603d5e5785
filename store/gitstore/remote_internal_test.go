package gitstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/storetest"
)

// The remote half of fencing in the commit: a branch update pushed with a
// check that a second ref (a lock) still holds a value lands only if it
// does, both in one atomic push.
func TestRule_AtomicPushMovesEveryRefOrNone(t *testing.T) {
	for name, srv := range map[string]*gittest.Server{"SmartHTTP": gittest.HTTP(t), "GitDaemon": gittest.Daemon(t)} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r := NewMemory(Options{Remote: srv.NewRepo(t)})
			info := store.CommitInfo{Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			at := func(branch string, parent store.Revision, content string) plumbing.Hash {
				c, err := r.Commit(ctx, branch, parent, storetest.Snapshot(t, map[string]string{"x": content}), info)
				if err != nil {
					t.Fatal(err)
				}
				return plumbing.NewHash(string(c.Revision))
			}
			base := at("dev", "", "base")
			l1 := at("locks/dev", "", "lease 1")
			l2 := at("locks/dev", revision(l1), "lease 2")
			dev, lock := refName("dev"), refName("locks/dev")
			moves := []refUpdate{{name: dev, old: base}}
			u := store.Update{Branch: "dev", Parent: revision(base), Snapshot: storetest.Snapshot(t, map[string]string{"x": "promoted"}), Info: info}
			_, err := r.write(ctx, moves, []store.Update{u})
			if err != nil {
				t.Fatal(err)
			}
			h := moves[0].new

			err = r.push(ctx, refUpdate{dev, base, h}, refUpdate{lock, l1, l1})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("push fenced by a lock that moved: %v, want ErrConflict", err)
			}
			if refs, err := r.sync(ctx); err != nil || refs[dev] != base || refs[lock] != l2 {
				t.Fatalf("after the refused push the remote holds dev=%s lock=%s (%v); want both unchanged", refs[dev], refs[lock], err)
			}

			if err := r.push(ctx, refUpdate{dev, base, h}, refUpdate{lock, l2, l2}); err != nil {
				t.Fatalf("push fenced by the current lock: %v", err)
			}
			if refs, err := r.sync(ctx); err != nil || refs[dev] != h || refs[lock] != l2 {
				t.Fatalf("after the push the remote holds dev=%s lock=%s (%v); want dev moved, lock kept", refs[dev], refs[lock], err)
			}
		})
	}
}
