package store_test

import (
	"fmt"
	"io/fs"

	"github.com/envpromote/envpromote/store"
)

func Example() {
	dev, _ := store.New(map[string][]byte{
		"realms/alpha/journeys/Login/Login.json": []byte(`{"_id":"Login"}`),
		"email-templates/welcome/welcome.json":   []byte(`{"subject":"Hi"}`),
	})

	// Derive a new version: untouched directories are shared, not copied.
	next, _ := dev.With("email-templates/welcome/welcome.json", []byte(`{"subject":"Hello"}`))
	next, _ = next.With("realms/alpha/journeys/Register/Register.json", []byte(`{"_id":"Register"}`))

	changes, _ := store.Diff(dev, next) // only a lazy snapshot's Diff can fail
	for _, c := range changes {
		fmt.Println(c.Op, c.Path)
	}
	data, _ := fs.ReadFile(next, "email-templates/welcome/welcome.json")
	fmt.Println(string(data))
	// Output:
	// modified email-templates/welcome/welcome.json
	// added realms/alpha/journeys/Register/Register.json
	// {"subject":"Hello"}
}

func ExampleValidatePath() {
	for _, p := range []string{"realms/alpha/x.json", "/etc/passwd", "a/../b", "a//b"} {
		fmt.Println(store.ValidatePath(p))
	}
	// Output:
	// <nil>
	// invalid path "/etc/passwd": leading / (want a clean relative slash path like "realms/alpha/x.json")
	// invalid path "a/../b": element ".." (want a clean relative slash path like "realms/alpha/x.json")
	// invalid path "a//b": empty element (want a clean relative slash path like "realms/alpha/x.json")
}

// Select keeps or drops whole directories without visiting them: here only
// the identities directory's entries are looked at.
func ExampleSnapshot_Select() {
	s, _ := store.New(map[string][]byte{
		"identities/alpha/users/ada.json":      []byte(`{}`),
		"identities/alpha/roles/admin.json":    []byte(`{}`),
		"email-templates/welcome/welcome.json": []byte(`{}`),
	})
	static, _ := s.Select(func(path string, dir bool) store.Choice {
		fmt.Println("visit", path)
		switch path {
		case "email-templates":
			return store.KeepAll
		case "identities/alpha/users":
			return store.Drop
		}
		return store.Visit
	})
	fmt.Println(static.Len(), "files")
	// Output:
	// visit email-templates
	// visit identities
	// visit identities/alpha
	// visit identities/alpha/roles
	// visit identities/alpha/roles/admin.json
	// visit identities/alpha/users
	// 2 files
}

// trees is a TreeSource over a map, counting its reads, as a backend that
// keeps directories by hash would serve them.
type trees struct {
	dirs  map[store.Hash]*store.Snapshot
	reads int
}

func (t *trees) ReadTree(h store.Hash) (*store.Snapshot, error) {
	t.reads++
	if d, ok := t.dirs[h]; ok {
		return d, nil
	}
	return nil, fs.ErrNotExist
}

// A backend hands out lazy snapshots: LazyTree names a directory by its
// hash, and the TreeSource reads it each time a method looks inside.
func ExampleLazyTree() {
	journeys, _ := store.New(map[string][]byte{"Login.json": []byte(`{"_id":"Login"}`)})
	src := &trees{dirs: map[store.Hash]*store.Snapshot{journeys.Hash(): journeys}}
	root, _ := store.NewTree([]store.Entry{{Name: "journeys", Dir: store.LazyTree(journeys.Hash(), src)}})

	same, _ := store.New(map[string][]byte{"journeys/Login.json": []byte(`{"_id":"Login"}`)})
	fmt.Println("equal:", root.Equal(same), "reads:", src.reads)
	data, _ := root.ReadFile("journeys/Login.json")
	fmt.Println(string(data), "reads:", src.reads)

	delete(src.dirs, journeys.Hash()) // as if the backend lost it
	_, err := root.ReadFile("journeys/Login.json")
	fmt.Println(err)
	// Output:
	// equal: true reads: 0
	// {"_id":"Login"} reads: 1
	// read journeys/Login.json: file does not exist
}
