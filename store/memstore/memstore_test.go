package memstore_test

import (
	"testing"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
	"github.com/envpromote/envpromote/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Repo { return memstore.New(memstore.Options{}) })
}
