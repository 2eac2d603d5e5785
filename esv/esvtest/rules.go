package esvtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv"
)

// rules are the ESV rules (ARCHITECTURE.md, "ESVs"), each a subtest named after it.
var rules = []struct {
	name string
	run  func(t *testing.T, f *fixture)
}{
	{"Rule_NamesAreValidated", ruleNamesAreValidated},
	{"Rule_VariableValueFitsExpressionType", ruleVariableValueFitsType},
	{"Rule_ExpressionTypeFixedAtCreation", ruleExpressionTypeFixed},
	{"Rule_ValueSizeLimit", ruleValueSizeLimit},
	{"Rule_SecretValueFitsEncoding", ruleSecretValueFitsEncoding},
	{"Rule_SecretValuesAreWriteOnly", ruleSecretValuesWriteOnly},
	{"Rule_LatestVersionCannotBeDisabledOrDeleted", ruleLatestVersion},
	{"Rule_SameValueVersionIsNoop", ruleSameValueNoop},
	{"Rule_VersionNumbersNeverReused", ruleVersionNumbers},
	{"Rule_ChangesPendingUntilRestart", rulePendingUntilRestart},
	{"Rule_RestartingThenReady", ruleRestartingThenReady},
	{"Rule_GuardRefusesWrites", ruleGuard},
	{"Rule_WritesNeedAnActor", ruleWritesNeedAnActor},
	{"Rule_NamesShareOneNamespace", ruleOneNamespace},
	{"Rule_LookupOnlyPlaceholderSecrets", ruleLookupPlaceholderSecrets},
	{"Rule_NotFound", ruleNotFound},
	{"Concurrency", runConcurrency},
}

var ctx = actor.With(context.Background(), "ada")

func ruleNamesAreValidated(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	for _, name := range []string{"", "esv-", "ESV-x", "esv-Upper", "esv-a.b", "esv-a b", "my-var", "esv-" + strings.Repeat("a", esv.MaxNameLen-3)} {
		_, err := s.SetVariable(ctx, env, name, esv.VariableSpec{Value: "v"})
		wantErr(t, err, esv.ErrInvalidName)
		_, err = s.CreateSecret(ctx, env, name, esv.SecretSpec{Value: secret("v")})
		wantErr(t, err, esv.ErrInvalidName)
	}
	longest := "esv-" + strings.Repeat("a", esv.MaxNameLen-4)
	for _, name := range []string{"esv-a", "esv-my_var-2", longest} {
		must[esv.Variable](t)(s.SetVariable(ctx, env, name, esv.VariableSpec{Value: "v"}))
	}
}

func ruleVariableValueFitsType(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	tests := []struct {
		typ   esv.ExpressionType
		value string
		ok    bool
	}{
		{esv.TypeString, "anything at all", true},
		{esv.TypeString, "\xff", false},
		{esv.TypeInt, "42", true},
		{esv.TypeInt, "-7", true},
		{esv.TypeInt, "4.2", false},
		{esv.TypeInt, "", false},
		{esv.TypeNumber, "4.2e3", true},
		{esv.TypeNumber, "NaN", false},
		{esv.TypeBool, "true", true},
		{esv.TypeBool, "yes", false},
		{esv.TypeList, "a,b, c", true},
		{esv.TypeList, "", true},
		{esv.TypeList, "a,,b", false},
		{esv.TypeArray, `["a",1]`, true},
		{esv.TypeArray, `{"a":1}`, false},
		{esv.TypeObject, `{"a":1}`, true},
		{esv.TypeObject, `[1]`, false},
		{esv.TypeBase64, "aGk=", true},
		{esv.TypeBase64, "not base64!", false},
		{esv.TypeKeyValueList, "a=1,b=2", true},
		{esv.TypeKeyValueList, "a=1,b", false},
		{"float", "1", false},
	}
	for i, tc := range tests {
		name := fmt.Sprintf("esv-v%d", i)
		_, err := s.SetVariable(ctx, env, name, esv.VariableSpec{ExpressionType: tc.typ, Value: tc.value})
		if tc.ok != (err == nil) {
			t.Errorf("%s %q: error %v, want ok=%v", tc.typ, tc.value, err, tc.ok)
		}
		if err != nil {
			wantErr(t, err, esv.ErrInvalid)
			if _, err := s.Variable(ctx, env, name); !errors.Is(err, esv.ErrNotFound) {
				t.Errorf("rejected variable %s was stored (%v)", name, err)
			}
		}
	}
}

