package integrity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/envpromote/envpromote/errkind"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/store"
)

// Sentinel errors; match them with errors.Is. ErrFailed is of kind
// errkind.FailedPrecondition, ErrInvalidInput of errkind.Invalid.
var (
	// ErrFailed: at least one finding blocks the operation. The error is an
	// *Error carrying every blocking finding.
	ErrFailed = errkind.New(errkind.FailedPrecondition, "integrity check failed")
	// ErrInvalidInput: the Input is unusable (unknown operation, invalid
	// ESV name); the error names what is wrong and what is allowed.
	ErrInvalidInput = errkind.New(errkind.Invalid, "invalid integrity input")
)

// Operation is what the checked configuration is about to go through.
type Operation uint8

// The operations. The zero Operation is invalid.
const (
	Promotion Operation = iota + 1
	Rollback
)

// String returns "promotion" or "rollback", the AIC report's type values.
func (o Operation) String() string {
	switch o {
	case Promotion:
		return "promotion"
	case Rollback:
		return "rollback"
	}
	return fmt.Sprintf("Operation(%d)", uint8(o))
}

// ESV is what the checks know about one ESV of the upper environment:
// metadata only, never a value.
type ESV struct {
	// Type is a variable's expressionType; empty means string, AIC's
	// default. It is ignored for secrets, whose values are text.
	Type              esv.ExpressionType
	Secret            bool
	UseInPlaceholders bool // secrets only: whether placeholders may resolve it
}

// ESVsOf returns the metadata of an environment's variables and secrets,
// keyed by name, as Input.ESVs wants it.
func ESVsOf(vars []esv.Variable, secrets []esv.Secret) map[string]ESV {
	m := make(map[string]ESV, len(vars)+len(secrets))
	for _, v := range vars {
		m[v.Name] = ESV{Type: v.ExpressionType}
	}
	for _, s := range secrets {
		m[s.Name] = ESV{Secret: true, UseInPlaceholders: s.UseInPlaceholders}
	}
	return m
}

// Input is what the checks examine. Checks must not modify it.
type Input struct {
	// Static is the target's static configuration: for a promotion the
	// lower environment's static config, for a rollback the config being
	// restored. The promoter passes only static paths (its Layout decides
	// which), because dynamic config is never promoted and so never checked.
	// Built-in checks scan all of it, not only what changed.
	Static *store.Snapshot
	// Changes, if set, lists what differs from the upper environment's
	// current static config, for checks that look only at what changes.
	// It is a function because the list can be long and the built-in
	// checks do not use it: a caller builds it only when a check asks (and
	// may do so once, with sync.OnceValue). It may be nil (integrity.Run
	// with none given): a check tests it before calling it.
	Changes func() []store.Change
	// Operation is Promotion or Rollback.
	Operation Operation
	// ESVs is the upper environment's ESVs by name (esv-…). A Runner
	// validates a map's names, and judges each ESV reference against it,
	// once: it trusts the same map, of the same length, on later runs. To
	// change the ESVs, pass a new map rather than modifying one passed.
	ESVs map[string]ESV
	// IgnoreEncryptedSecrets is the request's ignoreEncryptedSecrets: the
	// EncryptedSecrets check then reports with severity Ignored, which
	// blocks nothing but is listed in Result.Ignored.
	IgnoreEncryptedSecrets bool
	// Read, if set, is called with the path and content of each file the
	// built-in checks' scan reads, from the goroutines that scan (so
	// possibly concurrently), before the checks return. A Runner reads only
	// the files of directories that changed since its last run, and of
	// those only the ones whose content the directory's last version did
	// not hold: a caller that needs other files reads them itself. It lets a caller that needs the files too (a promotion's
	// report) read each once. The content is shared: it must not be
	// modified or kept.
	Read func(path string, data []byte)

	idx *lazyIndex // set by Runner.Run
}

// validate reports the first problem with in, checking the ESV names only
// if names is set.
func (in *Input) validate(names bool) error {
	if in == nil {
		return fmt.Errorf("%w: no input", ErrInvalidInput)
	}
	if in.Operation != Promotion && in.Operation != Rollback {
		return fmt.Errorf("%w: operation %v (allowed: promotion, rollback)", ErrInvalidInput, in.Operation)
	}
	if !names {
		return nil
	}
	for name := range in.ESVs {
		if err := esv.ValidateName(name); err != nil {
			return fmt.Errorf("%w: ESVs: %w", ErrInvalidInput, err)
		}
	}
	return nil
}

// Check is one integrity rule. Run returns what it finds; an error means
// the check could not run, not that it found problems. Run must be safe
// to call concurrently with other checks on the same Input.
type Check interface {
	Name() string
	Run(ctx context.Context, in *Input) ([]Finding, error)
}

// Severity says what a finding does to the operation.
type Severity uint8

// The severities.
const (
	// Blocking findings stop the operation.
	Blocking Severity = iota + 1
	// Warning findings are reported but stop nothing.
	Warning
	// Ignored findings would block, but the request chose to go ahead
	// (IgnoreEncryptedSecrets); reports list them as previously ignored.
	Ignored
)

var severityNames = [...]string{Blocking: "blocking", Warning: "warning", Ignored: "ignored"}

