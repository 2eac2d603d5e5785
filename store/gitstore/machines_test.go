package gitstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/storetest"
)

// TestRaceChild is a process of TestRule_MachinesRacingProcessesOneWinnerPerRound:
// it opens a machine's on-disk cache of the remote and, for each line
// "<round> <parent>" on stdin, reads the head (which must be parent, or
// the commit of a faster racer on parent), commits on parent and prints
// "won <revision>", "conflict" or "error …".
func TestRaceChild(t *testing.T) {
	cache := os.Getenv("GITSTORE_RACE_CACHE")
	if cache == "" {
		t.Skip("only run as a child of TestRule_MachinesRacingProcessesOneWinnerPerRound")
	}
	r, err := gitstore.Open(cache, gitstore.Options{Remote: os.Getenv("GITSTORE_RACE_REMOTE")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		round, parent, _ := strings.Cut(in.Text(), " ")
		switch h, err := r.Head(ctx, "dev"); {
		case parent == "" && errors.Is(err, store.ErrNotFound):
		case err != nil:
			fmt.Printf("error head: %v\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		case string(h.Revision) != parent && string(h.Parent) != parent:
			// A racer of this round may have won already, no one else.
			fmt.Printf("error head is %s, neither the last round's winner %s nor a child of it (round %s)\n", h.Revision, parent, round)
			continue
		}
		s := storetest.Snapshot(t, map[string]string{"round": round, "who": os.Getenv("GITSTORE_RACE_ID")})
		c, err := r.Commit(ctx, "dev", store.Revision(parent), s, store.CommitInfo{Message: "round " + round})
		switch {
		case err == nil:
			fmt.Println("won", c.Revision)
		case errors.Is(err, store.ErrConflict):
			fmt.Println("conflict")
		default:
			fmt.Printf("error commit: %v\n", strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
}

// racer is one TestRaceChild process.
type racer struct {
	id  string
	in  io.WriteCloser
	out *bufio.Scanner
}

// 3 machines, each with its own on-disk cache shared by 2 processes, race
// on one smart HTTP remote round after round: exactly one process wins
// each round, every process reads the previous winner (or this round's) first, and the
// remote's history holds every winner, in order. ENVPROMOTE_LONG=1 runs
// 50 rounds, else 5.
func TestRule_MachinesRacingProcessesOneWinnerPerRound(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	rounds := 5
	if os.Getenv("ENVPROMOTE_LONG") != "" {
		rounds = 50
	}
	srv := gittest.HTTP(t)
	url := srv.NewRepo(t)
	var racers []*racer
	for m := range 3 {
		cache := t.TempDir()
		if _, err := gitstore.Init(cache, gitstore.Options{Remote: url}); err != nil {
			t.Fatal(err)
		}
		for p := range 2 {
			id := fmt.Sprintf("m%d-p%d", m, p)
			cmd := exec.Command(os.Args[0], "-test.run=^TestRaceChild$", "-test.v=false")
			cmd.Env = append(os.Environ(), "GITSTORE_RACE_CACHE="+cache, "GITSTORE_RACE_REMOTE="+url, "GITSTORE_RACE_ID="+id)
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { in.Close(); cmd.Wait() })
			racers = append(racers, &racer{id: id, in: in, out: bufio.NewScanner(out)})
		}
	}

	parent := ""
	winners := make([]string, rounds)
	for round := range rounds {
		for _, r := range racers {
			fmt.Fprintf(r.in, "%d %s\n", round, parent)
		}
		var won []string
		for _, r := range racers {
			if !r.out.Scan() {
				t.Fatalf("round %d: %s exited", round, r.id)
			}
			switch line := r.out.Text(); {
			case strings.HasPrefix(line, "won "):
				won = append(won, strings.TrimPrefix(line, "won "))
			case line != "conflict":
				t.Fatalf("round %d: %s: %s", round, r.id, line)
			}
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d processes won, want exactly 1", round, len(won))
		}
		parent, winners[round] = won[0], won[0]
	}

	// No lost commits: a new machine reads every winner, in order.
	fresh := machine(t, url, gitstore.Options{})
	log, err := fresh.Log(context.Background(), "dev", store.LogOptions{})
	if err != nil || len(log) != rounds {
		t.Fatalf("the remote's history has %d commits, %v; want %d", len(log), err, rounds)
	}
	for i, c := range log {
		round := rounds - 1 - i
		s, err := fresh.Snapshot(context.Background(), c.Revision)
		got, _ := s.ReadFile("round")
		if string(c.Revision) != winners[round] || err != nil || string(got) != strconv.Itoa(round) {
			t.Fatalf("commit %d of the history is %s (round %q, %v); want round %d's winner %s", i, c.Revision, got, err, round, winners[round])
		}
	}
	gittest.Git(t, srv.Path(url), "fsck", "--strict") // fails the test on any error
}
