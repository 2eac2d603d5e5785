package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
)

// consoleFixture is the httpapi fixture's organization served with the
// console, with one more principal: an ENVIRONMENT-scoped admin of dev.
type consoleFixture struct {
	*fixture
	url     string
	tenant  *tenantgen.Tenant
	missing string
}

const devAdminToken = "dev-admin-token"

// tokensWith is a StaticTokens that can learn tokens after the fixture
// has made the environments they are scoped to.
type tokensWith struct {
	base  httpapi.Authenticator
	extra map[string]httpapi.Principal
}

func (a *tokensWith) Authenticate(ctx context.Context, token string) (httpapi.Principal, error) {
	if p, ok := a.extra[token]; ok {
		return p, nil
	}
	return a.base.Authenticate(ctx, token)
}

func newConsoleFixture(t *testing.T) *consoleFixture {
	t.Helper()
	tenant := tenantgen.Generate(tenantgen.Options{Seed: 3, Files: 200, MissingESVs: 1})
	f := newFixture(t, fixtureOptions{group: true, tenant: tenant})
	devAdmin := environment.Principal{ID: "dev-admin", Roles: []environment.RoleAssignment{{
		Role: environment.EnvironmentAdmin, Scope: environment.Scope{Type: environment.ScopeEnvironment, ID: f.ids["dev"]},
	}}}
	auth := &tokensWith{base: tokens(), extra: map[string]httpapi.Principal{
		devAdminToken: {Principal: devAdmin, Scopes: []string{httpapi.ScopePromotion, httpapi.ScopeESVAll}},
	}}
	api, err := httpapi.New(httpapi.Config{
		Authenticator: auth, Registry: f.registry, ESV: f.esv, Promoters: []*promotion.Promoter{f.promoter},
		Environments: map[string]string{"dev": f.ids["dev"], "staging": f.ids["staging"], "prod": f.ids["prod"]},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &consoleFixture{fixture: f, url: startServer(t, api), tenant: tenant, missing: tenant.Missing[0]}
}

// newBrowser starts headless Chromium for the test. Without one it skips,
// except in CI, which installs it.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium on this machine; .ci/run installs Debian's chromium")
		}
		t.Skip("no Chromium on this machine (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first call starts the browser, which lives as long as its
	// context: no timeout on that one (each step gets its own, see run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// stepTimeout bounds one browser step, so a page that never shows what a
// step waits for fails the test instead of hanging it.
const stepTimeout = time.Minute

// run runs browser actions, failing the test on error.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	get(t, ctx, what, chromedp.Steps(actions...))
}

// get runs one browser action and returns its value, failing the test on
// error.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// text returns the visible text of the element sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// wantText fails unless the page's main text contains every want.
func wantText(t *testing.T, ctx context.Context, want ...string) {
	t.Helper()
	got := text(t, ctx, "main")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("page does not say %q; it says:\n%s", w, got)
		}
	}
}

// signIn signs the browser in with token.
func (cf *consoleFixture) signIn(t *testing.T, ctx context.Context, token string) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.Navigate(cf.url+"/console/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS(".groups")))
}

