package envpromote_test

import (
	"context"
	"fmt"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

// Every environment's configuration is a branch of snapshots; a change is a
// compare-and-set commit on top of the head it was based on.
func Example() {
	ctx := context.Background()
	repo := memstore.New(memstore.Options{})

	dev, _ := store.New(map[string][]byte{
		"realms/alpha/journeys/Login/Login.json": []byte(`{"_id":"Login","entryNodeId":"a"}`),
	})
	base, _ := repo.Commit(ctx, "dev", "", dev, store.CommitInfo{Author: "ada", Message: "first export"})

	edited, _ := dev.With("realms/alpha/journeys/Login/Login.json", []byte(`{"_id":"Login","entryNodeId":"b"}`))
	repo.Commit(ctx, "dev", base.Revision, edited, store.CommitInfo{Author: "ada", Message: "new entry node"})

	for _, c := range store.Diff(dev, edited) {
		fmt.Println(c.Op, c.Path)
	}
	// Output:
	// modified realms/alpha/journeys/Login/Login.json
}
