package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/spf13/cobra"
)

type jobFlags struct {
	dryRun, ignoreEncrypted, keepLock bool
	description, ticket               string
}

func (f *jobFlags) add(cmd *cobra.Command, promote bool) {
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "check and report without changing anything")
	if promote {
		cmd.Flags().BoolVar(&f.ignoreEncrypted, "ignore-encrypted-secrets", false, "promote although the config holds values encrypted by another environment's keys")
		cmd.Flags().StringVar(&f.ticket, "ticket", "", "a change ticket reference, kept in the report")
	}
	cmd.Flags().BoolVar(&f.keepLock, "keep-lock", false, "if it fails, leave the pair locked for inspection")
	cmd.Flags().StringVar(&f.description, "description", "", "why, kept in the report")
}

const jobPolicy = `
It is one job: lock the pair (with the group, so only one promotion runs per
group), run the integrity checks, write one commit on the upper environment,
unlock. Unlock policy: the pair is unlocked at the end whether the job
succeeded or failed, unless it failed and --keep-lock asked to leave it
locked for inspection ("envpromote lock release" frees it). Progress goes to
stderr: a bar on a terminal, one line per step otherwise.

A block by the integrity checks prints each finding (file:line, JSON path,
what is wrong, how to fix it) and exits 3; a pair locked by someone else
exits 4, naming the holder.`

func (a *app) promoteCmd() *cobra.Command {
	var f jobFlags
	cmd := &cobra.Command{
		Use:   "promote LOWER UPPER [--dry-run] [--ignore-encrypted-secrets] [--keep-lock] [--description D] [--ticket T]",
		Short: "Promote LOWER's static configuration to UPPER: lock, check, promote, unlock",
		Long: `promote takes the static configuration of LOWER and the dynamic
configuration (identities, applications, policies, data, ESV definitions)
of UPPER, checks it, and records it on UPPER as one commit, with a report.
LOWER and UPPER must be adjacent in their group: dev → staging, staging →
prod, never dev → prod.
` + jobPolicy,
		Example: `  envpromote promote dev staging --description "Welcome journey" --ticket CHG-42
  envpromote promote staging prod --dry-run`,
		Args: args(2, 2, "LOWER and UPPER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.job(cmd, args[0], args[1], promotion.TypePromotion, f)
		},
	}
	f.add(cmd, true)
	return cmd
}

func (a *app) rollbackCmd() *cobra.Command {
	var f jobFlags
	cmd := &cobra.Command{
		Use:   "rollback UPPER [--dry-run] [--keep-lock] [--description D]",
		Short: "Undo UPPER's most recent promotion, as a new commit",
		Long: `rollback restores UPPER's static configuration to what it was before its
most recent promotion, keeping its current dynamic configuration, as a new
commit: history is never rewritten. Only the most recent promotion can be
rolled back, once.
` + jobPolicy,
		Args: args(1, 1, "one UPPER environment"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.job(cmd, "", args[0], promotion.TypeRollback, f)
		},
	}
	f.add(cmd, false)
	return cmd
}

