package gitstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"

	"github.com/envpromote/envpromote/store"
)

// remote is the shared repository a Repo caches. It speaks Git's
// transport protocol directly rather than through go-git's Remote, whose
// fetch updates local refs with a compare-and-set on a nil old value (which
// diskStorage refuses, as it should) and which needs the storage for the
// whole network exchange. Here every network call runs without Repo.mu: a
// fetch downloads the pack into memory and then stores it under the lock; a
// push encodes its pack under the lock and then sends it.
type remote struct {
	url    string   // for connecting only: it may hold a password
	shown  string   // url with its password masked, for every message
	hide   []string // a token given as the user name, as URLs in messages may spell it: see errorf
	tr     transport.Transport
	err    error // from parsing the URL, returned by every call
	auth   transport.AuthMethod
	maxAge time.Duration
	silent time.Duration // Options.ListTimeout; 0: no bound

	mu     sync.Mutex // guards the fields below; never held over a network call
	refs   map[plumbing.ReferenceName]plumbing.Hash
	listed time.Time // when the listing in refs started; zero: none usable
	floor  time.Time // listings started before this Repo's last push are not kept

	running, next *listing    // see sync
	pushing       []*inflight // see await
}

func newRemote(raw string, opts Options) *remote {
	rm := &remote{url: raw, auth: opts.Auth, maxAge: opts.MaxStaleness, silent: max(cmp.Or(opts.ListTimeout, DefaultListTimeout), 0)}
	rm.shown, rm.hide = redact(raw)
	ep, err := transport.NewEndpoint(raw)
	if err != nil && rm.shown != raw {
		err = errors.New("not a URL Git can use") // the parser's reason quotes the URL, password and all
	}
	if err == nil {
		rm.tr, err = client.NewClient(ep)
	}
	if err != nil {
		rm.err = rm.errorf("remote %s: %w", rm.shown, err)
	}
	return rm
}

// errorf is fmt.Errorf for messages naming the remote or quoting its
// transport's errors: net/http's quote the URL with its password masked
// but its user name, which may be a token, as it is, so the message is
// scrubbed of it too. The error still wraps what %w names, whose own
// message is not scrubbed: print the error, not what errors.As finds in it.
func (rm *remote) errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if len(rm.hide) == 0 {
		return err
	}
	return &scrubbed{err, rm.hide}
}

type scrubbed struct {
	err  error
	hide []string
}

func (e *scrubbed) Error() string {
	msg := e.err.Error()
	for _, h := range e.hide {
		msg = strings.ReplaceAll(msg, "//"+h+"@", "//xxxxx@")
	}
	return msg
}

func (e *scrubbed) Unwrap() error { return e.err }

