package envpromote_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envpromote/envpromote"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

func TestSlugIsAValidAliasForEveryName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"dev", "dev"},
		{"Dev QA (EU)", "dev-qa-eu"},
		{"  ", "env"},
		{"Développement", "developpement"},
		{"Prüfung Straße", "prufung-strasse"},
		{"ÉTÉ", "ete"},
		{"日本", "env"},
		{"prod.lock", "prod-lock"},
		{"a..b", "a-b"},
		{strings.Repeat("x", 300), strings.Repeat("x", 64)},
		{strings.Repeat("x", 63) + " y", strings.Repeat("x", 63)},
	} {
		got := envpromote.Slug(tc.name)
		if got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if err := store.ValidateAlias(got); err != nil {
			t.Errorf("Slug(%q) = %q: %v", tc.name, got, err)
		}
	}
}

// gitOut runs the git CLI on dir and returns its trimmed output, "" when it fails.
func gitOut(dir string, args ...string) string {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// `git log names/<slug>` shows an environment's history once it has one,
// follows renames, and goes away with a hard delete; clashing slugs keep
// every environment reachable; a Tenant opened later rebuilds the names.
func TestGitLogByEnvironmentName(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not installed")
	}
	dir := filepath.Join(t.TempDir(), "repo")
	open := func() *envpromote.Tenant {
		tn, err := envpromote.Open(context.Background(), envpromote.Options{Dir: dir, Key: make([]byte, 32)})
		if err != nil {
			t.Fatal(err)
		}
		return tn
	}
	tn := open()
	defer func() { tn.Close() }()
	ctx, admin := envpromote.WithActor(context.Background(), "ada"), tn.Admin("ada")
	ids := setup(t, tn)
	if got := gitOut(dir, "for-each-ref", "refs/names"); got != "" {
		t.Errorf("names before any configuration (they would dangle): %s", got)
	}
	p, err := tn.Promoter(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Edit(ctx, ids["dev"], func(b *store.Builder) error {
		return b.Put("email-templates/welcome/welcome.json", []byte(`{"_id":"emailTemplate/welcome"}`))
	}, store.CommitInfo{Message: "welcome"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Promote(ctx, "main", promotion.Request{Upper: ids["staging"]}); err != nil {
		t.Fatal(err)
	}
	if got := gitOut(dir, "symbolic-ref", "refs/names/dev"); got != "refs/heads/"+ids["dev"] {
		t.Errorf("names/dev → %q, want refs/heads/%s", got, ids["dev"])
	}
	if got := gitOut(dir, "log", "-1", "--format=%s", "names/staging"); !strings.HasPrefix(got, "Promote dev to staging") {
		t.Errorf("git log names/staging = %q", got)
	}

	if _, err := tn.ESVs().SetVariable(ctx, ids["dev"], "esv-greeting", esv.VariableSpec{Value: "hi"}); err != nil {
		t.Fatal(err)
	}
	if got := gitOut(dir, "log", "-1", "--format=%an: %s", "esv/"+ids["dev"]); got != "ada: Set variable esv-greeting in dev" {
		t.Errorf("ESV commit reads %q; want it by the environment's name", got)
	}

	e, err := tn.Registry().Get(ctx, admin, ids["staging"])
	if err != nil {
		t.Fatal(err)
	}
	e.Name = "Staging EU"
	if _, err := tn.Registry().Update(ctx, admin, e); err != nil {
		t.Fatal(err)
	}
	if got := gitOut(dir, "rev-parse", "--verify", "-q", "names/staging"); got != "" {
		t.Errorf("names/staging still resolves after the rename")
	}
	if got := gitOut(dir, "log", "-1", "--format=%s", "names/staging-eu"); !strings.HasPrefix(got, "Promote dev to staging") {
		t.Errorf("git log names/staging-eu after the rename = %q", got)
	}

	// A sandbox whose name slugs like staging's; it gets a branch by an
	// edit outside the group, then the next change names it.
	sb, err := tn.Registry().Create(ctx, admin, environment.Environment{Name: "staging-eu", Type: environment.Sandbox, Region: environment.RegionEU})
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := store.New(map[string][]byte{"f": []byte("x")})
	if _, err := tn.Repo().Commit(ctx, sb.ID, "", snap, store.CommitInfo{Author: "ada", Message: "sandbox"}); err != nil {
		t.Fatal(err)
	}
	tn.Close()
	tn = open() // rebuilds the names
	if got := gitOut(dir, "symbolic-ref", "refs/names/staging-eu"); got != "refs/heads/"+ids["staging"] {
		t.Errorf("names/staging-eu moved to %q; the holder keeps it", got)
	}
	if got := gitOut(dir, "symbolic-ref", "refs/names/staging-eu-"+sb.ID[:8]); got != "refs/heads/"+sb.ID {
		t.Errorf("the clashing sandbox's name → %q, want refs/heads/%s", got, sb.ID)
	}
	// When the holder is renamed away, the other one takes the plain slug.
	e.Name = "Staging"
	if _, err := tn.Registry().Update(ctx, admin, e); err != nil {
		t.Fatal(err)
	}
	if got := gitOut(dir, "for-each-ref", "--format=%(refname) %(symref)", "refs/names"); got != "refs/names/dev refs/heads/"+ids["dev"]+"\nrefs/names/staging refs/heads/"+ids["staging"]+"\nrefs/names/staging-eu refs/heads/"+sb.ID {
		t.Errorf("names after the holder's rename:\n%s", got)
	}
	if err := tn.Registry().Delete(ctx, tn.Admin("ada"), sb.ID); err != nil {
		t.Fatal(err)
	}
	if got := gitOut(dir, "for-each-ref", "--format=%(refname)", "refs/names"); got != "refs/names/dev\nrefs/names/staging" {
		t.Errorf("names after the sandbox's delete:\n%s", got)
	}
}

// FuzzSlug: every name gives a valid alias.
func FuzzSlug(f *testing.F) {
	for _, s := range []string{"dev", "Dev QA (EU)", "Développement", "İzmir", "..", "a.lock", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if s := envpromote.Slug(name); store.ValidateAlias(s) != nil || len(s) > 64 {
			t.Errorf("Slug(%q) = %q: not a valid alias", name, s)
		}
	})
}
