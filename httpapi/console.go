package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aymanbagabas/go-udiff"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

// The console: server-rendered pages under /console/ for people who run
// promotions from a browser. Every page works without JavaScript; the one
// script only makes a running promotion's progress live.
//
// Sign-in takes a bearer token, checked by the server's Authenticator. The
// session lives in this process (an HttpOnly, SameSite=Strict cookie names
// it) and keeps the token, so every page re-authenticates it and a revoked
// token ends the session at once. Sessions are not shared between server
// instances: behind a load balancer, pin a browser to one instance or sign
// in again. Every state-changing form carries the session's CSRF token, and
// a POST whose Origin is another site is refused.
//
// What a person may see and do is exactly what the API allows the same
// principal (see authorizeConsole).

//go:embed console
var consoleFiles embed.FS

// Console limits and names.
const (
	consoleCookie     = "envpromote_console"
	consoleSessionTTL = 8 * time.Hour
	consoleMaxSession = 10_000
	// consoleMaxDiff bounds the bytes of one file diff shown on a page.
	consoleMaxDiff = 256 << 10
)

var consolePages = parseConsolePages()

// parseConsolePages parses each page template together with the layout.
func parseConsolePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"short": func(r store.Revision) string {
			if len(r) > 10 {
				return string(r[:10])
			}
			return string(r)
		},
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
		"lower": strings.ToLower,
	}
	pages := map[string]*template.Template{}
	names, err := fs.Glob(consoleFiles, "console/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		if n == "console/layout.html" {
			continue
		}
		pages[strings.TrimSuffix(strings.TrimPrefix(n, "console/"), ".html")] =
			template.Must(template.New("layout.html").Funcs(funcs).ParseFS(consoleFiles, "console/layout.html", n))
	}
	return pages
}

// consoleSession is one signed-in browser.
type consoleSession struct {
	token   string
	csrf    string
	expires time.Time
}

// consoleSessions holds the signed-in browsers of this process.
type consoleSessions struct {
	mu sync.Mutex
	m  map[string]consoleSession
}

func (cs *consoleSessions) add(token string, now time.Time) (id string, s consoleSession) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = map[string]consoleSession{}
	}
	if len(cs.m) >= consoleMaxSession {
		for k, v := range cs.m {
			if now.After(v.expires) {
				delete(cs.m, k)
			}
		}
	}
	if len(cs.m) >= consoleMaxSession {
		// Evict any one: the cost is a sign-in, never a refusal.
		for k := range cs.m {
			delete(cs.m, k)
			break
		}
	}
	id, s = rand.Text(), consoleSession{token: token, csrf: rand.Text(), expires: now.Add(consoleSessionTTL)}
	cs.m[id] = s
	return id, s
}

func (cs *consoleSessions) get(id string, now time.Time) (consoleSession, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	s, ok := cs.m[id]
	if ok && now.After(s.expires) {
		delete(cs.m, id)
		return consoleSession{}, false
	}
	return s, ok
}

func (cs *consoleSessions) remove(id string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.m, id)
}

// consoleCall is a signed-in console request.
type consoleCall struct {
	principal Principal
	session   consoleSession
}

// consoleError is a page-level failure shown to the person.
type consoleError struct {
	status int
	msg    string
}

func (e *consoleError) Error() string { return e.msg }

func consoleForbidden(format string, a ...any) error {
	return &consoleError{status: http.StatusForbidden, msg: fmt.Sprintf(format, a...)}
}

type consoleHandler func(w http.ResponseWriter, r *http.Request, c consoleCall) error

