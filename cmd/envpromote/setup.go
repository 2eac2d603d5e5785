package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/promotion"
	"github.com/spf13/cobra"
)

func (a *app) initCmd() *cobra.Command {
	var org, license string
	var trial bool
	cmd := &cobra.Command{
		Use:   "init --org ORG --license ID [--trial]",
		Short: "Create the repository (or add a license to it) for an organization",
		Long: `init creates the Git repository at --repo (or opens it) and records the
organization and one of its licenses. Run it again to add another license.
A PRODUCTION environment needs a license that is not a trial.

With --key-file FILE naming a file that does not exist, init writes a new
random key there (mode 0600) first: keep it out of the repository.`,
		Example: "  envpromote init --org acme --license lic-1 --key-file ~/.envpromote.key",
		Args:    args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if org == "" || license == "" {
				return usagef("init needs --org ORG and --license ID")
			}
			if err := a.newKeyFile(); err != nil {
				return err
			}
			a.initing = true
			s, err := a.open(ctx(cmd))
			if err != nil {
				return err
			}
			if s.org != "" && s.org != org {
				return fmt.Errorf("the repository already belongs to organization %q, not %q", s.org, org)
			}
			if err := s.initOrg(ctx(cmd), org, environment.License{ID: license, Organization: org, Trial: trial}); err != nil {
				return err
			}
			kind := "license"
			if trial {
				kind = "trial license"
			}
			fmt.Fprintf(a.stdout, "Initialized %s for organization %s (%s %s)\n", a.repo, org, kind, license)
			return nil
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "the organization id")
	cmd.Flags().StringVar(&license, "license", "", "a license id of the organization")
	cmd.Flags().BoolVar(&trial, "trial", false, "the license is a trial (cannot back PRODUCTION environments)")
	return cmd
}

// newKeyFile writes a new random key to --key-file when it names a file
// that does not exist yet.
func (a *app) newKeyFile() error {
	if a.keyFile == "" {
		return nil
	}
	key := make([]byte, 32)
	rand.Read(key)
	f, err := os.OpenFile(a.keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--key-file: %w", unwrapPath(err))
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err = errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("--key-file: %w", err)
	}
	fmt.Fprintf(a.stderr, "wrote a new encryption key to %s: keep it safe and out of the repository\n", a.keyFile)
	return nil
}

