package gitlock

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/store"
)

func TestRule_BranchNamesAreValidInjectiveAndCaseSafe(t *testing.T) {
	tests := []struct{ env, want string }{
		{"dev", "locks/dev"},
		{"uat-2", "locks/uat-2"},
		{"env_1", "locks/env_1"},
		{"6f1c2a9e-5b1e-4d0a-9c3e-0a1b2c3d4e5f", "locks/6f1c2a9e-5b1e-4d0a-9c3e-0a1b2c3d4e5f"},
		{"lock", "locks/lock"},
		{"Dev", "locks/x._44ev"},
		{"dev.lock", "locks/x.dev_2elock"},
		{"a..b", "locks/x.a_2e_2eb"},
		{"-dev", "locks/x.-dev"},
		{"_dev", "locks/x._5fdev"},
		{"a/b", "locks/x.a_2fb"},
		{"Prod EU", "locks/x._50rod_20_45_55"},
		{"ü", "locks/x._c3_bc"},
		{"x.dev", "locks/x.x_2edev"},
		{strings.Repeat("Z", lock.MaxEnvironmentLen), "locks/x." + strings.Repeat("_5a", lock.MaxEnvironmentLen)},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := branchName(tt.env)
		if got != tt.want {
			t.Errorf("branchName(%q) = %q, want %q", tt.env, got, tt.want)
		}
		if err := store.ValidateBranch(got); err != nil {
			t.Errorf("branchName(%q) = %q, not a valid branch: %v", tt.env, got, err)
		}
		if got != strings.ToLower(got) {
			t.Errorf("branchName(%q) = %q has upper case, which case-insensitive file systems fold", tt.env, got)
		}
		if other, ok := seen[strings.ToLower(got)]; ok {
			t.Errorf("branchName(%q) and branchName(%q) are both %q", tt.env, other, got)
		}
		seen[strings.ToLower(got)] = tt.env
	}
}

func FuzzBranchName(f *testing.F) {
	f.Add("dev", "Dev")
	f.Add("x.dev", "x._64ev")
	f.Add("a_b", "a b")
	f.Add("lock", "x.lock")
	f.Fuzz(func(t *testing.T, a, b string) {
		if lock.ValidateEnvironment(a) != nil || lock.ValidateEnvironment(b) != nil {
			return
		}
		ba, bb := branchName(a), branchName(b)
		if err := store.ValidateBranch(ba); err != nil {
			t.Fatalf("branchName(%q) = %q: %v", a, ba, err)
		}
		if ba != strings.ToLower(ba) {
			t.Fatalf("branchName(%q) = %q has upper case", a, ba)
		}
		if a != b && ba == bb {
			t.Fatalf("branchName(%q) == branchName(%q) == %q", a, b, ba)
		}
	})
}

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)

func TestRule_UnreadableRecordIsRejected(t *testing.T) {
	good := record{Env: "dev", Lease: lock.Lease{ID: "id", Envs: []string{"dev", "uat"}, Owner: "alice", Token: 3, Acquired: t0}}
	if _, err := decodeRecord("dev", mustEncode(t, good)); err != nil {
		t.Fatalf("decodeRecord(valid record) = %v", err)
	}
	with := func(change func(*record)) []byte {
		r := good
		r.Lease.Envs = append([]string(nil), good.Lease.Envs...)
		change(&r)
		return mustEncode(t, r)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not JSON", []byte("locked by alice"), "invalid character"},
		{"empty", nil, "EOF"},
		{"unknown field", []byte(`{"environment":"dev","holder":"alice"}`), "unknown field"},
		{"two records", append(mustEncode(t, good), mustEncode(t, good)...), "data after"},
		{"other environment", with(func(r *record) { r.Env = "uat" }), `for environment "uat"`},
		{"no id", with(func(r *record) { r.Lease.ID = "" }), "no id"},
		{"token zero", with(func(r *record) { r.Lease.Token = 0 }), "no token"},
		{"unsorted environments", with(func(r *record) { r.Lease.Envs = []string{"uat", "dev"} }), "sorted"},
		{"duplicate environments", with(func(r *record) { r.Lease.Envs = []string{"dev", "dev"} }), "unique"},
		{"lease misses the environment", with(func(r *record) { r.Lease.Envs = []string{"uat"}; r.Env = "dev" }), "does not cover"},
		{"invalid environment in lease", with(func(r *record) { r.Lease.Envs = []string{"a\nb", "dev"} }), "control characters"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			_, err := decodeRecord("dev", tt.data)
			if !errors.Is(err, lock.ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("decodeRecord = %v, want lock.ErrCorrupt mentioning %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add("dev", mustEncode(f, record{Env: "dev", Lease: lock.Lease{ID: "id", Envs: []string{"dev"}, Owner: "a", Token: 1, Acquired: t0}}))
	f.Add("Prod EU", mustEncode(f, record{Env: "Prod EU", Released: true, Lease: lock.Lease{ID: "i", Envs: []string{"Prod EU", "dev"},
		Owner: "b", Description: "d", Token: 1 << 60, Acquired: t0, Expires: t0.Add(time.Hour)}}))
	f.Add("dev", []byte(`{"environment":"dev","lease":{"id":"x","environments":["dev"],"token":1,"acquired":"2025-01-01T00:00:00+02:00"}}`))
	f.Fuzz(func(t *testing.T, env string, data []byte) {
		r, err := decodeRecord(env, data)
		if err != nil {
			if !errors.Is(err, lock.ErrCorrupt) {
				t.Fatalf("error %v does not wrap lock.ErrCorrupt", err)
			}
			return
		}
		again, err := decodeRecord(env, mustEncode(t, r))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if diff := cmp.Diff(r, again); diff != "" {
			t.Fatalf("record changed in a round trip (-first +second):\n%s", diff)
		}
	})
}

func mustEncode(tb testing.TB, r record) []byte {
	tb.Helper()
	data, err := r.encode()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// Records written before every lease ended have no expiry ("until
// unlocked"); they now end DefaultTTL after they were taken.
func TestRule_RecordWithoutExpiryEndsAfterDefaultTTL(t *testing.T) {
	data := []byte(`{"environment":"dev","lease":{"id":"x","environments":["dev"],"owner":"o","token":1,"acquired":"2025-01-02T03:04:05Z"}}`)
	r, err := decodeRecord("dev", data)
	if err != nil {
		t.Fatal(err)
	}
	acquired := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if r.Lease.TTL != lock.DefaultTTL || !r.Lease.Expires.Equal(acquired.Add(lock.DefaultTTL)) {
		t.Fatalf("lease without expiry decodes as TTL %v, expires %v; want DefaultTTL after %v", r.Lease.TTL, r.Lease.Expires, acquired)
	}
}
