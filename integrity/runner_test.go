package integrity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"
)

// checkFunc adapts a function to Check for tests.
type checkFunc struct {
	name string
	run  func(context.Context, *integrity.Input) ([]integrity.Finding, error)
}

func (c checkFunc) Name() string { return c.name }
func (c checkFunc) Run(ctx context.Context, in *integrity.Input) ([]integrity.Finding, error) {
	return c.run(ctx, in)
}

var errBackend = errors.New("policy service unavailable")

func TestRun_FailingCheckDoesNotHideOthers(t *testing.T) {
	failing := checkFunc{"policy", func(context.Context, *integrity.Input) ([]integrity.Finding, error) {
		return nil, errBackend
	}}
	panicking := checkFunc{"buggy", func(context.Context, *integrity.Input) ([]integrity.Finding, error) {
		panic("a bug in a user's check")
	}}
	in := &integrity.Input{Static: tenant(t, nil), Operation: integrity.Promotion, ESVs: esvsWith(map[string]*integrity.ESV{"esv-ldap-host": nil})}
	checks := append([]integrity.Check{failing, panicking}, integrity.Builtin()...)
	res, err := integrity.Run(context.Background(), checks, in)

	if got := res.MissingESVs(); !cmp.Equal(got, []string{"esv-ldap-host"}) {
		t.Errorf("MissingESVs = %v, want [esv-ldap-host]", got)
	}
	if len(res.EncryptedSecrets()) != 3 {
		t.Errorf("EncryptedSecrets = %v, want 3", res.EncryptedSecrets())
	}
	var merr *multierror.Error
	if !errors.As(err, &merr) || len(merr.Errors) != 3 {
		t.Fatalf("err = %v, want a multierror of the failing check, the panic and the findings", err)
	}
	if !errors.Is(err, errBackend) || !strings.Contains(err.Error(), "check policy:") {
		t.Errorf("err does not wrap the failing check's error with its name: %v", err)
	}
	if !strings.Contains(err.Error(), "check buggy: panic:") {
		t.Errorf("err does not report the panic: %v", err)
	}
	var ierr *integrity.Error
	if !errors.As(err, &ierr) || !errors.Is(err, integrity.ErrFailed) {
		t.Fatalf("err does not carry *integrity.Error: %v", err)
	}
	if diff := cmp.Diff(res.Blocking(), ierr.Findings); diff != "" {
		t.Errorf("*Error findings (-blocking +error):\n%s", diff)
	}
}

func TestRun_FindingsSortedWhateverTheCheckOrder(t *testing.T) {
	in := &integrity.Input{Static: tenant(t, map[string]*string{"ui/themes.json": ptr("{")}), Operation: integrity.Promotion,
		ESVs: esvsWith(map[string]*integrity.ESV{
			"esv-ldap-host": nil, "esv-brand-name": nil, "esv-ldap-port": {Type: esv.TypeBool},
			"esv-ldap-admin-password": {Secret: true},
		})}
	// A user check whose findings come out of order.
	shuffled := checkFunc{"naming", func(_ context.Context, in *integrity.Input) ([]integrity.Finding, error) {
		var out []integrity.Finding
		for _, c := range []string{"z.json", "a.json", "m.json"} {
			out = append(out, integrity.Finding{Check: "naming", Severity: integrity.Warning, Path: c, Message: "odd name", Hint: "rename"})
		}
		return out, nil
	}}
	checks := append(integrity.Builtin(), shuffled)
	want, _ := integrity.Run(context.Background(), checks, in)
	if len(want.Findings) < 8 {
		t.Fatalf("fixture gives only %d findings", len(want.Findings))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		r.Shuffle(len(checks), func(i, j int) { checks[i], checks[j] = checks[j], checks[i] })
		got, _ := integrity.Run(context.Background(), checks, in)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("result depends on check order (-first +now):\n%s", diff)
		}
	}
	for i := 1; i < len(want.Findings); i++ {
		a, b := want.Findings[i-1], want.Findings[i]
		if a.Path > b.Path || a.Path == b.Path && a.Line > b.Line {
			t.Fatalf("not sorted: %s before %s", a, b)
		}
	}
}

func TestRunner_ConcurrentRuns(t *testing.T) {
	r := new(integrity.Runner)
	base := tenant(t, nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			snap, err := base.With(fmt.Sprintf("realms/alpha/journeys/J%d/J%d.json", i%3, i%3), fmt.Appendf(nil, `{"host": "&{esv.host.%d}"}`, i))
			if err != nil {
				t.Error(err)
				return
			}
			res, _ := r.Run(context.Background(), integrity.Builtin(), &integrity.Input{Static: snap, Operation: integrity.Promotion, ESVs: fixtureESVs})
			if got, want := res.MissingESVs(), []string{fmt.Sprintf("esv-host-%d", i)}; !cmp.Equal(got, want) {
				t.Errorf("run %d: MissingESVs = %v, want %v", i, got, want)
			}
		})
	}
	wg.Wait()
}

