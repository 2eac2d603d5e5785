package gitstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envpromote/envpromote/internal/gittest"
)

// An object's size comes from its pack entry's header, or a delta's, without
// building the object: it is what reading the object returns, for the
// whole objects and the deltas git gc writes.
func TestRule_ObjectSizeIsTheSizeOfWhatReadReturns(t *testing.T) {
	gittest.NeedGit(t)
	dir, work := filepath.Join(t.TempDir(), "repo.git"), t.TempDir()
	gittest.Git(t, "", "init", "-q", "--bare", dir)
	git := func(args ...string) string {
		return gittest.Git(t, work, append([]string{"--git-dir=" + dir, "--work-tree=" + work, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	}
	for i := range 6 {
		// Versions of one file that differ a little: git stores deltas.
		if err := os.WriteFile(filepath.Join(work, "f.json"), []byte(strings.Repeat("a line every version has\n", 200)+strings.Repeat(fmt.Sprintf("version %d\n", i), 1+i)), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", "-A")
		git("commit", "-q", "-m", fmt.Sprint("version ", i))
	}
	git("gc", "-q", "--aggressive")
	db := newObjectDB(dir)
	db.rescan()
	deltas := 0
	for _, p := range *db.packs.Load() {
		for _, h := range p.hashes() {
			off, _ := p.offset(h)
			if e, err := p.entryAt(db, off); err == nil && e.t >= 6 {
				deltas++
			}
			size, err := db.size(h)
			_, data, rerr := db.read(h)
			if err != nil || rerr != nil || size != int64(len(data)) {
				t.Errorf("%s: size %d, %v; read %d bytes, %v", h, size, err, len(data), rerr)
			}
		}
	}
	if deltas == 0 {
		t.Fatal("git gc stored no deltas: the test checks nothing")
	}
}
