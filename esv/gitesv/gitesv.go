package gitesv

import (
	"cmp"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/errkind"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/store"
)

// ErrDecrypt: a stored secret value does not decrypt under the key given to
// New (a wrong key, or a file moved or tampered with).
var ErrDecrypt = errkind.New(errkind.FailedPrecondition, "gitesv: secret value does not decrypt")

// DefaultBranchPrefix prefixes environment names to name their branches
// when Options.BranchPrefix is empty.
const DefaultBranchPrefix = "esv/"

// Options configures a Store.
type Options struct {
	// Key encrypts secret values: 16, 24 or 32 bytes. Required; keep it
	// out of the repository.
	Key []byte
	// BranchPrefix + env names env's branch; "" means DefaultBranchPrefix.
	BranchPrefix string
	// Name, if set, returns the name commit subjects call environment env
	// by ("Set esv-api-key in Development"); "" or a nil Name keeps the
	// id. The id is in the commit's metadata either way.
	Name func(ctx context.Context, env string) string
}

// Store is an esv.Store over a store.Repo. It is safe for concurrent use,
// also by several Stores sharing one repository.
type Store struct {
	repo   store.Repo
	prefix string
	name   func(ctx context.Context, env string) string
	aead   cipher.AEAD
	ivKey  []byte // derives nonces
}

var _ esv.Store = (*Store)(nil)

// New returns a Store keeping ESV state in repo. It fails when opts.Key is
// not 16, 24 or 32 bytes long.
func New(repo store.Repo, opts Options) (*Store, error) {
	if n := len(opts.Key); n != 16 && n != 24 && n != 32 {
		return nil, fmt.Errorf("gitesv: key is %d bytes; want 16, 24 or 32", n)
	}
	block, err := aes.NewCipher(derive(opts.Key, "envpromote gitesv encryption"))
	if err != nil {
		return nil, fmt.Errorf("gitesv: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gitesv: %w", err)
	}
	prefix := opts.BranchPrefix
	if prefix == "" {
		prefix = DefaultBranchPrefix
	}
	return &Store{repo: repo, prefix: prefix, name: opts.Name, aead: aead, ivKey: derive(opts.Key, "envpromote gitesv nonce")}, nil
}