// job runs a promotion or rollback as one call: lock, run, unlock.
func (a *app) job(cmd *cobra.Command, lower, upper string, typ promotion.Type, f jobFlags) error {
	c := ctx(cmd)
	s, err := a.openOrg(cmd)
	if err != nil {
		return err
	}
	names, err := s.names(c)
	if err != nil {
		return err
	}
	prog := newProgress(a.stderr, 4, names) // lock, check, write, unlock
	s.observe(prog.observe)
	defer prog.finish()
	var p *promotion.Promoter
	var lo, up environment.Environment
	if typ == promotion.TypeRollback {
		if p, up, err = s.member(c, upper, true); err != nil {
			return err
		}
		g := p.Group()
		if lo, err = s.env(c, g.Members[index(g, up.ID)-1].ID); err != nil {
			return err
		}
	} else if p, lo, up, err = s.pair(c, lower, upper); err != nil {
		return err
	}
	req := promotion.Request{Lower: lo.ID, Upper: up.ID, DryRun: f.dryRun, IgnoreEncryptedSecrets: f.ignoreEncrypted,
		Promoter: s.actor, Description: f.description, TicketReference: f.ticket, KeepLockOnFailure: f.keepLock}
	var rep *promotion.Report
	if typ == promotion.TypeRollback {
		rep, err = p.RollbackAndUnlock(c, req)
	} else {
		rep, err = p.PromoteAndUnlock(c, req)
	}
	if err != nil && prog.done > 0 && !f.keepLock && !errors.Is(err, promotion.ErrUnlockFailed) {
		prog.step(fmt.Sprintf("unlocked %s → %s", lo.Name, up.Name)) // a failed run is unlocked without an event
	}
	prog.finish()
	if errors.Is(err, lock.ErrLocked) && prog.done == 0 {
		return lockedError(err, lo.Name, up.Name, p.Group(), names)
	}
	var ie *integrity.Error
	if errors.As(err, &ie) {
		a.printFindings(ie.Findings)
		if missing := missingESVs(ie.Findings); len(missing) > 0 && !a.json {
			fmt.Fprintf(a.stderr, "%s lacks %d ESV(s): %s\n", up.Name, len(missing), strings.Join(missing, ", "))
		}
		what := "promotion " + lo.Name + " → " + up.Name
		if typ == promotion.TypeRollback {
			what = "rollback of " + up.Name
		}
		held := ""
		if f.keepLock {
			held = fmt.Sprintf(" and stays locked for inspection (envpromote lock release %s)", up.Name)
		}
		return blockedError{fmt.Errorf("%s blocked by %d integrity finding(s); %s is unchanged%s", what, len(ie.Findings), up.Name, held), ie}
	}
	var ue *promotion.UnlockError
	if errors.As(err, &ue) {
		a.printReport(c, s, ue.Report)
		return fmt.Errorf("%s → %s: done, but unlocking failed (%v): free it with envpromote lock release %s --id %s", lo.Name, up.Name, ue.Err, up.Name, ue.Lease.ID)
	}
	if err != nil {
		return err
	}
	return a.printReport(c, s, rep)
}

// blockedError is a block by the integrity checks, worded for the command
// line (the findings are printed before it): exit code 3.
type blockedError struct {
	err error
	ie  *integrity.Error
}

func (e blockedError) Error() string { return e.err.Error() }
func (e blockedError) Unwrap() error { return e.ie }

// lockedError rewords a lock refusal with names and the way out.
// The holder is released through its own upper environment, the last
// member of the group it holds.
func lockedError(err error, lower, upper string, g environment.Group, names map[string]string) error {
	var le *lock.LockedError
	if !errors.As(err, &le) {
		return err
	}
	env := cmp.Or(names[le.Env], le.Env)
	if le.Env == promotion.GroupLock(g.Name) {
		env = "group " + g.Name
	}
	release := upper
	for _, m := range g.Members {
		if slices.Contains(le.Holder.Envs, m.ID) {
			release = cmp.Or(names[m.ID], release)
		}
	}
	return fmt.Errorf("%s → %s: %s %w by %s (promotion %s, since %s); wait for it, or if it is stuck: envpromote lock release %s",
		lower, upper, env, lock.ErrLocked, le.Holder.Owner, le.Holder.ID, le.Holder.Acquired.UTC().Format(time.RFC3339), release)
}

// printFindings prints blocking findings to stderr: where, what, and the fix.
func (a *app) printFindings(fs []integrity.Finding) {
	if a.json {
		writeJSON(a.stdout, map[string]any{"blocked": true, "findings": fs})
		return
	}
	for _, f := range fs {
		where := f.Path
		if f.Line > 0 {
			where += fmt.Sprintf(":%d", f.Line)
		}
		if f.JSONPath != "" {
			where += " (" + f.JSONPath + ")"
		}
		fmt.Fprintf(a.stderr, "%s: %s\n", where, f.Message)
		if f.Hint != "" {
			fmt.Fprintf(a.stderr, "    fix: %s\n", f.Hint)
		}
	}
}

// missingESVs lists the ESVs the missing-ESV findings name, sorted.
func missingESVs(fs []integrity.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Check == integrity.CheckMissingESVs && f.ESV != "" && !slices.Contains(out, f.ESV) {
			out = append(out, f.ESV)
		}
	}
	slices.Sort(out)
	return out
}

