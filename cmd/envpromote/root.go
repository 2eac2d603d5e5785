package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/envpromote/envpromote"
	"github.com/spf13/cobra"
)

// app is one run of the command: its streams, global flags and the
// envpromote setup it opens on first use.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	repo, remote, as, keyFile string
	json                      bool
	initing                   bool // init may create the repository

	sys *system // opened by open
}

const rootHelp = `envpromote promotes identity-platform configuration between the
environments of a promotion group (dev → UAT… → staging → prod), the way
PingOne Advanced Identity Cloud self-service promotions do. Everything —
configuration, environments, ESVs, locks and reports — lives in one Git
repository (--repo), optionally shared with other machines through --remote.

The encryption key of ESV secrets comes from --key-file or $ENVPROMOTE_KEY
(32 bytes, as raw bytes in the file, or as base64 or hex text); never from
the command line, where it would end up in shell history and ps.

--json makes the commands that read print one JSON document instead of a
table, in the vendor APIs' shapes (PingOne environments; AIC reports, ESVs
and lock state); "go doc github.com/envpromote/envpromote/cmd/envpromote"
lists the fields of each.

Environment:
  ENVPROMOTE_REPO   the default of --repo
  ENVPROMOTE_KEY    the encryption key, when --key-file is not given
  ENVPROMOTE_TOKEN  the bearer token serve accepts, when --token-file is not given
  ENVPROMOTE_TIME   a fixed time (RFC 3339) for every change, like GIT_COMMITTER_DATE

Exit codes:
  0  ok
  1  error
  2  usage: a command line that does not parse, or input outside what is allowed
  3  blocked by integrity checks (the findings are printed)
  4  locked by someone else (the holder is named)`

func (a *app) rootCmd() *cobra.Command {
	// Help lists commands in the order of the workflow, not A to Z.
	cobra.EnableCommandSorting = false
	root := &cobra.Command{
		Use:           "envpromote",
		Short:         "Promote identity-platform configuration between environments",
		Long:          rootHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.resolveFlags(cmd)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	f := root.PersistentFlags()
	f.StringVar(&a.repo, "repo", "", "the Git repository directory (default $ENVPROMOTE_REPO, else ./envpromote.git)")
	f.StringVar(&a.remote, "remote", "", "URL of a shared Git repository; --repo is then its local cache")
	f.StringVar(&a.as, "as", "", "who acts: the author of every change (default the OS user, $USER)")
	f.StringVar(&a.keyFile, "key-file", "", "file holding the ESV secret encryption key (default $ENVPROMOTE_KEY)")
	f.BoolVar(&a.json, "json", false, "print JSON instead of tables, for scripts")
	root.AddGroup(
		&cobra.Group{ID: "setup", Title: "Set up:"},
		&cobra.Group{ID: "config", Title: "Configuration:"},
		&cobra.Group{ID: "promote", Title: "Promote:"},
		&cobra.Group{ID: "ops", Title: "Operate:"},
	)
	for _, c := range []struct {
		group string
		cmd   *cobra.Command
	}{
		{"setup", a.initCmd()}, {"setup", a.envCmd()}, {"setup", a.groupCmd()}, {"setup", a.esvCmd()},
		{"config", a.importCmd()}, {"config", a.exportCmd()}, {"config", a.diffCmd()},
		{"promote", a.statusCmd()}, {"promote", a.promoteCmd()}, {"promote", a.rollbackCmd()},
		{"promote", a.reportsCmd()}, {"promote", a.reportCmd()}, {"promote", a.revertCmd()},
		{"ops", a.lockCmd()}, {"ops", a.maintainCmd()}, {"ops", a.serveCmd()},
	} {
		c.cmd.GroupID = c.group
		root.AddCommand(c.cmd)
	}
	root.SetHelpCommandGroupID("ops")
	root.SetCompletionCommandGroupID("ops")
	a.completeEnvs(root)
	return root
}

// completeEnvs makes shell completion offer environment names wherever a
// command takes one: the ENV, LOWER, UPPER and DEV arguments of its Use line
// (and an env command's NAME), and --env.
func (a *app) completeEnvs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		a.completeEnvs(sub)
	}
	if !c.Runnable() {
		return
	}
	var isEnv []bool
	variadic := false
	for _, w := range strings.Fields(c.Use)[1:] {
		if strings.HasPrefix(strings.TrimLeft(w, "["), "-") {
			break
		}
		w = strings.Trim(w, "[]")
		variadic = strings.HasSuffix(w, "…")
		w = strings.TrimSuffix(w, "…")
		isEnv = append(isEnv, w == "ENV" || w == "LOWER" || w == "UPPER" || w == "DEV" ||
			w == "NAME" && c.Parent().Name() == "env" && c.Name() != "create")
	}
	c.ValidArgsFunction = func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		i := len(args)
		if variadic && i >= len(isEnv) {
			i = len(isEnv) - 1
		}
		if i < len(isEnv) && isEnv[i] {
			return a.envNames(cmd)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if c.Flags().Lookup("env") != nil {
		c.RegisterFlagCompletionFunc("env", func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
			return a.envNames(cmd)
		})
	}
}