// redact masks the password of a URL's userinfo, and over HTTP(S) a user
// name without a password too, since that is where hosts take an access
// token (https://<token>@github.com/…); an SSH or git user name ("git")
// stays. It also returns such a user name as messages may spell it
// (escaped, then plain), for errorf: net/http masks passwords itself. A
// URL that url.Parse rejects is masked the same way from the start of its
// userinfo (over HTTP(S)) or its first ':' to the last '@', more than a
// password perhaps, but never less.
func redact(raw string) (shown string, user []string) {
	web := strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://")
	if u, err := url.Parse(raw); err == nil {
		if _, ok := u.User.Password(); ok {
			return u.Redacted(), nil
		}
		if web && u.User != nil {
			masked := *u
			masked.User = url.User("xxxxx")
			return masked.String(), []string{u.User.String(), u.User.Username()}
		}
		return raw, nil
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	at := strings.LastIndexByte(raw[start:], '@')
	if at < 0 {
		return raw, nil
	}
	from := strings.IndexByte(raw[start:start+at], ':') + 1
	if web {
		from = 0
	} else if from == 0 {
		return raw, nil
	}
	return raw[:start+from] + "xxxxx" + raw[start+at:], nil
}

// endpoint returns a new endpoint of the remote for one session: go-git's
// HTTP sessions rewrite theirs when redirected, so sessions cannot share one.
func (rm *remote) endpoint() *transport.Endpoint {
	ep, _ := transport.NewEndpoint(rm.url) // parsed once in newRemote
	return ep
}

// refUpdate moves a remote ref from old (zero: absent) to new.
type refUpdate struct {
	name     plumbing.ReferenceName
	old, new plumbing.Hash
}

// remoteHead returns the remote's head of name, making sure the cache holds
// it and its history. A listing younger than Options.MaxStaleness answers
// without a round trip.
func (r *Repo) remoteHead(ctx context.Context, name plumbing.ReferenceName) (plumbing.Hash, error) {
	rm := r.remote
	rm.mu.Lock()
	h, fresh := rm.refs[name], !rm.listed.IsZero() && time.Since(rm.listed) <= rm.maxAge
	rm.mu.Unlock()
	if !fresh || !r.hasLocked(h) {
		refs, err := r.sync(ctx, name)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		h = refs[name]
	}
	if h.IsZero() {
		return h, fmt.Errorf("no branch %s on the remote: %w", name, store.ErrNotFound)
	}
	return h, nil
}

// list lists the remote's refs and fetches the heads of names (of every
// ref if names is nil) that the cache lacks, in one upload-pack session:
// a git daemon accepts only the heads it advertised in that session. Callers
// go through sync, which shares listings.
func (r *Repo) list(ctx context.Context, names []plumbing.ReferenceName, w *watchdog) (map[plumbing.ReferenceName]plumbing.Hash, error) {
	rm := r.remote
	start := time.Now()
	s, err := rm.tr.NewUploadPackSession(rm.endpoint(), rm.auth)
	if err != nil {
		return nil, rm.errorf("fetch from %s: %w", rm.shown, err)
	}
	defer s.Close()
	ar, err := s.AdvertisedReferencesContext(ctx)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		rm.remember(start, nil)
		return nil, nil
	}
	if err != nil {
		return nil, rm.errorf("list the refs of %s: %w", rm.shown, err)
	}
	refs := make(map[plumbing.ReferenceName]plumbing.Hash, len(ar.References))
	for n, h := range ar.References {
		refs[plumbing.ReferenceName(n)] = h
	}
	if len(names) == 0 {
		names = slices.Collect(maps.Keys(refs))
	}

	w.stop()
	r.mu.Lock()
	var wants []plumbing.Hash
	for _, n := range names {
		if h := refs[n]; !h.IsZero() && !r.has(h) && !slices.Contains(wants, h) {
			wants = append(wants, h)
		}
	}
	haves := r.cachedHeads()
	r.mu.Unlock()
	if len(wants) > 0 {
		w.arm()
		pack, err := r.fetch(ctx, s, ar, wants, haves, w)
		w.stop()
		if err != nil {
			return nil, err
		}
		if err := r.store(pack, names, refs); err != nil {
			return nil, err
		}
	}
	rm.remember(start, refs)
	return refs, nil
}

// fetch downloads the objects of wants and their history into memory
// (nil: the remote had nothing to send).
func (r *Repo) fetch(ctx context.Context, s transport.UploadPackSession, ar *packp.AdvRefs, wants, haves []plumbing.Hash, w *watchdog) (*bytes.Buffer, error) {
	req := packp.NewUploadPackRequestFromCapabilities(ar.Capabilities)
	if ar.Capabilities.Supports(capability.NoProgress) {
		req.Capabilities.Set(capability.NoProgress)
	}
	req.Wants, req.Haves = wants, haves
	resp, err := s.UploadPack(ctx, req)
	if errors.Is(err, transport.ErrEmptyUploadPackRequest) {
		return nil, nil
	}
	if err != nil {
		return nil, r.remote.errorf("fetch from %s: %w", r.remote.shown, err)
	}
	defer resp.Close()
	var rd io.Reader = alive{resp, w}
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		rd = sideband.NewDemuxer(sideband.Sideband64k, rd)
	case req.Capabilities.Supports(capability.Sideband):
		rd = sideband.NewDemuxer(sideband.Sideband, rd)
	}
	var pack bytes.Buffer
	if _, err := io.Copy(&pack, rd); err != nil {
		return nil, r.remote.errorf("fetch from %s: %w", r.remote.shown, err)
	}
	return &pack, nil
}

// store stores a fetched pack (nil: none) and mirrors the heads of names.
func (r *Repo) store(pack *bytes.Buffer, names []plumbing.ReferenceName, refs map[plumbing.ReferenceName]plumbing.Hash) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if pack != nil {
		err := error(nil)
		if db := r.db(); db != nil {
			err = db.storeFetched(pack)
		} else {
			err = packfile.UpdateObjectStorage(r.st, pack)
		}
		if err != nil {
			return r.remote.errorf("store the pack fetched from %s: %w", r.remote.shown, err)
		}
	}
	for _, n := range names {
		if h := refs[n]; !h.IsZero() {
			r.mirror(n, h)
		}
	}
	return nil
}

