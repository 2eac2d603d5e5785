package gitlock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/envpromote/envpromote/lock"
)

// metaLease is the commit metadata key holding the record. Keeping the
// record in the commit, over the empty tree, makes each lock step one new
// Git object instead of three, and each read one commit instead of a commit,
// a tree and a blob.
const metaLease = "lease"

// branchPrefix namespaces the lock branches; gitstore keeps "locks/<env>" as
// refs/locks/<env>, apart from the environments' config branches.
const branchPrefix = "locks/"

// record is what the commit of a lock branch holds: lock.Record, with the
// environment it is for.
type record struct {
	Env      string     `json:"environment"`
	Lease    lock.Lease `json:"lease"`
	Released bool       `json:"released,omitempty"`
}

// encode returns the record as one line of JSON, as metadata values must be.
// It fails only for times that JSON cannot hold (years past 9999).
func (r record) encode() ([]byte, error) { return json.Marshal(r) }

// decodeRecord parses the record of env's branch and checks that it
// describes a lease gitlock could have granted on env. Errors wrap
// lock.ErrCorrupt.
func decodeRecord(env string, data []byte) (record, error) {
	var r record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return record{}, fmt.Errorf("%w: %v", lock.ErrCorrupt, err)
	}
	if dec.More() {
		return record{}, fmt.Errorf("%w: data after the record", lock.ErrCorrupt)
	}
	l := r.Lease
	switch {
	case r.Env != env:
		return record{}, fmt.Errorf("%w: it is for environment %q", lock.ErrCorrupt, r.Env)
	case l.ID == "" || l.Token == 0:
		return record{}, fmt.Errorf("%w: lease has no id or no token", lock.ErrCorrupt)
	case !slices.IsSorted(l.Envs) || len(slices.Compact(slices.Clone(l.Envs))) != len(l.Envs):
		return record{}, fmt.Errorf("%w: lease environments %q are not sorted and unique", lock.ErrCorrupt, l.Envs)
	case !slices.Contains(l.Envs, env):
		return record{}, fmt.Errorf("%w: lease does not cover the environment", lock.ErrCorrupt)
	}
	for _, e := range l.Envs {
		if err := lock.ValidateEnvironment(e); err != nil {
			return record{}, fmt.Errorf("%w: %v", lock.ErrCorrupt, err)
		}
	}
	if r.Lease.Expires.IsZero() {
		// Written before every lease ended, meaning "until unlocked":
		// it now ends DefaultTTL after it was taken, like any lease
		// whose holder did not say.
		r.Lease.TTL = lock.DefaultTTL
		r.Lease.Expires = r.Lease.Acquired.Add(lock.DefaultTTL)
	}
	return r, nil
}

// branchName maps a valid environment name (see lock.ValidateEnvironment)
// to its lock branch, injectively and within store.ValidateBranch's rules,
// with no two names differing only in case (refs are files, and some file
// systems ignore case). Plain lower-case names map to themselves
// ("prod" → "locks/prod"); any other is marked by "x." and has each byte
// outside [a-z0-9-] written as '_' and two hex digits
// ("Prod EU" → "locks/x._50rod_20_45_55"). Plain names hold no '.', so the
// two forms never meet.
func branchName(env string) string {
	if plain(env) {
		return branchPrefix + env
	}
	var b strings.Builder
	b.WriteString(branchPrefix + "x.")
	for i := 0; i < len(env); i++ {
		switch c := env[i]; {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

func plain(env string) bool {
	for i := 0; i < len(env); i++ {
		c := env[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '-' || c == '_')) {
			return false
		}
	}
	return env != ""
}
