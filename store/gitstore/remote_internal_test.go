package gitstore

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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

// Remote errors never contain the URL's password, nor over HTTP a token
// given as its user name: every message names the remote by its URL with
// them masked, whether connecting fails,
// the server fails, the remote is silent past ListTimeout, or the URL does
// not parse (url.Parse quotes what it rejects, password and all).
func TestRule_RemoteErrorsNeverContainTheURLsPassword(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)
	for _, tt := range []struct {
		name, url string
		secrets   []string
	}{
		{"HTTPConnectionRefused", "http://user:s3cret@" + refused + "/x.git", []string{"s3cret"}},
		{"GitConnectionRefused", "git://user:s3cret@" + refused + "/x.git", []string{"s3cret"}},
		{"HTTPServerError", "http://user:s3cret@" + strings.TrimPrefix(failing.URL, "http://") + "/x.git", []string{"s3cret"}},
		{"HTTPSilent", "http://user:s3cret@" + strings.TrimPrefix(stallingServer(t), "git://"), []string{"s3cret"}},
		{"EscapedPassword", "http://user:s3%63ret@" + refused + "/x.git", []string{"s3cret", "s3%63ret"}},
		{"UnparsableBadPort", "http://user:s3cret@" + refused + ":x/x.git", []string{"s3cret"}},
		{"UnparsableSlashInPassword", "http://user:hunter2/s3cret@" + refused + "/x.git", []string{"hunter2", "s3cret"}},
		{"UnparsableControlCharacter", "http://user:s3cret@" + refused + "/x\x7f.git", []string{"s3cret"}},
		{"TokenAsUserName", "http://ghp_s3cret@" + refused + "/x.git", []string{"ghp_s3cret"}},
		{"UnparsableTokenAsUserName", "http://ghp_s3cret@" + refused + ":x/x.git", []string{"ghp_s3cret"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := NewMemory(Options{Remote: tt.url, ListTimeout: 50 * time.Millisecond})
			_, headErr := r.Head(context.Background(), "dev")
			// No ListTimeout bounds a push to the silent remote: this does.
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, commitErr := r.Commit(ctx, "dev", "", storetest.Snapshot(t, map[string]string{"x": "1"}), store.CommitInfo{})
			for op, err := range map[string]error{"Head": headErr, "Commit": commitErr} {
				if err == nil {
					t.Fatalf("%s on %s succeeded", op, tt.name)
				}
				for _, s := range tt.secrets {
					if strings.Contains(err.Error(), s) {
						t.Errorf("%s error contains the password (%q): %v", op, s, err)
					}
				}
				if !strings.Contains(err.Error(), "127.0.0.1") {
					t.Errorf("%s error does not name the remote: %v", op, err)
				}
			}
		})
	}
}
