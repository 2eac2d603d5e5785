package promotion

import (
	"fmt"
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
