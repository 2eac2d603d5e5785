package lock_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/envpromote/envpromote/lock"
)

var now = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestRule_NewLeaseTakesSortedUniqueEnvironments(t *testing.T) {
	tests := []struct {
		envs []string
		opts lock.Options
		want lock.Lease
	}{
		{[]string{"dev"}, lock.Options{}, lock.Lease{Envs: []string{"dev"}, TTL: lock.DefaultTTL, Expires: now.Add(lock.DefaultTTL)}},
		{[]string{"uat", "dev", "uat"}, lock.Options{Description: "d"}, lock.Lease{Envs: []string{"dev", "uat"}, Description: "d", TTL: lock.DefaultTTL, Expires: now.Add(lock.DefaultTTL)}},
		{[]string{"b", "a"}, lock.Options{TTL: time.Minute}, lock.Lease{Envs: []string{"a", "b"}, TTL: time.Minute, Expires: now.Add(time.Minute)}},
		{[]string{"Prod EU", "ü"}, lock.Options{}, lock.Lease{Envs: []string{"Prod EU", "ü"}, TTL: lock.DefaultTTL, Expires: now.Add(lock.DefaultTTL)}},
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, tt := range tests {
		in := slices.Clone(tt.envs)
		got, err := lock.NewLease(in, "alice", tt.opts, now)
		if err != nil {
			t.Fatalf("NewLease(%q): %v", tt.envs, err)
		}
		if !uuid.MatchString(got.ID) {
			t.Errorf("NewLease(%q).ID = %q, want a version 4 UUID", tt.envs, got.ID)
		}
		tt.want.ID, tt.want.Owner, tt.want.Acquired = got.ID, "alice", now
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("NewLease(%q) (-want +got):\n%s", tt.envs, diff)
		}
		if !slices.Equal(in, tt.envs) {
			t.Errorf("NewLease changed its argument to %q", in)
		}
	}
}

func TestRule_InvalidRequestIsRejected(t *testing.T) {
	tests := []struct {
		name, owner string
		envs        []string
		opts        lock.Options
		wantMsg     string
	}{
		{"no environments", "alice", nil, lock.Options{}, "no environments"},
		{"empty environment", "alice", []string{""}, lock.Options{}, "environment name is empty"},
		{"long environment", "alice", []string{strings.Repeat("x", 65)}, lock.Options{}, "at most 64"},
		{"tab in environment", "alice", []string{"a\tb"}, lock.Options{}, "control characters"},
		{"no owner", "", []string{"a"}, lock.Options{}, "owner is empty"},
		{"owner not UTF-8", "\xff", []string{"a"}, lock.Options{}, "printable UTF-8"},
		{"long description", "alice", []string{"a"}, lock.Options{Description: strings.Repeat("x", 1025)}, "at most 1024"},
		{"negative TTL", "alice", []string{"a"}, lock.Options{TTL: -1}, "negative"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			_, err := lock.NewLease(tt.envs, tt.owner, tt.opts, now)
			if !errors.Is(err, lock.ErrInvalid) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("NewLease = %v, want ErrInvalid saying %q", err, tt.wantMsg)
			}
		})
	}
}

func TestRule_LeaseExpiresAtTTL(t *testing.T) {
	ttl := lock.Lease{Acquired: now, Expires: now.Add(time.Minute)}
	tests := []struct {
		lease lock.Lease
		at    time.Time
		want  bool
	}{
		{ttl, now, false},
		{ttl, now.Add(time.Minute - 1), false},
		{ttl, now.Add(time.Minute), true},
		{ttl, now.Add(time.Hour), true},
	}
	for _, tt := range tests {
		if got := tt.lease.Expired(tt.at); got != tt.want {
			t.Errorf("Expired(%v) with Expires %v = %v, want %v", tt.at, tt.lease.Expires, got, tt.want)
		}
	}
}