func (a *app) envCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Create, list, delete and restore environments",
		Long: `Environments follow the PingOne model: a PRODUCTION environment is
soft-deleted (DELETE_PENDING for 30 days, restorable), a SANDBOX is removed
at once, and only PRODUCTION environments can be in a promotion group.
Environments are named by name everywhere; ids are accepted too.`,
	}
	var typ, region, license, description string
	create := &cobra.Command{
		Use:     "create NAME --type PRODUCTION|SANDBOX --region NA|CA|EU|AU|SG|AP [--license ID]",
		Short:   "Create an environment",
		Example: "  envpromote env create dev --type PRODUCTION --region EU",
		Args:    args(1, 1, "one NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openOrg(cmd)
			if err != nil {
				return err
			}
			e, err := s.Registry().Create(ctx(cmd), s.p, environment.Environment{
				Name: args[0], Type: environment.Type(strings.ToUpper(typ)), Region: environment.Region(strings.ToUpper(region)),
				License: environment.Ref{ID: license}, Description: description,
			})
			if err != nil {
				return err
			}
			return a.envOut(e)
		},
	}
	create.Flags().StringVar(&typ, "type", "", "PRODUCTION or SANDBOX")
	create.Flags().StringVar(&region, "region", "", "NA, CA, EU, AU, SG or AP (fixed once created)")
	create.Flags().StringVar(&license, "license", "", "the license id (needed when the organization has several)")
	create.Flags().StringVar(&description, "description", "", "a description")

	var filter string
	list := &cobra.Command{
		Use:     "list [--filter SCIM]",
		Aliases: []string{"ls"},
		Short:   "List environments",
		Long: `list prints the environments, filtered by a SCIM filter as PingOne's
API takes it: sw on name; eq on id, organization.id, license.id or status;
joined by and.`,
		Example: `  envpromote env list --filter 'name sw "S"'
  envpromote env list --filter 'status eq "DELETE_PENDING"' --json`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.openOrg(cmd)
			if err != nil {
				return err
			}
			if _, err := environment.ParseFilter(filter); err != nil {
				return usageError{fmt.Errorf("--filter: %w", err)}
			}
			envs, err := s.Registry().List(ctx(cmd), s.p, filter)
			if err != nil {
				return err
			}
			return a.envTable(envs...)
		},
	}
	list.Flags().StringVar(&filter, "filter", "", `a SCIM filter, e.g. 'name sw "S"'`)

	get := &cobra.Command{
		Use: "get NAME", Short: "Show an environment", Args: args(1, 1, "one NAME"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			return a.envOut(e)
		}),
	}
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an environment (PRODUCTION: soft delete for 30 days)",
		Args:  args(1, 1, "one NAME"),
		Long: `delete removes a SANDBOX environment at once. An ACTIVE PRODUCTION
environment is soft-deleted: DELETE_PENDING for 30 days, during which
"env restore" brings it back; delete it again after that to remove it for
good (maintain does it too).`,
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			if e.Type == environment.Production && e.Status == environment.Active {
				after, err := s.Registry().UpdateStatus(ctx(cmd), s.p, e.ID, environment.DeletePending, "")
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Deleted %s: DELETE_PENDING until %s (envpromote env restore %s)\n",
					e.Name, after.HardDeleteAllowedAt.UTC().Format(time.RFC3339), e.Name)
				return nil
			}
			if err := s.Registry().Delete(ctx(cmd), s.p, e.ID); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Deleted %s\n", e.Name)
			return nil
		}),
	}
	var restoreLicense string
	restore := &cobra.Command{
		Use:   "restore NAME [--license ID]",
		Short: "Restore a DELETE_PENDING environment",
		Args:  args(1, 1, "one NAME"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			lic := restoreLicense
			if lic == "" {
				lic = e.License.ID
			}
			e, err := s.Registry().UpdateStatus(ctx(cmd), s.p, e.ID, environment.Active, lic)
			if err != nil {
				return err
			}
			return a.envOut(e)
		}),
	}
	restore.Flags().StringVar(&restoreLicense, "license", "", "the license to restore with (default: its current one)")
	typeCmd := &cobra.Command{
		Use:   "type NAME PRODUCTION|SANDBOX",
		Short: "Change an environment's type",
		Args:  args(2, 2, "NAME and a type"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, e, err := a.resolveEnv(cmd, args[0])
			if err != nil {
				return err
			}
			e, err = s.Registry().ChangeType(ctx(cmd), s.p, e.ID, environment.Type(strings.ToUpper(args[1])))
			if err != nil {
				return err
			}
			return a.envOut(e)
		},
	}
	cmd.AddCommand(create, list, get, del, restore, typeCmd)
	return cmd
}

// openOrg opens the setup and requires an initialized organization.
func (a *app) openOrg(cmd *cobra.Command) (*system, error) {
	s, err := a.open(ctx(cmd))
	if err == nil && s.org == "" {
		err = errNoOrg
	}
	return s, err
}

func (a *app) resolveEnv(cmd *cobra.Command, name string) (*system, environment.Environment, error) {
	s, err := a.openOrg(cmd)
	if err != nil {
		return nil, environment.Environment{}, err
	}
	e, err := s.env(ctx(cmd), name)
	return s, e, err
}

// onEnv runs fn on the environment named by the first argument.
func (a *app) onEnv(fn func(*cobra.Command, *system, environment.Environment) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		s, e, err := a.resolveEnv(cmd, args[0])
		if err != nil {
			return err
		}
		return fn(cmd, s, e)
	}
}

