package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/gitenv"
	"github.com/envpromote/envpromote/environment/memenv"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/gitesv"
	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/lock/gitlock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/gitstore"
)

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	flag.StringVar(&o.dir, "dir", "", "new directory for the Git repository, or for the cache of -remote (default: a new temporary directory)")
	flag.StringVar(&o.remote, "remote", "", "URL of a Git repository shared by several instances (git://, http(s)://, ssh://); the first instance seeds it, the others join")
	flag.DurationVar(&o.lockTTL, "lock-ttl", 15*time.Minute, "how long a promotion lock lasts unless released: the most a crashed instance's lock blocks the others")
	flag.StringVar(&o.token, "token", "", "bearer token to accept (default: a random one, printed)")
	flag.DurationVar(&o.grace, "grace", 30*time.Second, "how long a stop waits for running promotions")
	flag.StringVar(&o.domain, "domain", "localhost", "also serve each environment at the root of <name>.<domain>, as a tenant is (empty: path prefixes only)")
	flag.Parse()
	if o.token == "" {
		o.token = rand.Text()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", o.addr)
	if err == nil {
		err = run(ctx, ln, o, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

type options struct {
	addr, dir, token, remote string
	domain                   string // Config.Hosts: SubdomainHosts(domain)
	grace, lockTTL           time.Duration
}

// keyEnv names the variable holding the key that encrypts secret ESVs,
// which instances sharing a remote must share: 64 hex digits.
const keyEnv = "ENVPROMOTE_ESV_KEY"

// The demo organization.
const (
	org       = "demo-org"
	license   = "demo-license"
	newESV    = "esv-demo-support-email"
	newConfig = "email-templates/demo/demo.json"
)

// run serves the demo organization on ln until ctx ends, then stops
// gracefully.
func run(ctx context.Context, ln net.Listener, o options, out io.Writer) error {
	api, dir, err := demo(ctx, o)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	printUsage(out, base, o.token, dir)
	if o.domain != "" {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		fmt.Fprintf(out, "Each environment is also served at the root of its host: http://staging.%s:%s/environment/… (curl --resolve staging.%[1]s:%[2]s:127.0.0.1, or frodo with that host as its tenant URL)\n", o.domain, port)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "stopping: waiting for running promotions")
	stopCtx, cancel := context.WithTimeout(context.Background(), o.grace)
	defer cancel()
	// New requests end first, then the background work they started.
	err = errors.Join(srv.Shutdown(stopCtx), api.Shutdown(stopCtx))
	fmt.Fprintln(out, "stopped")
	return err
}

// demo builds the organization in a new Git repository and returns the
// API serving it and the repository's directory.
func demo(ctx context.Context, o options) (*httpapi.Server, string, error) {
	ctx = actor.With(ctx, "demo-admin") // who seeds the demo
	dir := o.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "envpromote-server-"); err != nil {
			return nil, "", err
		}
	}
	repo, err := gitstore.Init(dir, gitstore.Options{Remote: o.remote})
	if err != nil {
		return nil, "", err
	}
	envStore, err := gitenv.New(repo, gitenv.Options{})
	if err != nil {
		return nil, "", err
	}
	key, err := esvKey(o.remote)
	if err != nil {
		return nil, "", err
	}
	esvStore, err := gitesv.New(repo, gitesv.Options{Key: key})
	if err != nil {
		return nil, "", err
	}
	locker := gitlock.New(repo, gitlock.Options{})
	esvs := esv.New(esvStore, esv.Options{Guard: promotion.ESVGuard(locker), RestartDelay: 2 * time.Second})
	registry, err := environment.New(envStore, memenv.NewLicenses(environment.License{ID: license, Organization: org}), environment.Options{})
	if err != nil {
		return nil, "", err
	}
	admin := environment.Principal{ID: "demo-admin", Roles: []environment.RoleAssignment{{
		Role: environment.OrganizationAdmin, Scope: environment.Scope{Type: environment.ScopeOrganization, ID: org},
	}}}

	// An instance joining a remote that another one seeded uses its group.
	group, err := registry.Group(ctx, admin, org, "demo")
	seed := errors.Is(err, environment.ErrNotFound)
	if seed {
		group, err = createGroup(ctx, registry, admin)
	}
	if err != nil {
		return nil, "", err
	}
	paths := map[string]string{}
	for _, m := range group.Members {
		paths[tierPaths[m.Tier]] = m.ID
	}
	promoter, err := promotion.New(promotion.Config{Group: group, Repo: repo, Locker: locker, ESVs: promotion.ESVService(esvs),
		LockTTL: o.lockTTL, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		return nil, "", err
	}
	if seed {
		if err := seedTenant(ctx, promoter, esvs, group, paths); err != nil {
			return nil, "", err
		}
	}

	var hosts httpapi.HostResolver
	if o.domain != "" {
		hosts = httpapi.SubdomainHosts(o.domain)
	}
	api, err := httpapi.New(httpapi.Config{
		Hosts: hosts,
		Authenticator: httpapi.NewStaticTokens(map[string]httpapi.Principal{
			o.token: {Principal: admin, Scopes: []string{httpapi.ScopePromotion, httpapi.ScopeESVAll}},
		}),
		Registry:     registry,
		ESV:          esvs,
		Promoters:    []*promotion.Promoter{promoter},
		Environments: paths,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	return api, dir, err
}

// tierPaths names the demo's environments in URLs.
var tierPaths = map[environment.Tier]string{environment.TierDevelopment: "dev", environment.TierStaging: "staging", environment.TierProduction: "prod"}

// createGroup creates the demo's environments and their promotion group.
func createGroup(ctx context.Context, registry *environment.Registry, admin environment.Principal) (environment.Group, error) {
	group := environment.Group{Name: "demo", Organization: environment.Ref{ID: org}}
	for _, tier := range []environment.Tier{environment.TierDevelopment, environment.TierStaging, environment.TierProduction} {
		e, err := registry.Create(ctx, admin, environment.Environment{Name: tierPaths[tier], Type: environment.Production, Region: environment.RegionEU})
		if err != nil {
			return environment.Group{}, err
		}
		group.Members = append(group.Members, environment.Member{ID: e.ID, Tier: tier})
	}
	return registry.SaveGroup(ctx, admin, group)
}

// seedTenant loads the synthetic tenant into every environment, then gives
// development an email template that needs an ESV staging lacks.
func seedTenant(ctx context.Context, promoter *promotion.Promoter, esvs *esv.Service, group environment.Group, paths map[string]string) error {
	for _, env := range group.Members {
		if err := load(ctx, promoter, esvs, env.ID); err != nil {
			return err
		}
	}
	_, err := promoter.Edit(ctx, paths["dev"], func(b *store.Builder) error {
		return b.Put(newConfig, []byte(`{"_id":"emailTemplate/demo","enabled":true,"from":"&{esv.demo.support.email}","subject":{"en":"Welcome"}}`+"\n"))
	}, store.CommitInfo{Author: "demo-admin", Message: "Add the demo email template"})
	return err
}

// esvKey returns the key encrypting secret ESVs. It stays out of the
// repository; a real deployment keeps it in a secret manager. Alone, an
// instance makes up its own; instances sharing a remote read it from
// $ENVPROMOTE_ESV_KEY, since each must decrypt what the others encrypt.
func esvKey(remote string) ([]byte, error) {
	if remote == "" {
		key := make([]byte, 32)
		rand.Read(key)
		return key, nil
	}
	key, err := hex.DecodeString(os.Getenv(keyEnv))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("with -remote, %s must hold the key all instances share: 64 hex digits (e.g. from openssl rand -hex 32)", keyEnv)
	}
	return key, nil
}

// printUsage prints the token and the curl commands of a promotion.
func printUsage(w io.Writer, base, token, dir string) {
	fmt.Fprintf(w, `envpromote demo server on %[1]s
  environments: %[1]s/dev  %[1]s/staging  %[1]s/prod   (Git repository: %[3]s)
  admin console: %[1]s/console/   (sign in with the token below)

Set up a shell:
  export B=%[1]s T=%[2]s
  A="Authorization: Bearer $T"; V="Accept-API-Version: protocol=1.0,resource=1.0"; J="Content-Type: application/json"
  P=$B/staging/environment/promotion

Promote dev to staging (calls go to the upper environment):
  curl -s -H "$A" -H "$V" $P/report/provisional                   # what would change
  curl -s -H "$A" -H "$V" -X POST $P/lock                         # note the promotionId
  curl -s -H "$A" -H "$V" $P/lock/state                           # until "result": "locked"
  curl -s -H "$A" -H "$V" -H "$J" -X POST $P/promote -d '{"dryRun":false,"promoter":"me"}'
  curl -s -H "$A" -H "$V" $P/promote                              # ERROR: missingESVs [%[4]s]

ESVs cannot change while locked: unlock, add the ESV, restart, lock again:
  curl -s -H "$A" -H "$V" -X DELETE $P/lock/<promotionId>
  curl -s -H "$A" -H "$J" -X PUT $B/staging/environment/variables/%[4]s -d '{"valueBase64":"c3VwcG9ydEBleGFtcGxlLmNvbQ==","expressionType":"string"}'
  curl -s -H "$A" -X POST "$B/staging/environment/startup?_action=restart"
  curl -s -H "$A" -H "$V" -X POST $P/lock
  curl -s -H "$A" -H "$V" -H "$J" -X POST $P/promote -d '{"dryRun":false,"promoter":"me","unlockEnvironmentsAfterPromotion":false}'
  curl -s -H "$A" -H "$V" $P/promote                              # until "status": "COMPLETE"
  curl -s -H "$A" -H "$V" $P/report                               # added: Email > Templates demo
  curl -s -H "$A" -H "$V" $P/reports

Roll it back and unlock:
  curl -s -H "$A" -H "$V" -H "$J" -X POST $P/rollback -d '{"promoter":"me"}'
  curl -s -H "$A" -H "$V" $P/promote                              # until "status": "COMPLETE"
  curl -s -H "$A" -H "$V" -X DELETE $P/lock/<promotionId>

Environments (PingOne):
  curl -s -H "$A" "$B/v1/environments?filter=name%%20sw%%20%%22s%%22"

See the history: git -C %[3]s log --all --oneline
Stop with Ctrl-C.
`, base, token, dir, newESV)
}

// demoTenant is the small generated tenant every environment starts with.
var demoTenant = tenantgen.Generate(tenantgen.Options{Seed: 1, Files: 200, Realms: 1})

// load writes the tenant into env as its first commit and defines, in env,
// every ESV the tenant uses.
func load(ctx context.Context, p *promotion.Promoter, esvs *esv.Service, env string) error {
	_, err := p.Edit(ctx, env, func(b *store.Builder) error {
		for _, path := range demoTenant.Paths() {
			if err := b.Put(path, demoTenant.Files[path]); err != nil {
				return err
			}
		}
		return nil
	}, store.CommitInfo{Message: "Import tenant export"})
	if err != nil {
		return err
	}
	for name, typ := range demoTenant.Vars {
		if _, err := esvs.SetVariable(ctx, env, name, esv.VariableSpec{ExpressionType: esv.ExpressionType(typ), Value: sample(esv.ExpressionType(typ))}); err != nil {
			return err
		}
	}
	for name, enc := range demoTenant.Secrets {
		spec := esv.SecretSpec{Encoding: esv.Encoding(enc), UseInPlaceholders: true, Value: esv.NewSecretValue(secret(esv.Encoding(enc)))}
		if _, err := esvs.CreateSecret(ctx, env, name, spec); err != nil {
			return err
		}
	}
	return nil
}

// sample is a value of type t.
func sample(t esv.ExpressionType) string {
	switch t {
	case esv.TypeInt, esv.TypeNumber:
		return "1"
	case esv.TypeBool:
		return "true"
	case esv.TypeArray:
		return `["a"]`
	case esv.TypeObject:
		return `{"a":1}`
	case esv.TypeBase64:
		return "eA=="
	case esv.TypeKeyValueList:
		return "a=b"
	}
	return "value"
}

// secret is a (made-up) secret of encoding e.
func secret(e esv.Encoding) []byte {
	switch e {
	case esv.EncodingPEM:
		return []byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")
	case esv.EncodingBase64HMAC, esv.EncodingBase64AES:
		return []byte("MDEyMzQ1Njc4OWFiY2RlZg==")
	}
	return []byte("s3cret")
}
