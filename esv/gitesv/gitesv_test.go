package gitesv_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/esvtest"
	"github.com/envpromote/envpromote/esv/gitesv"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
	"github.com/envpromote/envpromote/store/memstore"
)

var key = bytes.Repeat([]byte{7}, 32)

func newStore(t *testing.T, repo store.Repo, k []byte) *gitesv.Store {
	t.Helper()
	s, err := gitesv.New(repo, gitesv.Options{Key: k})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func initRepo(t *testing.T) (*gitstore.Repo, string) {
	t.Helper()
	dir := t.TempDir()
	repo, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return repo, dir
}

func TestConformanceMemstore(t *testing.T) {
	esvtest.Run(t, func(t *testing.T) esv.Store { return newStore(t, memstore.New(memstore.Options{}), key) })
}

func TestConformanceGitOnDisk(t *testing.T) {
	esvtest.Run(t, func(t *testing.T) esv.Store {
		repo, _ := initRepo(t)
		return newStore(t, repo, key)
	})
}

// TestRule_SecretsNeverPlaintextInGit writes secrets through every path
// (versions, a completed restart, a pending one) and scans every object of
// the on-disk repository for their plaintext.
func TestRule_SecretsNeverPlaintextInGit(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	ctx := actor.With(context.Background(), "ada")
	repo, dir := initRepo(t)
	s := esv.New(newStore(t, repo, key), esv.Options{})
	secrets := []string{"pl41ntext-first-secret", "pl41ntext-second-version", "pl41ntext-pending-version"}
	if _, err := s.SetVariable(ctx, "dev", "esv-visible", esv.VariableSpec{Value: "pl41ntext-variable"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSecret(ctx, "dev", "esv-pw", esv.SecretSpec{Value: esv.NewSecretValue([]byte(secrets[0])), UseInPlaceholders: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSecretVersion(ctx, "dev", "esv-pw", esv.NewSecretValue([]byte(secrets[1]))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Restart(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	slow := esv.New(newStore(t, repo, key), esv.Options{RestartDelay: 1 << 40})
	if _, err := slow.CreateSecretVersion(ctx, "dev", "esv-pw", esv.NewSecretValue([]byte(secrets[2]))); err != nil {
		t.Fatal(err)
	}
	if _, err := slow.Restart(ctx, "dev"); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command(git, "-C", dir, "cat-file", "--batch-all-objects", "--batch").Output()
	if err != nil {
		t.Fatalf("git cat-file: %v", err)
	}
	if !bytes.Contains(out, []byte(base64.StdEncoding.EncodeToString([]byte("pl41ntext-variable")))) {
		t.Fatal("the scan does not see the variable's value: it cannot see secrets either")
	}
	for _, sec := range secrets {
		for _, form := range []string{sec, base64.StdEncoding.EncodeToString([]byte(sec))} {
			if bytes.Contains(out, []byte(form)) {
				t.Errorf("a Git object holds secret %q (as %q)", sec, form)
			}
		}
	}
	if l, _ := s.Lookup(ctx, "dev"); l != nil {
		if v, _ := l("esv-pw"); v != secrets[1] {
			t.Errorf("loaded secret = %q, want %q", v, secrets[1])
		}
	}
}

func TestWrongKeyDoesNotDecrypt(t *testing.T) {
	ctx := actor.With(context.Background(), "ada")
	repo := memstore.New(memstore.Options{})
	s := esv.New(newStore(t, repo, key), esv.Options{})
	if _, err := s.CreateSecret(ctx, "dev", "esv-pw", esv.SecretSpec{Value: esv.NewSecretValue([]byte("x"))}); err != nil {
		t.Fatal(err)
	}
	_, _, err := newStore(t, repo, bytes.Repeat([]byte{8}, 32)).Load(ctx, "dev")
	if !errors.Is(err, gitesv.ErrDecrypt) {
		t.Fatalf("Load with another key: %v, want ErrDecrypt", err)
	}
}

func TestCiphertextBoundToEnvironment(t *testing.T) {
	ctx := actor.With(context.Background(), "ada")
	repo := memstore.New(memstore.Options{})
	gs := newStore(t, repo, key)
	s := esv.New(gs, esv.Options{})
	if _, err := s.CreateSecret(ctx, "dev", "esv-pw", esv.SecretSpec{Value: esv.NewSecretValue([]byte("x"))}); err != nil {
		t.Fatal(err)
	}
	head, _ := repo.Head(ctx, "esv/dev")
	snap, _ := repo.Snapshot(ctx, head.Revision)
	if _, err := repo.Commit(ctx, "esv/prod", "", snap, store.CommitInfo{Message: "copy"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gs.Load(ctx, "prod"); !errors.Is(err, gitesv.ErrDecrypt) {
		t.Fatalf("Load of secrets copied from dev to prod: %v, want ErrDecrypt", err)
	}
}

func TestUnchangedSecretKeepsItsBlob(t *testing.T) {
	ctx := actor.With(context.Background(), "ada")
	repo := memstore.New(memstore.Options{})
	s := esv.New(newStore(t, repo, key), esv.Options{})
	read := func() []byte {
		head, _ := repo.Head(ctx, "esv/dev")
		snap, _ := repo.Snapshot(ctx, head.Revision)
		b, err := snap.ReadFile("secrets/esv-pw.json")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if _, err := s.CreateSecret(ctx, "dev", "esv-pw", esv.SecretSpec{Value: esv.NewSecretValue([]byte("x"))}); err != nil {
		t.Fatal(err)
	}
	before := read()
	if _, err := s.SetVariable(ctx, "dev", "esv-other", esv.VariableSpec{Value: "1"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, read()) {
		t.Fatal("an unrelated change rewrote the secret's file")
	}
}

func TestNewRejectsBadKeysAndBranches(t *testing.T) {
	if _, err := gitesv.New(memstore.New(memstore.Options{}), gitesv.Options{Key: []byte("short")}); err == nil {
		t.Fatal("New accepted a 5-byte key")
	}
	_, _, err := newStore(t, memstore.New(memstore.Options{}), key).Load(context.Background(), "bad name")
	if !errors.Is(err, esv.ErrInvalid) || !errors.Is(err, store.ErrInvalidBranch) {
		t.Fatalf("Load of env %q: %v, want ErrInvalid and store.ErrInvalidBranch", "bad name", err)
	}
}

// TestCorruptSecretFileIsAnError hand-edits a secret's file in the
// repository (anyone with push access can) into shapes the Service cannot
// use. Load must refuse them with an error naming the file, never hand them
// on to panic later.
func TestCorruptSecretFileIsAnError(t *testing.T) {
	ctx := actor.With(context.Background(), "ada")
	for name, body := range map[string]string{
		"no versions":        `{"_id": "esv-pw", "encoding": "generic", "versions": []}`,
		"versions missing":   `{"_id": "esv-pw", "encoding": "generic"}`,
		"invalid name":       `{"_id": "../pw", "encoding": "generic", "versions": []}`,
		"versions unordered": "",
	} {
		t.Run(name, func(t *testing.T) {
			repo := memstore.New(memstore.Options{})
			gs := newStore(t, repo, key)
			s := esv.New(gs, esv.Options{})
			if _, err := s.CreateSecret(ctx, "dev", "esv-pw", esv.SecretSpec{Value: esv.NewSecretValue([]byte("one"))}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateSecretVersion(ctx, "dev", "esv-pw", esv.NewSecretValue([]byte("two"))); err != nil {
				t.Fatal(err)
			}
			head, _ := repo.Head(ctx, "esv/dev")
			snap, _ := repo.Snapshot(ctx, head.Revision)
			data := []byte(body)
			if body == "" { // swap the two (validly encrypted) versions
				var f map[string]any
				old, _ := snap.ReadFile("secrets/esv-pw.json")
				if err := json.Unmarshal(old, &f); err != nil {
					t.Fatal(err)
				}
				vs := f["versions"].([]any)
				vs[0], vs[1] = vs[1], vs[0]
				data, _ = json.Marshal(f)
			}
			next, err := snap.With("secrets/esv-pw.json", data)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := repo.Commit(ctx, "esv/dev", head.Revision, next, store.CommitInfo{Message: "hand edit"}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := gs.Load(ctx, "dev"); err == nil || !strings.Contains(err.Error(), "secrets/esv-pw.json") {
				t.Errorf("Load of a corrupt secret file: %v, want an error naming the file", err)
			}
			if _, err := s.Secrets(ctx, "dev", esv.ListOptions{}); err == nil {
				t.Error("Secrets over a corrupt secret file succeeded")
			}
		})
	}
}

// TestRule_CommitsNameActorAndESV: each ESV change is a commit authored by
// the actor whose subject names the ESV, so `git log esv/<env>` reads as
// who changed what.
func TestRule_CommitsNameActorAndESV(t *testing.T) {
	ctx := actor.With(context.Background(), "Ada <ada@example.com>")
	repo := memstore.New(memstore.Options{})
	s := esv.New(newStore(t, repo, key), esv.Options{})
	if _, err := s.SetVariable(ctx, "dev", "esv-greeting", esv.VariableSpec{Value: "hi"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSecret(ctx, "dev", "esv-db-password", esv.SecretSpec{Value: esv.NewSecretValue([]byte("s3cret"))}); err != nil {
		t.Fatal(err)
	}
	log, err := repo.Log(ctx, gitesv.DefaultBranchPrefix+"dev", store.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Create secret esv-db-password in dev", "Set variable esv-greeting in dev"}
	for i, c := range log {
		if c.Author != "Ada <ada@example.com>" || c.Message != want[i] {
			t.Errorf("commit %d: author %q, subject %q; want Ada <ada@example.com>, %q", i, c.Author, c.Message, want[i])
		}
	}
	if _, err := newStore(t, repo, key).Save(context.Background(), "dev", "", esv.State{}); !errors.Is(err, actor.ErrMissing) {
		t.Errorf("Save with no actor: %v, want actor.ErrMissing", err)
	}
}

// TestRule_CommitsNameTheEnvironmentByName: with Options.Name the subject
// calls the environment by its name and the metadata keeps its id.
func TestRule_CommitsNameTheEnvironmentByName(t *testing.T) {
	ctx := actor.With(context.Background(), "ada")
	repo := memstore.New(memstore.Options{})
	named := func(_ context.Context, env string) string { return map[string]string{"0a7b": "Development"}[env] }
	st, err := gitesv.New(repo, gitesv.Options{Key: key, Name: named})
	if err != nil {
		t.Fatal(err)
	}
	s := esv.New(st, esv.Options{})
	for _, env := range []string{"0a7b", "unnamed"} {
		if _, err := s.SetVariable(ctx, env, "esv-greeting", esv.VariableSpec{Value: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	for env, want := range map[string]string{"0a7b": "Set variable esv-greeting in Development", "unnamed": "Set variable esv-greeting in unnamed"} {
		c, err := repo.Head(ctx, gitesv.DefaultBranchPrefix+env)
		if err != nil {
			t.Fatal(err)
		}
		if c.Message != want || c.Metadata["environment"] != env {
			t.Errorf("%s: subject %q, environment %q; want %q, %q", env, c.Message, c.Metadata["environment"], want, env)
		}
	}
}
