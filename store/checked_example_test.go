package store_test

import (
	"context"
	"fmt"

	"github.com/envpromote/envpromote/store"
	"github.com/envpromote/envpromote/store/memstore"
)

// counting is a Driver that counts the commits reaching it.
type counting struct {
	store.Driver
	applies int
}

func (c *counting) Apply(ctx context.Context, updates []store.Update) ([]store.Commit, error) {
	c.applies++
	return c.Driver.Apply(ctx, updates)
}

// A Checked refuses bad input before its Driver sees it, and names what
// failed once.
func ExampleChecked() {
	ctx := context.Background()
	d := &counting{Driver: memstore.NewDriver()}
	repo := store.NewChecked(d, store.CheckedOptions{})
	snap, _ := store.New(map[string][]byte{"realms/alpha/realm.json": []byte(`{}`)})

	_, err := repo.Commit(ctx, "heads/dev", "", snap, store.CommitInfo{Author: "ada"})
	fmt.Println(err)
	_, err = repo.Commit(ctx, "dev", "", snap, store.CommitInfo{Author: "Ada <>"})
	fmt.Println(err)
	fmt.Println("commits the driver saw:", d.applies)

	if _, err := repo.Commit(ctx, "dev", "", snap, store.CommitInfo{Author: "ada"}); err != nil {
		fmt.Println(err)
	}
	_, err = repo.Head(ctx, "staging")
	fmt.Println(err)
	fmt.Println("commits the driver saw:", d.applies)
	// Output:
	// store: commit: invalid branch name "heads/dev": namespace "heads" is reserved (allowed: "name" or "namespace/name" of letters, digits, '.', '_', '-', starting with a letter or digit)
	// store: commit to dev: invalid commit metadata: author "Ada <>" has an empty email
	// commits the driver saw: 0
	// store: head of staging: not found
	// commits the driver saw: 1
}