// String returns "blocking", "warning" or "ignored".
func (s Severity) String() string {
	if int(s) < len(severityNames) && severityNames[s] != "" {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

// MarshalText encodes s as its String form, so JSON shows names.
func (s Severity) MarshalText() ([]byte, error) {
	if int(s) >= len(severityNames) || severityNames[s] == "" {
		return nil, fmt.Errorf("integrity: cannot marshal %v", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a String form.
func (s *Severity) UnmarshalText(b []byte) error {
	if i := slices.Index(severityNames[:], string(b)); i > 0 {
		*s = Severity(i)
		return nil
	}
	return fmt.Errorf("integrity: unknown severity %.40q (allowed: blocking, warning, ignored)", b)
}

// Finding is one problem a check found. It never holds an ESV's value.
type Finding struct {
	Check    string   `json:"check"` // the Check's Name
	Severity Severity `json:"severity"`
	Path     string   `json:"path,omitempty"` // file in the snapshot
	// JSONPath is the gjson path of the value concerned in a JSON file.
	JSONPath string `json:"jsonPath,omitempty"`
	Line     int    `json:"line,omitempty"`   // 1-based; 0 when not known
	Column   int    `json:"column,omitempty"` // 1-based, in bytes
	ESV      string `json:"esv,omitempty"`    // the ESV concerned, if any
	Message  string `json:"message"`          // what is wrong
	Hint     string `json:"hint,omitempty"`   // how to fix it
}

// Where returns the finding's location as path:line:column (jsonpath),
// leaving out what is unknown.
func (f Finding) Where() string {
	var b strings.Builder
	b.WriteString(f.Path)
	if f.Line > 0 {
		fmt.Fprintf(&b, ":%d", f.Line)
		if f.Column > 0 {
			fmt.Fprintf(&b, ":%d", f.Column)
		}
	}
	if f.JSONPath != "" {
		fmt.Fprintf(&b, " (%s)", f.JSONPath)
	}
	return b.String()
}

// String returns "where: severity check: message", followed by "; fix:
// hint" when the finding has a hint.
func (f Finding) String() string {
	s := fmt.Sprintf("%s: %s %s: %s", f.Where(), f.Severity, f.Check, f.Message)
	if f.Hint != "" {
		s += "; fix: " + f.Hint
	}
	return s
}

// compareFindings orders findings by file, position, check and ESV, so
// results do not depend on the order checks finish in.
func compareFindings(a, b Finding) int {
	if c := strings.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	if a.Column != b.Column {
		return a.Column - b.Column
	}
	for _, c := range [...]int{
		strings.Compare(a.JSONPath, b.JSONPath),
		strings.Compare(a.Check, b.Check),
		strings.Compare(a.ESV, b.ESV),
		int(a.Severity) - int(b.Severity),
		strings.Compare(a.Message, b.Message),
		strings.Compare(a.Hint, b.Hint),
	} {
		if c != 0 {
			return c
		}
	}
	return 0
}

// Result is what a run of the checks found, sorted by location.
type Result struct {
	Findings []Finding // blocking findings and warnings
	Ignored  []Finding // findings the request chose to ignore
}

// Blocking returns the findings that stop the operation.
func (r *Result) Blocking() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity == Blocking {
			out = append(out, f)
		}
	}
	return out
}

// Err returns an *Error carrying the blocking findings, or nil if none.
func (r *Result) Err() error {
	if b := r.Blocking(); len(b) > 0 {
		return &Error{Findings: b}
	}
	return nil
}

// MissingESVs returns the names of the ESVs whose absence blocks the
// operation, sorted: the AIC report's missingESVs.
func (r *Result) MissingESVs() []string {
	var names []string
	for _, f := range r.Findings {
		if f.Check == CheckMissingESVs && f.Severity == Blocking {
			names = append(names, f.ESV)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// EncryptedSecrets returns where each blocking encrypted secret is (see
// Finding.Where): AIC progress's encryptedSecrets.
func (r *Result) EncryptedSecrets() []string { return wheres(r.Findings, Blocking) }

// IgnoredEncryptedSecrets returns where each ignored encrypted secret is:
// the AIC report's previouslyIgnoredEncryptedSecrets.
func (r *Result) IgnoredEncryptedSecrets() []string { return wheres(r.Ignored, Ignored) }

func wheres(fs []Finding, sev Severity) []string {
	var out []string
	for _, f := range fs {
		if f.Check == CheckEncryptedSecrets && f.Severity == sev {
			out = append(out, f.Where())
		}
	}
	return out
}

// Error is the error of a run with blocking findings. It matches ErrFailed
// with errors.Is; get it with errors.As.
type Error struct {
	Findings []Finding // every blocking finding, sorted
}

const maxErrorFindings = 5

// Error lists the first few findings and counts the rest.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %d blocking finding(s)", ErrFailed, len(e.Findings))
	for i, f := range e.Findings {
		if i == maxErrorFindings {
			fmt.Fprintf(&b, "\n\t… and %d more", len(e.Findings)-i)
			break
		}
		fmt.Fprintf(&b, "\n\t%s", f)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrFailed) and errors.Is(err,
// errkind.FailedPrecondition) true.
func (e *Error) Is(target error) bool { return errors.Is(ErrFailed, target) }

// Kind returns errkind.FailedPrecondition, for errkind.Of.
func (e *Error) Kind() errkind.Kind { return errkind.FailedPrecondition }
