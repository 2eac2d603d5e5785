package promotion_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/gitesv"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

// crashStaleRefLock is how old a ref lock file no process holds must be
// before the campaign's processes take it over (gitstore.Options.
// StaleRefLock): short, so that a new process finds the repository usable
// at once; in production it is seconds, for the git CLI's sake.
const crashStaleRefLock = 10 * time.Millisecond

// crashOps are the workloads killed at random points.
var crashOps = []string{"lock", "unlock", "promote", "rollback", "revert", "esv"}

// crashWorld is the group of the campaign on the on-disk repository dir,
// as every process builds it.
type crashWorld struct {
	repo   *gitstore.Repo
	locker *lock.Manager
	esv    *esv.Service
	p      *promotion.Promoter
}

func openCrashWorld(dir string) (*crashWorld, error) {
	repo, err := gitstore.Open(dir, gitstore.Options{StaleRefLock: crashStaleRefLock})
	if err != nil {
		return nil, err
	}
	es, err := gitesv.New(repo, gitesv.Options{Key: bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		return nil, err
	}
	w := &crashWorld{repo: repo, locker: gitlock.New(repo, gitlock.Options{})}
	w.esv = esv.New(es, esv.Options{Guard: promotion.ESVGuard(w.locker)})
	w.p, err = promotion.New(promotion.Config{Group: testGroup, Repo: repo, Locker: w.locker, ESVs: promotion.ESVService(w.esv), LockTTL: time.Hour})
	return w, err
}

// edit changes one static file of development.
func (w *crashWorld) edit(ctx context.Context, n int) error {
	_, err := w.p.Edit(ctx, dev, func(b *store.Builder) error {
		return b.Put(fmt.Sprintf("email-templates/crash/t%d.json", n%3), fmt.Appendf(nil, `{"_id":"emailTemplate/crash%d","n":%d}`+"\n", n%3, n))
	}, store.CommitInfo{Author: "crash", Message: fmt.Sprint("edit ", n)})
	return err
}

// run performs op over and over, printing "ok <op>" after each success,
// until the process is killed.
func (w *crashWorld) run(ctx context.Context, op string) {
	for n := 0; ; n++ {
		err := w.step(ctx, op, n)
		if err == nil {
			fmt.Println("ok", op)
		}
	}
}

func (w *crashWorld) step(ctx context.Context, op string, n int) error {
	promote := func(rollback bool) error {
		lease, err := w.p.Lock(ctx, dev, staging, "crash")
		if err != nil {
			return err
		}
		req := promotion.Request{Lower: dev, Upper: staging, UnlockAfter: true, Promoter: "crash"}
		if rollback {
			_, err = w.p.Rollback(ctx, req)
		} else {
			_, err = w.p.Promote(ctx, req)
		}
		if err != nil {
			w.p.Unlock(ctx, dev, staging, lease.ID)
		}
		return err
	}
	switch op {
	case "lock", "unlock": // the kill lands in one or the other
		lease, err := w.p.Lock(ctx, dev, staging, "crash")
		if err != nil {
			return err
		}
		return w.p.Unlock(ctx, dev, staging, lease.ID)
	case "promote":
		if err := w.edit(ctx, n); err != nil {
			return err
		}
		return promote(false)
	case "rollback":
		if err := w.edit(ctx, n); err != nil {
			return err
		}
		if err := promote(false); err != nil {
			return err
		}
		return promote(true)
	case "revert":
		before := time.Now()
		if err := w.edit(ctx, n); err != nil {
			return err
		}
		_, err := w.p.RevertDevelopment(ctx, dev, before)
		return err
	case "esv":
		env := []string{dev, staging}[n%2]
		if _, err := w.esv.SetVariable(ctx, env, fmt.Sprintf("esv-crash-%d", n%4), esv.VariableSpec{ExpressionType: esv.TypeString, Value: fmt.Sprint(n)}); err != nil {
			return err
		}
		_, err := w.esv.CreateSecretVersion(ctx, env, "esv-crash-secret", esv.NewSecretValue(fmt.Appendf(nil, "s3cret-%d", n)))
		return err
	}
	return fmt.Errorf("no op %q", op)
}

// check is what a new process finds after a kill; it prints "fail …" for
// each violation.
func (w *crashWorld) check(ctx context.Context, dir string) {
	fail := func(format string, args ...any) { fmt.Printf("fail "+format+"\n", args...) }

	// No partial promotion: every promotion commit on staging holds the
	// static config of the development revision it names, and its report.
	log, err := w.repo.Log(ctx, staging, store.LogOptions{})
	if err != nil {
		fail("log of staging: %v", err)
	}
	for _, c := range log {
		if promotion.Type(c.Metadata[promotion.MetaType]) != promotion.TypePromotion {
			continue
		}
		got, err1 := w.repo.Snapshot(ctx, c.Revision)
		want, err2 := w.repo.Snapshot(ctx, store.Revision(c.Metadata[promotion.MetaSource]))
		if err := errors.Join(err1, err2); err != nil {
			fail("promotion %s: %v", c.Revision, err)
			continue
		}
		layout := promotion.DefaultLayout{}
		gotView, err1 := promotion.StaticView(layout, got)
		wantView, err2 := promotion.StaticView(layout, want)
		if err := errors.Join(err1, err2); err != nil {
			fail("promotion %s: %v", c.Revision, err)
			continue
		}
		if gotView.Hash() != wantView.Hash() {
			fail("promotion %s is partial: its static config is not its source's", c.Revision)
		}
		// Every tree and file it names is there to read (snapshots are
		// lazy: loading one reads only its root).
		if err := got.Walk(func(string, []byte) error { return nil }); err != nil {
			fail("promotion %s: %v", c.Revision, err)
		}
		if _, err := w.p.Report(ctx, c.Metadata[promotion.MetaReportID]); err != nil {
			fail("promotion %s has no report: %v", c.Revision, err)
		}
	}

	// No state needs a hand edit: a lease left held anywhere clears by one
	// documented call, Unlock with the lease State reports.
	for _, env := range []string{dev, staging, promotion.GroupLock(testGroup.Name), "group:" + testGroup.Name} {
		st, err := w.locker.State(ctx, env)
		switch {
		case err != nil:
			fail("lock state of %s: %v", env, err)
		case st.State == lock.StateError:
			fail("lock state of %s is error (needs a hand edit): %s", env, st.Detail)
		case st.State != lock.StateUnlocked:
			if err := w.locker.Unlock(ctx, st.Lease); err != nil && !errors.Is(err, lock.ErrNotHeld) {
				fail("Unlock of the lease %s left on %s (%s): %v", st.Lease.ID, env, st.State, err)
			}
		}
	}
	// Then everything works again.
	lease, err := w.p.Lock(ctx, dev, staging, "checker")
	if err != nil {
		fail("Lock after recovery: %v", err)
	} else if err := w.p.Unlock(ctx, dev, staging, lease.ID); err != nil {
		fail("Unlock after recovery: %v", err)
	}
	if err := w.edit(ctx, 0); err != nil {
		fail("Edit after recovery: %v", err)
	}
	if _, err := w.esv.SetVariable(ctx, staging, "esv-crash-check", esv.VariableSpec{ExpressionType: esv.TypeString, Value: "ok"}); err != nil {
		fail("ESV write after recovery: %v", err)
	}
}

// TestCrashChild is a process of TestRule_CrashCampaign: it checks the
// repository as a new process finds it, prints "ready", then runs its
// workload until killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("PROMOTION_CRASH_REPO")
	if dir == "" {
		t.Skip("only run as a child of TestRule_CrashCampaign")
	}
	w, err := openCrashWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(actor.With(context.Background(), "crash-checker"), 2*time.Minute) // bounds a hang, not a timing
	w.check(ctx, dir)
	cancel()
	fmt.Println("ready")
	if op := os.Getenv("PROMOTION_CRASH_OP"); op != "check" {
		w.run(actor.With(context.Background(), "crash-worker"), op)
	}
}

