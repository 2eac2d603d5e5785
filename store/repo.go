package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/envpromote/envpromote/errkind"
)

// Errors returned by Repo implementations. They are always wrapped with
// context; match them with errors.Is. Each also matches its kind in
// errkind (NotFound, Conflict, Invalid).
var (
	// ErrNotFound: the branch or revision does not exist.
	ErrNotFound = errkind.New(errkind.NotFound, "not found")
	// ErrConflict: a compare-and-set Commit lost: the branch head is not the
	// parent the caller named.
	ErrConflict = errkind.New(errkind.Conflict, "conflict: branch head moved")
	// ErrInvalidPath: a file path is not a clean, relative, slash-separated path.
	ErrInvalidPath = errkind.New(errkind.Invalid, "invalid path")
	// ErrInvalidBranch: a branch name breaks the naming rules of ValidateBranch.
	ErrInvalidBranch = errkind.New(errkind.Invalid, "invalid branch name")
	// ErrInvalidMetadata: a commit metadata key or value breaks the rules of
	// CommitInfo.Validate.
	ErrInvalidMetadata = errkind.New(errkind.Invalid, "invalid commit metadata")
)

// Revision names one commit. It is opaque to callers: the Git backend uses
// the commit's hex object id, the memory backend an id of the same shape.
// The zero Revision means "no commit".
type Revision string

// CommitInfo is what a caller says about a commit.
type CommitInfo struct {
	// Author is who made the change: "Name <email>" or just "Name", e.g.
	// "Ada <ada@example.com>" or a user id (see Validate).
	Author string
	// Time is when the change was made; zero means the time of the Commit
	// call. Repos keep it to the second, as Git does.
	Time    time.Time
	Message string
	// Metadata holds small key/value facts a program queries later, such as
	// type=promotion, promotionId=…. Keys are letters, digits and '-';
	// values are a single line.
	Metadata map[string]string
}

// Commit is one recorded version of a branch.
type Commit struct {
	Revision Revision
	Parent   Revision // zero for the first commit of a branch
	Branch   string
	Tree     Hash // root hash of the committed Snapshot
	CommitInfo
}

// LogOptions bounds a Log call. The zero value lists the whole history.
type LogOptions struct {
	Limit int // at most this many commits; 0 means no limit
}

// Repo is what callers of a config repo use: versioned snapshots on named
// branches (one per environment), moved only by compare-and-set. Checked
// implements it over any backend's Driver, with the rules written once;
// other implementations (wrappers injecting faults in tests, say) must be
// safe for concurrent use and pass storetest.Run.
type Repo interface {
	// Head returns the newest commit of branch, or an error wrapping
	// ErrNotFound when the branch has no history.
	Head(ctx context.Context, branch string) (Commit, error)
	// Snapshot returns the tree committed at rev (ErrNotFound if unknown).
	Snapshot(ctx context.Context, rev Revision) (*Snapshot, error)
	// Commit records snap as a new commit on branch whose parent is parent,
	// but only if parent is still the branch head; a zero parent means the
	// branch must not exist yet. Otherwise it returns an error wrapping
	// ErrConflict and writes nothing visible.
	Commit(ctx context.Context, branch string, parent Revision, snap *Snapshot, info CommitInfo) (Commit, error)
	// Log lists branch's commits newest first (ErrNotFound if no history).
	Log(ctx context.Context, branch string, opts LogOptions) ([]Commit, error)
}

// Update is one branch move of Transactor.Apply, with the arguments of a
// Commit call.
type Update struct {
	Branch   string
	Parent   Revision // the head Branch must still have; zero: must not exist
	Snapshot *Snapshot
	Info     CommitInfo
	// Replace makes the new commit a root commit (no parent) while still
	// requiring the head to be Parent, so the branch keeps only its latest
	// state: for records whose history nobody reads, such as lock leases.
	// The caller must make each such commit differ from every earlier
	// head of the branch (e.g. metadata naming the head it replaces), or
	// a writer that read an old head could win its compare-and-set.
	Replace bool
}

// Transactor is a Repo that moves several branches at once: a fenced
// commit moves a config branch only while a lock branch still holds the
// lease that checked it. No other writer can move any of the branches
// between the check and the moves. A reader may see the moves one at a
// time, and a process killed inside Apply can leave a prefix of them done
// (each a valid commit), so callers order updates such that any prefix is
// safe.
type Transactor interface {
	Repo
	// Apply makes each update as Commit would, or none of them: if any
	// branch's head is not its Parent it returns an error wrapping
	// ErrConflict and moves nothing. Updates must name distinct branches.
	// The commits are returned in the order of updates. A backend that
	// cannot apply this many updates at once returns an error wrapping
	// errors.ErrUnsupported before writing anything.
	Apply(ctx context.Context, updates []Update) ([]Commit, error)
}

// Namer is a Repo whose branches can also be reached by aliases, such as
// environment names, that tools reading the repository follow: gitstore
// writes each alias as the Git symbolic ref refs/names/<alias>, so that
// `git log names/<alias>` shows the branch's history; memstore keeps them
// in a map. Aliases are a convenience for people, never read back to find
// a branch: a Namer that loses one loses nothing else.
type Namer interface {
	Repo
	// SetAlias makes alias name branch, replacing what it named before.
	// Name a branch that has history: git fsck reports an alias of one
	// that has none. Bad names wrap ErrInvalidBranch.
	SetAlias(ctx context.Context, alias, branch string) error
	// DeleteAlias removes alias; removing one that does not exist is not
	// an error.
	DeleteAlias(ctx context.Context, alias string) error
	// Aliases returns every alias and the branch it names.
	Aliases(ctx context.Context) (map[string]string, error)
}

