package envpromote_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/envpromote/envpromote"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

// The README's two snippets are the code between the "README:" markers
// below; TestREADMESnippetsAreThisCode keeps them identical, so the README
// shows code that compiles and runs.

// README:begin git
func promote(ctx context.Context, dir string, key []byte) error {
	t, err := envpromote.Open(ctx, envpromote.Options{Dir: dir, Key: key}) // created if missing
	if err != nil {
		return err
	}
	defer t.Close()
	ctx = envpromote.WithActor(ctx, "Ada <ada@example.com>") // authors every commit
	rep, err := t.Promote(ctx, "main", promotion.Request{Upper: "Staging", Description: "Welcome journey"})
	if err != nil {
		return err // blocked? errors.As(err, &blocked) with blocked *integrity.Error lists the findings and their fixes
	}
	fmt.Printf("%d change(s) promoted to Staging as commit %s\n", rep.Changes.Len(), rep.Revision[:7])
	return nil
}

// README:end

// README:begin test
func TestJourneysPromote(t *testing.T) {
	for _, tc := range []struct {
		name, journey string
		want          error
	}{
		{"plain journey", `{"_id":"Hello"}`, nil},
		{"undefined ESV", `{"_id":"Hello","banner":"&{esv.banner}"}`, promotion.ErrIntegrity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := envpromote.WithActor(t.Context(), "ci")
			tn, _ := envpromote.NewMemory(envpromote.Options{})
			defer tn.Close()
			tn.Licenses().Put(ctx, environment.License{ID: "lic", Organization: tn.Organization()})
			g, _ := tn.CreateGroup(ctx, "main", "dev", "staging", "prod")
			p, _ := tn.Promoter(ctx, "main")
			p.Edit(ctx, g.Members[0].ID, func(b *store.Builder) error {
				return b.Put("realms/alpha/journeys/Hello/Hello.json", []byte(tc.journey))
			}, store.CommitInfo{Message: "Hello journey"})
			if _, err := tn.Promote(ctx, "main", promotion.Request{Upper: "staging"}); !errors.Is(err, tc.want) {
				t.Fatalf("promote: %v, want %v", err, tc.want)
			}
		})
	}
}

// README:end

// TestREADMEGitSnippetRuns runs the Git snippet on a repository prepared
// the way its text assumes: a group main whose Development has a change.
func TestREADMEGitSnippetRuns(t *testing.T) {
	ctx := envpromote.WithActor(t.Context(), "ada")
	dir, key := filepath.Join(t.TempDir(), "tenant.git"), make([]byte, 32)
	tn, err := envpromote.Open(ctx, envpromote.Options{Dir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	tn.Licenses().Put(ctx, environment.License{ID: "lic", Organization: tn.Organization()})
	g, err := tn.CreateGroup(ctx, "main", "Development", "Staging", "Production")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := tn.Promoter(ctx, "main")
	if _, err := p.Edit(ctx, g.Members[0].ID, func(b *store.Builder) error {
		return b.Put("realms/alpha/journeys/Welcome/Welcome.json", []byte(`{"_id":"Welcome"}`))
	}, store.CommitInfo{Message: "Welcome journey"}); err != nil {
		t.Fatal(err)
	}
	tn.Close()
	if err := promote(t.Context(), dir, key); err != nil {
		t.Fatal(err)
	}
}

func TestREADMESnippetsAreThisCode(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	snippets := regexp.MustCompile(`(?s)// README:begin (\w+)\n(.*?)\n// README:end`).FindAllStringSubmatch(string(src), -1)
	limits := map[string]int{"git": 15, "test": 25}
	if len(snippets) != len(limits) {
		t.Fatalf("found %d snippets, want %d", len(snippets), len(limits))
	}
	for _, s := range snippets {
		code := strings.TrimSpace(s[2])
		if n := strings.Count(code, "\n") + 1; n > limits[s[1]] {
			t.Errorf("snippet %s has %d lines, at most %d", s[1], n, limits[s[1]])
		}
		if !strings.Contains(string(readme), "```go\n"+code+"\n```") {
			t.Errorf("README.md does not show snippet %s as it is in readme_test.go:\n%s", s[1], code)
		}
	}
}
