package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/envpromote/envpromote/httpapi"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

type lockStateJSON struct {
	Result      string `json:"result"`
	PromotionID string `json:"promotionId"`
	LowerEnv    *struct {
		PromotionID, State string
	} `json:"lowerEnv"`
	UpperEnv *struct {
		PromotionID, State string
	} `json:"upperEnv"`
}

type progressJSON struct {
	Status        string   `json:"status"`
	Message       string   `json:"message"`
	BlockingError bool     `json:"blockingError"`
	MissingESVs   []string `json:"missingESVs"`
	GlobalLock    string   `json:"globalLock"`
	PromotionID   string   `json:"promotionId"`
	Type          string   `json:"type"`
}

type reportJSON struct {
	ReportID    string `json:"reportId"`
	PromotionID string `json:"promotionId"`
	Type        string `json:"type"`
	DryRun      bool   `json:"dryRun"`
	Promoter    string `json:"promoter"`
	Description string `json:"promotionDescription"`
	Report      map[string][]struct {
		ConfigItem   string `json:"configItem"`
		ConfigChange map[string][]struct {
			Name, Realm, UID string
		} `json:"configChange"`
	} `json:"report"`
}

// changes counts the entries of a report.
func (r reportJSON) changes() int {
	n := 0
	for _, items := range r.Report {
		for _, it := range items {
			for _, entries := range it.ConfigChange {
				n += len(entries)
			}
		}
	}
	return n
}

