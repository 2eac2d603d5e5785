package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/spf13/cobra"
)

func (a *app) lockCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Inspect promotion locks and recover a stuck or partial one",
		Long: `promote and rollback lock and unlock by themselves. A lock stays behind only
when asked (--keep-lock), or when a run died (a killed process, a lost
machine): then the pair stays locked and every promotion of the group is
refused with exit code 4 until it is released here.`,
	}
	status := &cobra.Command{
		Use: "status UPPER", Short: "Show the lock state of UPPER and the environment below it", Args: args(1, 1, "one UPPER environment"),
		RunE: a.onMember(true, func(cmd *cobra.Command, s *system, p *promotion.Promoter, up environment.Environment) error {
			st, err := p.LockState(ctx(cmd), "", up.ID)
			if err != nil {
				return err
			}
			names, err := s.names(ctx(cmd))
			if err != nil {
				return err
			}
			g := p.Group()
			lower := names[g.Members[index(g, up.ID)-1].ID]
			if a.json {
				return writeJSON(a.stdout, lockStateJSON{
					Result: st.Result, PromotionID: st.PromotionID, Description: st.Description,
					LowerEnv: envLockJSON{lower, st.Lower.ID, st.Lower.PromotionID, st.Lower.State},
					UpperEnv: envLockJSON{up.Name, st.Upper.ID, st.Upper.PromotionID, st.Upper.State},
					Owner:    st.Lease.Owner, Acquired: st.Lease.Acquired.UTC(), Expires: st.Lease.Expires.UTC(),
				})
			}
			rows := [][]string{
				{lower, string(st.Lower.State), st.Lower.PromotionID},
				{up.Name, string(st.Upper.State), st.Upper.PromotionID},
			}
			fmt.Fprintf(a.stdout, "%s → %s: %s", lower, up.Name, st.Result)
			if st.Lease.Owner != "" {
				fmt.Fprintf(a.stdout, " by %s since %s", st.Lease.Owner, st.Lease.Acquired.UTC().Format(time.RFC3339))
			}
			fmt.Fprintln(a.stdout)
			return table(a.stdout, []string{"ENV", "STATE", "PROMOTION"}, rows)
		}),
	}
	var id string
	release := &cobra.Command{
		Use:   "release UPPER [--id PROMOTION]",
		Short: "Release the lock held on UPPER and the environment below it",
		Long: `release frees every lease found on UPPER or the environment below it,
including a partial one that holds only one of them. A lease held by someone
else (not --as) is released only with --id naming it, as terraform
force-unlock asks for the lock id: check first that its job is dead.`,
		Example: "  envpromote lock release staging\n  envpromote lock release staging --id 6ef77850-94b8-4c54-99c0-b3d78a1c3874",
		Args:    args(1, 1, "one UPPER environment"),
		RunE: a.onMember(true, func(cmd *cobra.Command, s *system, p *promotion.Promoter, up environment.Environment) error {
			c := ctx(cmd)
			g := p.Group()
			lower := g.Members[index(g, up.ID)-1].ID
			var leases []lock.Lease
			for _, env := range []string{lower, up.ID} {
				st, err := s.Locker().State(c, env)
				if err != nil {
					return err
				}
				if st.Lease.ID != "" && !slices.ContainsFunc(leases, func(l lock.Lease) bool { return l.ID == st.Lease.ID }) {
					leases = append(leases, st.Lease)
				}
			}
			if len(leases) == 0 {
				fmt.Fprintf(a.stdout, "%s is not locked\n", up.Name)
				return nil
			}
			for _, l := range leases {
				if l.Owner != s.actor && l.ID != id {
					return usagef("%s is locked by %s (promotion %s), not by %s: if its job is dead, pass --id %s", up.Name, l.Owner, l.ID, s.actor, l.ID)
				}
			}
			for _, l := range leases {
				if err := s.Locker().Unlock(c, l); err != nil && !errors.Is(err, lock.ErrNotHeld) {
					return err
				}
				fmt.Fprintf(a.stdout, "Released promotion %s of %s\n", l.ID, l.Owner)
			}
			return nil
		}),
	}
	release.Flags().StringVar(&id, "id", "", "the promotion id of a lease held by someone else")
	cmd.AddCommand(status, release)
	return cmd
}

// maintainer is what a repository offers for maintenance.
type maintainer interface{ Maintain(context.Context) error }

