package promotion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/envpromote/envpromote/store"
)

// A checkpoint saves an index in the repository, on the branch
// "index/<env>", so a new Promoter (a restarted process, another machine)
// reads the commits made since the checkpoint instead of the whole
// history. It is only a cache: it records which heads it covers, a
// Promoter checks that they are still in the branches' histories (see
// since) and reads everything again if not, and a checkpoint that cannot
// be read is ignored.
const (
	checkpointFile = "index.json"
	// checkpointEvery is how many commits an index reads before it saves
	// a checkpoint: the extra commit costs less than reading them again.
	// A large index waits for a quarter of its size, so that writing
	// checkpoints costs each commit the same however long the history.
	checkpointEvery   = 256
	checkpointVersion = 1
)

func checkpointBranch(env string) string { return "index/" + env }

type checkpoint struct {
	Version  int              `json:"version"`
	Config   store.Revision   `json:"config,omitempty"`
	DryRuns  store.Revision   `json:"dryRuns,omitempty"`
	Reports  []savedEntry     `json:"reports,omitempty"` // oldest first
	Last     string           `json:"last,omitempty"`    // report id of index.last
	Revs     []store.Revision `json:"revs,omitempty"`
	MinAfter []time.Time      `json:"minAfter,omitempty"`
}

type savedEntry struct {
	Meta     ReportMeta        `json:"meta"`
	Rev      store.Revision    `json:"rev"`
	Parent   store.Revision    `json:"parent,omitempty"`
	Time     time.Time         `json:"time"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// load fills an empty index from env's checkpoint, if there is one that
// can be read. The caller holds ix.catchUp.
func (p *Promoter) load(ctx context.Context, ix *index) {
	h, err := p.repo.Head(ctx, checkpointBranch(ix.env))
	if err != nil {
		return
	}
	snap, err := p.repo.Snapshot(ctx, h.Revision)
	if err != nil {
		return
	}
	data, err := snap.ReadFile(checkpointFile)
	if err != nil {
		return
	}
	var cp checkpoint
	if json.Unmarshal(data, &cp) != nil || cp.Version != checkpointVersion || len(cp.Revs) != len(cp.MinAfter) {
		return
	}
	if ix.points && cp.Config != "" && len(cp.Revs) == 0 {
		return // written by a Promoter that did not keep commit times
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.config = branchLog{head: cp.Config}
	if ix.points {
		ix.config.revs, ix.config.minAfter = cp.Revs, cp.MinAfter
	}
	ix.dryRuns = branchLog{head: cp.DryRuns}
	for _, s := range cp.Reports {
		ix.seq++
		e := &entry{meta: s.Meta, seq: ix.seq, commit: store.Commit{
			Revision: s.Rev, Parent: s.Parent, CommitInfo: store.CommitInfo{Time: s.Time, Metadata: s.Metadata},
		}}
		if s.Meta.DryRun {
			e.commit.Branch = reportsBranch(ix.env)
		} else {
			e.commit.Branch = ix.env
		}
		ix.reports = append(ix.reports, e)
		ix.byID[s.Meta.ReportID] = e
	}
	ix.last = ix.byID[cp.Last]
}

// save writes a checkpoint of ix. A failure only means a later Promoter
// reads more commits, so it is not reported. The caller holds ix.catchUp.
func (p *Promoter) save(ctx context.Context, ix *index) {
	ix.mu.RLock()
	cp := checkpoint{Version: checkpointVersion, Config: ix.config.head, DryRuns: ix.dryRuns.head, Revs: ix.config.revs, MinAfter: ix.config.minAfter}
	if ix.last != nil {
		cp.Last = ix.last.meta.ReportID
	}
	cp.Reports = make([]savedEntry, len(ix.reports))
	for i, e := range ix.reports {
		cp.Reports[i] = savedEntry{Meta: e.meta, Rev: e.commit.Revision, Parent: e.commit.Parent, Time: e.commit.Time, Metadata: e.commit.Metadata}
	}
	data, err := json.Marshal(cp)
	ix.mu.RUnlock()
	if err != nil {
		return
	}
	snap, err := store.New(map[string][]byte{checkpointFile: data})
	if err != nil {
		return
	}
	branch := checkpointBranch(ix.env)
	h, err := p.repo.Head(ctx, branch)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return
	}
	// Any checkpoint is valid, so the newest write wins; a lost race only
	// costs the next Promoter some reading.
	_, _ = p.repo.Commit(ctx, branch, h.Revision, snap, store.CommitInfo{
		Author:  "envpromote",
		Time:    p.now(),
		Message: fmt.Sprintf("Index of %s at %s", ix.env, cp.Config),
	})
}
