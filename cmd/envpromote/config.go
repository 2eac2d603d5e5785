package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/spf13/cobra"
)

func (a *app) importCmd() *cobra.Command {
	var envName, values, message string
	var allowUnknown bool
	cmd := &cobra.Command{
		Use:   "import DIR --env ENV [--values FILE|-] [--allow-unknown-paths]",
		Short: "Replace an environment's configuration with an fr-config-manager export",
		Long: `import makes DIR, a tree in the layout of fr-config-manager (fr-config-pull),
the configuration of ENV: one commit, in which files missing from DIR are
deleted. Files outside the layout (anything but realms/, managed-objects/,
email-templates/, esvs/, … at the top) are refused unless
--allow-unknown-paths. A .git directory is skipped.

The ESV definitions under esvs/variables and esvs/secrets are loaded into
ENV's ESV service. fr-config-pull writes a reference such as
"${ESV_SMTP_HOST}" where a value would go: --values FILE (or - for stdin)
supplies them, as NAME=BASE64VALUE lines in the .env form fr-config-manager
uses. A variable whose export holds a literal valueBase64 gets it. Secret
values come only from --values, never from the tree (where they would sit
in Git in plaintext) or the command line: a tree holding one is refused.
Definitions without a value are listed and skipped. Changes wait for
"envpromote esv restart ENV", as in AIC.

Everything is checked before anything is written. export writes the tree
back byte for byte.`,
		Example: `  envpromote import ./tenant --env dev
  envpromote import ./tenant --env dev --values .env
  vault kv get -field=env secret/esv | envpromote import ./tenant --env dev --values -`,
		Args: args(1, 1, "one DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if envName == "" {
				return usagef("import needs --env ENV")
			}
			snap, err := loadTree(args[0], allowUnknown)
			if err != nil {
				return err
			}
			vals, err := readValues(values, a.stdin)
			if err != nil {
				return err
			}
			defs, err := readESVDefs(snap, vals)
			if err != nil {
				return err
			}
			s, e, err := a.resolveEnv(cmd, envName)
			if err != nil {
				return err
			}
			if message == "" {
				message = "Import " + args[0] + " into " + e.Name
			}
			c, changes, err := s.replace(ctx(cmd), e, snap, message)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Imported %d files into %s: %s (commit %s)\n", snap.Len(), e.Name, countOps(changes), short(string(c.Revision)))
			return a.loadESVs(ctx(cmd), s, e, defs)
		},
	}
	cmd.Flags().StringVar(&envName, "env", "", "the environment to import into")
	cmd.Flags().StringVar(&values, "values", "", "NAME=BASE64VALUE lines for the export's ${NAME} references (- for stdin)")
	cmd.Flags().BoolVar(&allowUnknown, "allow-unknown-paths", false, "import files outside the fr-config-manager layout too")
	cmd.Flags().StringVarP(&message, "message", "m", "", "the commit message")
	return cmd
}

// replace commits snap as e's whole configuration, through its group's
// Promoter when it has one (which refuses while e is locked), else straight
// to the repository, and returns the changes from what e held. Only the
// changes are applied (see applyAll), and nothing is committed when there
// are none.
func (s *system) replace(ctx context.Context, e environment.Environment, snap *store.Snapshot, msg string) (store.Commit, []store.Change, error) {
	info := store.CommitInfo{Author: s.actor, Message: msg}
	p, _, err := s.member(ctx, e.ID, false)
	switch {
	case errors.Is(err, errNoGroup): // below
	case err != nil:
		return store.Commit{}, nil, err
	default:
		var changes []store.Change
		c, err := p.Edit(ctx, e.ID, func(b *store.Builder) (err error) {
			changes, err = applyAll(b, snap)
			return err
		}, info)
		return c, changes, err
	}
	// Not in a group yet: nothing can lock it. The commit is an edit, as
	// the Promoter would record it.
	info.Metadata = map[string]string{promotion.MetaType: string(promotion.TypeEdit)}
	head, err := s.Repo().Head(ctx, e.ID)
	var old *store.Snapshot
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return store.Commit{}, nil, err
	default:
		if old, err = s.Repo().Snapshot(ctx, head.Revision); err != nil {
			return store.Commit{}, nil, err
		}
	}
	b := store.NewBuilder(old)
	changes, err := applyAll(b, snap)
	if err != nil || (head.Revision != "" && len(changes) == 0) {
		return head, changes, err
	}
	c, err := s.Repo().Commit(ctx, e.ID, head.Revision, b.Snapshot(), info)
	return c, changes, err
}

