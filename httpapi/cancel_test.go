package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/gitenv"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/store/gitstore"
)

// syncBuffer is a log destination written by server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

// environmentsServer serves /v1/environments over a Git registry, logging
// at every level to log.
func environmentsServer(t *testing.T, log *syncBuffer) *httpapi.Server {
	t.Helper()
	envStore, err := gitenv.New(gitstore.NewMemory(gitstore.Options{}), gitenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	registry, err := environment.New(envStore, memenv.NewLicenses(environment.License{ID: licenseID, Organization: orgID}), environment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{
		Authenticator: tokens(),
		Registry:      registry,
		Logger:        slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func TestRule_CancelledRequestIsNoServerError(t *testing.T) {
	var log syncBuffer
	api := environmentsServer(t, &log)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client is gone before the backend is asked
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/v1/environments", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	if rec.Code != 499 {
		t.Fatalf("status %d, want 499 (client closed request)\n%s", rec.Code, rec.Body)
	}
	if strings.Contains(log.String(), "level=ERROR") {
		t.Fatalf("a cancelled request was logged as an error:\n%s", log.String())
	}
}

// The failure over real TCP: a client that half-closes after its
// request got a 500, logged at ERROR as "context canceled".
func TestRule_HalfClosedClientIsNoServerError(t *testing.T) {
	var log syncBuffer
	srv := httptest.NewServer(environmentsServer(t, &log))
	defer srv.Close()
	for i := range 60 {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		req := "GET /v1/environments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + adminToken + "\r\n\r\n"
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Fatalf("request %d: status %d for a half-closed client", i, resp.StatusCode)
			}
		}
		c.Close()
	}
	if strings.Contains(log.String(), "level=ERROR") {
		t.Fatalf("a half-closed client was logged as an error:\n%s", log.String())
	}
}
