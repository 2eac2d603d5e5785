package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/promotion"
)

// Defaults for the zero values of Config's limits.
const (
	DefaultMaxBodyBytes  = 1 << 20
	DefaultMaxBackground = 16
)

// Config says what a Server serves. Authenticator is required; every other
// field may be left zero, which leaves out what it would serve or picks
// the documented default.
type Config struct {
	// Authenticator checks the bearer token of every request.
	Authenticator Authenticator
	// Registry serves /v1/environments; nil leaves it out.
	Registry *environment.Registry
	// ESV serves /{env}/environment/{variables,secrets,startup,count} for
	// every environment in Environments; nil leaves them out.
	ESV *esv.Service
	// Promoters serve /{env}/environment/promotion/… on the upper
	// environments of their groups (every member but the first). An
	// environment may be the upper environment of one group only.
	Promoters []*promotion.Promoter
	// Environments maps the first path segment of the AIC endpoints to the
	// environment served there, named as the ESV service, the Promoters and
	// the Locker name it (the environment id): {"staging": "5f0c…"} serves
	// /staging/environment/…. Members of the Promoters' groups without a
	// segment here are served under their id.
	Environments map[string]string
	// Refresh, when set, returns the current Environments and Promoters,
	// which it replaces: the Server calls it at every request, so
	// environments and groups created, renamed or deleted after New are
	// served at once, by path and by host. New calls it once and fails
	// on its error; later, a failed call is logged and the last good
	// answer serves. It must be safe for concurrent use and cheap:
	// `envpromote serve` reads environment.Registry.Revision and lists
	// again only when it moved (envpromote.Tenant caches its Promoters).
	Refresh func(ctx context.Context) (environments map[string]string, promoters []*promotion.Promoter, err error)
	// Hosts maps the host name a request was sent to (without its port)
	// to a path segment of Environments, whose AIC endpoints it then
	// serves at the root of that host, as AIC serves one tenant
	// environment per host: with SubdomainHosts("localhost"),
	// http://staging.localhost:8080/environment/variables is
	// /staging/environment/variables. The path prefixes stay served
	// either way; nil serves them alone.
	Hosts HostResolver
	// MaxBodyBytes bounds a request body (413 beyond); 0 means
	// DefaultMaxBodyBytes, which fits the largest ESV value in base64.
	MaxBodyBytes int64
	// MaxBackground bounds the long operations (unlock, promote, rollback)
	// running at once; more are refused with 503. 0 means
	// DefaultMaxBackground.
	MaxBackground int
	// Logger records failed requests and background operations; nil
	// discards.
	Logger *slog.Logger
}

// Server is the HTTP API. It is an http.Handler, safe for concurrent use;
// Shutdown or Close ends the background operations it started.
type Server struct {
	auth     Authenticator
	registry *environment.Registry
	esv      *esv.Service
	hosts    HostResolver
	refresh  func(context.Context) (map[string]string, []*promotion.Promoter, error)
	routes   atomic.Pointer[routing] // the latest built
	maxBody  int64
	log      *slog.Logger
	ops      *operations
	mux      *http.ServeMux
	console  consoleSessions
}

var _ http.Handler = (*Server)(nil)

