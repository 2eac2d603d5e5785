package gitlock_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/store/gitstore"
)

// Environment of a helper process started by TestMultiProcess_OneHolderAtATime.
const (
	envHelper = "GITLOCK_HELPER" // the repository path; set only in helpers
	envLog    = "GITLOCK_LOG"    // the shared file the critical sections append to
	envID     = "GITLOCK_ID"     // the helper's number
)

const helperRounds = 8

// TestMultiProcess_OneHolderAtATime starts several copies of the test
// binary that lock the same on-disk repository, each appending a begin and
// an end line to a shared file inside its critical section. Mutual
// exclusion holds if the lines come in matching pairs with rising tokens.
func TestMultiProcess_OneHolderAtATime(t *testing.T) {
	repoDir := t.TempDir()
	if _, err := gitstore.Init(repoDir, gitstore.Options{}); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "critical.log")
	const procs = 4
	cmds := make([]*exec.Cmd, procs)
	outs := make([]bytes.Buffer, procs)
	for i := range cmds {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envHelper+"="+repoDir, envLog+"="+logPath, envID+"="+strconv.Itoa(i))
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v\n%s", i, err, &outs[i])
		}
	}
	if t.Failed() {
		return
	}

	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 2*procs*helperRounds {
		t.Fatalf("%d lines in the shared file, want %d", len(lines), 2*procs*helperRounds)
	}
	var last uint64
	for i := 0; i < len(lines); i += 2 {
		var who, round int
		var token uint64
		if _, err := fmt.Sscanf(lines[i], "begin %d %d %d", &who, &round, &token); err != nil {
			t.Fatalf("line %d: %q: %v", i+1, lines[i], err)
		}
		if want := fmt.Sprintf("end %d %d %d", who, round, token); lines[i+1] != want {
			t.Fatalf("line %d: %q after %q, want %q: two holders at once", i+2, lines[i+1], lines[i], want)
		}
		if token <= last {
			t.Fatalf("line %d: token %d after %d", i+1, token, last)
		}
		last = token
	}
}

// TestHelperProcess is one contender of TestMultiProcess_OneHolderAtATime;
// it does nothing in a normal test run.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(envHelper)
	if dir == "" {
		t.Skip("helper process of TestMultiProcess_OneHolderAtATime")
	}
	repo, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := gitlock.New(repo, gitlock.Options{})
	id, _ := strconv.Atoi(os.Getenv(envID))
	envs := []string{"dev", "prod"}
	if id%2 == 1 {
		envs = []string{"prod", "dev"} // the order must not matter
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for round := range helperRounds {
		lease, err := l.Lock(ctx, envs, fmt.Sprintf("process-%d", id), lock.Options{Wait: true})
		if err != nil {
			t.Fatal(err)
		}
		appendLine(t, fmt.Sprintf("begin %d %d %d", id, round, lease.Token))
		time.Sleep(time.Millisecond) // a second holder would write here
		if err := l.Validate(ctx, lease); err != nil {
			t.Fatal(err)
		}
		appendLine(t, fmt.Sprintf("end %d %d %d", id, round, lease.Token))
		if err := l.Unlock(ctx, lease); err != nil {
			t.Fatal(err)
		}
	}
}

func appendLine(t *testing.T, line string) {
	f, err := os.OpenFile(os.Getenv(envLog), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