// submit clicks the button sel and waits for the page it loads.
func submit(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.body.dataset.stale = "1"; true`)(ctx, t)
			return err
		}),
		chromedp.Click(chromedp.CSS(sel)),
		waitFor(`document.readyState === "complete" && !!document.body && !document.body.dataset.stale`))
}

// waitFor waits until the page's expression is true, across navigations
// (when an evaluation fails because the page is being replaced, it tries
// again on the new one).
func waitFor(expression string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			if ok, err := chromedp.Evaluate[bool](expression)(ctx, t); err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", expression, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

// awaitRun waits until the pair page shows a finished run and returns its
// status.
func awaitRun(t *testing.T, ctx context.Context) string {
	t.Helper()
	// One evaluation both sees the run finished and reads its status: the
	// page's poll may replace the node between two separate steps.
	const status = `(() => { const p = document.getElementById("progress"), s = document.getElementById("progress-status"); return p && s && p.dataset.running === "false" ? s.textContent.trim() : ""; })()`
	var st string
	run(t, ctx, "await the run", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			if s, err := chromedp.Evaluate[string](status)(ctx, tg); err == nil && s != "" {
				st = s
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for the run to finish: %w", ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}))
	return st
}

func (cf *consoleFixture) lockState(t *testing.T) lock.State {
	t.Helper()
	st, err := cf.promoter.LockState(context.Background(), "", cf.ids["staging"])
	if err != nil {
		t.Fatal(err)
	}
	return st.Result
}

func TestConsole_PromotionFlowInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	cf := newConsoleFixture(t)
	stagingBefore := cf.head("staging")
	pair := cf.url + "/console/envs/staging/promote"

	// Sign in and see the chain.
	cf.signIn(t, ctx, adminToken)
	wantText(t, ctx, "Promotion groups", "main", "dev → staging → prod")
	run(t, ctx, "open the group", chromedp.Click(chromedp.CSS(`a[href="/console/groups/main"]`)), chromedp.WaitVisible(chromedp.CSS("table")))
	wantText(t, ctx, "dev", "staging", "prod", "development", "PRODUCTION", "unlocked", "import tenant")
	cf.screenshot(t, ctx, "console-group.png")

	// The pair page shows what would change, entries expanding to diffs.
	run(t, ctx, "open the pair", chromedp.Navigate(pair), chromedp.WaitVisible(chromedp.CSS("#lock")))
	wantText(t, ctx, "What a promotion would change now", "AMConfig")
	run(t, ctx, "expand an entry", chromedp.Click(chromedp.CSS(".entry details summary")), chromedp.WaitVisible(chromedp.CSS(".entry details pre.diff")))
	if d := text(t, ctx, ".entry details pre.diff"); !strings.Contains(d, "--- a/") || !strings.Contains(d, "+++ b/") {
		t.Fatalf("entry diff is not a unified diff:\n%s", d)
	}
	cf.screenshot(t, ctx, "console-pair.png")

	// Lock, then promote: blocked by the missing ESV, shown with its fix.
	run(t, ctx, "lock", submit("#lock"), chromedp.WaitVisible(chromedp.CSS("#unlock")))
	if st := cf.lockState(t); st != lock.StateLocked {
		t.Fatalf("after Lock the API says %s", st)
	}
	wantText(t, ctx, "Ignore encrypted secrets", "cannot be decrypted")
	run(t, ctx, "promote", chromedp.SendKeys(chromedp.CSS("#description"), "Welcome journey"), submit("#promote"))
	if st := awaitRun(t, ctx); !strings.Contains(st, "ERROR") {
		t.Fatalf("promotion status %q, want ERROR", st)
	}
	wantText(t, ctx, "Missing ESVs in staging", cf.missing, "Blocking findings", "JSON path")
	if cf.head("staging") != stagingBefore {
		t.Fatal("a blocked promotion moved staging")
	}

	// Unlock, add the ESV from the ESV page the finding links to.
	run(t, ctx, "unlock", submit("#unlock"), chromedp.WaitVisible(chromedp.CSS("#lock")))
	run(t, ctx, "follow the finding's link", chromedp.Click(chromedp.CSS(`a[href$="/esv?name=`+cf.missing+`"]`)), chromedp.WaitVisible(chromedp.CSS("#save-variable")))
	wantText(t, ctx, "Missing for the pending promotion", cf.missing)
	name := get(t, ctx, "read the prefilled name", chromedp.Value(chromedp.CSS("#name")))
	if name != cf.missing {
		t.Fatalf("name field holds %q, want the missing ESV %q", name, cf.missing)
	}
	run(t, ctx, "save the variable", chromedp.SendKeys(chromedp.CSS("#value"), "x"), submit("#save-variable"), chromedp.WaitVisible(chromedp.CSS(".ok")))
	wantText(t, ctx, "Saved "+cf.missing)
	if _, err := cf.esv.Variable(context.Background(), cf.ids["staging"], cf.missing); err != nil {
		t.Fatalf("the variable saved from the console is not there: %v", err)
	}

	// Lock and promote again: it goes through.
	run(t, ctx, "lock again", chromedp.Navigate(pair), submit("#lock"), chromedp.WaitVisible(chromedp.CSS("#promote")))
	run(t, ctx, "promote again", chromedp.SendKeys(chromedp.CSS("#description"), "Welcome journey"), chromedp.SendKeys(chromedp.CSS("#ticket"), "CHG-42"), submit("#promote"))
	if st := awaitRun(t, ctx); !strings.Contains(st, "COMPLETE") {
		t.Fatalf("promotion status %q, want COMPLETE", st)
	}
	commits := cf.commits("staging")
	if commits[0].Parent != stagingBefore || commits[0].Metadata["type"] != "promotion" {
		t.Fatalf("staging head %+v, want one promotion commit on %s", commits[0], stagingBefore)
	}

	// Read the report.
	run(t, ctx, "open the report", chromedp.Click(chromedp.CSS(`a[href*="/reports/"]`)), chromedp.WaitVisible(chromedp.CSS("dl.meta")))
	wantText(t, ctx, "promotion", "Welcome journey", "CHG-42", "ada", "AMConfig")
	cf.screenshot(t, ctx, "console-report.png")
	run(t, ctx, "list reports", chromedp.Click(chromedp.CSS(`a[href="/console/envs/staging/reports"]`)), chromedp.WaitVisible(chromedp.CSS("table")))
	wantText(t, ctx, "Reports, newest first", "promotion")

	// Roll back: the provisional rollback report first, then the rollback.
	run(t, ctx, "open rollback", chromedp.Navigate(cf.url+"/console/envs/staging/rollback"), chromedp.WaitVisible(chromedp.CSS("#rollback")))
	wantText(t, ctx, "This is what it would change now")
	run(t, ctx, "roll back", submit("#rollback"), chromedp.WaitVisible(chromedp.CSS("#progress")))
	if st := awaitRun(t, ctx); !strings.Contains(st, "COMPLETE") {
		t.Fatalf("rollback status %q, want COMPLETE", st)
	}
	if got, want := cf.tree("staging", cf.head("staging")), cf.tree("staging", stagingBefore); got != want {
		t.Fatalf("rolled-back tree %s, want the pre-promotion tree %s", got, want)
	}

	// Unlock.
	run(t, ctx, "unlock at the end", submit("#unlock"), chromedp.WaitVisible(chromedp.CSS("#lock")))
	if st := cf.lockState(t); st != lock.StateUnlocked {
		t.Fatalf("after Unlock the API says %s", st)
	}
}

func TestConsole_EnvironmentAdminOfDevCannotPromoteToStaging(t *testing.T) {
	ctx := newBrowser(t)
	cf := newConsoleFixture(t)
	cf.signIn(t, ctx, devAdminToken)
	run(t, ctx, "open the pair", chromedp.Navigate(cf.url+"/console/envs/staging/promote"), chromedp.WaitVisible(chromedp.CSS(".error")))
	wantText(t, ctx, "Forbidden", "do not allow promotion.read on environment staging")

	// Nor by posting the form with a valid session and CSRF token.
	c := cf.signInHTTP(t, devAdminToken)
	resp := c.post(t, "/console/envs/staging/lock", url.Values{"csrf": {c.csrf(t, "/console/envs/dev/esv")}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("lock by dev's admin: %d, want 403", resp.StatusCode)
	}
	if st := cf.lockState(t); st != lock.StateUnlocked {
		t.Fatalf("dev's admin locked staging from the console: %s", st)
	}
}

func TestConsole_ForgedPostIsRefused(t *testing.T) {
	cf := newConsoleFixture(t)
	c := cf.signInHTTP(t, adminToken)
	for _, tc := range []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"no CSRF token", url.Values{}, ""},
		{"wrong CSRF token", url.Values{"csrf": {"forged"}}, ""},
		{"another site's origin", url.Values{"csrf": {c.csrf(t, "/console/envs/staging/promote")}}, "http://evil.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := c.postOrigin(t, "/console/envs/staging/lock", tc.form, tc.origin)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("forged lock: %d, want 403", resp.StatusCode)
			}
			if st := cf.lockState(t); st != lock.StateUnlocked {
				t.Fatalf("a forged POST locked the pair: %s", st)
			}
		})
	}
	// The same form with the session's token works.
	resp := c.post(t, "/console/envs/staging/lock", url.Values{"csrf": {c.csrf(t, "/console/envs/staging/promote")}})
	if resp.StatusCode != http.StatusOK || cf.lockState(t) != lock.StateLocked {
		t.Fatalf("genuine lock: %d, state %s", resp.StatusCode, cf.lockState(t))
	}
}

func TestConsole_SignInSessionCookie(t *testing.T) {
	cf := newConsoleFixture(t)
	c := &consoleClient{base: cf.url, jar: mustJar(t)}
	resp := c.postOrigin(t, "/console/signin", url.Values{"token": {"not-a-token"}}, "")
	if resp.StatusCode != http.StatusUnauthorized || len(c.jar.Cookies(mustURL(t, cf.url+"/console/"))) != 0 {
		t.Fatalf("bad token: %d with cookies %v, want 401 and none", resp.StatusCode, c.jar.Cookies(mustURL(t, cf.url+"/console/")))
	}
	raw := cf.signInHTTP(t, adminToken).setCookie
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/console/"} {
		if !strings.Contains(raw, want) {
			t.Errorf("session cookie %q lacks %s", raw, want)
		}
	}
	if strings.Contains(raw, adminToken) {
		t.Errorf("session cookie carries the token")
	}
}

// consoleClient is a plain HTTP client with a cookie jar, for what a
// browser would not send.
type consoleClient struct {
	base      string
	jar       http.CookieJar
	setCookie string
}

func mustJar(t *testing.T) http.CookieJar {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (cf *consoleFixture) signInHTTP(t *testing.T, token string) *consoleClient {
	t.Helper()
	c := &consoleClient{base: cf.url, jar: mustJar(t)}
	resp := c.postOrigin(t, "/console/signin", url.Values{"token": {token}}, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	return c
}

func (c *consoleClient) post(t *testing.T, path string, form url.Values) *http.Response {
	return c.postOrigin(t, path, form, c.base)
}

// postOrigin posts form to path with an Origin header (none when empty),
// following redirects.
func (c *consoleClient) postOrigin(t *testing.T, path string, form url.Values, origin string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	client := &http.Client{Jar: c.jar, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if sc := r.Response; sc != nil && sc.Header.Get("Set-Cookie") != "" {
			c.setCookie = sc.Header.Get("Set-Cookie")
		}
		return nil
	}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// csrf reads the CSRF token from the forms of the page at path.
func (c *consoleClient) csrf(t *testing.T, path string) string {
	t.Helper()
	resp, err := (&http.Client{Jar: c.jar}).Get(c.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(page), `name="csrf" value="`)
	if !ok {
		t.Fatalf("no CSRF token on %s (%d)", path, resp.StatusCode)
	}
	tok, _, _ := strings.Cut(rest, `"`)
	return tok
}