// envName is what a path segment naming an environment may hold.
var envName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// New returns a Server for cfg. It fails when cfg has no Authenticator or
// an environment name cannot be a path segment.
func New(cfg Config) (*Server, error) {
	if cfg.Authenticator == nil {
		return nil, errors.New("httpapi: Config.Authenticator is required")
	}
	s := &Server{
		auth:     cfg.Authenticator,
		registry: cfg.Registry,
		esv:      cfg.ESV,
		hosts:    cfg.Hosts,
		refresh:  cfg.Refresh,
		maxBody:  cfg.MaxBodyBytes,
		log:      cfg.Logger,
		ops:      newOperations(positiveOr(cfg.MaxBackground, DefaultMaxBackground)),
		mux:      http.NewServeMux(),
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	envs, promoters := cfg.Environments, cfg.Promoters
	if s.refresh != nil {
		var err error
		if envs, promoters, err = s.refresh(context.Background()); err != nil {
			return nil, fmt.Errorf("httpapi: Config.Refresh: %w", err)
		}
	}
	rt, err := newRouting(envs, promoters)
	if err != nil {
		return nil, err
	}
	s.routes.Store(rt)
	s.mount(len(rt.promoters) > 0 || s.refresh != nil)
	return s, nil
}

// routing is what serves which environment, built from Config's
// Environments and Promoters (or Refresh's answer); it never changes once
// built.
type routing struct {
	envs      map[string]string              // path segment → environment
	promoters map[string]*promotion.Promoter // upper environment → its Promoter
	orgs      map[string]string              // group member → its organization
	lowers    map[string]string              // upper environment → its lower
}

// newRouting checks that every environment can be a path segment.
func newRouting(envs map[string]string, promoters []*promotion.Promoter) (*routing, error) {
	rt := &routing{envs: map[string]string{}, promoters: map[string]*promotion.Promoter{}, orgs: map[string]string{}, lowers: map[string]string{}}
	for seg, env := range envs {
		if !envName.MatchString(seg) || seg == "v1" {
			return nil, fmt.Errorf("httpapi: %q cannot be a path segment: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, and not \"v1\"", seg)
		}
		if env == "" {
			return nil, fmt.Errorf("httpapi: path segment %q names no environment", seg)
		}
		rt.envs[seg] = env
	}
	mounted := map[string]bool{}
	for _, env := range rt.envs {
		mounted[env] = true
	}
	for _, p := range promoters {
		g := p.Group()
		for i, m := range g.Members {
			rt.orgs[m.ID] = g.Organization.ID
			if !mounted[m.ID] {
				if !envName.MatchString(m.ID) || m.ID == "v1" {
					return nil, fmt.Errorf("httpapi: environment id %q cannot be a path segment; give it one in Config.Environments", m.ID)
				}
				rt.envs[m.ID], mounted[m.ID] = m.ID, true
			}
			if i == 0 {
				continue
			}
			if _, dup := rt.promoters[m.ID]; dup {
				return nil, fmt.Errorf("httpapi: environment %s is the upper environment of two Promoters' groups", m.ID)
			}
			rt.promoters[m.ID], rt.lowers[m.ID] = p, g.Members[i-1].ID
		}
	}
	return rt, nil
}

type routingKey struct{}

// routing returns the routing of the request ctx belongs to.
func (s *Server) routing(ctx context.Context) *routing {
	if rt, ok := ctx.Value(routingKey{}).(*routing); ok {
		return rt
	}
	return s.routes.Load()
}

// refreshed returns ctx carrying the routing the request is served by:
// Refresh's current answer, or the latest good one.
func (s *Server) refreshed(ctx context.Context) context.Context {
	if s.refresh == nil {
		return ctx
	}
	envs, promoters, err := s.refresh(ctx)
	var rt *routing
	if err == nil {
		rt, err = newRouting(envs, promoters)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "refreshing the environments served failed; serving the last ones", "transactionId", txID(ctx), "err", err)
		return ctx
	}
	s.routes.Store(rt)
	return context.WithValue(ctx, routingKey{}, rt)
}

// positiveOr returns v, or def when v is not positive.
func positiveOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Shutdown stops accepting long operations and waits for the running ones
// to finish. When ctx ends first, it cancels them and waits for them to
// fail cleanly: every operation commits atomically or not at all, so none
// leaves partial state. It returns ctx's error in that case.
func (s *Server) Shutdown(ctx context.Context) error { return s.ops.shutdown(ctx) }

// Close cancels the running long operations and waits for them to end.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.ops.shutdown(ctx)
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := transactionID(r)
	w.Header().Set("X-ForgeRock-TransactionId", id)
	s.mux.ServeHTTP(w, r.WithContext(s.refreshed(context.WithValue(r.Context(), txKey{}, id))))
}

type txKey struct{}