// await polls GET promote until the operation started last is over.
func (f *fixture) await(env string) progressJSON {
	f.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		p := decode[progressJSON](f.req("GET", "/"+env+"/environment/promotion/promote", promoterToken, nil).want(http.StatusOK))
		if p.Status != "RUNNING" {
			return p
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("still running after a minute: %+v", p)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// awaitLock polls lock/state until it reports want.
func (f *fixture) awaitLock(env, want string) lockStateJSON {
	f.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st := decode[lockStateJSON](f.req("GET", "/"+env+"/environment/promotion/lock/state", promoterToken, nil).want(http.StatusOK))
		if st.Result == want {
			return st
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("lock state %+v after a minute, want %s", st, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPromotion_FullFlowOverHTTP(t *testing.T) {
	tenant := tenantgen.Generate(tenantgen.Options{Seed: 3, Files: 200, MissingESVs: 1})
	f := newFixture(t, fixtureOptions{group: true, tenant: tenant})
	const api = "/staging/environment/promotion"
	missing := tenant.Missing[0]

	if st := f.awaitLock("staging", "unlocked"); st.LowerEnv == nil || st.LowerEnv.State != "unlocked" {
		t.Fatalf("initial lock state %+v", st)
	}
	if p := f.await("staging"); p.Status != "READY" || p.GlobalLock != "UNLOCKED" {
		t.Errorf("initial progress %+v", p)
	}
	if rep := decode[reportJSON](f.req("GET", api+"/report/provisional", promoterToken, nil).want(http.StatusOK)); rep.changes() == 0 {
		t.Errorf("provisional report shows no changes: %+v", rep)
	}
	f.req("POST", api+"/promote", promoterToken, map[string]bool{"dryRun": false}).want(http.StatusConflict) // not locked

	// Lock.
	lk := decode[struct{ PromotionID, Result string }](f.req("POST", api+"/lock", promoterToken, nil).want(http.StatusAccepted))
	st := f.awaitLock("staging", "locked")
	if st.PromotionID != lk.PromotionID || st.LowerEnv.PromotionID != lk.PromotionID || st.UpperEnv.State != "locked" {
		t.Fatalf("lock state %+v, promotion %s", st, lk.PromotionID)
	}
	if local := decode[lockStateJSON](f.req("GET", api+"/lock/state?localLockOnly=true", promoterToken, nil).want(http.StatusOK)); local.LowerEnv != nil || local.Result != "locked" {
		t.Errorf("localLockOnly state %+v", local)
	}
	f.req("POST", api+"/lock", promoterToken, nil).want(http.StatusConflict)
	f.req("POST", "/prod/environment/promotion/lock", promoterToken, nil).want(http.StatusConflict) // one promotion per group

	// A dry run reports without changing staging.
	f.req("POST", api+"/promote", promoterToken, map[string]any{"dryRun": true, "promoter": "Barb"}).want(http.StatusAccepted)
	if p := f.await("staging"); p.Status != "COMPLETE" {
		t.Errorf("dry run progress %+v", p)
	}
	dry := decode[reportJSON](f.req("GET", api+"/report", promoterToken, nil).want(http.StatusOK))
	if !dry.DryRun || dry.Promoter != "Barb" {
		t.Errorf("dry-run report %+v", dry)
	}

	// The promotion is blocked by the ESV staging lacks.
	head := f.head("staging")
	f.req("POST", api+"/promote", promoterToken, map[string]any{"dryRun": false, "promoter": "Barb", "promotionDescription": "journeys"}).want(http.StatusAccepted)
	p := f.await("staging")
	if p.Status != "ERROR" || !p.BlockingError || !slices.Contains(p.MissingESVs, missing) {
		t.Fatalf("blocked promotion progress %+v, want ERROR missing %s", p, missing)
	}
	if f.head("staging") != head {
		t.Fatalf("a blocked promotion moved staging")
	}

	// ESVs cannot change while locked; unlock, add it, lock again.
	f.req("PUT", "/staging/environment/variables/"+missing, adminToken, map[string]string{"valueBase64": b64("x")}).want(http.StatusConflict)
	f.req("DELETE", api+"/lock/not-"+lk.PromotionID, promoterToken, nil).want(http.StatusConflict)
	f.req("DELETE", api+"/lock/"+lk.PromotionID, promoterToken, nil).want(http.StatusAccepted)
	f.awaitLock("staging", "unlocked")
	f.req("PUT", "/staging/environment/variables/"+missing, adminToken, map[string]string{"valueBase64": b64("x")}).want(http.StatusOK)
	lk = decode[struct{ PromotionID, Result string }](f.req("POST", api+"/lock", promoterToken, nil).want(http.StatusAccepted))
	f.awaitLock("staging", "locked")

	// Now it goes through, as one commit.
	f.req("POST", api+"/promote", promoterToken, map[string]any{"dryRun": false, "promoter": "Barb", "promotionDescription": "journeys", "zendeskTicketReference": "T-1"}).want(http.StatusAccepted)
	if p := f.await("staging"); p.Status != "COMPLETE" || p.PromotionID != lk.PromotionID {
		t.Fatalf("promotion progress %+v", p)
	}
	rep := decode[reportJSON](f.req("GET", api+"/report", promoterToken, nil).want(http.StatusOK))
	if rep.Type != "promotion" || rep.DryRun || rep.PromotionID != lk.PromotionID || rep.Description != "journeys" || rep.changes() == 0 {
		t.Errorf("promotion report %+v", rep)
	}
	if byID := decode[reportJSON](f.req("GET", api+"/report/"+rep.ReportID, promoterToken, nil).want(http.StatusOK)); byID.ReportID != rep.ReportID {
		t.Errorf("report by id %+v", byID)
	}
	f.req("GET", api+"/report/no-such-report", promoterToken, nil).want(http.StatusNotFound)
	if c := f.commits("staging"); c[0].Parent != head || c[0].Metadata["type"] != "promotion" {
		t.Errorf("staging head after promotion %+v, want one commit on %s", c[0], head)
	}
	promoted := f.head("staging")

	// Rollback restores staging's config from before the promotion.
	if rb := decode[reportJSON](f.req("GET", api+"/report/provisional-rollback", promoterToken, nil).want(http.StatusOK)); rb.changes() != rep.changes() {
		t.Errorf("provisional rollback changes %d, promotion changed %d", rb.changes(), rep.changes())
	}
	f.req("POST", api+"/rollback", promoterToken, map[string]any{"promoter": "Barb"}).want(http.StatusAccepted)
	if p := f.await("staging"); p.Status != "COMPLETE" || p.Type != "rollback" {
		t.Fatalf("rollback progress %+v", p)
	}
	if got := f.tree("staging", f.head("staging")); got != f.tree("staging", head) {
		t.Errorf("rolled back tree %s, want the pre-promotion tree %s", got, f.tree("staging", head))
	}
	f.req("POST", api+"/rollback", promoterToken, map[string]any{}).want(http.StatusAccepted)
	if p := f.await("staging"); p.Status != "ERROR" {
		t.Errorf("second rollback in a row: %+v, want ERROR", p)
	}
	if f.commits("staging")[1].Revision != promoted {
		t.Errorf("history rewritten")
	}
	metas := decode[[]reportJSON](f.req("GET", api+"/reports", promoterToken, nil).want(http.StatusOK))
	var types []string
	for _, m := range metas {
		types = append(types, m.Type)
	}
	if !slices.Equal(types, []string{"rollback", "promotion", "promotion"}) {
		t.Errorf("reports %v, want rollback, promotion, dry-run promotion (newest first)", types)
	}

	// Unlock.
	f.req("DELETE", api+"/lock/"+lk.PromotionID, promoterToken, nil).want(http.StatusAccepted)
	f.awaitLock("staging", "unlocked")
	f.awaitLock("prod", "unlocked")
}

func (f *fixture) commits(env string) []store.Commit {
	f.t.Helper()
	log, err := f.repo.Log(context.Background(), f.ids[env], store.LogOptions{Limit: 3})
	if err != nil {
		f.t.Fatal(err)
	}
	return log
}

func (f *fixture) head(env string) store.Revision { return f.commits(env)[0].Revision }

func (f *fixture) tree(env string, rev store.Revision) store.Hash {
	f.t.Helper()
	snap, err := f.repo.Snapshot(context.Background(), rev)
	if err != nil {
		f.t.Fatal(err)
	}
	return snap.Hash()
}

// failingCheck fails every run with an error carrying what no poller may
// read.
type failingCheck struct{}

func (failingCheck) Name() string { return "failing" }
func (failingCheck) Run(context.Context, *integrity.Input) ([]integrity.Finding, error) {
	return nil, errors.New("disk on fire reading /srv/secret-path for commit \"Promote Development to Staging\"")
}

// The progress of a failed run tells a poller the error's safe text (as an
// error answer would), never the raw error, which may carry a commit
// message, a file path or a lease id: that is in the server's log.
func TestRule_FailedRunProgressCarriesOnlyTheSafeErrorText(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 3, Files: 20})})
	p, err := promotion.New(promotion.Config{Group: f.promoter.Group(), Repo: f.repo, Locker: f.locker, ESVs: promotion.ESVService(f.esv),
		Checks: []integrity.Check{failingCheck{}}})
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Authenticator: tokens(), Registry: f.registry, ESV: f.esv, Promoters: []*promotion.Promoter{p},
		Environments: map[string]string{"dev": f.ids["dev"], "staging": f.ids["staging"], "prod": f.ids["prod"]}})
	if err != nil {
		t.Fatal(err)
	}
	f.url = startServer(t, api)
	const path = "/staging/environment/promotion"
	f.req("POST", path+"/lock", promoterToken, nil).want(http.StatusAccepted)
	f.awaitLock("staging", "locked")
	f.req("POST", path+"/promote", promoterToken, map[string]any{"dryRun": false, "promoter": "Barb"}).want(http.StatusAccepted)
	pr := f.await("staging")
	if pr.Status != "ERROR" || pr.Message != "promotion failed unexpectedly; the server's log has the error" {
		t.Fatalf("progress of a run failed unexpectedly = %+v; want ERROR saying only that it failed", pr)
	}
	for _, leak := range []string{"secret-path", "Promote Development", "disk on fire"} {
		if strings.Contains(pr.Message, leak) {
			t.Fatalf("progress message %q carries the raw error (%q)", pr.Message, leak)
		}
	}
}