// ValidateAlias reports whether alias can name an alias of Namer: a single
// segment by the rules of ValidateBranch.
func ValidateAlias(alias string) error {
	if strings.Contains(alias, "/") {
		return fmt.Errorf("%w %s: an alias is a single segment (no '/')", ErrInvalidBranch, brief(alias))
	}
	return ValidateBranch(alias)
}

// MaxBranchLen bounds branch names so they fit every ref store.
const MaxBranchLen = 200

// ValidateBranch reports whether name can name a branch: either a single
// segment ("dev") or a namespace and a segment ("locks/dev"). A segment is
// ASCII letters, digits, '.', '_' and '-', starts with a letter or digit,
// has no "..", and does not end in ".lock"; the whole name is at most
// MaxBranchLen bytes. The namespaces "heads", "tags" and "remotes" are
// reserved, and so is "names", where aliases live (see Namer).
//
// Why so strict: these rules are the subset of Git's ref names that every
// backend can store without two names colliding. Git cannot hold both
// refs/heads/a and refs/heads/a/b, so the Git backend keeps single-segment
// branches under refs/heads/ and namespaced ones under refs/<namespace>/,
// and one level of namespace is all that stays collision-free.
func ValidateBranch(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w %s: %s (allowed: \"name\" or \"namespace/name\" of letters, digits, '.', '_', '-', starting with a letter or digit)", ErrInvalidBranch, brief(name), why)
	}
	if name == "" {
		return bad("empty")
	}
	if len(name) > MaxBranchLen {
		return bad(fmt.Sprintf("longer than %d bytes", MaxBranchLen))
	}
	segs := strings.Split(name, "/")
	if len(segs) > 2 {
		return bad("more than one '/'")
	}
	if len(segs) == 2 {
		switch segs[0] {
		case "heads", "tags", "remotes", "names":
			return bad(fmt.Sprintf("namespace %q is reserved", segs[0]))
		}
	}
	for _, seg := range segs {
		if seg == "" {
			return bad("empty segment")
		}
		if !isAlnum(seg[0]) {
			return bad(fmt.Sprintf("segment %q does not start with a letter or digit", seg))
		}
		if strings.HasSuffix(seg, ".lock") {
			return bad(fmt.Sprintf("segment %q ends in .lock", seg))
		}
		if strings.Contains(seg, "..") {
			return bad(fmt.Sprintf("segment %q contains ..", seg))
		}
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
				return bad(fmt.Sprintf("character %q not allowed", c))
			}
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Validate checks the author and the metadata. The author is a single line,
// "Name <email>" (email not empty) or "Name", with no other '<' or '>' and
// no spaces around the name: what a Git signature holds unchanged, so every
// backend accepts the same authors. Metadata keys are 1–64 ASCII letters,
// digits and '-', starting with a letter; values hold no line breaks or NUL.
// Checked calls it before a Driver sees the commit.
func (ci CommitInfo) Validate() error {
	for k, v := range ci.Metadata {
		if k == "" || len(k) > 64 || !(k[0] >= 'a' && k[0] <= 'z' || k[0] >= 'A' && k[0] <= 'Z') {
			return fmt.Errorf("%w: key %q must be 1-64 letters, digits or '-', starting with a letter", ErrInvalidMetadata, k)
		}
		for i := 0; i < len(k); i++ {
			if !isAlnum(k[i]) && k[i] != '-' {
				return fmt.Errorf("%w: key %q must be 1-64 letters, digits or '-', starting with a letter", ErrInvalidMetadata, k)
			}
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("%w: value of %q must be a single line without NUL", ErrInvalidMetadata, k)
		}
	}
	return validAuthor(ci.Author)
}

// Author turns free text naming who made a change — a user id, a display
// name, "Name <email>" — into an author Validate accepts: '<', '>' and
// control characters become '_' and surrounding spaces go, keeping a
// trailing "<email>" when there is one. Use it on names taken from requests
// so a promotion cannot fail at its commit because of how its promoter is
// spelled.
func Author(who string) string {
	if validAuthor(who) == nil {
		return who
	}
	clean := func(s string) string {
		return strings.TrimSpace(strings.Map(func(r rune) rune {
			if r == '<' || r == '>' || unicode.IsControl(r) {
				return '_'
			}
			return r
		}, s))
	}
	if i := strings.LastIndex(who, " <"); i >= 0 && strings.HasSuffix(who, ">") {
		if name, email := clean(who[:i]), clean(who[i+2:len(who)-1]); name != "" && email != "" {
			return name + " <" + email + ">"
		}
	}
	return clean(who)
}

func validAuthor(a string) error {
	if strings.ContainsAny(a, "\n\x00") {
		return fmt.Errorf("%w: author must be a single line", ErrInvalidMetadata)
	}
	name, email := a, ""
	if i := strings.LastIndex(a, " <"); i >= 0 && strings.HasSuffix(a, ">") {
		name, email = a[:i], a[i+2:len(a)-1]
		if email == "" {
			return fmt.Errorf("%w: author %q has an empty email", ErrInvalidMetadata, a)
		}
	}
	if strings.ContainsAny(name, "<>") || strings.ContainsAny(email, "<>") || strings.TrimSpace(name) != name {
		return fmt.Errorf("%w: author %q must be \"Name <email>\" or \"Name\", without other '<' or '>' and without spaces around the name", ErrInvalidMetadata, a)
	}
	return nil
}
