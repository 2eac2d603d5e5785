package memenv_test

import (
	"testing"

	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/envtest"
	"github.com/envpromote/envpromote/environment/memenv"
)

func TestConformance(t *testing.T) {
	envtest.Run(t, func(*testing.T) environment.Store { return memenv.New() })
}
