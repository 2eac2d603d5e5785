package gitstore

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/envpromote/envpromote/store"
)

// Readers going through a pack in order, alone or several at once, get
// from the read-ahead exactly the objects they would read themselves.
func TestRule_ReadAheadReturnsWhatWasWritten(t *testing.T) {
	files := map[string][]byte{}
	for i := range 500 {
		files[fmt.Sprintf("d%02d/f%03d.json", i%7, i)] = bytes.Repeat(fmt.Appendf(nil, "file %d ", i), 1+i%300)
	}
	s, err := store.New(files)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "repo.git")
	r, err := Init(dir, Options{CacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Commit(context.Background(), "dev", "", s, store.CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	reader, err := Open(dir, Options{CacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				got, err := reader.Snapshot(context.Background(), c.Revision)
				if err != nil || !got.Equal(s) {
					t.Errorf("Snapshot = %v, %v; want %v", got, err, s)
					return
				}
				err = got.Walk(func(p string, data []byte) error {
					if !bytes.Equal(data, files[p]) {
						return fmt.Errorf("%s: read %d bytes unlike those written", p, len(data))
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