// applyAll makes b hold snap's files by applying the changes from what it
// holds, which it returns: directories left as they were stay as stored
// (gitstore keeps Git's modes in them), and the work follows the changes.
// Deletions go first, and the directories they empty are dropped before
// the files are put, so a file may replace a directory.
func applyAll(b *store.Builder, snap *store.Snapshot) ([]store.Change, error) {
	changes, err := store.Diff(b.Snapshot(), snap)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		if c.Op == store.Deleted {
			if err := b.Delete(c.Path); err != nil {
				return nil, err
			}
		}
	}
	b.Snapshot()
	for _, c := range changes {
		if c.Op != store.Deleted {
			data, err := snap.ReadFile(c.Path)
			if err == nil {
				err = b.Put(c.Path, data)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return changes, nil
}

func countOps(changes []store.Change) string {
	var n [4]int
	for _, c := range changes {
		n[c.Op]++
	}
	if len(changes) == 0 {
		return "no changes"
	}
	return fmt.Sprintf("%d added, %d modified, %d deleted", n[store.Added], n[store.Modified], n[store.Deleted])
}

// loadESVs writes the ESV definitions of an import to e's ESV service.
func (a *app) loadESVs(ctx context.Context, s *system, e environment.Environment, d esvDefs) error {
	if len(d.vars)+len(d.secrets)+len(d.skipped) == 0 {
		return nil
	}
	for _, v := range d.vars {
		if _, err := s.ESV().SetVariable(ctx, e.ID, v.name, v.spec); err != nil {
			return err
		}
	}
	for _, sec := range d.secrets {
		vals := sec.versions
		_, err := s.ESV().CreateSecret(ctx, e.ID, sec.name, sec.spec)
		if errors.Is(err, esv.ErrExists) {
			vals = append([]esv.SecretValue{sec.spec.Value}, vals...)
			err = nil
		}
		if err != nil {
			return err
		}
		for _, v := range vals {
			if _, err := s.ESV().CreateSecretVersion(ctx, e.ID, sec.name, v); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(a.stdout, "ESVs of %s: %d variable(s) set, %d secret(s) set", e.Name, len(d.vars), len(d.secrets))
	if len(d.skipped) > 0 {
		fmt.Fprintf(a.stdout, "; %d without a value skipped (pass them with --values): %s", len(d.skipped), strings.Join(d.skipped, ", "))
	}
	fmt.Fprintf(a.stdout, "\nRestart %s to load them: envpromote esv restart %s\n", e.Name, e.Name)
	return nil
}

func (a *app) exportCmd() *cobra.Command {
	var envName, rev string
	cmd := &cobra.Command{
		Use:   "export DIR --env ENV [--revision REV]",
		Short: "Write an environment's configuration as an fr-config-manager tree",
		Long: `export writes ENV's configuration (its head, or --revision) to DIR, which
must not exist or be empty (its parents are created), byte for byte as it was imported or promoted:
import then export gives back the same files. DIR appears complete or not
at all. File modes are not kept (files are 0644), nor empty directories.`,
		Example: "  envpromote export ./prod-config --env prod",
		Args:    args(1, 1, "one DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if envName == "" {
				return usagef("export needs --env ENV")
			}
			s, e, err := a.resolveEnv(cmd, envName)
			if err != nil {
				return err
			}
			r := store.Revision(rev)
			if r == "" {
				head, err := s.Repo().Head(ctx(cmd), e.ID)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("%s has no configuration yet (envpromote import DIR --env %s)", e.Name, e.Name)
				}
				if err != nil {
					return err
				}
				r = head.Revision
			}
			snap, err := s.Repo().Snapshot(ctx(cmd), r)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(filepath.Clean(args[0])), 0o755); err != nil {
				return err
			}
			if err := snap.WriteDir(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Exported %d files of %s (commit %s) to %s\n", snap.Len(), e.Name, short(string(r)), args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&envName, "env", "", "the environment to export")
	cmd.Flags().StringVar(&rev, "revision", "", "a commit of the environment (default its head)")
	return cmd
}

func (a *app) diffCmd() *cobra.Command {
	var files bool
	cmd := &cobra.Command{
		Use:   "diff LOWER UPPER [--files]",
		Short: "Show what promoting LOWER to UPPER would change (a provisional report)",
		Long: `diff prints the provisional report of promoting LOWER to UPPER: the config
items that would be added, modified or deleted, grouped as AIC groups them.
It takes no lock and changes nothing. --files prints unified diffs of the
static configuration instead (dynamic configuration is never promoted);
with --json, one {path, change, diff} per file.`,
		Example: "  envpromote diff dev staging\n  envpromote diff dev staging --files | less",
		Args:    args(2, 2, "LOWER and UPPER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openOrg(cmd)
			if err != nil {
				return err
			}
			p, lo, up, err := s.pair(ctx(cmd), args[0], args[1])
			if err != nil {
				return err
			}
			if files {
				return a.fileDiff(ctx(cmd), s, lo, up)
			}
			r, err := p.ProvisionalReport(ctx(cmd), lo.ID, up.ID)
			if err != nil {
				return err
			}
			return a.printReport(ctx(cmd), s, r)
		},
	}
	cmd.Flags().BoolVar(&files, "files", false, "print unified diffs of the files instead of the report")
	return cmd
}

// fileDiff prints the unified diffs between the static configuration of
// up and lo: what a promotion would write.
func (a *app) fileDiff(ctx context.Context, s *system, lo, up environment.Environment) error {
	load := func(e environment.Environment) (*store.Snapshot, error) {
		h, err := s.Repo().Head(ctx, e.ID)
		if errors.Is(err, store.ErrNotFound) {
			return store.NewBuilder(nil).Snapshot(), nil
		}
		if err != nil {
			return nil, err
		}
		snap, err := s.Repo().Snapshot(ctx, h.Revision)
		if err != nil {
			return nil, err
		}
		return promotion.StaticView(promotion.DefaultLayout{}, snap)
	}
	from, err := load(up)
	if err != nil {
		return err
	}
	to, err := load(lo)
	if err != nil {
		return err
	}
	type fileJSON struct {
		Path   string `json:"path"`
		Change string `json:"change"` // added, modified or deleted
		Diff   string `json:"diff"`   // unified
	}
	changes, err := store.Diff(from, to)
	if err != nil {
		return err
	}
	var out []fileJSON
	read := func(s *store.Snapshot, p string) ([]byte, error) {
		data, err := s.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // the side without the file is empty
		}
		return data, err
	}
	for _, c := range changes {
		before, err := read(from, c.Path)
		if err != nil {
			return err
		}
		after, err := read(to, c.Path)
		if err != nil {
			return err
		}
		oldName, newName := "a/"+c.Path, "b/"+c.Path
		switch c.Op {
		case store.Added:
			oldName = "/dev/null"
		case store.Deleted:
			newName = "/dev/null"
		}
		d := udiff.Unified(oldName, newName, string(before), string(after))
		if a.json {
			out = append(out, fileJSON{c.Path, c.Op.String(), d})
		} else {
			fmt.Fprint(a.stdout, d)
		}
	}
	if a.json {
		return writeJSON(a.stdout, out)
	}
	return nil
}
