package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkServed measures what serve's API asks at every request, over a
// repository on disk holding 12 environments, 3 of them in a group:
// listing them all (the organization changed since the last request) and
// reading the organization's revision alone (it did not).
func BenchmarkServed(b *testing.B) {
	ctx := context.Background()
	repo := filepath.Join(b.TempDir(), "repo.git")
	b.Setenv("ENVPROMOTE_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	b.Setenv("USER", "tester")
	cmd := func(args ...string) {
		var errb strings.Builder
		if code := run(ctx, append([]string{"--repo", repo}, args...), strings.NewReader(""), io.Discard, &errb); code != 0 {
			b.Fatalf("envpromote %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
		}
	}
	cmd("init", "--org", "acme", "--license", "lic-1")
	for i := range 12 {
		cmd("env", "create", fmt.Sprintf("env%d", i), "--type", "PRODUCTION", "--region", "EU")
	}
	cmd("group", "save", "web", "env0", "env1", "env2")
	a := &app{repo: repo, getenv: os.Getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	s, err := a.open(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer a.close()
	for _, changed := range []bool{true, false} {
		b.Run(fmt.Sprintf("changed=%t", changed), func(b *testing.B) {
			for b.Loop() {
				if changed {
					s.lastServed = nil
				}
				paths, promoters, err := s.served(ctx)
				if err != nil || len(paths) != 12 || len(promoters) != 1 {
					b.Fatalf("served: %d environments, %d promoters, %v", len(paths), len(promoters), err)
				}
			}
		})
	}
}
