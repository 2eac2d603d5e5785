package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/gittest"
)

// instance is a server process.
type instance struct {
	cmd  *exec.Cmd
	base string
	log  *syncBuffer // its stderr
}

// startInstance runs the program in a child process on the remote url and
// returns once it serves.
func startInstance(t *testing.T, url string, ttl time.Duration) *instance {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "ENVPROMOTE_SERVER_HELPER=1", "ENVPROMOTE_SERVER_DIR="+t.TempDir(),
		"ENVPROMOTE_SERVER_ARGS=-remote "+url+" -lock-ttl "+ttl.String(), keyEnv+"="+strings.Repeat("5a", 32))
	in := &instance{cmd: cmd, log: &syncBuffer{}}
	cmd.Stderr = in.log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	for in.base == "" && lines.Scan() {
		in.base, _ = strings.CutPrefix(lines.Text(), "envpromote demo server on ")
	}
	if in.base == "" {
		t.Fatalf("no address printed (%v)\n%s", cmd.Wait(), in.log)
	}
	go io.Copy(io.Discard, stdout)
	return in
}

// until polls cond until it holds, failing the test after limit (a bound
// on a hang, not a timing assertion).
func until(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, limit)
		}
	}
}

// Three instances on one smart HTTP remote, requests spread across them.
func TestRule_InstancesSharingARemote(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	srv := gittest.HTTP(t)
	url := srv.NewRepo(t)
	// Registered first, so it runs last: after every instance stopped, since
	// fsck racing a push can read a ref before the objects it names.
	t.Cleanup(func() { gittest.Git(t, srv.Path(url), "fsck", "--strict") }) // fails the test on any error
	const token, ttl = "helper-token", 8 * time.Second
	var ins []*instance
	for range 3 { // one after the other: the first seeds the remote
		ins = append(ins, startInstance(t, url, ttl))
	}
	promo := func(i int) string { return ins[i%len(ins)].base + "/staging/environment/promotion" }
	state := func(i int) string {
		var st struct{ Result string }
		call(t, "GET", promo(i)+"/lock/state", token, "", &st)
		return st.Result
	}

	t.Run("OneWinnerPerContestedLock", func(t *testing.T) {
		for round := range 3 {
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				winners []int
				id      string
			)
			for i := range ins {
				wg.Go(func() {
					var lock struct{ PromotionID string }
					code := call(t, "POST", promo(i)+"/lock", token, "", &lock)
					mu.Lock()
					defer mu.Unlock()
					switch code {
					case http.StatusAccepted:
						winners, id = append(winners, i), lock.PromotionID
					case http.StatusConflict:
					default:
						t.Errorf("round %d instance %d: POST lock answered %d", round, i, code)
					}
				})
			}
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("round %d: %d instances granted the lock, want exactly 1", round, len(winners))
			}
			// Released through another instance, seen by the third.
			w := winners[0]
			if code := call(t, "DELETE", promo(w+1)+"/lock/"+id, token, "", nil); code != http.StatusAccepted {
				t.Fatalf("round %d: DELETE lock through another instance: %d", round, code)
			}
			until(t, time.Minute, "unlocked as seen by the third instance", func() bool { return state(w+2) == "unlocked" })
		}
	})

	t.Run("NoLostCommits", func(t *testing.T) {
		var wg sync.WaitGroup
		const writes = 9
		for i := range writes {
			wg.Go(func() {
				body := fmt.Sprintf(`{"valueBase64":"dmFsdWU=","expressionType":"string","description":"written through instance %d"}`, i%3)
				if code := call(t, "PUT", fmt.Sprintf("%s/staging/environment/variables/esv-scale-%d", ins[i%3].base, i), token, body, nil); code/100 != 2 {
					t.Errorf("write %d: %d", i, code)
				}
			})
		}
		wg.Wait()
		for i := range writes {
			if code := call(t, "GET", fmt.Sprintf("%s/staging/environment/variables/esv-scale-%d", ins[(i+1)%3].base, i), token, "", nil); code != http.StatusOK {
				t.Errorf("variable %d read through another instance: %d", i, code)
			}
		}
	})

	t.Run("KilledMidPromotionClearsWithinTheTTL", func(t *testing.T) {
		// Give staging the ESV the promotion needs, so that it runs.
		body := `{"valueBase64":"c3VwcG9ydEBleGFtcGxlLmNvbQ==","expressionType":"string"}`
		if code := call(t, "PUT", ins[0].base+"/staging/environment/variables/"+newESV, token, body, nil); code/100 != 2 {
			t.Fatalf("PUT the missing ESV: %d", code)
		}
		if code := call(t, "POST", ins[1].base+"/staging/environment/startup?_action=restart", token, "", nil); code != http.StatusOK {
			t.Fatalf("restart: %d", code)
		}
		until(t, time.Minute, "restart ready", func() bool {
			var st struct{ RestartStatus string }
			call(t, "GET", ins[2].base+"/staging/environment/startup", token, "", &st)
			return st.RestartStatus == "ready"
		})
		var lock struct{ PromotionID string }
		if code := call(t, "POST", promo(0)+"/lock", token, "", &lock); code != http.StatusAccepted {
			t.Fatalf("lock: %d", code)
		}
		if code := call(t, "POST", promo(0)+"/promote", token, `{"dryRun":false,"promoter":"t"}`, nil); code != http.StatusAccepted {
			t.Fatalf("promote: %d", code)
		}
		if err := ins[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		ins[0].cmd.Wait()
		ins = ins[1:]
		// Nobody unlocks: the lease expires by itself.
		until(t, ttl+time.Minute, "the dead instance's lock cleared", func() bool { return state(0) == "unlocked" })
		if code := call(t, "POST", promo(1)+"/lock", token, "", &lock); code != http.StatusAccepted {
			t.Fatalf("lock after the crash: %d", code)
		}
		if code := call(t, "DELETE", promo(0)+"/lock/"+lock.PromotionID, token, "", nil); code != http.StatusAccepted {
			t.Fatalf("unlock after the crash: %d", code)
		}
	})
}
