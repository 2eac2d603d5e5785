package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/rogpeppe/go-internal/testscript"
)

// binDir holds the envpromote binary the scripts run, built once by TestMain
// the way `go install ./cmd/envpromote` builds it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "envpromote-bin-")
	if err == nil {
		binDir = dir
		out, berr := exec.Command("go", "build", "-o", filepath.Join(dir, "envpromote"), ".").CombinedOutput()
		if berr != nil {
			err = fmt.Errorf("go build: %v\n%s", berr, out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestScripts runs testdata/script/*.txtar, one workflow each, on the built
// binary.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("ENVPROMOTE_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
			env.Setenv("USER", "tester")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"http":      cmdHTTP,
			"freeport":  cmdFreePort,
			"waithttp":  cmdWaitHTTP,
			"treeeq":    cmdTreeEq,
			"capture":   cmdCapture,
			"exits":     cmdExits,
			"gitserver": cmdGitServer,
		},
	})
}

// cmdHTTP is a small curl: http [-until REGEXP] [-host HOST] METHOD URL
// [BODY] sends the request with the bearer token $ENVPROMOTE_TOKEN and JSON
// headers, and prints the status code and the body. It fails on a status of
// 400 or more. With -until it repeats the request (for an asynchronous
// operation) until the body matches; -host sends it with that Host header
// (a host-routed environment) to the address of URL.
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	var until *regexp.Regexp
	var host string
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-until":
			until = regexp.MustCompile(args[1])
		case "-host":
			host = args[1]
		default:
			ts.Fatalf("http: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: http [-until REGEXP] [-host HOST] METHOD URL [BODY]")
	}
	for try := 0; ; try++ {
		var body io.Reader
		if len(args) == 3 {
			body = strings.NewReader(args[2])
		}
		req, err := http.NewRequest(args[0], args[1], body)
		ts.Check(err)
		if host != "" {
			req.Host = host
		}
		req.Header.Set("Authorization", "Bearer "+ts.Getenv("ENVPROMOTE_TOKEN"))
		req.Header.Set("Accept-API-Version", "protocol=1.0,resource=1.0")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		ts.Check(err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ts.Check(err)
		if until != nil && !until.Match(b) && try < 600 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		fmt.Fprintf(ts.Stdout(), "%d\n%s\n", resp.StatusCode, b)
		if failed := resp.StatusCode >= 400; failed != neg {
			ts.Fatalf("status %d", resp.StatusCode)
		}
		return
	}
}

// cmdGitServer starts a Git server on loopback for the rest of the script,
// the shared remote of several machines: gitserver daemon|http VAR starts
// git daemon or git http-backend and sets VAR to the URL of a new empty
// bare repository on it.
func cmdGitServer(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: gitserver daemon|http VAR")
	}
	t := scriptTB{ts: ts}
	var srv *gittest.Server
	switch args[0] {
	case "daemon":
		srv = gittest.Daemon(t)
	case "http":
		srv = gittest.HTTP(t)
	default:
		ts.Fatalf("gitserver: %q is neither daemon nor http", args[0])
	}
	ts.Setenv(args[1], srv.NewRepo(t))
}

// scriptTB lends gittest, written for tests, the script's failure and
// cleanup; it implements the methods gittest calls (the embedded nil
// testing.TB only supplies the unexported one). A script without git skips
// itself ([!exec:git] skip), so here a server that does not start fails.
type scriptTB struct {
	testing.TB
	ts *testscript.TestScript
}

func (scriptTB) Helper()                             {}
func (t scriptTB) Fatal(args ...any)                 { t.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (t scriptTB) Fatalf(format string, args ...any) { t.ts.Fatalf(format, args...) }
func (t scriptTB) Skip(args ...any)                  { t.Fatal(args...) }
func (t scriptTB) Skipf(format string, args ...any)  { t.Fatalf(format, args...) }
func (t scriptTB) Cleanup(f func())                  { t.ts.Defer(f) }
func (t scriptTB) TempDir() string {
	dir, err := os.MkdirTemp(t.ts.Getenv("WORK"), "gitserver-")
	t.ts.Check(err)
	return dir
}

// cmdFreePort sets the variable named by its argument to a free loopback
// address.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Setenv(args[0], ln.Addr().String())
	ln.Close()
}

// cmdWaitHTTP waits until a server answers at the URL (a background serve
// starting up).
func cmdWaitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	for range 600 {
		resp, err := http.Get(args[0])
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("no server at %s", args[0])
}

// cmdTreeEq checks that two directories hold the same files, byte for byte.
func cmdTreeEq(ts *testscript.TestScript, neg bool, args []string) {
	read := func(dir string) map[string][]byte {
		m := map[string][]byte{}
		root := ts.MkAbs(dir)
		ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			m[filepath.ToSlash(rel)] = b
			return err
		}))
		return m
	}
	a, b := read(args[0]), read(args[1])
	var diffs []string
	for p, x := range a {
		if y, ok := b[p]; !ok {
			diffs = append(diffs, "only in "+args[0]+": "+p)
		} else if !bytes.Equal(x, y) {
			diffs = append(diffs, "differs: "+p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			diffs = append(diffs, "only in "+args[1]+": "+p)
		}
	}
	if same := len(diffs) == 0; same == neg {
		ts.Fatalf("trees %s and %s: %s", args[0], args[1], strings.Join(diffs, "; "))
	}
}

// cmdCapture sets a variable from the last command's stdout: capture VAR
// REGEXP takes the regexp's first group.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: capture VAR REGEXP")
	}
	m := regexp.MustCompile(args[1]).FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("capture: no match for %s", args[1])
	}
	ts.Setenv(args[0], m[1])
}

// cmdExits runs a command like exec and checks its exit code: exits N
// COMMAND ARGS…. A failure must end with one line "envpromote: …" and never
// show a stack trace.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS…]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
	stderr := ts.ReadFile("stderr")
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic:") {
		ts.Fatalf("a stack trace on stderr")
	}
	if got != 0 && !strings.HasPrefix(lines[len(lines)-1], "envpromote: ") {
		ts.Fatalf("stderr does not end with one line \"envpromote: …\"")
	}
}
