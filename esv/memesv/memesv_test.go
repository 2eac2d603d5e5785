package memesv_test

import (
	"testing"

	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/esvtest"
	"github.com/envpromote/envpromote/esv/memesv"
)

func TestConformance(t *testing.T) {
	esvtest.Run(t, func(t *testing.T) esv.Store { return memesv.New() })
}