func ruleExpressionTypeFixed(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	must[esv.Variable](t)(s.SetVariable(ctx, env, "esv-port", esv.VariableSpec{ExpressionType: esv.TypeInt, Value: "25"}))
	tests := []struct {
		spec esv.VariableSpec
		ok   bool
	}{
		{esv.VariableSpec{ExpressionType: esv.TypeString, Value: "25"}, false},
		{esv.VariableSpec{Value: "x"}, false}, // zero type keeps int, "x" is not one
		{esv.VariableSpec{Value: "465"}, true},
		{esv.VariableSpec{ExpressionType: esv.TypeInt, Value: "587"}, true},
	}
	for _, tc := range tests {
		v, err := s.SetVariable(ctx, env, "esv-port", tc.spec)
		if tc.ok != (err == nil) {
			t.Fatalf("update with %+v: %v, want ok=%v", tc.spec, err, tc.ok)
		}
		if err == nil && v.ExpressionType != esv.TypeInt {
			t.Fatalf("type became %s", v.ExpressionType)
		}
	}
	if v := must[esv.Variable](t)(s.Variable(ctx, env, "esv-port")); v.Value != "587" || v.ExpressionType != esv.TypeInt {
		t.Fatalf("variable = %+v, want int 587", v)
	}
}

func ruleValueSizeLimit(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	for _, tc := range []struct {
		n  int
		ok bool
	}{{esv.MaxValueLen, true}, {esv.MaxValueLen + 1, false}} {
		v := strings.Repeat("a", tc.n)
		_, err := s.SetVariable(ctx, env, fmt.Sprintf("esv-v%d", tc.n), esv.VariableSpec{Value: v})
		_, err2 := s.CreateSecret(ctx, env, fmt.Sprintf("esv-s%d", tc.n), esv.SecretSpec{Value: secret(v)})
		for _, err := range []error{err, err2} {
			if tc.ok != (err == nil) {
				t.Errorf("%d-byte value: %v, want ok=%v", tc.n, err, tc.ok)
			}
			if err != nil {
				wantErr(t, err, esv.ErrInvalid)
			}
		}
	}
	_, err := s.SetVariable(ctx, env, "esv-d", esv.VariableSpec{Description: strings.Repeat("d", esv.MaxDescriptionLen+1)})
	wantErr(t, err, esv.ErrInvalid)
}

const pemBlock = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func ruleSecretValueFitsEncoding(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	tests := []struct {
		enc   esv.Encoding
		value string
		ok    bool
	}{
		{esv.EncodingGeneric, "p@ss", true},
		{esv.EncodingGeneric, "", false},
		{esv.EncodingPEM, pemBlock, true},
		{esv.EncodingPEM, "just text", false},
		{esv.EncodingBase64HMAC, "c2VjcmV0", true},
		{esv.EncodingBase64HMAC, "not base64!", false},
		{esv.EncodingBase64AES, "MDEyMzQ1Njc4OWFiY2RlZg==", true}, // 16 bytes
		{esv.EncodingBase64AES, "c2VjcmV0", false},                // 6 bytes
		{"rot13", "x", false},
	}
	for i, tc := range tests {
		_, err := s.CreateSecret(ctx, env, fmt.Sprintf("esv-s%d", i), esv.SecretSpec{Encoding: tc.enc, Value: secret(tc.value)})
		if tc.ok != (err == nil) {
			t.Errorf("%s %q: %v, want ok=%v", tc.enc, tc.value, err, tc.ok)
		}
		if err != nil {
			wantErr(t, err, esv.ErrInvalid)
		}
	}
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-aes", esv.SecretSpec{Encoding: esv.EncodingBase64AES, Value: secret("MDEyMzQ1Njc4OWFiY2RlZg==")}))
	_, err := s.CreateSecretVersion(ctx, env, "esv-aes", secret("c2VjcmV0"))
	wantErr(t, err, esv.ErrInvalid)
}

