package memstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

func Example() {
	ctx := context.Background()
	repo := memstore.New(memstore.Options{})

	v1, _ := store.New(map[string][]byte{"email-templates/welcome/welcome.json": []byte(`{"subject":"Hi"}`)})
	c1, _ := repo.Commit(ctx, "dev", "", v1, store.CommitInfo{Author: "ada", Message: "add welcome email"})

	v2, _ := v1.With("email-templates/welcome/welcome.json", []byte(`{"subject":"Hello"}`))
	_, err := repo.Commit(ctx, "dev", "", v2, store.CommitInfo{Message: "based on nothing"})
	fmt.Println("stale parent is a conflict:", errors.Is(err, store.ErrConflict))

	repo.Commit(ctx, "dev", c1.Revision, v2, store.CommitInfo{Author: "ada", Message: "friendlier subject"})
	log, _ := repo.Log(ctx, "dev", store.LogOptions{})
	for _, c := range log {
		fmt.Println(c.Author, "-", c.Message)
	}
	// Output:
	// stale parent is a conflict: true
	// ada - friendlier subject
	// ada - add welcome email
}