// alive tells w of every byte the remote sends.
type alive struct {
	r io.Reader
	w *watchdog
}

func (a alive) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.w.arm()
	}
	return n, err
}

// cachedHeads lists the commits the cache's refs point to and holds, which
// a fetch offers as haves so that the remote sends only what is new. The
// caller holds r.mu.
func (r *Repo) cachedHeads() []plumbing.Hash {
	var out []plumbing.Hash
	it, err := r.st.IterReferences()
	if err != nil {
		return nil // haves only save bandwidth
	}
	it.ForEach(func(ref *plumbing.Reference) error {
		if h := ref.Hash(); ref.Type() == plumbing.HashReference && r.has(h) && !slices.Contains(out, h) {
			out = append(out, h)
		}
		return nil
	})
	return out
}

// mirror records the remote's head of name in the cache, for the git CLI
// and as a have for later fetches. The remote stays the authority: a failed
// or out-of-order mirror write costs bandwidth, never correctness, so it is
// not an error. The caller holds r.mu.
func (r *Repo) mirror(name plumbing.ReferenceName, h plumbing.Hash) {
	_ = r.st.SetReference(plumbing.NewHashReference(name, h))
}

// remember keeps a listing started at start unless a later one is kept or
// it may predate this Repo's last push.
func (rm *remote) remember(start time.Time, refs map[plumbing.ReferenceName]plumbing.Hash) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if start.After(rm.listed) && start.After(rm.floor) {
		rm.refs, rm.listed = refs, start
	}
}

// learned records the outcome of a push: a landed update is this
// process's own write, which its next read must see; after a refusal the
// listing is dropped so that the next read asks the remote.
func (rm *remote) learned(updates []refUpdate, landed bool) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	rm.floor = time.Now()
	if !landed {
		rm.listed = time.Time{}
		return
	}
	rm.refs = maps.Clone(rm.refs)
	if rm.refs == nil {
		rm.refs = map[plumbing.ReferenceName]plumbing.Hash{}
	}
	for _, u := range updates {
		rm.refs[u.name] = u.new
	}
}

