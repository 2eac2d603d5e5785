package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/spf13/cobra"
)

func (a *app) esvCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "esv",
		Short: "Manage environment secrets and variables (ESVs)",
		Long: `ESVs are per environment and never promoted: each environment defines the
ones its configuration's placeholders (&{esv.smtp.host}) refer to. Changes
are pending until "envpromote esv restart ENV". While an environment is
locked for a promotion, its ESVs cannot change (exit 4).

Secret values are read from a file or stdin (--value-file FILE, - for
stdin), never from the command line, and are never shown again.`,
	}
	v := &cobra.Command{Use: "var", Aliases: []string{"variable"}, Short: "Set, get, list and delete variables"}
	var typ, desc, valueFile string
	set := &cobra.Command{
		Use:     "set ENV NAME [VALUE] [--type T] [--description D] [--value-file FILE|-]",
		Short:   "Create or update a variable",
		Long:    "set creates or updates a variable. Its type (string, list, array, object, bool, int, number,\nbase64encodedinlined, keyvaluelist; default string) is fixed once created.",
		Example: "  envpromote esv var set staging esv-smtp-host smtp.example.com\n  envpromote esv var set staging esv-ports --type list --value-file ports.txt",
		Args:    args(2, 3, "ENV, NAME and a VALUE (or --value-file)"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			val, err := a.value(cmd, valueFile, 2)
			if err != nil {
				return err
			}
			out, err := s.ESV().SetVariable(ctx(cmd), e.ID, cmd.Flags().Arg(1), esv.VariableSpec{
				Description: desc, ExpressionType: esv.ExpressionType(typ), Value: string(val)})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Set %s on %s (pending until: envpromote esv restart %s)\n", out.Name, e.Name, e.Name)
			return nil
		}),
	}
	set.Flags().StringVar(&typ, "type", "", "the expression type, fixed once created (default string)")
	set.Flags().StringVar(&desc, "description", "", "a description")
	set.Flags().StringVar(&valueFile, "value-file", "", "read the value from FILE (- for stdin)")
	get := &cobra.Command{
		Use: "get ENV NAME", Short: "Show a variable and its value", Args: args(2, 2, "ENV and NAME"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			out, err := s.ESV().Variable(ctx(cmd), e.ID, cmd.Flags().Arg(1))
			if err != nil {
				return err
			}
			if a.json {
				return writeJSON(a.stdout, out)
			}
			return a.varTable([]esv.Variable{out}, true)
		}),
	}
	list := &cobra.Command{
		Use: "list ENV", Aliases: []string{"ls"}, Short: "List variables", Args: args(1, 1, "one ENV"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			out, err := s.ESV().Variables(ctx(cmd), e.ID, esv.ListOptions{})
			if err != nil {
				return err
			}
			if a.json {
				return writeJSON(a.stdout, out)
			}
			return a.varTable(out, false)
		}),
	}
	del := &cobra.Command{
		Use: "delete ENV NAME", Short: "Delete a variable", Args: args(2, 2, "ENV and NAME"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			if err := s.ESV().DeleteVariable(ctx(cmd), e.ID, cmd.Flags().Arg(1)); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Deleted %s from %s\n", cmd.Flags().Arg(1), e.Name)
			return nil
		}),
	}
	v.AddCommand(set, get, list, del)

	sec := &cobra.Command{Use: "secret", Short: "Create secrets, add versions, list them"}
	var encoding, sdesc, sfile string
	var noPlaceholders bool
	create := &cobra.Command{
		Use:     "create ENV NAME --value-file FILE|- [--encoding E] [--description D] [--no-placeholders]",
		Short:   "Create a secret; its value from a file or stdin",
		Example: "  envpromote esv secret create staging esv-api-key --value-file - < key.txt",
		Args:    args(2, 2, "ENV and NAME"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			val, err := a.secretValue(sfile)
			if err != nil {
				return err
			}
			out, err := s.ESV().CreateSecret(ctx(cmd), e.ID, cmd.Flags().Arg(1), esv.SecretSpec{
				Description: sdesc, Encoding: esv.Encoding(encoding), UseInPlaceholders: !noPlaceholders, Value: val})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Created %s on %s, version %d (pending until: envpromote esv restart %s)\n", out.Name, e.Name, out.ActiveVersion, e.Name)
			return nil
		}),
	}
	create.Flags().StringVar(&encoding, "encoding", "", "generic, pem, base64hmac or base64aes (default generic)")
	create.Flags().StringVar(&sdesc, "description", "", "a description")
	create.Flags().StringVar(&sfile, "value-file", "", "read the value from FILE (- for stdin); required")
	create.Flags().BoolVar(&noPlaceholders, "no-placeholders", false, "configuration placeholders may not use it")
	var vfile string
	version := &cobra.Command{
		Use:   "version ENV NAME --value-file FILE|-",
		Short: "Add a new version of a secret, which becomes the active one",
		Args:  args(2, 2, "ENV and NAME"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			val, err := a.secretValue(vfile)
			if err != nil {
				return err
			}
			out, err := s.ESV().CreateSecretVersion(ctx(cmd), e.ID, cmd.Flags().Arg(1), val)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s on %s: version %d (pending until: envpromote esv restart %s)\n", cmd.Flags().Arg(1), e.Name, out.Version, e.Name)
			return nil
		}),
	}
	version.Flags().StringVar(&vfile, "value-file", "", "read the value from FILE (- for stdin); required")
	slist := &cobra.Command{
		Use: "list ENV", Aliases: []string{"ls"}, Short: "List secrets (never their values)", Args: args(1, 1, "one ENV"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			out, err := s.ESV().Secrets(ctx(cmd), e.ID, esv.ListOptions{})
			if err != nil {
				return err
			}
			if a.json {
				return writeJSON(a.stdout, out)
			}
			rows := make([][]string, len(out))
			for i, x := range out {
				rows[i] = []string{x.Name, string(x.Encoding), strconv.Itoa(x.ActiveVersion), strconv.Itoa(x.LoadedVersion), loaded(x.Loaded), x.LastChangedBy}
			}
			return table(a.stdout, []string{"NAME", "ENCODING", "ACTIVE", "LOADED VERSION", "LOADED", "CHANGED BY"}, rows)
		}),
	}
	sdel := &cobra.Command{
		Use: "delete ENV NAME", Short: "Delete a secret and all its versions", Args: args(2, 2, "ENV and NAME"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			if err := s.ESV().DeleteSecret(ctx(cmd), e.ID, cmd.Flags().Arg(1)); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Deleted %s from %s\n", cmd.Flags().Arg(1), e.Name)
			return nil
		}),
	}
	sec.AddCommand(create, version, slist, sdel)

	restart := &cobra.Command{
		Use: "restart ENV", Short: "Restart an environment so it loads its pending ESV changes", Args: args(1, 1, "one ENV"),
		RunE: a.onEnv(func(cmd *cobra.Command, s *system, e environment.Environment) error {
			st, err := s.ESV().Restart(ctx(cmd), e.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Restarted %s: %s\n", e.Name, st)
			return nil
		}),
	}
	cmd.AddCommand(v, sec, restart)
	return cmd
}