func (a *app) maintainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "maintain",
		Short: "Repository maintenance: purge expired environments, compact the repository",
		Long: `maintain removes the DELETE_PENDING environments whose 30 days have passed
and compacts the Git repository (packing loose objects), like git gc. It is
safe to run while others work; run it from cron or a CI schedule.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.openOrg(cmd)
			if err != nil {
				return err
			}
			purged, err := s.t.Purge(ctx(cmd))
			if err != nil {
				return err
			}
			for _, e := range purged {
				fmt.Fprintf(a.stdout, "Purged %s (deleted %s)\n", e.Name, e.SoftDeletedAt.UTC().Format(time.DateOnly))
			}
			if m, ok := s.Repo().(maintainer); ok {
				err = m.Maintain(ctx(cmd))
			} else {
				var out []byte
				out, err = exec.CommandContext(ctx(cmd), "git", "-C", a.repo, "gc", "--quiet").CombinedOutput()
				if err != nil {
					err = fmt.Errorf("git gc: %v: %s", err, strings.TrimSpace(string(out)))
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Maintained %s\n", a.repo)
			return nil
		},
	}
}

// lockStateJSON is lock status --json: the AIC lock state (result,
// promotionId, description, lowerEnv, upperEnv), environments named by
// name and id, and the holder when the pair is locked.
type lockStateJSON struct {
	Result      lock.State  `json:"result"`
	PromotionID string      `json:"promotionId,omitempty"`
	Description string      `json:"description,omitempty"`
	LowerEnv    envLockJSON `json:"lowerEnv"`
	UpperEnv    envLockJSON `json:"upperEnv"`
	Owner       string      `json:"owner,omitempty"`
	Acquired    time.Time   `json:"acquired,omitzero"`
	Expires     time.Time   `json:"expires,omitzero"`
}

type envLockJSON struct {
	Name        string     `json:"name"`
	ID          string     `json:"id"`
	PromotionID string     `json:"promotionId,omitempty"`
	State       lock.State `json:"state"`
}

func (a *app) serveCmd() *cobra.Command {
	var addr, tokenFile, domain string
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "serve [--addr ADDR] [--hosts DOMAIN] [--token-file FILE]",
		Short: "Serve the AIC and PingOne HTTP APIs and the web console",
		Long: `serve serves this repository (or --remote) over HTTP in the shape of the
AIC promotion and ESV APIs and PingOne's /v1/environments, each environment
under its name: http://ADDR/staging/environment/promotion/lock … People
sign in to the console at http://ADDR/console/ with the same token.

AIC serves one environment per host, and clients that build every URL from
the host alone (frodo) need that: with --hosts DOMAIN each environment is
also served at the root of NAME.DOMAIN, so --hosts localhost serves staging
at http://staging.localhost:PORT/environment/… (browsers and curl resolve
*.localhost to loopback; for another domain, point its wildcard DNS record
at the server). serve prints every environment's base URLs on start.

Requests authenticate with a bearer token, read from --token-file or
$ENVPROMOTE_TOKEN; with neither, a random one is printed. The token acts as
--as, an Organization Admin of the repository's organization. Put a proxy
that terminates TLS in front of it for anything but loopback.

Ctrl-C or SIGTERM lets running promotions finish; after --grace they are
cancelled, which leaves no partial state.`,
		Example: `  ENVPROMOTE_TOKEN=$(cat token) envpromote serve --addr 127.0.0.1:8080
  envpromote serve --hosts localhost    # staging at http://staging.localhost:8080`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := ctx(cmd)
			var hosts httpapi.HostResolver
			if cmd.Flags().Changed("hosts") {
				if len(domain) > 253 || !domainName.MatchString(strings.Trim(domain, ".")) {
					return usagef("--hosts %q: want a domain name such as localhost or tenant.example.com, without scheme, port or path", domain)
				}
				hosts = httpapi.SubdomainHosts(domain)
			}
			token := a.getenv("ENVPROMOTE_TOKEN")
			if tokenFile != "" {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return fmt.Errorf("--token-file: %w", unwrapPath(err))
				}
				token = strings.TrimSpace(string(b))
			}
			printToken := token == ""
			if printToken {
				token = rand.Text()
			}
			s, err := a.openOrg(cmd)
			if err != nil {
				return err
			}
			api, names, err := a.api(c, s, token, hosts)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usagef("--addr: %v", err)
			}
			if err := a.printServing(ln.Addr().(*net.TCPAddr), names, domain); err != nil {
				return err
			}
			if printToken {
				fmt.Fprintf(a.stdout, "Bearer token: %s\n", token)
			}
			srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()
			select {
			case err := <-served:
				return err
			case <-c.Done():
			}
			fmt.Fprintln(a.stderr, "stopping: waiting for running promotions")
			stop, cancel := context.WithTimeout(context.WithoutCancel(c), grace)
			defer cancel()
			return errors.Join(srv.Shutdown(stop), api.Shutdown(stop))
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&domain, "hosts", "", "also serve each environment at the root of NAME.DOMAIN (e.g. localhost)")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "file holding the bearer token to accept (default $ENVPROMOTE_TOKEN)")
	cmd.Flags().DurationVar(&grace, "grace", 30*time.Second, "how long a stop waits for running promotions")
	return cmd
}

