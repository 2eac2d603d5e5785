package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is an io.Writer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// call sends an AIC promotion request and decodes the answer into v.
func call(t *testing.T, method, url, token, body string, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-API-Version", "protocol=1.0,resource=1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, data)
		}
	}
	return resp.StatusCode
}

// TestRun_DemoPromotionIsBlockedByTheMissingESV starts the demo on a
// loopback port and runs the first steps of the printed walk-through.
func TestRun_DemoPromotionIsBlockedByTheMissingESV(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	const token = "test-token"
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, options{dir: t.TempDir(), token: token, grace: time.Minute}, &out) }()

	p := "http://" + ln.Addr().String() + "/staging/environment/promotion"
	var lock struct{ PromotionID string }
	if code := call(t, "POST", p+"/lock", token, "", &lock); code != http.StatusAccepted {
		t.Fatalf("lock: %d", code)
	}
	if code := call(t, "POST", p+"/promote", token, `{"dryRun":false}`, nil); code != http.StatusAccepted {
		t.Fatalf("promote: %d", code)
	}
	var progress struct {
		Status      string
		MissingESVs []string
	}
	for call(t, "GET", p+"/promote", token, "", &progress); progress.Status == "RUNNING"; call(t, "GET", p+"/promote", token, "", &progress) {
		time.Sleep(10 * time.Millisecond)
	}
	if progress.Status != "ERROR" || !slices.Equal(progress.MissingESVs, []string{newESV}) {
		t.Errorf("progress %+v, want ERROR missing %s", progress, newESV)
	}
	if code := call(t, "GET", p+"/lock/state", "wrong", "", nil); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{token, "curl -s", "/staging/environment/promotion", newESV, "stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestMain_StopsGracefullyOnSIGTERM runs the program in a child process
// and stops it with SIGTERM.
func TestMain_StopsGracefullyOnSIGTERM(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=TestHelperProcess")
	cmd.Env = append(os.Environ(), "ENVPROMOTE_SERVER_HELPER=1", "ENVPROMOTE_SERVER_DIR="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var base string
	for base == "" && lines.Scan() {
		base, _ = strings.CutPrefix(lines.Text(), "envpromote demo server on ")
	}
	if base == "" {
		t.Fatalf("no address printed (%v)", cmd.Wait())
	}
	if code := call(t, "GET", base+"/staging/environment/promotion/lock/state", "helper-token", "", nil); code != http.StatusOK {
		t.Errorf("lock state: %d", code)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if !slices.Contains(rest, "stopped") {
		t.Errorf("output after SIGTERM: %q", rest)
	}
}

// TestHelperProcess is the child of the tests that run the program:
// $ENVPROMOTE_SERVER_ARGS adds flags.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("ENVPROMOTE_SERVER_HELPER") != "1" {
		t.Skip("helper process")
	}
	os.Args = append([]string{"server", "-addr", "127.0.0.1:0", "-token", "helper-token", "-dir", os.Getenv("ENVPROMOTE_SERVER_DIR")},
		strings.Fields(os.Getenv("ENVPROMOTE_SERVER_ARGS"))...)
	main()
}

// TestRun_ServesEachEnvironmentAtTheRootOfItsHost: the same environment
// answers under its path prefix and at the root of <name>.localhost, the
// base URL clients that build URLs from the host alone are given.
func TestRun_ServesEachEnvironmentAtTheRootOfItsHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out syncBuffer
	go func() {
		done <- run(ctx, ln, options{dir: t.TempDir(), token: "t", grace: time.Minute, domain: "localhost"}, &out)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + ln.Addr().String()
	var byPrefix, byHost struct {
		Result []struct {
			ID string `json:"_id"`
		}
	}
	if code := call(t, "GET", base+"/staging/environment/variables", "t", "", &byPrefix); code != http.StatusOK {
		t.Fatalf("by prefix: %d", code)
	}
	req, _ := http.NewRequest("GET", base+"/environment/variables", nil)
	req.Host = "staging.localhost:" + ln.Addr().(*net.TCPAddr).AddrPort().String()[len("127.0.0.1:"):]
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&byHost); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("by host: %d %v", resp.StatusCode, err)
	}
	if len(byHost.Result) == 0 || len(byHost.Result) != len(byPrefix.Result) || byHost.Result[0].ID != byPrefix.Result[0].ID {
		t.Errorf("by host %+v, by prefix %+v", byHost, byPrefix)
	}
	if !strings.Contains(out.String(), "staging.localhost") {
		t.Errorf("output does not show the host name:\n%s", out.String())
	}
}