func ruleSecretValuesWriteOnly(t *testing.T, f *fixture) {
	const plain = "hunter2-very-secret"
	var logs strings.Builder
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	s := f.service(esv.Options{})
	sec := must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-pw", esv.SecretSpec{Value: secret(plain), UseInPlaceholders: true}))
	must[esv.SecretVersion](t)(s.CreateSecretVersion(ctx, env, "esv-pw", secret(plain+"2")))
	list := must[[]esv.Secret](t)(s.Secrets(ctx, env, esv.ListOptions{}))
	versions := must[[]esv.SecretVersion](t)(s.SecretVersions(ctx, env, "esv-pw"))
	st, _, err := f.store.Load(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	// invalid input must not echo the value either
	_, errPEM := s.CreateSecretVersion(ctx, env, "esv-pw", secret(plain+"\x00"))
	_, errEnc := s.CreateSecret(ctx, env, "esv-pem", esv.SecretSpec{Encoding: esv.EncodingPEM, Value: secret(plain)})
	_, errName := s.CreateSecret(ctx, env, "bad name", esv.SecretSpec{Value: secret(plain)})
	for _, v := range []any{sec, list, versions, st, st.Secrets["esv-pw"], st.Secrets["esv-pw"].Versions, st.Loaded, secret(plain), esv.SecretSpec{Value: secret(plain)}, errPEM, errEnc, errName} {
		log.Info("value", "v", v)
		if form := shows(v, plain); form != "" {
			t.Errorf("%T shows the secret: %s", v, form)
		}
	}
	if strings.Contains(logs.String(), plain) {
		t.Errorf("slog output shows the secret: %s", logs.String())
	}
}

func ruleLatestVersion(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-k", esv.SecretSpec{Value: secret("v1")}))
	must[esv.SecretVersion](t)(s.CreateSecretVersion(ctx, env, "esv-k", secret("v2")))
	tests := []struct {
		name string
		op   func() error
		ok   bool
	}{
		{"disable latest by number", func() error {
			_, err := s.SetSecretVersionStatus(ctx, env, "esv-k", 2, esv.Disabled)
			return err
		}, false},
		{"disable latest by alias", func() error {
			_, err := s.SetSecretVersionStatus(ctx, env, "esv-k", esv.Latest, esv.Disabled)
			return err
		}, false},
		{"delete latest by number", func() error { return s.DeleteSecretVersion(ctx, env, "esv-k", 2) }, false},
		{"delete latest by alias", func() error { return s.DeleteSecretVersion(ctx, env, "esv-k", esv.Latest) }, false},
		{"disable older", func() error {
			v, err := s.SetSecretVersionStatus(ctx, env, "esv-k", 1, esv.Disabled)
			if err == nil && v.Status != esv.Disabled {
				return fmt.Errorf("status %s after disabling", v.Status)
			}
			return err
		}, true},
		{"enable older again", func() error {
			_, err := s.SetSecretVersionStatus(ctx, env, "esv-k", 1, esv.Enabled)
			return err
		}, true},
		{"delete older", func() error { return s.DeleteSecretVersion(ctx, env, "esv-k", 1) }, true},
	}
	for _, tc := range tests {
		err := tc.op()
		if tc.ok != (err == nil) {
			t.Fatalf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
		if !tc.ok {
			wantErr(t, err, esv.ErrLatestVersion)
		}
	}
	_, err := s.SetSecretVersionStatus(ctx, env, "esv-k", 2, "PAUSED")
	wantErr(t, err, esv.ErrInvalid)
	vs := must[[]esv.SecretVersion](t)(s.SecretVersions(ctx, env, "esv-k"))
	if len(vs) != 1 || vs[0].Version != 2 || vs[0].Status != esv.Enabled {
		t.Fatalf("versions = %+v, want only version 2, enabled", vs)
	}
}

func ruleSameValueNoop(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-k", esv.SecretSpec{Value: secret("same")}))
	before := must[esv.Secret](t)(s.Secret(ctx, env, "esv-k"))
	_, rev, _ := f.store.Load(ctx, env)
	f.clock.Advance(time.Hour)
	v := must[esv.SecretVersion](t)(s.CreateSecretVersion(ctx, env, "esv-k", secret("same")))
	after := must[esv.Secret](t)(s.Secret(ctx, env, "esv-k"))
	if _, rev2, _ := f.store.Load(ctx, env); rev2 != rev {
		t.Errorf("same-value version wrote a new revision")
	}
	if v.Version != 1 || after.ActiveVersion != 1 || !after.LastChangeDate.Equal(before.LastChangeDate) {
		t.Errorf("same-value version: got version %d, secret %+v; want version 1 and nothing changed", v.Version, after)
	}
	if v := must[esv.SecretVersion](t)(s.CreateSecretVersion(ctx, env, "esv-k", secret("other"))); v.Version != 2 {
		t.Errorf("new value got version %d, want 2", v.Version)
	}
}

func ruleVersionNumbers(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-k", esv.SecretSpec{Value: secret("1")}))
	must[esv.SecretVersion](t)(s.CreateSecretVersion(ctx, env, "esv-k", secret("2")))
	must[esv.SecretVersion](t)(s.CreateSecretVersion(ctx, env, "esv-k", secret("3")))
	if err := s.DeleteSecretVersion(ctx, env, "esv-k", 2); err != nil {
		t.Fatal(err)
	}
	if v := must[esv.SecretVersion](t)(s.CreateSecretVersion(ctx, env, "esv-k", secret("4"))); v.Version != 4 {
		t.Fatalf("version after deleting 2 of 3 = %d, want 4", v.Version)
	}
	_, err := s.SecretVersion(ctx, env, "esv-k", 2)
	wantErr(t, err, esv.ErrNotFound)
}

// lookup returns what env's Lookup gives for name.
func lookup(t *testing.T, s *esv.Service, name string) (string, bool) {
	t.Helper()
	l := must[esv.Lookup](t)(s.Lookup(ctx, env))
	return l(name)
}

func rulePendingUntilRestart(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	must[esv.Variable](t)(s.SetVariable(ctx, env, "esv-host", esv.VariableSpec{Value: "a.example.com"}))
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-pw", esv.SecretSpec{Value: secret("one"), UseInPlaceholders: true}))

	type want struct {
		host, pw             string // "" = not set
		varLoaded, secLoaded bool
		loadedVersion        int
		pending              int // ESVs listed with OnlyPending
	}
	check := func(step string, w want) {
		t.Helper()
		for name, v := range map[string]string{"esv-host": w.host, "esv-pw": w.pw} {
			if got, ok := lookup(t, s, name); got != v || ok != (v != "") {
				t.Errorf("%s: Lookup(%s) = %q, %v; want %q", step, name, got, ok, v)
			}
		}
		if v, err := s.Variable(ctx, env, "esv-host"); err == nil && v.Loaded != w.varLoaded {
			t.Errorf("%s: variable loaded = %v, want %v", step, v.Loaded, w.varLoaded)
		}
		if sec, err := s.Secret(ctx, env, "esv-pw"); err == nil && (sec.Loaded != w.secLoaded || sec.LoadedVersion != w.loadedVersion) {
			t.Errorf("%s: secret loaded = %v version %d, want %v version %d", step, sec.Loaded, sec.LoadedVersion, w.secLoaded, w.loadedVersion)
		}
		vs := must[[]esv.Variable](t)(s.Variables(ctx, env, esv.ListOptions{OnlyPending: true}))
		ss := must[[]esv.Secret](t)(s.Secrets(ctx, env, esv.ListOptions{OnlyPending: true}))
		if len(vs)+len(ss) != w.pending {
			t.Errorf("%s: %d pending ESVs, want %d", step, len(vs)+len(ss), w.pending)
		}
	}
	check("before any restart", want{pending: 2})
	must[esv.RestartStatus](t)(s.Restart(ctx, env))
	check("after restart", want{host: "a.example.com", pw: "one", varLoaded: true, secLoaded: true, loadedVersion: 1})

	must[esv.Variable](t)(s.SetVariable(ctx, env, "esv-host", esv.VariableSpec{Value: "b.example.com"}))
	v2 := must[esv.SecretVersion](t)(s.CreateSecretVersion(ctx, env, "esv-pw", secret("two")))
	if v2.Loaded {
		t.Errorf("a new version is loaded before a restart")
	}
	check("changed", want{host: "a.example.com", pw: "one", loadedVersion: 1, pending: 2})
	must[esv.RestartStatus](t)(s.Restart(ctx, env))
	check("restarted again", want{host: "b.example.com", pw: "two", varLoaded: true, secLoaded: true, loadedVersion: 2})
	if v := must[esv.SecretVersion](t)(s.SecretVersion(ctx, env, "esv-pw", 1)); !v.Loaded {
		t.Errorf("older enabled version 1 not loaded after restart")
	}
	must[esv.SecretVersion](t)(s.SetSecretVersionStatus(ctx, env, "esv-pw", 1, esv.Disabled))
	check("older version disabled", want{host: "b.example.com", pw: "two", varLoaded: true, loadedVersion: 2, pending: 1})

	if err := s.DeleteVariable(ctx, env, "esv-host"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSecret(ctx, env, "esv-pw"); err != nil {
		t.Fatal(err)
	}
	check("deleted", want{host: "b.example.com", pw: "two"})
	must[esv.RestartStatus](t)(s.Restart(ctx, env))
	check("deleted and restarted", want{})
}

func ruleRestartingThenReady(t *testing.T, f *fixture) {
	s := f.service(esv.Options{RestartDelay: 5 * time.Minute})
	if st := must[esv.RestartStatus](t)(s.RestartStatus(ctx, env)); st != esv.Ready {
		t.Fatalf("status before restart = %s", st)
	}
	must[esv.Variable](t)(s.SetVariable(ctx, env, "esv-x", esv.VariableSpec{Value: "1"}))
	if st := must[esv.RestartStatus](t)(s.Restart(ctx, env)); st != esv.Restarting {
		t.Fatalf("Restart returned %s, want restarting", st)
	}
	f.clock.Advance(time.Minute)
	must[esv.Variable](t)(s.SetVariable(ctx, env, "esv-x", esv.VariableSpec{Value: "2"})) // made during the restart: stays pending
	if st := must[esv.RestartStatus](t)(s.RestartStatus(ctx, env)); st != esv.Restarting {
		t.Fatalf("status during restart = %s", st)
	}
	if _, ok := lookup(t, s, "esv-x"); ok {
		t.Fatalf("value loaded before the restart completed")
	}
	f.clock.Advance(4 * time.Minute)
	if st := must[esv.RestartStatus](t)(s.RestartStatus(ctx, env)); st != esv.Ready {
		t.Fatalf("status after the delay = %s, want ready", st)
	}
	if v, _ := lookup(t, s, "esv-x"); v != "1" {
		t.Fatalf("loaded %q, want the value at restart time, 1", v)
	}
	if v := must[esv.Variable](t)(s.Variable(ctx, env, "esv-x")); v.Loaded {
		t.Fatalf("change made during the restart counts as loaded")
	}
}

func ruleGuard(t *testing.T, f *fixture) {
	errLocked := errors.New("environment is locked for promotion")
	var mu sync.Mutex
	locked := map[string]bool{}
	s := f.service(esv.Options{Guard: func(_ context.Context, e string) error {
		mu.Lock()
		defer mu.Unlock()
		if locked[e] {
			return errLocked
		}
		return nil
	}})
	must[esv.Variable](t)(s.SetVariable(ctx, env, "esv-v", esv.VariableSpec{Value: "1"}))
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-s", esv.SecretSpec{Value: secret("1")}))
	must[esv.SecretVersion](t)(s.CreateSecretVersion(ctx, env, "esv-s", secret("2")))
	_, before, _ := f.store.Load(ctx, env)
	mu.Lock()
	locked[env] = true
	mu.Unlock()

	writes := everyWrite(ctx, s)
	for name, w := range writes {
		if err := w(); !errors.Is(err, errLocked) {
			t.Errorf("%s while locked: %v, want an error wrapping the lock error", name, err)
		}
	}
	if _, after, _ := f.store.Load(ctx, env); after != before {
		t.Errorf("refused writes changed the state")
	}
	if _, err := s.Variables(ctx, env, esv.ListOptions{}); err != nil {
		t.Errorf("reads while locked: %v", err)
	}
	must[esv.Variable](t)(s.SetVariable(ctx, "staging", "esv-v", esv.VariableSpec{Value: "1"}))
}

func ruleOneNamespace(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	must[esv.Variable](t)(s.SetVariable(ctx, env, "esv-a", esv.VariableSpec{Value: "1"}))
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-b", esv.SecretSpec{Value: secret("1")}))
	_, err := s.CreateSecret(ctx, env, "esv-a", esv.SecretSpec{Value: secret("1")})
	wantErr(t, err, esv.ErrExists)
	_, err = s.SetVariable(ctx, env, "esv-b", esv.VariableSpec{Value: "1"})
	wantErr(t, err, esv.ErrExists)
	_, err = s.CreateSecret(ctx, env, "esv-b", esv.SecretSpec{Value: secret("2")})
	wantErr(t, err, esv.ErrExists)
}

func ruleLookupPlaceholderSecrets(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-yes", esv.SecretSpec{Value: secret("y"), UseInPlaceholders: true}))
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-no", esv.SecretSpec{Value: secret("n")}))
	must[esv.RestartStatus](t)(s.Restart(ctx, env))
	out, err := esv.Expand([]byte(`{"a":"&{esv.yes}","b":"&{esv.no}"}`), must[esv.Lookup](t)(s.Lookup(ctx, env)))
	wantErr(t, err, esv.ErrMissing)
	if out != nil || !strings.Contains(err.Error(), "esv-no") || strings.Contains(err.Error(), "esv-yes") {
		t.Fatalf("Expand = %s, %v; want only esv-no missing", out, err)
	}
}

func ruleNotFound(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-s", esv.SecretSpec{Value: secret("1")}))
	ops := map[string]func() error{
		"Variable":               func() error { _, err := s.Variable(ctx, env, "esv-none"); return err },
		"SetVariableDescription": func() error { _, err := s.SetVariableDescription(ctx, env, "esv-none", ""); return err },
		"DeleteVariable":         func() error { return s.DeleteVariable(ctx, env, "esv-none") },
		"Secret":                 func() error { _, err := s.Secret(ctx, env, "esv-none"); return err },
		"DeleteSecret":           func() error { return s.DeleteSecret(ctx, env, "esv-none") },
		"SecretVersions":         func() error { _, err := s.SecretVersions(ctx, env, "esv-none"); return err },
		"CreateSecretVersion":    func() error { _, err := s.CreateSecretVersion(ctx, env, "esv-none", secret("x")); return err },
		"SecretVersion 9":        func() error { _, err := s.SecretVersion(ctx, env, "esv-s", 9); return err },
		"DeleteSecretVersion 9":  func() error { return s.DeleteSecretVersion(ctx, env, "esv-s", 9) },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, esv.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	_, err := s.Variables(ctx, "", esv.ListOptions{})
	wantErr(t, err, esv.ErrInvalid)
}

func runConcurrency(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	const n = 8
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-k", esv.SecretSpec{Value: secret("v0")}))

	var wg sync.WaitGroup
	created := make([]int, n)
	wins := make([]error, n)
	for i := range n {
		wg.Go(func() {
			v, err := s.CreateSecretVersion(ctx, env, "esv-k", secret(fmt.Sprint("v", i+1)))
			if err != nil {
				t.Error(err)
			}
			created[i] = v.Version
		})
		wg.Go(func() {
			if _, err := s.SetVariable(ctx, env, fmt.Sprintf("esv-v%d", i), esv.VariableSpec{Value: "x"}); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			_, wins[i] = s.CreateSecret(ctx, env, "esv-race", esv.SecretSpec{Value: secret(fmt.Sprint(i))})
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, v := range created {
		if v < 2 || v > n+1 || seen[v] {
			t.Fatalf("concurrent versions got numbers %v, want %d distinct from 2 to %d", created, n, n+1)
		}
		seen[v] = true
	}
	if vs := must[[]esv.SecretVersion](t)(s.SecretVersions(ctx, env, "esv-k")); len(vs) != n+1 {
		t.Fatalf("%d versions after %d concurrent creates, want %d", len(vs), n, n+1)
	}
	if vs := must[[]esv.Variable](t)(s.Variables(ctx, env, esv.ListOptions{})); len(vs) != n {
		t.Fatalf("%d variables after %d concurrent sets, want %d", len(vs), n, n)
	}
	ok := 0
	for _, err := range wins {
		if err == nil {
			ok++
		} else {
			wantErr(t, err, esv.ErrExists)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent creates of one secret succeeded, want 1", ok)
	}
}

// everyWrite returns each write of the Service, on env's esv-v and esv-s.
func everyWrite(ctx context.Context, s *esv.Service) map[string]func() error {
	return map[string]func() error{
		"SetVariable":            func() error { _, err := s.SetVariable(ctx, env, "esv-v", esv.VariableSpec{Value: "2"}); return err },
		"SetVariableDescription": func() error { _, err := s.SetVariableDescription(ctx, env, "esv-v", "d"); return err },
		"DeleteVariable":         func() error { return s.DeleteVariable(ctx, env, "esv-v") },
		"CreateSecret": func() error {
			_, err := s.CreateSecret(ctx, env, "esv-t", esv.SecretSpec{Value: secret("x")})
			return err
		},
		"SetSecretDescription": func() error { _, err := s.SetSecretDescription(ctx, env, "esv-s", "d"); return err },
		"CreateSecretVersion":  func() error { _, err := s.CreateSecretVersion(ctx, env, "esv-s", secret("3")); return err },
		"SetSecretVersionStatus": func() error {
			_, err := s.SetSecretVersionStatus(ctx, env, "esv-s", 1, esv.Disabled)
			return err
		},
		"DeleteSecretVersion": func() error { return s.DeleteSecretVersion(ctx, env, "esv-s", 1) },
		"DeleteSecret":        func() error { return s.DeleteSecret(ctx, env, "esv-s") },
		"Restart":             func() error { _, err := s.Restart(ctx, env); return err },
	}
}

func ruleWritesNeedAnActor(t *testing.T, f *fixture) {
	s := f.service(esv.Options{})
	must[esv.Variable](t)(s.SetVariable(ctx, env, "esv-v", esv.VariableSpec{Value: "1"}))
	must[esv.Secret](t)(s.CreateSecret(ctx, env, "esv-s", esv.SecretSpec{Value: secret("1")}))
	must[esv.SecretVersion](t)(s.CreateSecretVersion(ctx, env, "esv-s", secret("2")))
	_, before, _ := f.store.Load(ctx, env)
	for name, w := range everyWrite(context.Background(), s) {
		if err := w(); !errors.Is(err, actor.ErrMissing) {
			t.Errorf("%s with no actor: %v, want actor.ErrMissing", name, err)
		}
	}
	if _, after, _ := f.store.Load(ctx, env); after != before {
		t.Errorf("writes with no actor changed the state")
	}
	if v := must[esv.Variable](t)(s.Variable(ctx, env, "esv-v")); v.LastChangedBy != "ada" {
		t.Errorf("lastChangedBy = %q, want the actor, ada", v.LastChangedBy)
	}
}