// encodePack encodes the objects of the commits of updates that the remote
// lacks. Which those are is judged by path: a tree or blob is skipped when
// one of the base trees holds the same at the same path. The bases are the
// trees of the updates' old commits and of the remote's environment
// branches (refs/heads/) the cache holds, so a promotion, whose tree grafts
// the lower environment's subtrees, sends only what it mixes anew. Deltas
// are not searched: go-git's search costs more than it saves on the small
// packs a commit makes. The caller holds r.mu.
func (r *Repo) encodePack(updates []refUpdate, advertised map[string]plumbing.Hash) ([]byte, error) {
	var bases []plumbing.Hash
	addBase := func(c plumbing.Hash) {
		if co, err := object.GetCommit(r.st, c); err == nil && !slices.Contains(bases, co.TreeHash) {
			bases = append(bases, co.TreeHash)
		}
	}
	for _, u := range updates {
		addBase(u.old)
	}
	for name, h := range advertised {
		if strings.HasPrefix(name, "refs/heads/") && len(bases) < maxBases {
			addBase(h)
		}
	}
	var objs []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	for _, u := range updates {
		if seen[u.new] || u.new == u.old {
			continue
		}
		seen[u.new] = true
		objs = append(objs, u.new)
		c, err := object.GetCommit(r.st, u.new)
		if err != nil {
			return nil, err
		}
		if err := r.newObjects(c.TreeHash, bases, seen, &objs); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := packfile.NewEncoder(&buf, r.st, false).Encode(objs, 0); err != nil {
		return nil, fmt.Errorf("encode a pack: %w", err)
	}
	return buf.Bytes(), nil
}

// maxBases bounds the base trees a push compares with, which every
// directory it sends is compared with.
const maxBases = 16

// newObjects appends tree h and what it holds, skipping whatever one of
// bases, the trees at the same path in the base commits, holds the same:
// an unchanged subtree is not visited, so a push costs what changed.
func (r *Repo) newObjects(h plumbing.Hash, bases []plumbing.Hash, seen map[plumbing.Hash]bool, out *[]plumbing.Hash) error {
	if seen[h] || slices.Contains(bases, h) {
		return nil
	}
	seen[h] = true
	*out = append(*out, h)
	t, err := object.GetTree(r.st, h)
	if err != nil {
		return err
	}
	old := make([]map[string]object.TreeEntry, 0, len(bases))
	for _, b := range bases {
		if bt, err := object.GetTree(r.st, b); err == nil {
			m := make(map[string]object.TreeEntry, len(bt.Entries))
			for _, e := range bt.Entries {
				m[e.Name] = e
			}
			old = append(old, m)
		}
	}
	for _, e := range t.Entries {
		var sub []plumbing.Hash
		known := false
		for _, m := range old {
			b, ok := m[e.Name]
			known = known || ok && b.Hash == e.Hash
			if ok && b.Mode == filemode.Dir {
				sub = append(sub, b.Hash)
			}
		}
		switch {
		case known || seen[e.Hash]:
		case e.Mode == filemode.Dir:
			if err := r.newObjects(e.Hash, sub, seen, out); err != nil {
				return err
			}
		default:
			seen[e.Hash] = true
			*out = append(*out, e.Hash)
		}
	}
	return nil
}

// push sends the updates' objects and applies them on the remote, all or none: with
// more than one, as one atomic push. Git's receive-pack applies each update
// under the ref's lock only if the ref still holds old, so this is a
// compare-and-set on the server. A refusal (the advertisement or the
// server's report says a ref moved) is store.ErrConflict, even when the
// ref now holds new: another writer made the same commit, and of racing
// writers exactly one succeeds. After any other error (a lost reply, say)
// the remote's heads decide: all at new means the push landed, a ref at
// neither old nor new means another writer won.
func (r *Repo) push(ctx context.Context, updates ...refUpdate) error {
	if r.remote.err != nil {
		return r.remote.err
	}
	done, err := r.remote.await(ctx, updates)
	if err != nil {
		return err
	}
	err = r.send(ctx, updates)
	defer func() { done(err == nil) }()
	if err != nil {
		names := make([]plumbing.ReferenceName, len(updates))
		for i, u := range updates {
			names[i] = u.name
		}
		refs, lerr := r.sync(ctx, names...)
		if lerr != nil {
			return r.remote.errorf("push to %s: %w (and listing its refs: %v)", r.remote.shown, err, lerr)
		}
		refused := errors.Is(err, errRefused)
		landed, moved := !refused, false
		for _, u := range updates {
			cur := refs[u.name]
			landed = landed && cur == u.new
			if cur != u.old && (cur != u.new || refused) {
				moved = true
				err = r.remote.errorf("%w: remote %s is at %s: %v", store.ErrConflict, u.name, revision(cur), err)
			}
		}
		switch {
		case landed:
			err = nil
		case !moved:
			err = r.remote.errorf("push to %s: %w", r.remote.shown, err)
		}
	}
	r.remote.learned(updates, err == nil)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range updates {
		r.mirror(u.name, u.new)
	}
	return nil
}

// send runs one receive-pack exchange. A ref already moved on the
// advertisement fails before the pack is encoded, which happens between
// the advertisement and the upload, under r.mu but not over the network.
func (r *Repo) send(ctx context.Context, updates []refUpdate) error {
	rm := r.remote
	s, err := rm.tr.NewReceivePackSession(rm.endpoint(), rm.auth)
	if err != nil {
		return err
	}
	defer s.Close()
	ar, err := s.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	if len(updates) > 1 {
		if !ar.Capabilities.Supports(capability.Atomic) {
			return rm.errorf("%s cannot update several refs atomically (no atomic push)", rm.shown)
		}
		req.Capabilities.Set(capability.Atomic)
	}
	for _, u := range updates {
		if cur := ar.References[u.name.String()]; cur != u.old {
			return fmt.Errorf("%w: %s is at %s, not %s", errRefused, u.name, revision(cur), revision(u.old))
		}
		req.Commands = append(req.Commands, &packp.Command{Name: u.name, Old: u.old, New: u.new})
	}
	r.mu.Lock()
	r.maint.writers.RLock() // the objects are not referenced yet: see Maintain
	pack, err := r.encodePack(updates, ar.References)
	r.maint.writers.RUnlock()
	r.mu.Unlock()
	if err != nil {
		return err
	}
	req.Packfile = io.NopCloser(bytes.NewReader(pack))
	rs, err := s.ReceivePack(ctx, req)
	if rs != nil && rs.Error() != nil { // go-git may return it as err too
		return fmt.Errorf("%w: %w", errRefused, rs.Error())
	}
	return err
}

// errRefused: the remote said it did not apply a push.
var errRefused = errors.New("the remote refused the update")

// hasLocked reports whether the cache holds object h.
func (r *Repo) hasLocked(h plumbing.Hash) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.has(h)
}