// envNames lists the environments for completion; nothing when the
// repository cannot be opened (no key yet, say).
func (a *app) envNames(cmd *cobra.Command) ([]string, cobra.ShellCompDirective) {
	var names []string
	if a.resolveFlags(cmd) == nil {
		if s, err := a.openOrg(cmd); err == nil {
			if envs, err := s.Registry().List(ctx(cmd), s.p, ""); err == nil {
				for _, e := range envs {
					names = append(names, e.Name)
				}
			}
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// resolveFlags applies the documented defaults of the global flags.
func (a *app) resolveFlags(cmd *cobra.Command) error {
	if a.repo == "" {
		a.repo = a.getenv("ENVPROMOTE_REPO")
	}
	if a.repo == "" {
		a.repo = "envpromote.git"
	}
	if a.as == "" {
		a.as = a.getenv("USER")
	}
	if a.as == "" {
		if u, err := user.Current(); err == nil {
			a.as = u.Username
		}
	}
	if strings.TrimSpace(a.as) == "" {
		return usagef("--as: no actor: the OS user is unknown; name who acts with --as NAME")
	}
	// Every write this run makes is the actor's: commits, locks, ESVs.
	cmd.SetContext(envpromote.WithActor(cmd.Context(), a.as))
	return nil
}

// key returns the ESV encryption key from --key-file or $ENVPROMOTE_KEY.
func (a *app) key() ([]byte, error) {
	if a.keyFile != "" {
		b, err := os.ReadFile(a.keyFile)
		if err != nil {
			return nil, fmt.Errorf("--key-file: %w", unwrapPath(err))
		}
		if len(b) == 32 {
			return b, nil
		}
		k, err := parseKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("--key-file %s: %w", a.keyFile, err)
		}
		return k, nil
	}
	s := a.getenv("ENVPROMOTE_KEY")
	if s == "" {
		return nil, usagef("no encryption key: set $ENVPROMOTE_KEY or pass --key-file FILE (create one with: envpromote init --key-file FILE …)")
	}
	k, err := parseKey(s)
	if err != nil {
		return nil, fmt.Errorf("$ENVPROMOTE_KEY: %w", err)
	}
	return k, nil
}

// parseKey reads a 32-byte key written as base64 or hex text.
func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if k, err := hex.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	return nil, usagef("the key must be 32 bytes, written as 64 hex digits or base64")
}

// args checks the number of positional arguments: a wrong count is a usage
// error naming what the command takes.
func args(min, max int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || max >= 0 && len(args) > max {
			// The path without the root: "envpromote: " already leads the line.
			sub := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
			return usagef("%s takes %s; got %d argument(s) (see %s --help)", sub, names, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// ctx returns the command's context.
func ctx(cmd *cobra.Command) context.Context { return cmd.Context() }