func derive(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func (s *Store) branch(env string) (string, error) {
	b := s.prefix + env
	if err := store.ValidateBranch(b); err != nil {
		return "", fmt.Errorf("gitesv: environment %q: %w: %w", env, esv.ErrInvalid, err)
	}
	return b, nil
}

// Load implements esv.Store.
func (s *Store) Load(ctx context.Context, env string) (esv.State, esv.Revision, error) {
	b, err := s.branch(env)
	if err != nil {
		return esv.State{}, "", err
	}
	head, err := s.repo.Head(ctx, b)
	if errors.Is(err, store.ErrNotFound) {
		return esv.State{}, "", nil
	}
	if err != nil {
		return esv.State{}, "", fmt.Errorf("gitesv: load %q: %w", env, err)
	}
	snap, err := s.repo.Snapshot(ctx, head.Revision)
	if err != nil {
		return esv.State{}, "", fmt.Errorf("gitesv: load %q: %w", env, err)
	}
	st, err := s.decode(env, snap)
	if err != nil {
		return esv.State{}, "", fmt.Errorf("gitesv: load %q at %s: %w", env, head.Revision, err)
	}
	return st, esv.Revision(head.Revision), nil
}

// Save implements esv.Store.
func (s *Store) Save(ctx context.Context, env string, rev esv.Revision, st esv.State) (esv.Revision, error) {
	b, err := s.branch(env)
	if err != nil {
		return "", err
	}
	files, err := s.encode(env, st)
	if err != nil {
		return "", fmt.Errorf("gitesv: save %q: %w", env, err)
	}
	snap, err := store.New(files)
	if err != nil {
		return "", fmt.Errorf("gitesv: save %q: %w", env, err)
	}
	ch := esv.ChangeOf(ctx)
	who, err := actor.Resolve(ctx, ch.Actor, "gitesv: save "+strconv.Quote(env))
	if err != nil {
		return "", err
	}
	subject := "Update ESVs"
	if ch.Summary != "" {
		subject = strings.ToUpper(ch.Summary[:1]) + ch.Summary[1:]
	}
	called := env
	if s.name != nil {
		called = cmp.Or(s.name(ctx, env), env)
	}
	c, err := s.repo.Commit(ctx, b, store.Revision(rev), snap, store.CommitInfo{
		Author:   store.Author(who),
		Message:  fmt.Sprintf("%s in %s", subject, called),
		Metadata: map[string]string{"type": "esv", "environment": env},
	})
	if errors.Is(err, store.ErrConflict) {
		return "", fmt.Errorf("gitesv: save %q: %w: %w", env, esv.ErrConflict, err)
	}
	if err != nil {
		return "", fmt.Errorf("gitesv: save %q: %w", env, err)
	}
	return esv.Revision(c.Revision), nil
}

// ---- file formats

type secretFile struct {
	Name              string        `json:"_id"`
	Description       string        `json:"description"`
	Encoding          esv.Encoding  `json:"encoding"`
	UseInPlaceholders bool          `json:"useInPlaceholders"`
	LastChangedBy     string        `json:"lastChangedBy"`
	LastChangeDate    time.Time     `json:"lastChangeDate"`
	Versions          []versionFile `json:"versions"`
}

type versionFile struct {
	Version    int               `json:"version,string"`
	CreateDate time.Time         `json:"createDate"`
	Status     esv.VersionStatus `json:"status"`
	Value      []byte            `json:"valueEncrypted"`
}

type loadedFile struct {
	Variables map[string]esv.Variable     `json:"variables,omitempty"`
	Secrets   map[string]loadedSecretFile `json:"secrets,omitempty"`
}

type loadedSecretFile struct {
	Version           int            `json:"version,string"`
	UseInPlaceholders bool           `json:"useInPlaceholders"`
	Values            map[int][]byte `json:"valuesEncrypted"` // by version
}

type restartFile struct {
	ReadyAt time.Time  `json:"readyAt"`
	Pending loadedFile `json:"pending"`
}

const (
	variablesDir = "variables/"
	secretsDir   = "secrets/"
	loadedPath   = "loaded.json"
	restartPath  = "restart.json"
)

func (s *Store) encode(env string, st esv.State) (map[string][]byte, error) {
	files := map[string][]byte{}
	put := func(path string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		files[path] = append(b, '\n')
		return nil
	}
	for name, v := range st.Variables {
		if err := put(variablesDir+name+".json", v); err != nil {
			return nil, err
		}
	}
	for name, sec := range st.Secrets {
		f := secretFile{Name: sec.Name, Description: sec.Description, Encoding: sec.Encoding, UseInPlaceholders: sec.UseInPlaceholders,
			LastChangedBy: sec.LastChangedBy, LastChangeDate: sec.LastChangeDate}
		for _, v := range sec.Versions {
			f.Versions = append(f.Versions, versionFile{v.Version, v.CreateDate, v.Status, s.seal(env, "current", name, v.Version, v.Value)})
		}
		if err := put(secretsDir+name+".json", f); err != nil {
			return nil, err
		}
	}
	if err := put(loadedPath, s.encodeLoaded(env, "loaded", st.Loaded)); err != nil {
		return nil, err
	}
	if p := st.Restart.Pending; p != nil {
		if err := put(restartPath, restartFile{st.Restart.ReadyAt, s.encodeLoaded(env, "pending", *p)}); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func (s *Store) encodeLoaded(env, slot string, l esv.Loaded) loadedFile {
	f := loadedFile{Variables: l.Variables, Secrets: map[string]loadedSecretFile{}}
	for name, sec := range l.Secrets {
		lf := loadedSecretFile{Version: sec.Version, UseInPlaceholders: sec.UseInPlaceholders, Values: map[int][]byte{}}
		for n, v := range sec.Versions {
			lf.Values[n] = s.seal(env, slot, name, n, v)
		}
		f.Secrets[name] = lf
	}
	return f
}

func (s *Store) decode(env string, snap *store.Snapshot) (esv.State, error) {
	st := esv.State{Variables: map[string]esv.Variable{}, Secrets: map[string]esv.SecretState{}}
	err := snap.Walk(func(path string, data []byte) error {
		switch {
		case strings.HasPrefix(path, variablesDir):
			var v esv.Variable
			if err := json.Unmarshal(data, &v); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			st.Variables[v.Name] = v
		case strings.HasPrefix(path, secretsDir):
			var f secretFile
			if err := json.Unmarshal(data, &f); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if err := f.validate(); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			sec := esv.SecretState{Secret: esv.Secret{Name: f.Name, Description: f.Description, Encoding: f.Encoding,
				UseInPlaceholders: f.UseInPlaceholders, LastChangedBy: f.LastChangedBy, LastChangeDate: f.LastChangeDate}}
			for _, v := range f.Versions {
				val, err := s.open(env, "current", f.Name, v.Version, v.Value)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				sec.Versions = append(sec.Versions, esv.VersionState{
					SecretVersion: esv.SecretVersion{Version: v.Version, CreateDate: v.CreateDate, Status: v.Status}, Value: val})
			}
			st.Secrets[f.Name] = sec
		case path == loadedPath:
			var f loadedFile
			if err := json.Unmarshal(data, &f); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			l, err := s.decodeLoaded(env, "loaded", f)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			st.Loaded = l
		case path == restartPath:
			var f restartFile
			if err := json.Unmarshal(data, &f); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			l, err := s.decodeLoaded(env, "pending", f.Pending)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			st.Restart = esv.Restart{Pending: &l, ReadyAt: f.ReadyAt}
		}
		return nil
	})
	return st, err
}

// validate refuses a hand-edited file the Service could not use: it
// relies on a valid name and at least one version, in ascending order.
func (f *secretFile) validate() error {
	if err := esv.ValidateName(f.Name); err != nil {
		return err
	}
	if len(f.Versions) == 0 {
		return fmt.Errorf("%w: secret %s has no versions", esv.ErrInvalid, f.Name)
	}
	for i, v := range f.Versions {
		if v.Version < 1 || i > 0 && v.Version <= f.Versions[i-1].Version {
			return fmt.Errorf("%w: secret %s: versions must be numbered from 1 upwards in ascending order", esv.ErrInvalid, f.Name)
		}
	}
	return nil
}

func (s *Store) decodeLoaded(env, slot string, f loadedFile) (esv.Loaded, error) {
	l := esv.Loaded{Variables: f.Variables, Secrets: map[string]esv.LoadedSecret{}}
	for name, sf := range f.Secrets {
		ls := esv.LoadedSecret{Version: sf.Version, UseInPlaceholders: sf.UseInPlaceholders, Versions: map[int]esv.SecretValue{}}
		for n, ct := range sf.Values {
			v, err := s.open(env, slot, name, n, ct)
			if err != nil {
				return esv.Loaded{}, err
			}
			ls.Versions[n] = v
		}
		l.Secrets[name] = ls
	}
	return l, nil
}

// ---- encryption

// place is the additional data binding a ciphertext to where it belongs.
func place(env, slot, name string, version int) []byte {
	return []byte(strings.Join([]string{"gitesv/v1", env, slot, name, strconv.Itoa(version)}, "\x00"))
}

// seal encrypts v for its place. The nonce is an HMAC of place and value,
// so equal inputs give the identical ciphertext (nonce ‖ sealed).
func (s *Store) seal(env, slot, name string, version int, v esv.SecretValue) []byte {
	ad := place(env, slot, name, version)
	pt := v.Reveal()
	m := hmac.New(sha256.New, s.ivKey)
	m.Write(ad)
	m.Write([]byte{0})
	m.Write(pt)
	nonce := m.Sum(nil)[:s.aead.NonceSize()]
	return s.aead.Seal(nonce, nonce, pt, ad)
}

func (s *Store) open(env, slot, name string, version int, ct []byte) (esv.SecretValue, error) {
	n := s.aead.NonceSize()
	if len(ct) < n {
		return esv.SecretValue{}, fmt.Errorf("%w: %s version %d: too short", ErrDecrypt, name, version)
	}
	pt, err := s.aead.Open(nil, ct[:n], ct[n:], place(env, slot, name, version))
	if err != nil {
		return esv.SecretValue{}, fmt.Errorf("%w: %s version %d (wrong key, or moved from another place)", ErrDecrypt, name, version)
	}
	return esv.NewSecretValue(pt), nil
}