// TestRule_CrashCampaign SIGKILLs real processes at random points of
// lock, unlock, promote, rollback, revert and ESV writes on an on-disk
// repository; after each kill, git fsck finds no error and a new process
// finds no partial promotion and no state that needs a hand edit (every
// lease left clears by one Unlock). 2 kills per workload in CI, 20 (120 in
// all) with ENVPROMOTE_LONG=1, which takes longer than go test's default
// timeout:
//
//	ENVPROMOTE_LONG=1 go test ./promotion -run CrashCampaign -timeout 40m
func TestRule_CrashCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not installed")
	}
	kills := 2
	if os.Getenv("ENVPROMOTE_LONG") != "" {
		kills = 20
	}
	dir := filepath.Join(t.TempDir(), "repo.git")
	if _, err := gitstore.Init(dir, gitstore.Options{}); err != nil {
		t.Fatal(err)
	}
	w, err := openCrashWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := actor.With(context.Background(), "seed")
	for _, env := range []string{dev, staging} {
		if _, err := w.p.Edit(ctx, env, func(b *store.Builder) error {
			return b.Put("email-templates/crash/base.json", []byte(`{"_id":"emailTemplate/base"}`+"\n"))
		}, store.CommitInfo{Author: "seed", Message: "seed"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.esv.CreateSecret(ctx, env, "esv-crash-secret", esv.SecretSpec{Encoding: esv.EncodingGeneric, Value: esv.NewSecretValue([]byte("s0"))}); err != nil {
			t.Fatal(err)
		}
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 14))
	ops := map[string]int{}
	// child runs one process; it returns once the process printed "ready",
	// having failed the test for what its check found.
	child := func(op string) (*exec.Cmd, *bufio.Scanner) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v=false")
		cmd.Env = append(os.Environ(), "PROMOTION_CRASH_REPO="+dir, "PROMOTION_CRASH_OP="+op)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			switch line := lines.Text(); {
			case line == "ready":
				return cmd, lines
			case strings.HasPrefix(line, "fail "):
				t.Errorf("after a kill (next workload %s): %s", op, strings.TrimPrefix(line, "fail "))
			}
		}
		t.Fatalf("checker exited without \"ready\": %v", cmd.Wait())
		return nil, nil
	}
	for i := range kills * len(crashOps) {
		op := crashOps[i%len(crashOps)]
		cmd, lines := child(op)
		done := make(chan struct{})
		go func() {
			for lines.Scan() {
				if line, ok := strings.CutPrefix(lines.Text(), "ok "); ok {
					ops[line]++
				}
			}
			close(done)
		}()
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond) // a random point of the workload
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		cmd.Wait()
		if out, err := exec.Command("git", "-C", dir, "fsck", "--strict").CombinedOutput(); err != nil {
			t.Fatalf("git fsck after kill %d (%s): %v\n%s", i+1, op, err, out)
		}
	}
	cmd, _ := child("check")
	cmd.Wait()
	t.Logf("%d kills; operations completed between them: %v", kills*len(crashOps), ops)
	for _, op := range crashOps {
		if ops[op] == 0 && kills >= 20 {
			t.Errorf("no %s completed in the whole campaign: the kills never landed past its start", op)
		}
	}
}