func TestRule_LockedErrorNamesHolder(t *testing.T) {
	holder := lock.Lease{ID: "id-1", Envs: []string{"prod"}, Owner: "alice", Description: "release 7",
		Token: 9, Acquired: now, Expires: now.Add(time.Hour)}
	var err error = &lock.LockedError{Env: "prod", Holder: holder}
	want := `environment "prod" is locked by "alice" (lease id-1, token 9, since 2025-01-02T03:04:05Z, until 2025-01-02T04:04:05Z, "release 7")`
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
	if !errors.Is(err, lock.ErrLocked) || errors.Is(err, lock.ErrNotHeld) {
		t.Errorf("errors.Is(ErrLocked, ErrNotHeld) = %v, %v; want true, false", errors.Is(err, lock.ErrLocked), errors.Is(err, lock.ErrNotHeld))
	}
}

func FuzzNewLease(f *testing.F) {
	f.Add("dev,uat", "alice", int64(0))
	f.Add("b,a,b", "x", int64(time.Minute))
	f.Add(",", "", int64(-1))
	f.Fuzz(func(t *testing.T, envs, owner string, ttl int64) {
		list := strings.Split(envs, ",")
		lease, err := lock.NewLease(list, owner, lock.Options{TTL: time.Duration(ttl)}, now)
		if err != nil {
			if !errors.Is(err, lock.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if !slices.IsSorted(lease.Envs) || len(slices.Compact(slices.Clone(lease.Envs))) != len(lease.Envs) {
			t.Fatalf("Envs %q not sorted and unique", lease.Envs)
		}
		for _, env := range list {
			if _, found := slices.BinarySearch(lease.Envs, env); !found {
				t.Fatalf("Envs %q lost %q", lease.Envs, env)
			}
		}
		for _, env := range lease.Envs {
			if err := lock.ValidateEnvironment(env); err != nil {
				t.Fatalf("accepted environment fails ValidateEnvironment: %v", err)
			}
		}
		if lease.Expired(now) {
			t.Fatalf("new lease with TTL %v already expired", time.Duration(ttl))
		}
	})
}

// Callers show half-held leases in their own terms: Describe names each
// environment through name, once (as held if any of its records is), and
// leaves out those named "".
func TestRule_DescribeNamesHalfHeldLeasesTheCallersWay(t *testing.T) {
	lease := lock.Lease{ID: "l1", Owner: "alice", Expires: now}
	names := map[string]string{"id-1": "dev", "id-2": "staging", "g-a": "group", "g-b": "group", "legacy": ""}
	name := func(env string) string { return names[env] }
	tail := `; it ends at 2025-01-02T03:04:05Z unless renewed, and Unlock with the lease (DELETE lock/l1) releases it now`
	tests := []struct {
		name       string
		st         lock.Status
		names      func(string) string
		wantPrefix string
	}{
		{"as they are", lock.Status{State: lock.StateLocking, Lease: lease, Held: []string{"id-1"}, Free: []string{"id-2", "legacy"}}, nil,
			`lease l1 of "alice" holds id-1 but not id-2, legacy`},
		{"named, left out", lock.Status{State: lock.StateLocking, Lease: lease, Held: []string{"id-1"}, Free: []string{"id-2", "legacy"}}, name,
			`lease l1 of "alice" holds dev but not staging`},
		{"two names of one lock written once", lock.Status{State: lock.StateUnlocking, Lease: lease, Held: []string{"id-1", "g-a", "g-b"}, Free: []string{"id-2"}}, name,
			`lease l1 of "alice" holds dev, group but not staging`},
		{"one name held and free: held", lock.Status{State: lock.StateLocking, Lease: lease, Held: []string{"id-1", "g-a"}, Free: []string{"g-b", "id-2"}}, name,
			`lease l1 of "alice" holds dev, group but not staging`},
		{"every free one left out", lock.Status{State: lock.StateLocking, Lease: lease, Held: []string{"id-1", "id-2", "g-a"}, Free: []string{"legacy"}}, name,
			`lease l1 of "alice" holds dev, staging, group`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.st.Describe(tt.names); got != tt.wantPrefix+tail {
				t.Fatalf("Describe = %q, want %q", got, tt.wantPrefix+tail)
			}
		})
	}
	for _, st := range []lock.Status{{State: lock.StateLocked, Lease: lease}, {State: lock.StateError, Detail: "unreadable"}} {
		if got := st.Describe(name); got != st.Detail {
			t.Errorf("Describe of a %s lock = %q, want its Detail %q", st.State, got, st.Detail)
		}
	}
}