// printReport prints a promotion report: a header and one row per change.
func (a *app) printReport(ctx context.Context, s *system, r *promotion.Report) error {
	if a.json {
		return writeJSON(a.stdout, r)
	}
	names, err := s.names(ctx)
	if err != nil {
		return err
	}
	kind := string(r.Type)
	if r.DryRun {
		kind += " (dry run)"
	}
	if r.ReportID != "" {
		fmt.Fprintf(a.stdout, "Report %s: %s %s → %s by %s, %s\n", r.ReportID, kind, names[r.Lower], names[r.Upper], r.Promoter, r.CreatedDate.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintf(a.stdout, "Provisional %s %s → %s\n", kind, names[r.Lower], names[r.Upper])
	}
	if r.Description != "" || r.TicketReference != "" {
		fmt.Fprintf(a.stdout, "  %s  %s\n", r.Description, r.TicketReference)
	}
	if len(r.MissingESVs) > 0 {
		fmt.Fprintf(a.stdout, "  missing ESVs: %s\n", strings.Join(r.MissingESVs, ", "))
	}
	if len(r.EncryptedSecrets) > 0 {
		fmt.Fprintf(a.stdout, "  encrypted secrets: %s\n", strings.Join(r.EncryptedSecrets, ", "))
	}
	if len(r.PreviouslyIgnoredEncryptedSecrets) > 0 {
		fmt.Fprintf(a.stdout, "  ignored encrypted secrets: %s\n", strings.Join(r.PreviouslyIgnoredEncryptedSecrets, ", "))
	}
	var rows [][]string
	for _, group := range []struct {
		product promotion.Product
		items   []promotion.ItemChanges
	}{{promotion.AM, r.Changes.AMConfig}, {promotion.IDM, r.Changes.IDMConfig}} {
		for _, it := range group.items {
			for _, ch := range []struct {
				op      string
				entries []promotion.Entry
			}{{"added", it.ConfigChange.Added}, {"modified", it.ConfigChange.Modified}, {"deleted", it.ConfigChange.Deleted}} {
				for _, e := range ch.entries {
					rows = append(rows, []string{string(group.product), it.ConfigItem, ch.op, e.Name, e.Realm})
				}
			}
		}
	}
	if len(rows) == 0 {
		fmt.Fprintln(a.stdout, "No changes.")
		return nil
	}
	return table(a.stdout, []string{"PRODUCT", "ITEM", "CHANGE", "NAME", "REALM"}, rows)
}

func (a *app) reportsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reports ENV",
		Short: "List the reports of promotions, rollbacks and dry runs into ENV",
		Args:  args(1, 1, "one ENV"),
		RunE: a.onMember(true, func(cmd *cobra.Command, _ *system, p *promotion.Promoter, e environment.Environment) error {
			reps, err := p.Reports(ctx(cmd), e.ID)
			if err != nil {
				return err
			}
			if a.json {
				return writeJSON(a.stdout, reps)
			}
			rows := make([][]string, len(reps))
			for i, r := range reps {
				typ := string(r.Type)
				if r.DryRun {
					typ += " (dry run)"
				}
				rows[i] = []string{r.ReportID, r.CreatedDate.UTC().Format(time.RFC3339), typ, r.Promoter}
			}
			return table(a.stdout, []string{"REPORT", "CREATED", "TYPE", "PROMOTER"}, rows)
		}),
	}
}

func (a *app) reportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report ID",
		Short: "Show a promotion, rollback or dry-run report",
		Args:  args(1, 1, "one report ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, groups, err := a.groups(cmd)
			if err != nil {
				return err
			}
			for _, g := range groups {
				p, err := s.Promoter(ctx(cmd), g.Name)
				if err != nil {
					return err
				}
				r, err := p.Report(ctx(cmd), args[0])
				if errors.Is(err, promotion.ErrReportNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				return a.printReport(ctx(cmd), s, r)
			}
			return fmt.Errorf("no report %q (envpromote reports ENV lists them)", args[0])
		},
	}
}

func (a *app) revertCmd() *cobra.Command {
	var before string
	cmd := &cobra.Command{
		Use:   "revert DEV --before TIME",
		Short: "Restore the development environment's static config as it was before TIME",
		Long: `revert restores DEV, the first environment of its group, to its static
configuration at the latest commit made before TIME, as a new commit;
dynamic configuration is kept. TIME is RFC 3339 (2026-11-30T17:00:00Z), a
date (2026-11-30, midnight UTC), or a duration ago (90m, 2h, 3d).`,
		Example: "  envpromote revert dev --before 2h\n  envpromote revert dev --before 2026-11-30T17:00:00Z",
		Args:    args(1, 1, "one DEV environment"),
		RunE: func(cmd *cobra.Command, args []string) error {
			clock, err := a.clock()
			if err != nil {
				return err
			}
			now := time.Now()
			if clock != nil {
				now = clock()
			}
			t, err := parseTime(before, now)
			if err != nil {
				return err
			}
			s, err := a.openOrg(cmd)
			if err != nil {
				return err
			}
			p, e, err := s.member(ctx(cmd), args[0], false)
			if err != nil {
				return err
			}
			c, err := p.RevertDevelopment(ctx(cmd), e.ID, t)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Reverted %s to its configuration before %s (commit %s)\n", e.Name, t.UTC().Format(time.RFC3339), short(string(c.Revision)))
			return nil
		},
	}
	cmd.Flags().StringVar(&before, "before", "", "RFC 3339 time, date, or duration ago")
	return cmd
}

