package promotion_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/memesv"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

// TestEndToEnd_GitOnDisk runs the whole cycle on a Git repository on disk
// holding both the config (gitstore) and the locks (gitlock), then reopens
// it as another process would and reads the same reports.
func TestEndToEnd_GitOnDisk(t *testing.T) {
	dir := t.TempDir()
	repo, err := gitstore.Init(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	locker := gitlock.New(repo, gitlock.Options{})
	esvs := esv.New(memesv.New(), esv.Options{Guard: promotion.ESVGuard(locker)})
	cfg := promotion.Config{Group: testGroup, Repo: repo, Locker: locker, ESVs: promotion.ESVService(esvs)}
	p, err := promotion.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ten := tenantgen.Generate(tenantgen.Options{Seed: 5, Files: 600, MissingESVs: 1})
	tenant, err := store.New(ten.Files)
	if err != nil {
		t.Fatal(err)
	}
	load := func(env string, snap *store.Snapshot) {
		t.Helper()
		_, err := p.Edit(ctx, env, func(b *store.Builder) error {
			return snap.Walk(func(p string, d []byte) error { return b.Put(p, d) })
		}, store.CommitInfo{Author: "loader", Message: "import"})
		if err != nil {
			t.Fatal(err)
		}
	}
	load(dev, tenant)
	load(staging, mustWith(t, tenant, "identities/alpha/users/staging-only.json", `{"_id":"staging-only"}`))
	for name := range ten.Vars {
		if _, err := esvs.SetVariable(ctx, staging, name, esv.VariableSpec{ExpressionType: esv.ExpressionType(ten.Vars[name]), Value: sampleValue(ten.Vars[name])}); err != nil {
			t.Fatal(name, err)
		}
	}
	for name, enc := range ten.Secrets {
		if _, err := esvs.CreateSecret(ctx, staging, name, esv.SecretSpec{Encoding: esv.Encoding(enc), UseInPlaceholders: true, Value: esv.NewSecretValue(sampleSecret(enc))}); err != nil {
			t.Fatal(name, err)
		}
	}
	load(dev, mustWith(t, tenant, "realms/alpha/journeys/New/New.json", `{"_id":"New"}`))

	lease, err := p.Lock(ctx, dev, staging, "alice")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Promote(ctx, promotion.Request{Upper: staging, IgnoreEncryptedSecrets: true})
	if !errors.Is(err, promotion.ErrIntegrity) || !strings.Contains(err.Error(), ten.Missing[0]) {
		t.Fatalf("promotion with %s missing: %v", ten.Missing[0], err)
	}
	if err := p.Unlock(ctx, dev, staging, lease.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := esvs.SetVariable(ctx, staging, ten.Missing[0], esv.VariableSpec{Value: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err = p.Lock(ctx, dev, staging, "alice"); err != nil {
		t.Fatal(err)
	}
	rep, err := p.Promote(ctx, promotion.Request{Upper: staging, IgnoreEncryptedSecrets: true, Promoter: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changes.Len() != 1 || rep.Changes.AMConfig[0].ConfigChange.Added[0].Name != "New" {
		t.Errorf("report = %+v, want the New journey added", rep.Changes)
	}
	if _, err := p.Rollback(ctx, promotion.Request{Upper: staging, UnlockAfter: true}); err != nil {
		t.Fatal(err)
	}

	// Another process opens the repository.
	repo2, err := gitstore.Open(dir, gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Repo, cfg.Locker = repo2, gitlock.New(repo2, gitlock.Options{})
	p2, err := promotion.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p2.Report(ctx, rep.ReportID)
	if err != nil || got.Changes.Len() != 1 || got.Revision != rep.Revision {
		t.Fatalf("report read by another process: %+v, %v", got, err)
	}
	list, err := p2.Reports(ctx, staging)
	if err != nil || len(list) != 2 || list[0].Type != promotion.TypeRollback {
		t.Errorf("reports = %+v, %v", list, err)
	}
	if st, _ := p2.LockState(ctx, dev, staging); st.Result != "unlocked" {
		t.Errorf("lock state = %+v", st)
	}
	if _, dyn := split(t, mustSnap(t, repo2, staging)); dyn["identities/alpha/users/staging-only.json"] == "" {
		t.Error("staging's own identity was lost")
	}
	// The git CLI sees the history.
	out, err := exec.Command("git", "-C", dir, "log", "--format=%s", staging).CombinedOutput()
	if err != nil {
		t.Fatalf("git log: %v\n%s", err, out)
	}
	if want := "Roll back the last promotion of " + staging + "\nPromote " + dev + " to " + staging + "\nimport\n"; string(out) != want {
		t.Errorf("git log:\n%s\nwant:\n%s", out, want)
	}
}

func mustWith(t *testing.T, s *store.Snapshot, p, data string) *store.Snapshot {
	t.Helper()
	s, err := s.With(p, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSnap(t *testing.T, r store.Repo, env string) *store.Snapshot {
	t.Helper()
	h, err := r.Head(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Snapshot(ctx, h.Revision)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sampleValue returns a valid value of an expression type.
func sampleValue(typ string) string {
	switch esv.ExpressionType(typ) {
	case esv.TypeInt, esv.TypeNumber:
		return "1"
	case esv.TypeBool:
		return "true"
	case esv.TypeArray:
		return "[]"
	case esv.TypeObject:
		return "{}"
	case esv.TypeBase64:
		return "eA=="
	case esv.TypeKeyValueList:
		return "a=b"
	}
	return "x"
}

// sampleSecret returns a valid secret of an encoding.
func sampleSecret(enc string) []byte {
	switch esv.Encoding(enc) {
	case esv.EncodingPEM:
		return []byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")
	case esv.EncodingBase64HMAC, esv.EncodingBase64AES:
		return []byte("MDEyMzQ1Njc4OWFiY2RlZg==")
	}
	return []byte("s3cret")
}
