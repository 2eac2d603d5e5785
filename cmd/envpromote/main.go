package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/envpromote/envpromote"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/promotion"
)

// Exit codes, documented in doc.go and in the root command's help.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitBlocked = 3 // blocked by integrity checks
	exitLocked  = 4 // locked by someone else
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code. Every
// failure is one line on stderr, "envpromote: …", never a stack trace.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		// A bug must still end in one line and a non-zero exit.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "envpromote: internal error: %v\n", r)
			code = exitError
		}
	}()
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	defer a.close()
	cmd := a.rootCmd()
	cmd.SetArgs(args)
	cmd.SetIn(stdin)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "envpromote: %s\n", oneLine(a.withNames(ctx, err.Error())))
	return exitCode(err)
}

// usageError marks a command line that does not parse: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode maps an error to the documented exit code.
func exitCode(err error) int {
	var ue usageError
	var ie *integrity.Error
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ie), errors.Is(err, promotion.ErrIntegrity):
		return exitBlocked
	case errors.Is(err, envpromote.Locked):
		return exitLocked
	case cobraUsage(err), errors.Is(err, envpromote.Invalid):
		// Input outside what is allowed: an unknown type, a pair that is
		// not adjacent, a malformed ESV name.
		return exitUsage
	}
	return exitError
}

// cobraUsage recognizes the errors cobra returns for an unknown command,
// which it does not let a caller wrap.
func cobraUsage(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command ")
}

// oneLine keeps an error to one line, so a multi-line message (an aggregate
// of several failures) cannot spread over the terminal.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// withNames replaces the environment ids in msg by their names: the library
// names environments by id, a person by name.
func (a *app) withNames(ctx context.Context, msg string) string {
	if a.sys == nil {
		return msg
	}
	names, err := a.sys.names(context.WithoutCancel(ctx))
	if err != nil {
		return msg
	}
	for id, name := range names {
		msg = strings.ReplaceAll(msg, id, name)
	}
	return msg
}
