package errkind_test

import (
	"errors"
	"fmt"

	"github.com/envpromote/envpromote/errkind"
)

// A package defines its sentinels with New; callers match either the
// sentinel or its kind.
func Example() {
	errNoBranch := errkind.New(errkind.NotFound, "branch not found")
	err := fmt.Errorf("head of dev: %w", errNoBranch)

	fmt.Println(errors.Is(err, errNoBranch), errors.Is(err, errkind.NotFound), errors.Is(err, errkind.Conflict))
	fmt.Println(errkind.Of(err))
	// Output:
	// true true false
	// not found
}
