package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"

	"github.com/envpromote/envpromote/environment"
)

// The OAuth2 scopes of the AIC API that the endpoints check. A "…:*" scope
// grants every narrower scope of its family.
const (
	ScopePromotion  = "fr:idc:promotion:*"
	ScopeESVAll     = "fr:idc:esv:*"
	ScopeESVRead    = "fr:idc:esv:read"
	ScopeESVUpdate  = "fr:idc:esv:update"
	ScopeESVRestart = "fr:idc:esv:restart"
)

// ErrInvalidToken is what an Authenticator returns for a token it does not
// accept; the server answers 401 with a WWW-Authenticate challenge.
var ErrInvalidToken = errors.New("invalid or expired token")

// Principal is the caller behind a bearer token: its PingOne identity and
// roles, which the environment Registry checks on /v1/environments, and
// the AIC scopes the /environment endpoints require.
type Principal struct {
	environment.Principal
	Scopes []string
}

// HasScope reports whether p holds scope, directly or through the "…:*"
// scope of its family (fr:idc:esv:* covers fr:idc:esv:read).
func (p Principal) HasScope(scope string) bool {
	family := scope[:strings.LastIndexByte(scope, ':')+1] + "*"
	return slices.Contains(p.Scopes, scope) || slices.Contains(p.Scopes, family)
}

// Authenticator turns a bearer token into the Principal it stands for.
// It returns an error wrapping ErrInvalidToken for a token it does not
// accept; any other error is answered with 500. Implementations must be
// safe for concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// StaticTokens is an Authenticator with a fixed set of tokens, for examples,
// tests and single-operator deployments. It keeps only SHA-256 digests of
// the tokens, so neither a heap dump nor a timing difference in the map
// lookup gives a token away. Safe for concurrent use; the zero value
// accepts no token.
type StaticTokens struct {
	byDigest map[[sha256.Size]byte]Principal
}

var _ Authenticator = (*StaticTokens)(nil)

// NewStaticTokens returns an Authenticator accepting each token of tokens
// as its Principal.
func NewStaticTokens(tokens map[string]Principal) *StaticTokens {
	s := &StaticTokens{byDigest: make(map[[sha256.Size]byte]Principal, len(tokens))}
	for tok, p := range tokens {
		s.byDigest[sha256.Sum256([]byte(tok))] = p
	}
	return s
}

// Authenticate implements Authenticator.
func (s *StaticTokens) Authenticate(_ context.Context, token string) (Principal, error) {
	p, ok := s.byDigest[sha256.Sum256([]byte(token))]
	if !ok {
		return Principal{}, ErrInvalidToken
	}
	return p, nil
}
