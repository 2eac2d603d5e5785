package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/lock/gitlock"
)

// Issue 14: a process killed inside Lock left the lower environment held
// and the upper free; lock/state said error and DELETE lock/{id} answered
// 409. Now lock/state shows the partial lease with the way out, and the
// DELETE clears it.
func TestPromotion_HalfHeldLockShowsTheWayOutAndDeleteClearsIt(t *testing.T) {
	f := newFixture(t, fixtureOptions{group: true, tenant: tenantgen.Generate(tenantgen.Options{Seed: 3, Files: 20})})
	const api = "/staging/environment/promotion"
	lease, err := lock.NewLease([]string{f.ids["dev"], f.ids["staging"], "group:main"}, "crashed", lock.Options{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	lease.Token = 1
	s := gitlock.NewStore(f.repo, nil)
	_, ver, err := s.Load(t.Context(), lease.Envs[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Swap(t.Context(), lease.Envs[0], ver, lock.Record{Lease: lease}); err != nil {
		t.Fatal(err)
	}

	st := decode[struct{ Result, PromotionID, Description string }](f.req("GET", api+"/lock/state", promoterToken, nil).want(http.StatusOK))
	if st.Result != "locking" || st.PromotionID != lease.ID || !strings.Contains(st.Description, "DELETE lock/"+lease.ID) {
		t.Fatalf("lock/state of a half-held pair = %+v, want locking by %s with the way out", st, lease.ID)
	}
	f.req("POST", api+"/lock", promoterToken, nil).want(http.StatusConflict)
	f.req("DELETE", api+"/lock/"+lease.ID, promoterToken, nil).want(http.StatusAccepted)
	f.awaitLock("staging", "unlocked")
	f.req("POST", api+"/lock", promoterToken, nil).want(http.StatusAccepted)
}