// screenshot saves the page as docs/<name> when ENVPROMOTE_SCREENSHOTS is
// set, which is how the README's pictures are made.
func (cf *consoleFixture) screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ENVPROMOTE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := get(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConsole_WorksWithoutJavaScript(t *testing.T) {
	ctx := newBrowser(t)
	run(t, ctx, "turn JavaScript off", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	cf := newConsoleFixture(t)
	pair := cf.url + "/console/envs/staging/promote"
	cf.signIn(t, ctx, adminToken)
	run(t, ctx, "lock", chromedp.Navigate(pair), chromedp.WaitVisible(chromedp.CSS("#lock")), submit("#lock"))
	run(t, ctx, "dry run", chromedp.Click(chromedp.CSS("#dryRun")), submit("#promote"))
	// Without the script, the page shows the outcome once reloaded.
	run(t, ctx, "reload until done", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			if err := chromedp.Do(ctx, chromedp.Navigate(pair)); err != nil {
				return err
			}
			if s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#progress-status"))); err == nil && s != "RUNNING" {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}))
	if st := text(t, ctx, "#progress-status"); st != "COMPLETE" {
		t.Fatalf("dry run status %q, want COMPLETE", st)
	}
	wantText(t, ctx, "Report of this run")
	run(t, ctx, "unlock", submit("#unlock"))
	if st := cf.lockState(t); st != lock.StateUnlocked {
		t.Fatalf("after Unlock the API says %s", st)
	}
}

// TestConsole_Accessible checks, on every page, what a screen reader and
// a keyboard need: every form control has a label, every image and button
// a name, the focus ring is visible, and the page has one h1.
func TestConsole_Accessible(t *testing.T) {
	ctx := newBrowser(t)
	cf := newConsoleFixture(t)
	cf.signIn(t, ctx, adminToken)
	const audit = `(() => {
	  const bad = [];
	  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
	    if (!el.labels || el.labels.length === 0) bad.push("unlabelled " + el.outerHTML);
	  }
	  for (const b of document.querySelectorAll("button")) {
	    if (!b.textContent.trim()) bad.push("button without a name " + b.outerHTML);
	  }
	  if (document.querySelectorAll("h1").length !== 1) bad.push("not exactly one h1");
	  if (!document.documentElement.lang) bad.push("no lang");
	  const first = document.querySelector("main a, main button, main input:not([type=hidden])");
	  if (first) {
	    first.focus();
	    const s = getComputedStyle(first);
	    if (document.activeElement !== first) bad.push("cannot focus " + first.outerHTML);
	    else if (s.outlineStyle === "none" || s.outlineWidth === "0px") bad.push("no visible focus on " + first.outerHTML);
	  }
	  return bad.join("\n");
	})()`
	for _, page := range []string{"/console/", "/console/groups/main", "/console/envs/staging/promote", "/console/envs/staging/esv",
		"/console/envs/staging/reports", "/console/envs/staging/rollback", "/console/envs/dev/esv"} {
		run(t, ctx, "open "+page, chromedp.Navigate(cf.url+page), chromedp.WaitVisible(chromedp.CSS("main")))
		// Keyboard focus, as a Tab press gives it, so :focus-visible applies.
		run(t, ctx, "press Tab", chromedp.KeyEvent("\t"))
		if bad := get(t, ctx, "audit "+page, chromedp.Evaluate[string](audit)); bad != "" {
			t.Errorf("%s:\n%s", page, bad)
		}
	}
}
