// Package gittest starts real Git servers on loopback for tests: git daemon
// and git http-backend (smart HTTP) behind net/http/cgi. They stand in for
// the shared remote of several machines, so tests exercise the same
// receive-pack and upload-pack a production remote runs.
package gittest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Server serves the bare repositories under Dir at URL.
type Server struct {
	Dir, URL string
	http     bool
	n        atomic.Int64
}

// NeedGit skips the test when the git CLI is not installed.
func NeedGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not installed")
	}
}

// Daemon starts git daemon with push enabled, stopped at the end of the test.
func Daemon(t testing.TB) *Server {
	t.Helper()
	NeedGit(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{Dir: t.TempDir(), URL: "git://" + addr + "/"}
	cmd := exec.Command("git", "daemon", "--export-all", "--enable=receive-pack", "--reuseaddr",
		"--base-path="+s.Dir, "--listen=127.0.0.1", "--port="+strconv.Itoa(port), s.Dir)
	if err := cmd.Start(); err != nil {
		t.Skipf("git daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatal("git daemon did not start listening")
		}
	}
}

// HTTP starts git http-backend behind net/http/cgi (Git's smart HTTP
// protocol, as hosting services speak it), stopped at the end of the test.
func HTTP(t testing.TB) *Server { t.Helper(); return HTTPWith(t, nil) }

// HTTPWith is HTTP with wrap around the backend, to delay or fail requests.
func HTTPWith(t testing.TB, wrap func(http.Handler) http.Handler) *Server {
	t.Helper()
	NeedGit(t)
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skipf("git --exec-path: %v", err)
	}
	s := &Server{Dir: t.TempDir(), http: true}
	var h http.Handler = &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"),
		Root: "/",
		Env:  []string{"GIT_PROJECT_ROOT=" + s.Dir, "GIT_HTTP_EXPORT_ALL=1"},
		// Refused updates ("cannot lock ref") are expected in races.
		Stderr: io.Discard,
	}
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/"
	return s
}

// NewRepo creates an empty bare repository on the server and returns its URL.
func (s *Server) NewRepo(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("r%d.git", s.n.Add(1))
	Git(t, s.Dir, "init", "-q", "--bare", name)
	if s.http {
		// http-backend refuses pushes from anonymous users unless told.
		Git(t, filepath.Join(s.Dir, name), "config", "http.receivepack", "true")
	}
	return s.URL + name
}

// Path returns the directory of the repository at url, for the git CLI.
func (s *Server) Path(url string) string {
	return filepath.Join(s.Dir, strings.TrimPrefix(url, s.URL))
}

// Git runs the git CLI in dir and returns its trimmed output.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
