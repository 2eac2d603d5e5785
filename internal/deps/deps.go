package deps

import (
	_ "github.com/go-git/go-git/v5"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/hashicorp/go-multierror"
	_ "github.com/tidwall/gjson"
	_ "golang.org/x/sync/errgroup"
)