func (a *app) varTable(vars []esv.Variable, withValue bool) error {
	header := []string{"NAME", "TYPE", "LOADED", "CHANGED BY", "CHANGED"}
	if withValue {
		header = append(header, "VALUE")
	}
	rows := make([][]string, len(vars))
	for i, v := range vars {
		rows[i] = []string{v.Name, string(v.ExpressionType), loaded(v.Loaded), v.LastChangedBy, v.LastChangeDate.UTC().Format(time.RFC3339)}
		if withValue {
			rows[i] = append(rows[i], v.Value)
		}
	}
	return table(a.stdout, header, rows)
}

func loaded(b bool) string {
	if b {
		return "yes"
	}
	return "pending restart"
}

// value reads a variable's value from the argument at i or --value-file.
func (a *app) value(cmd *cobra.Command, file string, i int) ([]byte, error) {
	hasArg := cmd.Flags().NArg() > i
	switch {
	case hasArg && file != "":
		return nil, usagef("give the value as an argument or with --value-file, not both")
	case hasArg:
		return []byte(cmd.Flags().Arg(i)), nil
	case file == "":
		return nil, usagef("no value: give it as an argument or with --value-file FILE (- for stdin)")
	}
	return a.readFile(file)
}

// secretValue reads a secret from --value-file: a file or stdin, never argv.
func (a *app) secretValue(file string) (esv.SecretValue, error) {
	if file == "" {
		return esv.SecretValue{}, usagef("no value: secret values come from --value-file FILE or - for stdin, never from the command line")
	}
	b, err := a.readFile(file)
	if err != nil {
		return esv.SecretValue{}, err
	}
	return esv.NewSecretValue(b), nil
}

// readFile reads file, or stdin for "-". One trailing newline is dropped,
// as `echo value >file` adds it.
func (a *app) readFile(file string) ([]byte, error) {
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(a.stdin)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("--value-file: %w", unwrapPath(err))
	}
	s, _ := strings.CutSuffix(string(b), "\n")
	return []byte(s), nil
}