// onMember runs fn on the environment named by the first argument and the
// Promoter of its group; upper as in system.member.
func (a *app) onMember(upper bool, fn func(*cobra.Command, *system, *promotion.Promoter, environment.Environment) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		s, err := a.openOrg(cmd)
		if err != nil {
			return err
		}
		p, e, err := s.member(ctx(cmd), args[0], upper)
		if err != nil {
			return err
		}
		return fn(cmd, s, p, e)
	}
}

// groups opens the setup and lists the organization's promotion groups.
func (a *app) groups(cmd *cobra.Command) (*system, []environment.Group, error) {
	s, err := a.openOrg(cmd)
	if err != nil {
		return nil, nil, err
	}
	groups, err := s.Registry().Groups(ctx(cmd), s.p, s.org)
	return s, groups, err
}

// envOut prints one environment: with --json as an object, as env get and
// the commands that change one do.
func (a *app) envOut(e environment.Environment) error {
	if a.json {
		return writeJSON(a.stdout, e)
	}
	return a.envTable(e)
}

// envTable prints environments: with --json as a list, as env list does.
func (a *app) envTable(envs ...environment.Environment) error {
	if a.json {
		return writeJSON(a.stdout, envs)
	}
	rows := make([][]string, len(envs))
	for i, e := range envs {
		rows[i] = []string{e.Name, string(e.Type), string(e.Region), string(e.Status), e.License.ID, e.ID}
	}
	return table(a.stdout, []string{"NAME", "TYPE", "REGION", "STATUS", "LICENSE", "ID"}, rows)
}

func (a *app) groupCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "group", Short: "Save and list promotion groups"}
	save := &cobra.Command{
		Use:   "save GROUP ENV…",
		Short: "Create or replace a promotion group, lowest environment first",
		Long: `save makes GROUP the chain ENV…, lowest first: development, then zero
or more UAT environments, staging, production (at least three). Tiers follow
from the position. Only adjacent members promote, lower to upper: never
dev → prod. Members must be ACTIVE PRODUCTION-type environments.`,
		Example: "  envpromote group save web dev uat staging prod",
		Args:    args(2, -1, "GROUP and its environments, lowest first"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openOrg(cmd)
			if err != nil {
				return err
			}
			g := environment.Group{Name: args[0], Organization: environment.Ref{ID: s.org}}
			names := args[1:]
			for i, name := range names {
				e, err := s.env(ctx(cmd), name)
				if err != nil {
					return err
				}
				g.Members = append(g.Members, environment.Member{ID: e.ID, Tier: tier(i, len(names))})
			}
			if _, err := s.Registry().SaveGroup(ctx(cmd), s.p, g); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Saved group %s: %s\n", g.Name, strings.Join(names, " → "))
			return nil
		},
	}
	list := &cobra.Command{
		Use: "list", Aliases: []string{"ls"}, Short: "List promotion groups", Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, groups, err := a.groups(cmd)
			if err != nil {
				return err
			}
			if a.json {
				return writeJSON(a.stdout, groups)
			}
			names, err := s.names(ctx(cmd))
			if err != nil {
				return err
			}
			var rows [][]string
			for _, g := range groups {
				chain := make([]string, len(g.Members))
				for i, m := range g.Members {
					chain[i] = names[m.ID] + " (" + string(m.Tier) + ")"
				}
				rows = append(rows, []string{g.Name, strings.Join(chain, " → ")})
			}
			return table(a.stdout, []string{"GROUP", "CHAIN"}, rows)
		},
	}
	del := &cobra.Command{
		Use: "delete GROUP", Short: "Delete a promotion group (its environments stay)", Args: args(1, 1, "one GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openOrg(cmd)
			if err != nil {
				return err
			}
			if err := s.Registry().DeleteGroup(ctx(cmd), s.p, s.org, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Deleted group %s\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(save, list, del)
	return cmd
}

// tier is the tier of the i-th of n members listed lowest first.
func tier(i, n int) environment.Tier {
	switch i {
	case 0:
		return environment.TierDevelopment
	case n - 1:
		return environment.TierProduction
	case n - 2:
		return environment.TierStaging
	}
	return environment.TierUAT
}