// txIDPattern is what a client-chosen transaction id may be; others are
// replaced, so a header cannot smuggle anything into logs or responses.
var txIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:/-]{1,128}$`)

// transactionID returns the client's X-ForgeRock-TransactionId (or the
// spec's ForgeRock-Transaction-ID) when well formed, else a fresh one.
func transactionID(r *http.Request) string {
	for _, h := range []string{"X-ForgeRock-TransactionId", "ForgeRock-Transaction-ID"} {
		if id := r.Header.Get(h); txIDPattern.MatchString(id) {
			return id
		}
	}
	return rand.Text()
}

func txID(ctx context.Context) string {
	id, _ := ctx.Value(txKey{}).(string)
	return id
}

// authenticate returns the caller of r.
func (s *Server) authenticate(r *http.Request) (Principal, error) {
	hs := r.Header.Values("Authorization")
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	switch {
	case len(hs) > 1:
		return Principal{}, badRequest("the request has %d Authorization headers; send exactly one", len(hs))
	case h == "":
		return Principal{}, unauthorized("")
	case !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > 4096:
		return Principal{}, unauthorized("the Authorization header must be \"Bearer <token>\"")
	}
	p, err := s.auth.Authenticate(r.Context(), token)
	switch {
	case errors.Is(err, ErrInvalidToken):
		return Principal{}, unauthorized("the token is not valid")
	case err != nil:
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	return p, nil
}

// statusClientClosedRequest is nginx's 499: the client went away before
// the answer; no standard status says so.
const statusClientClosedRequest = 499

// dialect renders errors for one endpoint family.
type dialect func(w http.ResponseWriter, r *http.Request, e *apiError)

// fail answers r with err in dialect d. Errors that are not *apiError are
// unexpected: they are logged with the transaction id and answered with a
// 500 that names only that id.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, d dialect, err error) {
	e := answer(err)
	if e == nil && r.Context().Err() != nil {
		// The client cancelled or half-closed its connection (net/http then
		// ends the request's context), which is what made the call fail:
		// not a server error. Nobody may read the answer; it says so.
		s.log.DebugContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path, "transactionId", txID(r.Context()), "err", err)
		e = &apiError{status: statusClientClosedRequest, code: "REQUEST_FAILED", message: "the client closed the request"}
	}
	if e == nil {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "transactionId", txID(r.Context()), "err", err)
		e = &apiError{status: http.StatusInternalServerError, code: "UNEXPECTED_ERROR", message: "unexpected error; transaction " + txID(r.Context())}
	}
	if e.challenge != "" {
		w.Header().Set("WWW-Authenticate", e.challenge)
	}
	d(w, r, e)
}

func aicDialect(w http.ResponseWriter, _ *http.Request, e *apiError) {
	writeJSON(w, e.status, aicError{Code: e.status, Message: e.message})
}

func p1Dialect(w http.ResponseWriter, r *http.Request, e *apiError) {
	body := p1Error{ID: txID(r.Context()), Code: e.code, Message: e.message}
	if e.detailCode != "" {
		body.Details = []p1Detail{{Code: e.detailCode, Target: e.target, Message: e.message}}
	}
	writeJSON(w, e.status, body)
}

// notRouted answers requests no route takes: 405 with an Allow header when
// other methods are routed for the path, else 404, in the dialect of the
// path's endpoint family.
func (s *Server) notRouted(w http.ResponseWriter, r *http.Request) {
	d := aicDialect
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		d = p1Dialect
	}
	var allow []string
	for _, m := range []string{"DELETE", "GET", "PATCH", "POST", "PUT"} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host}
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		d(w, r, notFound("no endpoint at %s", r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	d(w, r, &apiError{status: http.StatusMethodNotAllowed, code: "INVALID_REQUEST", message: fmt.Sprintf("method %s is not allowed here (allowed: %s)", r.Method, strings.Join(allow, ", "))})
}

// mount mounts the endpoints of every part cfg supplied.
func (s *Server) mount(promotions bool) {
	if s.registry != nil {
		s.environmentRoutes()
	}
	if s.esv != nil {
		s.esvRoutes()
	}
	if promotions {
		s.promotionRoutes()
	}
	if promotions || s.esv != nil {
		s.consoleRoutes()
	}
	s.mux.HandleFunc("/", s.notRouted)
}
