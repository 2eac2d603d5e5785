package esv

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

const redacted = "[redacted]"

// SecretValue holds the bytes of a secret. It never shows them: every fmt
// verb (%v, %+v, %#v, %s, %x, %q…) prints "[redacted]", slog logs
// "[redacted]", and JSON marshalling fails rather than write them. The bytes
// sit behind a pointer so that printing a struct that holds a SecretValue in
// an unexported field shows an address, not the secret.
//
// Only two parties read the bytes with Reveal: Store backends, to persist
// them (encrypted where they leave memory), and Service.Lookup, for
// configuration expansion. The zero SecretValue is empty.
type SecretValue struct{ b *[]byte }

// NewSecretValue returns a SecretValue holding a copy of b.
func NewSecretValue(b []byte) SecretValue {
	c := bytes.Clone(b)
	return SecretValue{&c}
}

// Reveal returns a copy of the secret bytes.
func (v SecretValue) Reveal() []byte {
	if v.b == nil {
		return nil
	}
	return bytes.Clone(*v.b)
}

// Len returns the length of the secret in bytes.
func (v SecretValue) Len() int {
	if v.b == nil {
		return 0
	}
	return len(*v.b)
}

// Equal reports whether v and w hold the same bytes, in constant time for
// values of equal length.
func (v SecretValue) Equal(w SecretValue) bool {
	return subtle.ConstantTimeCompare(v.Reveal(), w.Reveal()) == 1
}

func (SecretValue) String() string   { return redacted }
func (SecretValue) GoString() string { return redacted }

// Format prints "[redacted]" for every verb.
func (SecretValue) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue makes slog log "[redacted]".
func (SecretValue) LogValue() slog.Value { return slog.StringValue(redacted) }

var errSecretJSON = errors.New("esv: secret values are never marshalled to JSON")

// MarshalJSON always fails: a secret must not leave in plain JSON, and
// writing a placeholder instead would silently lose it.
func (SecretValue) MarshalJSON() ([]byte, error) { return nil, errSecretJSON }
