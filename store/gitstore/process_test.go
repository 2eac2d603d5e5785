package gitstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

// TestHelperProcess is the child of the multi-process tests: it opens the
// repository, waits for "go" on stdin so that all children race, commits,
// and prints "won <revision>" or "conflict".
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("GITSTORE_HELPER_REPO")
	if dir == "" {
		t.Skip("only run as a child of TestRule_ProcessesCommittingOneWinnerPerParent")
	}
	r, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := storetest.Snapshot(t, map[string]string{"who": os.Getenv("GITSTORE_HELPER_ID")})
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	c, err := r.Commit(context.Background(), "dev", store.Revision(os.Getenv("GITSTORE_HELPER_PARENT")), s, store.CommitInfo{Time: t0})
	switch {
	case err == nil:
		fmt.Println("won", c.Revision)
	case errors.Is(err, store.ErrConflict):
		fmt.Println("conflict")
	default:
		t.Fatal(err)
	}
}

func TestRule_ProcessesCommittingOneWinnerPerParent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const procs = 4
	parent := "" // the first round creates the branch
	for round := range 3 {
		var (
			stdins []io.WriteCloser
			outs   []*strings.Builder
			cmds   []*exec.Cmd
		)
		for i := range procs {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v=false")
			cmd.Env = append(os.Environ(), "GITSTORE_HELPER_REPO="+dir, "GITSTORE_HELPER_PARENT="+parent, fmt.Sprintf("GITSTORE_HELPER_ID=%d-%d", round, i))
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			out := &strings.Builder{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			stdins, outs, cmds = append(stdins, in), append(outs, out), append(cmds, cmd)
		}
		for _, in := range stdins {
			io.WriteString(in, "go\n")
			in.Close()
		}
		var winners []string
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("round %d child %d: %v\n%s", round, i, err, outs[i])
			}
			switch res := result(outs[i].String()); {
			case strings.HasPrefix(res, "won "):
				winners = append(winners, strings.TrimPrefix(res, "won "))
			case res != "conflict":
				t.Fatalf("round %d child %d printed %q", round, i, outs[i])
			}
		}
		if len(winners) != 1 {
			t.Fatalf("round %d (parent %q): %d processes won, want exactly 1", round, parent, len(winners))
		}
		head, err := r.Head(context.Background(), "dev")
		if err != nil || string(head.Revision) != winners[0] || string(head.Parent) != parent {
			t.Fatalf("round %d: head %+v, %v; want the winner %s on parent %q", round, head, err, winners[0], parent)
		}
		parent = winners[0]
	}
}

// result finds the child's result line among the test framework's output.
func result(out string) string {
	for line := range strings.Lines(out) {
		if line = strings.TrimSpace(line); line == "conflict" || strings.HasPrefix(line, "won ") {
			return line
		}
	}
	return ""
}