// consoleRoutes mounts the console.
func (s *Server) consoleRoutes() {
	static, _ := fs.Sub(consoleFiles, "console/static")
	s.mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /console/{$}", s.consolePage(s.consoleHome, true))
	s.mux.HandleFunc("POST /console/signin", s.consoleSignIn)
	s.mux.HandleFunc("POST /console/signout", s.consolePost(s.consoleSignOut))
	s.mux.HandleFunc("GET /console/groups/{group}", s.consolePage(s.consoleGroup, false))
	s.mux.HandleFunc("GET /console/envs/{env}/promote", s.consolePage(s.consolePair, false))
	s.mux.HandleFunc("GET /console/envs/{env}/progress", s.consolePage(s.consoleProgressJSON, false))
	s.mux.HandleFunc("POST /console/envs/{env}/lock", s.consolePost(s.consoleLock))
	s.mux.HandleFunc("POST /console/envs/{env}/unlock", s.consolePost(s.consoleUnlock))
	s.mux.HandleFunc("POST /console/envs/{env}/promote", s.consolePost(s.consolePromote))
	s.mux.HandleFunc("GET /console/envs/{env}/rollback", s.consolePage(s.consoleRollbackPage, false))
	s.mux.HandleFunc("POST /console/envs/{env}/rollback", s.consolePost(s.consoleRollback))
	s.mux.HandleFunc("GET /console/envs/{env}/reports", s.consolePage(s.consoleReports, false))
	s.mux.HandleFunc("GET /console/envs/{env}/reports/{id}", s.consolePage(s.consoleReport, false))
	s.mux.HandleFunc("GET /console/envs/{env}/esv", s.consolePage(s.consoleESV, false))
	s.mux.HandleFunc("POST /console/envs/{env}/esv/variables", s.consolePost(s.consoleSetVariable))
	s.mux.HandleFunc("POST /console/envs/{env}/esv/restart", s.consolePost(s.consoleRestart))
}

// consoleSignedIn returns the session of r and its principal.
func (s *Server) consoleSignedIn(r *http.Request) (consoleCall, bool, error) {
	ck, err := r.Cookie(consoleCookie)
	if err != nil {
		return consoleCall{}, false, nil
	}
	sess, ok := s.console.get(ck.Value, time.Now())
	if !ok {
		return consoleCall{}, false, nil
	}
	p, err := s.auth.Authenticate(r.Context(), sess.token)
	if errors.Is(err, ErrInvalidToken) {
		s.console.remove(ck.Value)
		return consoleCall{}, false, nil
	}
	if err != nil {
		return consoleCall{}, false, err
	}
	return consoleCall{principal: p, session: sess}, true, nil
}

// consolePage serves a GET page; signed-out browsers get the sign-in page
// (public pages) or a redirect to it.
func (s *Server) consolePage(h consoleHandler, public bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		setConsoleHeaders(w)
		c, ok, err := s.consoleSignedIn(r)
		switch {
		case err != nil:
			s.consoleFail(w, r, c, err)
			return
		case !ok && public:
			s.render(w, r, http.StatusOK, "signin", consoleCall{}, map[string]any{"Title": "Sign in"})
			return
		case !ok:
			http.Redirect(w, r, "/console/", http.StatusSeeOther)
			return
		}
		if err := h(w, r, c); err != nil {
			s.consoleFail(w, r, c, err)
		}
	}
}

// consolePost serves a form: signed in, same origin, with the session's
// CSRF token.
func (s *Server) consolePost(h consoleHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		setConsoleHeaders(w)
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		c, ok, err := s.consoleSignedIn(r)
		switch {
		case err != nil:
			s.consoleFail(w, r, c, err)
			return
		case !ok:
			s.consoleFail(w, r, c, &consoleError{status: http.StatusUnauthorized, msg: "Your session has ended. Sign in again."})
			return
		case !sameOrigin(r):
			s.consoleFail(w, r, c, consoleForbidden("This form was sent from another site, so it was refused."))
			return
		}
		got := r.PostFormValue("csrf")
		if subtle.ConstantTimeCompare([]byte(got), []byte(c.session.csrf)) != 1 {
			s.consoleFail(w, r, c, consoleForbidden("This form has no valid security token (it may be stale, or sent by another site). Reload the page and try again."))
			return
		}
		if err := h(w, r, c); err != nil {
			s.consoleFail(w, r, c, err)
		}
	}
}

