package promotion

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/store"
)

func TestRule_ReportCacheIsBounded(t *testing.T) {
	c := newReportCache(3)
	for i := range 10 {
		c.add(&Report{Revision: store.Revision(fmt.Sprint(i))})
	}
	if len(c.items) != 3 || c.order.Len() != 3 {
		t.Fatalf("cache of 3 holds %d (%d)", len(c.items), c.order.Len())
	}
	c.get("7") // now the most recently used
	c.add(&Report{Revision: "10"})
	for rev, want := range map[store.Revision]bool{"7": true, "8": false, "9": true, "10": true} {
		if got := c.get(rev) != nil; got != want {
			t.Errorf("report %s cached: %t, want %t", rev, got, want)
		}
	}
}

// failingSource is a lazy snapshot's Source whose reads all fail, as a
// repository that lost an object (or a failing disk) does.
type failingSource struct{}

func (failingSource) ReadBlob(store.Hash) ([]byte, error) { return nil, errors.New("disk on fire") }
func (failingSource) BlobSize(store.Hash) (int64, error)  { return 0, errors.New("disk on fire") }

// A dry-run report that is missing is ErrReportNotFound; one that cannot be
// read is that error, not "not found".
func TestReadDryRun_AReadErrorIsNotNotFound(t *testing.T) {
	snap, err := store.NewTree([]store.Entry{{Name: "dr-1.json", Hash: store.Hash{1}, Source: failingSource{}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readDryRun(snap, "dr-2"); !errors.Is(err, ErrReportNotFound) {
		t.Errorf("missing report: %v, want ErrReportNotFound", err)
	}
	if _, err := readDryRun(snap, "dr-1"); errors.Is(err, ErrReportNotFound) || err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("unreadable report: %v, want the read error", err)
	}
}