func TestRun_InvalidInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   *integrity.Input
		want string
	}{
		{"nil", nil, "no input"},
		{"zero operation", &integrity.Input{}, "operation Operation(0) (allowed: promotion, rollback)"},
		{"bad ESV name", &integrity.Input{Operation: integrity.Rollback, ESVs: map[string]integrity.ESV{"esv-My-Var": {}}}, `"esv-My-Var"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := integrity.Run(context.Background(), integrity.Builtin(), tc.in)
			if !errors.Is(err, integrity.ErrInvalidInput) || res != nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run = %v, %v; want ErrInvalidInput mentioning %s", res, err, tc.want)
			}
		})
	}
}

// A Runner trusts an ESVs map it validated, but checks every new map, and
// a map that failed is checked again.
func TestRunner_ValidatesEveryNewESVsMap(t *testing.T) {
	var r integrity.Runner
	run := func(esvs map[string]integrity.ESV) error {
		_, err := r.Run(context.Background(), nil, &integrity.Input{Operation: integrity.Promotion, ESVs: esvs})
		return err
	}
	good := map[string]integrity.ESV{"esv-a": {}}
	bad := map[string]integrity.ESV{"esv-a": {}, "esv-B": {}}
	for i, tc := range []struct {
		esvs    map[string]integrity.ESV
		invalid bool
	}{{good, false}, {bad, true}, {good, false}, {bad, true}, {bad, true}} {
		if err := run(tc.esvs); errors.Is(err, integrity.ErrInvalidInput) != tc.invalid {
			t.Errorf("run %d: err = %v, want invalid %v", i, err, tc.invalid)
		}
	}
}

func TestRun_EmptySnapshotAndNoChecks(t *testing.T) {
	for _, checks := range [][]integrity.Check{nil, integrity.Builtin()} {
		res, err := integrity.Run(context.Background(), checks, &integrity.Input{Operation: integrity.Promotion})
		if err != nil || len(res.Findings)+len(res.Ignored) != 0 {
			t.Errorf("%d checks: %v, %v; want nothing", len(checks), res, err)
		}
	}
}

func TestCheck_CalledDirectly(t *testing.T) {
	in := &integrity.Input{Static: tenant(t, nil), Operation: integrity.Promotion, ESVs: esvsWith(map[string]*integrity.ESV{"esv-smtp-user": nil})}
	fs, err := integrity.MissingESVs{}.Run(context.Background(), in)
	if err != nil || len(fs) != 1 || fs[0].Path != emailProv || fs[0].JSONPath != "auth.username" {
		t.Errorf("Run = %v, %v; want one finding at %s auth.username", fs, err, emailProv)
	}
}

func TestFinding_JSONAndNoSecretValues(t *testing.T) {
	in := &integrity.Input{Static: tenant(t, nil), Operation: integrity.Promotion, ESVs: esvsWith(map[string]*integrity.ESV{"esv-ldap-admin-password": {Secret: true}})}
	res, err := integrity.Run(context.Background(), integrity.Builtin(), in)
	if err == nil {
		t.Fatal("want blocking findings")
	}
	b, jerr := json.Marshal(res)
	if jerr != nil {
		t.Fatal(jerr)
	}
	var back integrity.Result
	if jerr := json.Unmarshal(b, &back); jerr != nil {
		t.Fatal(jerr)
	}
	if diff := cmp.Diff(*res, back); diff != "" {
		t.Errorf("JSON round trip (-before +after):\n%s", diff)
	}
	if !strings.Contains(string(b), `"severity":"blocking"`) {
		t.Errorf("severity not written by name: %s", b)
	}
	// The $crypto payloads are in the config; no part of them may leak.
	for _, secret := range []string{"T2xkU2VjcmV0RGF0YQ==", "Q3JlZGVudGlhbA==", "RGVmYXVsdA=="} {
		if strings.Contains(string(b), secret) || strings.Contains(err.Error(), secret) {
			t.Errorf("encrypted payload %s appears in findings or error", secret)
		}
	}
	var sev integrity.Severity
	if err := sev.UnmarshalText([]byte("fatal")); err == nil {
		t.Error("unknown severity accepted")
	}
}

func TestESVsOf(t *testing.T) {
	got := integrity.ESVsOf(
		[]esv.Variable{{Name: "esv-port", ExpressionType: esv.TypeInt}},
		[]esv.Secret{{Name: "esv-key", UseInPlaceholders: true}, {Name: "esv-hidden"}},
	)
	want := map[string]integrity.ESV{
		"esv-port":   {Type: esv.TypeInt},
		"esv-key":    {Secret: true, UseInPlaceholders: true},
		"esv-hidden": {Secret: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestError_ListsFirstFindings(t *testing.T) {
	var fs []integrity.Finding
	for i := range 7 {
		fs = append(fs, integrity.Finding{Check: integrity.CheckMissingESVs, Severity: integrity.Blocking, Path: "a.json", Line: i + 1, ESV: "esv-x", Message: "m"})
	}
	msg := (&integrity.Error{Findings: fs}).Error()
	if !strings.HasPrefix(msg, "integrity check failed: 7 blocking finding(s)") || !strings.Contains(msg, "a.json:5: blocking") ||
		strings.Contains(msg, "a.json:6:") || !strings.Contains(msg, "and 2 more") {
		t.Errorf("message:\n%s", msg)
	}
}