// parseTime reads --before: RFC 3339, a date, or a duration ago (with "d"
// for days).
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, usagef("--before is required: an RFC 3339 time (2026-11-30T17:00:00Z), a date (2026-11-30) or a duration ago (2h, 3d)")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if n, ok := strings.CutSuffix(s, "d"); ok && err != nil {
		var days int
		if _, serr := fmt.Sscanf(n, "%d", &days); serr == nil && fmt.Sprint(days) == n {
			d, err = time.Duration(days)*24*time.Hour, nil
		}
	}
	if err != nil || d < 0 {
		return time.Time{}, usagef("--before %q: not a time; use RFC 3339 (2026-11-30T17:00:00Z), a date (2026-11-30) or a duration ago (2h, 3d)", s)
	}
	return now.Add(-d), nil
}

func (a *app) statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status [GROUP]",
		Short: "Show the promotion chains: heads, lock states, pending restarts",
		Args:  args(0, 1, "at most one GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := ctx(cmd)
			s, groups, err := a.groups(cmd)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				g, err := s.Registry().Group(c, s.p, s.org, args[0])
				if err != nil {
					return err
				}
				groups = []environment.Group{g}
			}
			names, err := s.names(c)
			if err != nil {
				return err
			}
			type row struct {
				Group       string    `json:"group"`
				Environment string    `json:"environment"`
				Tier        string    `json:"tier"`
				Head        string    `json:"head,omitempty"`
				Updated     time.Time `json:"updated,omitzero"`
				Subject     string    `json:"subject,omitempty"`
				Lock        string    `json:"lock"`
				LockedBy    string    `json:"lockedBy,omitempty"`
				Restart     string    `json:"restart"`
				Pending     int       `json:"pendingESVs"`
			}
			var rows []row
			for _, g := range groups {
				for _, m := range g.Members {
					r := row{Group: g.Name, Environment: names[m.ID], Tier: string(m.Tier)}
					h, err := s.Repo().Head(c, m.ID)
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						return err
					}
					r.Head, r.Updated, r.Subject = string(h.Revision), h.Time, firstLine(h.Message)
					st, err := s.Locker().State(c, m.ID)
					if err != nil {
						return err
					}
					r.Lock, r.LockedBy = string(st.State), st.Lease.Owner
					if r.Restart, r.Pending, err = esvState(c, s, m.ID); err != nil {
						return err
					}
					rows = append(rows, r)
				}
			}
			if a.json {
				return writeJSON(a.stdout, rows)
			}
			out := make([][]string, len(rows))
			for i, r := range rows {
				lockCol := r.Lock
				if r.LockedBy != "" {
					lockCol += " by " + r.LockedBy
				}
				esvCol := r.Restart
				if r.Pending > 0 {
					esvCol = fmt.Sprintf("%d pending restart", r.Pending)
				}
				out[i] = []string{r.Group, r.Environment, r.Tier, short(r.Head), r.Subject, lockCol, esvCol}
			}
			return table(a.stdout, []string{"GROUP", "ENV", "TIER", "HEAD", "LAST CHANGE", "LOCK", "ESVS"}, out)
		},
	}
}

// esvState is env's restart status and how many ESV changes wait for a
// restart.
func esvState(ctx context.Context, s *system, env string) (string, int, error) {
	rs, err := s.ESV().RestartStatus(ctx, env)
	if err != nil {
		return "", 0, err
	}
	vars, err := s.ESV().Variables(ctx, env, esv.ListOptions{OnlyPending: true})
	if err != nil {
		return "", 0, err
	}
	secrets, err := s.ESV().Secrets(ctx, env, esv.ListOptions{OnlyPending: true})
	return string(rs), len(vars) + len(secrets), err
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