// printServing prints where serve answers: the console, PingOne's API, and
// each environment's AIC base URL under its path and, with hosts, at its
// own host under domain (an environment whose name cannot be a host label
// has none).
func (a *app) printServing(addr *net.TCPAddr, names []string, domain string) error {
	base := "http://" + addr.String()
	what := a.repo
	if a.remote != "" {
		// A password in the URL (https://user:token@host/…) stays off the screen.
		remote := a.remote
		if u, err := url.Parse(remote); err == nil {
			remote = u.Redacted()
		}
		what = remote + " (cache " + a.repo + ")"
	}
	fmt.Fprintf(a.stdout, "Serving %s on %s\n", what, base)
	fmt.Fprintf(a.stdout, "Console:      %s/console/\n", base)
	fmt.Fprintf(a.stdout, "PingOne API:  %s/v1/environments\n", base)
	header := []string{"ENVIRONMENT", "AIC BASE URL"}
	var hosts httpapi.HostResolver
	if domain != "" {
		hosts = httpapi.SubdomainHosts(domain)
		header = append(header, "HOST BASE URL")
	}
	rows := make([][]string, len(names))
	for i, n := range names {
		rows[i] = []string{n, base + "/" + n}
		if hosts != nil {
			host := strings.ToLower(n) + "." + strings.ToLower(strings.Trim(domain, "."))
			if seg, ok := hosts(host); ok && seg == n {
				rows[i] = append(rows[i], "http://"+net.JoinHostPort(host, strconv.Itoa(addr.Port)))
			} else {
				rows[i] = append(rows[i], "")
			}
		}
	}
	return table(a.stdout, header, rows)
}

// domainName is what --hosts takes: a DNS name, dot-separated labels of
// letters, digits and inner hyphens.
var domainName = regexp.MustCompile(`^(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// api builds the HTTP API over every environment and group of s, and
// returns the environments' names (their path segments) in the Registry's
// order. The API reads them again at every request, so environments and
// groups created, renamed or deleted while it serves are served at once,
// by path and by host.
func (a *app) api(ctx context.Context, s *system, token string, hosts httpapi.HostResolver) (*httpapi.Server, []string, error) {
	envs, err := s.Registry().List(ctx, s.p, "")
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	api, err := httpapi.New(httpapi.Config{
		Authenticator: httpapi.NewStaticTokens(map[string]httpapi.Principal{
			token: {Principal: s.p, Scopes: []string{httpapi.ScopePromotion, httpapi.ScopeESVAll}},
		}),
		Registry: s.Registry(), ESV: s.ESV(), Refresh: s.served, Hosts: hosts,
		Logger: slog.New(slog.NewTextHandler(a.stderr, nil)),
	})
	return api, names, err
}

// served returns what the API serves: every environment under its name,
// and a Promoter of every group. The API asks at every request, so it
// lists them again only when the organization's revision has moved since
// its last answer, and otherwise costs one store read: environments and
// groups created, renamed or deleted, by this process or another, are
// still served at once.
func (s *system) served(ctx context.Context) (map[string]string, []*promotion.Promoter, error) {
	// The revision is read first: a change landing during the listing
	// makes the next call list again, never keeps a stale answer.
	rev, err := s.Registry().Revision(ctx, s.org)
	if err != nil {
		return nil, nil, err
	}
	s.servedMu.Lock()
	last := s.lastServed
	s.servedMu.Unlock()
	if last != nil && last.rev == rev {
		return last.paths, last.promoters, nil
	}
	envs, err := s.Registry().List(ctx, s.p, "")
	if err != nil {
		return nil, nil, err
	}
	paths := make(map[string]string, len(envs))
	for _, e := range envs {
		paths[e.Name] = e.ID
	}
	groups, err := s.Registry().Groups(ctx, s.p, s.org)
	if err != nil {
		return nil, nil, err
	}
	var promoters []*promotion.Promoter
	for _, g := range groups {
		p, err := s.Promoter(ctx, g.Name)
		if err != nil {
			return nil, nil, err
		}
		promoters = append(promoters, p)
	}
	s.servedMu.Lock()
	s.lastServed = &servedAnswer{rev, paths, promoters}
	s.servedMu.Unlock()
	return paths, promoters, nil
}

// servedAnswer is served's answer at an organization revision.
type servedAnswer struct {
	rev       int64
	paths     map[string]string
	promoters []*promotion.Promoter
}