// sameOrigin reports whether a browser says r comes from this host (or
// says nothing, as older browsers do; the CSRF token still applies).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

func setConsoleHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

func (s *Server) consoleSignIn(w http.ResponseWriter, r *http.Request) {
	setConsoleHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	if !sameOrigin(r) {
		s.consoleFail(w, r, consoleCall{}, consoleForbidden("This form was sent from another site, so it was refused."))
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" || len(token) > 4096 {
		s.render(w, r, http.StatusUnauthorized, "signin", consoleCall{}, map[string]any{"Title": "Sign in", "Error": "Enter an access token (at most 4,096 characters)."})
		return
	}
	if _, err := s.auth.Authenticate(r.Context(), token); err != nil {
		if !errors.Is(err, ErrInvalidToken) {
			s.consoleFail(w, r, consoleCall{}, err)
			return
		}
		s.render(w, r, http.StatusUnauthorized, "signin", consoleCall{}, map[string]any{"Title": "Sign in", "Error": "That token was not accepted."})
		return
	}
	id, _ := s.console.add(token, time.Now())
	http.SetCookie(w, &http.Cookie{
		Name: consoleCookie, Value: id, Path: "/console/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: int(consoleSessionTTL / time.Second),
	})
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (s *Server) consoleSignOut(w http.ResponseWriter, r *http.Request, _ consoleCall) error {
	if ck, err := r.Cookie(consoleCookie); err == nil {
		s.console.remove(ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: "", Path: "/console/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
	return nil
}

// consoleFail shows err as a page. Unexpected errors are logged and shown
// by transaction id only.
func (s *Server) consoleFail(w http.ResponseWriter, r *http.Request, c consoleCall, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong; transaction "+txID(r.Context())
	var ce *consoleError
	var ae *apiError
	switch {
	case errors.As(err, &ce):
		status, msg = ce.status, ce.msg
	case errors.As(err, &ae):
		status, msg = ae.status, ae.message
	default:
		if ae = answer(err); ae != nil {
			status, msg = ae.status, ae.message
		} else if r.Context().Err() != nil {
			return // the browser went away
		} else {
			s.log.ErrorContext(r.Context(), "console request failed", "method", r.Method, "path", r.URL.Path, "transactionId", txID(r.Context()), "err", err)
		}
	}
	s.render(w, r, status, "error", c, map[string]any{"Title": http.StatusText(status), "Status": status, "Message": msg})
}

// render writes page with data, adding what the layout needs.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, c consoleCall, data map[string]any) {
	data["SignedIn"] = c.session.csrf != ""
	data["CSRF"] = c.session.csrf
	data["Who"] = c.principal.ID
	var b strings.Builder
	if err := consolePages[page].Execute(&b, data); err != nil {
		s.log.ErrorContext(r.Context(), "console template failed", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// authorizeConsole checks that c may do op on envs: the API's rule, the
// scope of the matching endpoint and the authorization table's grant on
// every environment touched.
func (s *Server) authorizeConsole(ctx context.Context, c consoleCall, scope string, op operation, envs ...string) error {
	if !c.principal.HasScope(scope) {
		return consoleForbidden("You need the %s scope for this.", scope)
	}
	for _, env := range envs {
		org, err := s.organization(ctx, env)
		if err != nil {
			return err
		}
		if authorize(c.principal.Principal, op, target{org: org, id: env}) != nil {
			return consoleForbidden("Your roles do not allow %s on environment %s, which this touches.", op, s.segment(ctx, env))
		}
	}
	return nil
}

// envView is an environment as pages show it.
type envView struct {
	ID, Segment, Name, Type, Tier string
	Head                          store.Commit
	Restart                       esv.RestartStatus
	Upper                         bool // it has a promotion page
}

// segment returns the path segment env is served at.
func (s *Server) segment(ctx context.Context, env string) string {
	for seg, id := range s.routing(ctx).envs {
		if id == env && seg != env {
			return seg
		}
	}
	return env
}

// envLabel names env for c: its name when c may read it, else where it is
// served.
func (s *Server) envLabel(ctx context.Context, c consoleCall, env string) string {
	if s.registry != nil {
		if e, err := s.registry.Get(ctx, c.principal.Principal, env); err == nil {
			return e.Name
		}
	}
	return s.segment(ctx, env)
}

// consoleEnv resolves the {env} segment of r.
func (s *Server) consoleEnv(r *http.Request) (string, error) {
	env, ok := s.routing(r.Context()).envs[r.PathValue("env")]
	if !ok {
		return "", &consoleError{status: http.StatusNotFound, msg: fmt.Sprintf("No environment is served at %q.", r.PathValue("env"))}
	}
	return env, nil
}

// consoleUpper resolves {env} as the upper environment of a group.
func (s *Server) consoleUpper(r *http.Request) (string, *promotion.Promoter, error) {
	env, err := s.consoleEnv(r)
	if err != nil {
		return "", nil, err
	}
	p, ok := s.routing(r.Context()).promoters[env]
	if !ok {
		return "", nil, &consoleError{status: http.StatusNotFound, msg: "This environment is the first of its group: nothing is promoted into it."}
	}
	return env, p, nil
}

// view describes env for principal p.
func (s *Server) view(ctx context.Context, p Principal, pr *promotion.Promoter, m environment.Member) envView {
	v := envView{ID: m.ID, Segment: s.segment(ctx, m.ID), Name: s.segment(ctx, m.ID), Tier: string(m.Tier)}
	_, v.Upper = s.routing(ctx).promoters[m.ID]
	if s.registry != nil {
		if e, err := s.registry.Get(ctx, p.Principal, m.ID); err == nil {
			v.Name, v.Type = e.Name, string(e.Type)
		}
	}
	if pr != nil {
		v.Head, _ = pr.Head(ctx, m.ID)
	}
	if s.esv != nil {
		v.Restart, _ = s.esv.RestartStatus(ctx, m.ID)
	}
	return v
}

// groupsOf lists the Promoters' groups, one per name.
func (s *Server) groupsOf(ctx context.Context) []*promotion.Promoter {
	var out []*promotion.Promoter
	for _, p := range s.routing(ctx).promoters {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *promotion.Promoter) int { return strings.Compare(a.Group().Name, b.Group().Name) })
	return out
}

func (s *Server) consoleHome(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	type groupView struct {
		Name  string
		Chain []envView
	}
	var groups []groupView
	for _, p := range s.groupsOf(r.Context()) {
		g := groupView{Name: p.Group().Name}
		for _, m := range p.Group().Members {
			g.Chain = append(g.Chain, envView{Name: s.envLabel(r.Context(), c, m.ID), Segment: s.segment(r.Context(), m.ID)})
		}
		groups = append(groups, g)
	}
	s.render(w, r, http.StatusOK, "home", c, map[string]any{"Title": "Promotion groups", "Groups": groups})
	return nil
}

// pairLock is the lock of a pair as pages show it.
type pairLock struct {
	Lower, Upper envView
	State        lock.State
	PromotionID  string
	Description  string // for a half-held pair, what is held and the way out
	Holder       string
}

func (s *Server) pairLock(ctx context.Context, p *promotion.Promoter, lower, upper envView) pairLock {
	pl := pairLock{Lower: lower, Upper: upper}
	st, err := p.LockState(ctx, lower.ID, upper.ID)
	if err != nil {
		pl.State = lock.StateError
		return pl
	}
	pl.State, pl.PromotionID, pl.Description = st.Result, st.PromotionID, st.Description
	if st.Result == lock.StateLocked {
		pl.Holder = st.Lease.Owner
	}
	return pl
}

func (s *Server) consoleGroup(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	var p *promotion.Promoter
	for _, g := range s.groupsOf(r.Context()) {
		if g.Group().Name == r.PathValue("group") {
			p = g
		}
	}
	if p == nil {
		return &consoleError{status: http.StatusNotFound, msg: fmt.Sprintf("No promotion group is named %q.", r.PathValue("group"))}
	}
	var chain []envView
	var pairs []pairLock
	for i, m := range p.Group().Members {
		chain = append(chain, s.view(r.Context(), c.principal, p, m))
		if i > 0 {
			pairs = append(pairs, s.pairLock(r.Context(), p, chain[i-1], chain[i]))
		}
	}
	s.render(w, r, http.StatusOK, "group", c, map[string]any{"Title": "Group " + p.Group().Name, "Group": p.Group().Name, "Chain": chain, "Pairs": pairs})
	return nil
}

// reportEntry is one entry of a report with its files' diffs.
type reportEntry struct {
	Op    string
	Name  string
	Realm string
	Diffs []fileDiff
}

type fileDiff struct {
	Path  string
	Lines []diffLine
}

// diffLine is one line of a unified diff; Class says how to show it.
type diffLine struct {
	Class, Text string
}

type reportItem struct {
	Product, ConfigItem string
	Entries             []reportEntry
}

// reportItems flattens changes, grouped by product and config item, and
// attaches to each entry the diffs of its files.
func reportItems(ch promotion.Changes, files []promotion.FileChange) []reportItem {
	type key struct{ prod, item, realm, name string }
	diffs := map[key][]fileDiff{}
	for _, f := range files {
		prod := string(f.Item.Product)
		if f.Item.Product != promotion.AM {
			prod = "IDMConfig"
		}
		k := key{prod, f.Item.ConfigItem, f.Item.Realm, f.Item.Name}
		diffs[k] = append(diffs[k], fileDiff{Path: f.Path, Lines: unifiedDiff(f)})
	}
	var out []reportItem
	add := func(prod string, list []promotion.ItemChanges) {
		for _, ic := range list {
			it := reportItem{Product: prod, ConfigItem: ic.ConfigItem}
			for _, e := range []struct {
				op      string
				entries []promotion.Entry
			}{{"added", ic.ConfigChange.Added}, {"modified", ic.ConfigChange.Modified}, {"deleted", ic.ConfigChange.Deleted}} {
				for _, en := range e.entries {
					it.Entries = append(it.Entries, reportEntry{Op: e.op, Name: en.Name, Realm: en.Realm,
						Diffs: diffs[key{prod, ic.ConfigItem, en.Realm, en.Name}]})
				}
			}
			out = append(out, it)
		}
	}
	add(string(promotion.AM), ch.AMConfig)
	add("IDMConfig", ch.IDMConfig)
	return out
}

// unifiedDiff renders f as the lines of a unified diff, bounded in size.
func unifiedDiff(f promotion.FileChange) []diffLine {
	if len(f.Before)+len(f.After) > 4*consoleMaxDiff {
		return []diffLine{{Text: fmt.Sprintf("(%d → %d bytes: too large to show here)", len(f.Before), len(f.After))}}
	}
	d := udiff.Unified("a/"+f.Path, "b/"+f.Path, string(f.Before), string(f.After))
	var out []diffLine
	for n := 0; d != "" && n < consoleMaxDiff; {
		line, rest, _ := strings.Cut(d, "\n")
		d, n = rest, n+len(line)+1
		class := ""
		switch {
		case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
			class = "file"
		case strings.HasPrefix(line, "@@"):
			class = "hunk"
		case strings.HasPrefix(line, "+"):
			class = "add"
		case strings.HasPrefix(line, "-"):
			class = "del"
		}
		out = append(out, diffLine{Class: class, Text: line})
	}
	if d != "" {
		out = append(out, diffLine{Text: "… (cut: the diff is too long to show here)"})
	}
	return out
}

// progressView is the latest outcome of a pair as pages show it.
type progressView struct {
	promotion.Progress
	Running bool
}

func (s *Server) progressOf(ctx context.Context, p *promotion.Promoter, upper string) (progressView, error) {
	pr, err := s.latestProgress(ctx, p, upper)
	return progressView{Progress: pr, Running: pr.Status == promotion.StatusRunning}, err
}

func (s *Server) consolePair(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	lower, upper, p, err := s.pairAction(r, c, opPromotionRead)
	if err != nil {
		return err
	}
	g := p.Group()
	lv := s.view(r.Context(), c.principal, p, g.Members[slices.IndexFunc(g.Members, func(m environment.Member) bool { return m.ID == lower })])
	uv := s.view(r.Context(), c.principal, p, g.Members[slices.IndexFunc(g.Members, func(m environment.Member) bool { return m.ID == upper })])
	data := map[string]any{"Title": lv.Name + " → " + uv.Name, "Group": g.Name, "Lower": lv, "Upper": uv, "Lock": s.pairLock(r.Context(), p, lv, uv)}
	rep, err := p.ProvisionalReport(r.Context(), lower, upper)
	switch {
	case errors.Is(err, promotion.ErrNoHistory):
		data["NoReport"] = err.Error()
	case err != nil:
		return err
	default:
		files, err := p.ProvisionalFiles(r.Context(), promotion.TypePromotion, lower, upper)
		if err != nil {
			return err
		}
		data["Items"], data["Changes"] = reportItems(rep.Changes, files), rep.Changes.Len()
	}
	pv, err := s.progressOf(r.Context(), p, upper)
	if err != nil {
		return err
	}
	data["Progress"] = pv
	s.render(w, r, http.StatusOK, "pair", c, data)
	return nil
}

// consoleProgressJSON serves the live progress the pair page polls.
func (s *Server) consoleProgressJSON(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	_, upper, p, err := s.pairAction(r, c, opPromotionRead)
	if err != nil {
		return err
	}
	pv, err := s.progressOf(r.Context(), p, upper)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": pv.Status, "message": pv.Message, "running": pv.Running})
	return nil
}

// lowerOf returns the member below upper in p's group.
func lowerOf(p *promotion.Promoter, upper string) (string, error) {
	m := p.Group().Members
	i := slices.IndexFunc(m, func(m environment.Member) bool { return m.ID == upper })
	if i < 1 {
		return "", &consoleError{status: http.StatusNotFound, msg: "This environment has no lower environment in its group."}
	}
	return m[i-1].ID, nil
}

// pairAction resolves the pair of r and authorizes op on it.
func (s *Server) pairAction(r *http.Request, c consoleCall, op operation) (lower, upper string, p *promotion.Promoter, err error) {
	if upper, p, err = s.consoleUpper(r); err != nil {
		return "", "", nil, err
	}
	if lower, err = lowerOf(p, upper); err != nil {
		return "", "", nil, err
	}
	return lower, upper, p, s.authorizeConsole(r.Context(), c, ScopePromotion, op, lower, upper)
}

func (s *Server) backToPair(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/console/envs/"+url.PathEscape(r.PathValue("env"))+"/promote", http.StatusSeeOther)
}

func (s *Server) consoleLock(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	lower, upper, p, err := s.pairAction(r, c, opPromotionRun)
	if err != nil {
		return err
	}
	if what, ok := s.ops.running(upper); ok {
		return conflict("a %s is running for this pair", what)
	}
	if _, err := p.Lock(r.Context(), lower, upper, c.principal.ID); err != nil {
		return err
	}
	s.backToPair(w, r)
	return nil
}

func (s *Server) consoleUnlock(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	lower, upper, p, err := s.pairAction(r, c, opPromotionRun)
	if err != nil {
		return err
	}
	id := r.PostFormValue("promotionId")
	st, err := p.LockState(r.Context(), lower, upper)
	if err != nil {
		return err
	}
	// A pair a crash left half held (locking, unlocking) is released the
	// same way: by its promotion id.
	if st.Result == lock.StateUnlocked || st.PromotionID != id {
		return conflict("The pair is no longer locked by this promotion (it is %s now). Reload the page.", st.Result)
	}
	if err := p.Unlock(r.Context(), lower, upper, id); err != nil {
		return err
	}
	s.backToPair(w, r)
	return nil
}

func (s *Server) consolePromote(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	lower, upper, p, err := s.pairAction(r, c, opPromotionRun)
	if err != nil {
		return err
	}
	req := promotion.Request{
		Lower: lower, Upper: upper, DryRun: r.PostFormValue("dryRun") != "", IgnoreEncryptedSecrets: r.PostFormValue("ignoreEncryptedSecrets") != "",
		Promoter: c.principal.ID, Description: r.PostFormValue("description"), TicketReference: r.PostFormValue("ticket"),
	}
	if err := s.run(r.Context(), p, promotion.TypePromotion, req, p.Promote); err != nil {
		return err
	}
	s.backToPair(w, r)
	return nil
}

func (s *Server) consoleRollbackPage(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	lower, upper, p, err := s.pairAction(r, c, opPromotionRead)
	if err != nil {
		return err
	}
	data := map[string]any{"Title": "Roll back " + s.envLabel(r.Context(), c, upper), "Upper": upper, "Segment": r.PathValue("env"), "UpperName": s.envLabel(r.Context(), c, upper)}
	data["Lock"] = s.pairLock(r.Context(), p, envView{ID: lower}, envView{ID: upper})
	rep, err := p.ProvisionalRollbackReport(r.Context(), upper)
	switch {
	case errors.Is(err, promotion.ErrNothingToRollback):
		data["Nothing"] = err.Error()
	case err != nil:
		return err
	default:
		files, err := p.ProvisionalFiles(r.Context(), promotion.TypeRollback, "", upper)
		if err != nil {
			return err
		}
		data["Items"], data["Changes"] = reportItems(rep.Changes, files), rep.Changes.Len()
	}
	s.render(w, r, http.StatusOK, "rollback", c, data)
	return nil
}

func (s *Server) consoleRollback(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	lower, upper, p, err := s.pairAction(r, c, opPromotionRun)
	if err != nil {
		return err
	}
	req := promotion.Request{Lower: lower, Upper: upper, Promoter: c.principal.ID, Description: r.PostFormValue("description"), TicketReference: r.PostFormValue("ticket")}
	if err := s.run(r.Context(), p, promotion.TypeRollback, req, p.Rollback); err != nil {
		return err
	}
	s.backToPair(w, r)
	return nil
}

func (s *Server) consoleReports(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	_, upper, p, err := s.pairAction(r, c, opPromotionRead)
	if err != nil {
		return err
	}
	metas, err := p.Reports(r.Context(), upper)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "reports", c, map[string]any{"Title": "Reports of " + s.envLabel(r.Context(), c, upper), "Segment": r.PathValue("env"), "Reports": metas})
	return nil
}

func (s *Server) consoleReport(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	_, upper, p, err := s.pairAction(r, c, opPromotionRead)
	if err != nil {
		return err
	}
	rep, err := p.Report(r.Context(), r.PathValue("id"))
	if err == nil && rep.Upper != upper {
		err = promotion.ErrReportNotFound
	}
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "report", c, map[string]any{"Title": "Report " + rep.ReportID, "Segment": r.PathValue("env"), "Report": rep,
		"LowerName": s.envLabel(r.Context(), c, rep.Lower), "UpperName": s.envLabel(r.Context(), c, rep.Upper), "Items": reportItems(rep.Changes, nil)})
	return nil
}

// consoleESVEnv resolves the {env} of an ESV page or form and authorizes
// op on it.
func (s *Server) consoleESVEnv(r *http.Request, c consoleCall, scope string, op operation) (string, error) {
	env, err := s.consoleEnv(r)
	if err != nil {
		return "", err
	}
	if s.esv == nil {
		return "", &consoleError{status: http.StatusNotFound, msg: "This server serves no ESVs."}
	}
	return env, s.authorizeConsole(r.Context(), c, scope, op, env)
}

// secretView is a secret and its versions; values are never read.
type secretView struct {
	esv.Secret
	Versions []esv.SecretVersion
}

func (s *Server) consoleESV(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	env, err := s.consoleESVEnv(r, c, ScopeESVRead, opESVRead)
	if err != nil {
		return err
	}
	vars, err := s.esv.Variables(r.Context(), env, esv.ListOptions{})
	if err != nil {
		return err
	}
	secrets, err := s.esv.Secrets(r.Context(), env, esv.ListOptions{})
	if err != nil {
		return err
	}
	var sv []secretView
	for _, sec := range secrets {
		vs, err := s.esv.SecretVersions(r.Context(), env, sec.Name)
		if err != nil {
			return err
		}
		sv = append(sv, secretView{Secret: sec, Versions: vs})
	}
	restart, err := s.esv.RestartStatus(r.Context(), env)
	if err != nil {
		return err
	}
	// The ESVs the pending promotion into env misses: those its latest
	// blocked run named, less those defined since.
	var missing []string
	if p, ok := s.routing(r.Context()).promoters[env]; ok {
		if pr, err := p.Progress(r.Context(), env); err == nil {
			for _, name := range pr.MissingESVs {
				if !slices.ContainsFunc(vars, func(v esv.Variable) bool { return v.Name == name }) &&
					!slices.ContainsFunc(secrets, func(s esv.Secret) bool { return s.Name == name }) {
					missing = append(missing, name)
				}
			}
		}
	}
	types := []esv.ExpressionType{esv.TypeString, esv.TypeList, esv.TypeArray, esv.TypeObject, esv.TypeBool, esv.TypeInt, esv.TypeNumber, esv.TypeBase64, esv.TypeKeyValueList}
	s.render(w, r, http.StatusOK, "esv", c, map[string]any{
		"Title": "ESVs of " + s.envLabel(r.Context(), c, env), "Segment": r.PathValue("env"), "Variables": vars, "Secrets": sv,
		"Restart": restart, "Missing": missing, "Types": types, "Name": r.URL.Query().Get("name"), "Done": r.URL.Query().Get("done"),
	})
	return nil
}

func (s *Server) consoleSetVariable(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	env, err := s.consoleESVEnv(r, c, ScopeESVUpdate, opESVUpdate)
	if err != nil {
		return err
	}
	name := r.PostFormValue("name")
	spec := esv.VariableSpec{Description: r.PostFormValue("description"), ExpressionType: esv.ExpressionType(r.PostFormValue("type")), Value: r.PostFormValue("value")}
	if _, err := s.esv.SetVariable(actor.With(r.Context(), c.principal.ID), env, name, spec); err != nil {
		return consoleESVError(err)
	}
	http.Redirect(w, r, "/console/envs/"+url.PathEscape(r.PathValue("env"))+"/esv?done="+url.QueryEscape("Saved "+name+". It takes effect when the environment restarts."), http.StatusSeeOther)
	return nil
}

func (s *Server) consoleRestart(w http.ResponseWriter, r *http.Request, c consoleCall) error {
	env, err := s.consoleESVEnv(r, c, ScopeESVRestart, opESVRestart)
	if err != nil {
		return err
	}
	if _, err := s.esv.Restart(actor.With(r.Context(), c.principal.ID), env); err != nil {
		return consoleESVError(err)
	}
	http.Redirect(w, r, "/console/envs/"+url.PathEscape(r.PathValue("env"))+"/esv?done="+url.QueryEscape("Restart started."), http.StatusSeeOther)
	return nil
}

// consoleESVError turns an ESV error into what the form shows.
func consoleESVError(err error) error {
	switch {
	case errors.Is(err, lock.ErrLocked):
		return &consoleError{status: http.StatusConflict, msg: "This environment is locked for a promotion, so its ESVs cannot change now. Unlock the pair first, then try again."}
	case errors.Is(err, esv.ErrInvalid), errors.Is(err, esv.ErrInvalidName), errors.Is(err, esv.ErrExists):
		return &consoleError{status: http.StatusBadRequest, msg: err.Error()}
	}
	return err
}
