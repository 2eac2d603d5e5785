package promotion_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/integrity"
	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/google/go-cmp/cmp"
)

// ctx names the actor every write of these tests is made by.
var ctx = actor.With(context.Background(), "tester")

// split returns the static and dynamic files of s under DefaultLayout.
func split(t testing.TB, s *store.Snapshot) (static, dynamic map[string]string) {
	t.Helper()
	static, dynamic = map[string]string{}, map[string]string{}
	err := s.Walk(func(p string, data []byte) error {
		if (promotion.DefaultLayout{}).Dynamic(p) {
			dynamic[p] = string(data)
		} else {
			static[p] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return static, dynamic
}

func TestRule_TargetIsStaticOfLowerAndDynamicOfUpper(t *testing.T) {
	f := seeded(t)
	devStatic, _ := split(t, f.snap(dev))
	_, stagingDynamic := split(t, f.snap(staging))
	parent := f.head(staging)
	lease := f.lock(dev, staging)

	rep, err := f.p.Promote(ctx, promotion.Request{Lower: dev, Upper: staging, Promoter: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	static, dynamic := split(t, f.snap(staging))
	if diff := cmp.Diff(devStatic, static); diff != "" {
		t.Errorf("static config of staging is not dev's (-dev +staging):\n%s", diff)
	}
	if diff := cmp.Diff(stagingDynamic, dynamic); diff != "" {
		t.Errorf("dynamic config of staging changed (-before +after):\n%s", diff)
	}
	log, err := f.repo.Log(ctx, staging, store.LogOptions{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if c := log[0]; c.Parent != parent || c.Metadata["type"] != "promotion" || c.Metadata["promotionId"] != lease.ID || c.Metadata["reportId"] != rep.ReportID || c.Metadata["source"] != string(f.head(dev)) {
		t.Errorf("promotion commit = %+v, want one commit on %s with type, promotionId, reportId and source", c, parent)
	}
	if rep.Revision != log[0].Revision || rep.PromotionID != lease.ID || rep.Type != promotion.TypePromotion || rep.DryRun {
		t.Errorf("report = %+v", rep)
	}
}

func TestRule_DynamicConfigNeverTouched(t *testing.T) {
	// Every dynamic area of the layout, present only in the lower, only in
	// the upper, or in both with different content.
	f := newFixture(t)
	lower := map[string]string{"realms/alpha/journeys/A/A.json": `{"_id":"A"}`}
	upper := map[string]string{"realms/alpha/journeys/B/B.json": `{"_id":"B"}`}
	for i, p := range []string{
		"realms/alpha/realm-config/agents/OAuth2Client/app.json",
		"realms/bravo/authorization/policy-sets/ps/ps.json",
		"realms/bravo/authorization/resource-types/rt.json",
		"identities/alpha/users/u.json",
		"identities/alpha/roles/r.json",
		"service-objects/alpha_user/u.json",
		"internal-roles/r.json",
		"esvs/variables/esv-x.json",
		"esvs/secrets/esv-y.json",
	} {
		switch i % 3 {
		case 0:
			lower[p] = `{"side":"lower"}`
		case 1:
			upper[p] = `{"side":"upper"}`
		default:
			lower[p], upper[p] = `{"side":"lower"}`, `{"side":"upper"}`
		}
	}
	f.put(dev, lower)
	f.put(staging, upper)
	_, before := split(t, f.snap(staging))
	f.lock(dev, staging)
	if _, err := f.p.Promote(ctx, promotion.Request{Upper: staging}); err != nil {
		t.Fatal(err)
	}
	static, after := split(t, f.snap(staging))
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("promotion touched dynamic config (-before +after):\n%s", diff)
	}
	if want := map[string]string{"realms/alpha/journeys/A/A.json": `{"_id":"A"}`}; !cmp.Equal(static, want) {
		t.Errorf("static config = %v, want %v", static, want)
	}
	if _, err := f.p.Rollback(ctx, promotion.Request{Upper: staging}); err != nil {
		t.Fatal(err)
	}
	if _, after := split(t, f.snap(staging)); !cmp.Equal(before, after) {
		t.Errorf("rollback touched dynamic config: %v", cmp.Diff(before, after))
	}
}

func TestRule_PromotionNeedsTheLock(t *testing.T) {
	f := seeded(t)
	head := f.head(staging)
	_, err := f.p.Promote(ctx, promotion.Request{Lower: dev, Upper: staging})
	if !errors.Is(err, promotion.ErrNotLocked) {
		t.Fatalf("Promote without lock: %v, want ErrNotLocked", err)
	}
	// A lock on the environments that is not the group's promotion lock
	// does not count either.
	l, err := f.locker.Lock(ctx, []string{dev, staging}, "someone", lock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Promote(ctx, promotion.Request{Lower: dev, Upper: staging}); !errors.Is(err, promotion.ErrNotLocked) {
		t.Fatalf("Promote under a foreign lock: %v, want ErrNotLocked", err)
	}
	if _, err := f.p.Rollback(ctx, promotion.Request{Upper: staging}); !errors.Is(err, promotion.ErrNotLocked) {
		t.Fatalf("Rollback under a foreign lock: %v, want ErrNotLocked", err)
	}
	if err := f.locker.Unlock(ctx, l); err != nil {
		t.Fatal(err)
	}
	if f.head(staging) != head {
		t.Error("staging changed")
	}
}

func TestRule_OnlyAdjacentPairsPromote(t *testing.T) {
	chain := environment.Group{Name: "chain", Organization: environment.Ref{ID: "org-1"}, Members: []environment.Member{
		{ID: dev, Tier: environment.TierDevelopment},
		{ID: uat, Tier: environment.TierUAT},
		{ID: staging, Tier: environment.TierStaging},
		{ID: prod, Tier: environment.TierProduction},
	}}
	f := newFixture(t, func(c *promotion.Config) { c.Group = chain })
	for _, tc := range []struct {
		lower, upper string
		ok           bool
	}{
		{dev, uat, true}, {uat, staging, true}, {staging, prod, true},
		{dev, staging, false}, {dev, prod, false}, {uat, prod, false},
		{staging, dev, false}, {prod, staging, false}, {dev, dev, false},
		{dev, "d0000000-0000-4000-8000-00000000000f", false},
	} {
		l, err := f.p.Lock(ctx, tc.lower, tc.upper, "alice")
		if tc.ok != (err == nil) {
			t.Errorf("Lock(%s, %s) = %v, want ok=%v", tc.lower[len(tc.lower)-1:], tc.upper[len(tc.upper)-1:], err, tc.ok)
		}
		if err == nil {
			if err := f.p.Unlock(ctx, tc.lower, tc.upper, l.ID); err != nil {
				t.Fatal(err)
			}
		} else if !errors.Is(err, environment.ErrInvalidPair) {
			t.Errorf("Lock(%s, %s) = %v, want ErrInvalidPair", tc.lower, tc.upper, err)
		}
		if _, err := f.p.Promote(ctx, promotion.Request{Lower: tc.lower, Upper: tc.upper}); !tc.ok && !errors.Is(err, environment.ErrInvalidPair) {
			t.Errorf("Promote(%s, %s) = %v, want ErrInvalidPair", tc.lower, tc.upper, err)
		}
	}
}

func TestRule_OnePromotionPerGroup(t *testing.T) {
	f := seeded(t)
	first := f.lock(dev, staging)
	_, err := f.p.Lock(ctx, staging, prod, "bob")
	var le *lock.LockedError
	if !errors.As(err, &le) || le.Holder.ID != first.ID || le.Holder.Owner != "alice" {
		t.Fatalf("second Lock in the group = %v, want a lock.LockedError naming alice's lease %s", err, first.ID)
	}
	if !strings.Contains(err.Error(), "alice") {
		t.Errorf("error %q does not name the holder", err)
	}
	if err := f.p.Unlock(ctx, dev, staging, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Lock(ctx, staging, prod, "bob"); err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
}

func TestRule_LockedEnvironmentRefusesWrites(t *testing.T) {
	f := seeded(t)
	lease := f.lock(dev, staging)
	for _, env := range []string{dev, staging} {
		if _, err := f.esv.SetVariable(ctx, env, "esv-new", esv.VariableSpec{Value: "x"}); !errors.Is(err, lock.ErrLocked) {
			t.Errorf("ESV write to locked %s: %v, want lock.ErrLocked", env, err)
		}
		_, err := f.p.Edit(ctx, env, func(b *store.Builder) error { return b.Put("ui/ui.json", []byte(`{}`)) }, store.CommitInfo{Message: "x"})
		if !errors.Is(err, lock.ErrLocked) {
			t.Errorf("config edit of locked %s: %v, want lock.ErrLocked", env, err)
		}
	}
	if _, err := f.p.RevertDevelopment(ctx, dev, f.clock.Now()); !errors.Is(err, lock.ErrLocked) {
		t.Errorf("revert of locked dev: %v, want lock.ErrLocked", err)
	}
	// prod is not locked.
	f.setVar(prod, "esv-new", "x")
	if err := f.p.Unlock(ctx, "", staging, lease.ID); err != nil {
		t.Fatal(err)
	}
	f.setVar(dev, "esv-new", "x")
}

func TestRule_MissingESVBlocks(t *testing.T) {
	f := newFixture(t)
	f.put(dev, devConfig)
	f.put(staging, stagingConfig)
	head := f.head(staging)
	lease := f.lock(dev, staging)

	_, err := f.p.Promote(ctx, promotion.Request{Upper: staging})
	var ierr *integrity.Error
	if !errors.Is(err, promotion.ErrIntegrity) || !errors.As(err, &ierr) {
		t.Fatalf("Promote with a missing ESV: %v, want ErrIntegrity and *integrity.Error", err)
	}
	if f.head(staging) != head {
		t.Fatal("a blocked promotion committed")
	}
	pr, err := f.p.Progress(ctx, staging)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Status != promotion.StatusError || !pr.BlockingError || !slices.Equal(pr.MissingESVs, []string{"esv-email-from"}) || pr.PromotionID != lease.ID || len(pr.Findings) == 0 || pr.Findings[0].Path != "email-templates/welcome/welcome.json" {
		t.Errorf("progress = %+v, want ERROR blocked by esv-email-from", pr)
	}
	if rs, _ := f.p.Reports(ctx, staging); len(rs) != 0 {
		t.Errorf("a blocked promotion left reports %v", rs)
	}
	// The ESV can only be added after unlocking (ESV writes are refused
	// while locked), as in AIC.
	if err := f.p.Unlock(ctx, dev, staging, lease.ID); err != nil {
		t.Fatal(err)
	}
	f.setVar(staging, "esv-email-from", "ops@example.com")
	f.lock(dev, staging)
	if _, err := f.p.Promote(ctx, promotion.Request{Upper: staging}); err != nil {
		t.Fatalf("Promote after adding the ESV: %v", err)
	}
	if pr, _ := f.p.Progress(ctx, staging); pr.Status != promotion.StatusComplete || pr.BlockingError {
		t.Errorf("progress = %+v, want COMPLETE", pr)
	}
}

func TestRule_EncryptedSecretsBlockUnlessIgnored(t *testing.T) {
	f := seeded(t)
	f.put(dev, map[string]string{"sync/connectors/ldap.json": `{"_id":"provisioner.openicf/ldap","credentials":{"$crypto":{"type":"x-simple-encryption","value":{"cipher":"AES/CBC/PKCS5Padding","data":"c2VjcmV0","iv":"aXY=","keySize":16,"purpose":"idm.password.encryption","salt":"c2FsdA==","stableId":"openidm-sym-default"}}}}`})
	f.lock(dev, staging)
	head := f.head(staging)
	if _, err := f.p.Promote(ctx, promotion.Request{Upper: staging}); !errors.Is(err, promotion.ErrIntegrity) {
		t.Fatalf("Promote with an encrypted secret: %v, want ErrIntegrity", err)
	}
	if pr, _ := f.p.Progress(ctx, staging); len(pr.EncryptedSecrets) != 1 || !strings.HasPrefix(pr.EncryptedSecrets[0], "sync/connectors/ldap.json") {
		t.Errorf("progress encrypted secrets = %q", pr.EncryptedSecrets)
	}
	if f.head(staging) != head {
		t.Fatal("a blocked promotion committed")
	}
	rep, err := f.p.Promote(ctx, promotion.Request{Upper: staging, IgnoreEncryptedSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.PreviouslyIgnoredEncryptedSecrets) != 1 || !strings.HasPrefix(rep.PreviouslyIgnoredEncryptedSecrets[0], "sync/connectors/ldap.json") {
		t.Errorf("report ignored secrets = %q", rep.PreviouslyIgnoredEncryptedSecrets)
	}
	again, err := f.p.Report(ctx, rep.ReportID)
	if err != nil || !slices.Equal(again.PreviouslyIgnoredEncryptedSecrets, rep.PreviouslyIgnoredEncryptedSecrets) {
		t.Errorf("stored report lost the ignored secrets: %v %v", again, err)
	}
}

func TestRule_DryRunWritesNothingButTheReport(t *testing.T) {
	f := newFixture(t)
	f.put(dev, devConfig)
	f.put(staging, stagingConfig) // esv-email-from missing: the dry run reports it
	head := f.head(staging)
	lease := f.lock(dev, staging)
	rep, err := f.p.Promote(ctx, promotion.Request{Upper: staging, DryRun: true, UnlockAfter: true, Promoter: "alice", Description: "try"})
	if err != nil {
		t.Fatal(err)
	}
	if f.head(staging) != head {
		t.Error("a dry run moved the upper branch")
	}
	if st, _ := f.p.LockState(ctx, dev, staging); st.Result != lock.StateLocked || st.PromotionID != lease.ID {
		t.Errorf("a dry run unlocked: %+v", st)
	}
	if !rep.DryRun || rep.Revision != "" || !slices.Equal(rep.MissingESVs, []string{"esv-email-from"}) || rep.Changes.Len() == 0 || !strings.Contains(rep.ReportName, "dryrun=true") {
		t.Errorf("dry-run report = %+v", rep)
	}
	// The report is the only write: one file on the reports branch.
	snap := f.snap("reports/" + staging)
	if snap.Len() != 1 {
		t.Errorf("reports branch holds %d files, want 1", snap.Len())
	}
	got, err := f.p.Report(ctx, rep.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, got); diff != "" {
		t.Errorf("stored dry-run report differs:\n%s", diff)
	}
	list, err := f.p.Reports(ctx, staging)
	if err != nil || len(list) != 1 || list[0] != rep.Meta() {
		t.Errorf("Reports = %v, %v; want the dry run", list, err)
	}
}

func TestRule_EmptyPromotionSucceedsWithEmptyReport(t *testing.T) {
	f := seeded(t)
	f.lock(dev, staging)
	if _, err := f.p.Promote(ctx, promotion.Request{Upper: staging}); err != nil {
		t.Fatal(err)
	}
	before := f.snap(staging)
	rep, err := f.p.Promote(ctx, promotion.Request{Upper: staging})
	if err != nil {
		t.Fatalf("promotion with nothing to change: %v", err)
	}
	if rep.Changes.Len() != 0 || rep.Changes.AMConfig != nil || rep.Changes.IDMConfig != nil {
		t.Errorf("report of an empty promotion = %+v", rep.Changes)
	}
	if !f.snap(staging).Equal(before) {
		t.Error("an empty promotion changed the config")
	}
	b, _ := json.Marshal(rep.Changes)
	if string(b) != "{}" {
		t.Errorf("empty changes encode as %s", b)
	}
}

func TestRule_RollbackRestoresBeforeLastPromotion(t *testing.T) {
	f := seeded(t)
	staticBefore, _ := split(t, f.snap(staging))
	f.lock(dev, staging)
	if _, err := f.p.Rollback(ctx, promotion.Request{Upper: staging}); !errors.Is(err, promotion.ErrNothingToRollback) {
		t.Fatalf("rollback before any promotion: %v, want ErrNothingToRollback", err)
	}
	promo, err := f.p.Promote(ctx, promotion.Request{Upper: staging})
	if err != nil {
		t.Fatal(err)
	}
	// Dynamic config changes after the promotion, and must survive.
	f.p.Unlock(ctx, dev, staging, promo.PromotionID)
	f.put(staging, map[string]string{"identities/alpha/users/new.json": `{"_id":"new"}`})
	_, dynamicNow := split(t, f.snap(staging))
	lease := f.lock(dev, staging)

	prov, err := f.p.ProvisionalRollbackReport(ctx, staging)
	if err != nil {
		t.Fatal(err)
	}
	promoHead := f.head(staging)
	rb, err := f.p.Rollback(ctx, promotion.Request{Upper: staging, Promoter: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	static, dynamic := split(t, f.snap(staging))
	if diff := cmp.Diff(staticBefore, static); diff != "" {
		t.Errorf("rollback did not restore the static config:\n%s", diff)
	}
	if !cmp.Equal(dynamicNow, dynamic) {
		t.Errorf("rollback changed dynamic config: %s", cmp.Diff(dynamicNow, dynamic))
	}
	if diff := cmp.Diff(prov.Changes, rb.Changes); diff != "" {
		t.Errorf("provisional rollback report differs from the rollback's:\n%s", diff)
	}
	log, _ := f.repo.Log(ctx, staging, store.LogOptions{})
	if log[0].Parent != promoHead || log[0].Metadata["type"] != "rollback" || rb.Type != promotion.TypeRollback || rb.PromotionID != lease.ID {
		t.Errorf("rollback commit %+v, report %+v", log[0], rb)
	}
	if _, err := f.p.Rollback(ctx, promotion.Request{Upper: staging}); !errors.Is(err, promotion.ErrNothingToRollback) {
		t.Errorf("second rollback: %v, want ErrNothingToRollback", err)
	}
	if _, err := f.p.ProvisionalRollbackReport(ctx, staging); !errors.Is(err, promotion.ErrNothingToRollback) {
		t.Errorf("provisional second rollback: %v, want ErrNothingToRollback", err)
	}
}

func TestRule_RollbackChecksMissingESVs(t *testing.T) {
	f := seeded(t)
	// staging's own config, before any promotion, uses an ESV it no longer
	// has once it is promoted over.
	f.put(staging, map[string]string{"email-templates/old/old.json": `{"_id":"emailTemplate/old","from":"&{esv.old.from}"}`})
	f.setVar(staging, "esv-old-from", "x")
	f.lock(dev, staging)
	if _, err := f.p.Promote(ctx, promotion.Request{Upper: staging}); err != nil {
		t.Fatal(err)
	}
	// Deleting an ESV needs the pair unlocked.
	st, _ := f.p.LockState(ctx, dev, staging)
	f.p.Unlock(ctx, dev, staging, st.PromotionID)
	if err := f.esv.DeleteVariable(ctx, staging, "esv-old-from"); err != nil {
		t.Fatal(err)
	}
	f.lock(dev, staging)
	head := f.head(staging)
	_, err := f.p.Rollback(ctx, promotion.Request{Upper: staging})
	if !errors.Is(err, promotion.ErrIntegrity) || !strings.Contains(err.Error(), "esv-old-from") {
		t.Fatalf("rollback to config using a deleted ESV: %v, want ErrIntegrity naming esv-old-from", err)
	}
	if f.head(staging) != head {
		t.Error("blocked rollback committed")
	}
}

func TestRule_UnlockAfter(t *testing.T) {
	f := seeded(t)
	f.lock(dev, staging)
	if _, err := f.p.Promote(ctx, promotion.Request{Upper: staging, UnlockAfter: true}); err != nil {
		t.Fatal(err)
	}
	st, err := f.p.LockState(ctx, dev, staging)
	if err != nil || st.Result != lock.StateUnlocked {
		t.Errorf("after UnlockAfter: %+v, %v", st, err)
	}
	pr, _ := f.p.Progress(ctx, staging)
	if pr.Status != promotion.StatusComplete || pr.GlobalLock != "UNLOCKED" {
		t.Errorf("progress = %+v", pr)
	}
}

func TestRule_ExpiredLeaseCannotCommit(t *testing.T) {
	var f *fixture
	f = seeded(t, func(c *promotion.Config) {
		c.LockTTL = time.Minute
		// The lease runs out while the checks run (reading the ESVs).
		inner := c.ESVs
		c.ESVs = esvsFunc(func(ctx context.Context, env string) (map[string]integrity.ESV, error) {
			f.clock.Advance(2 * time.Minute)
			return inner.ESVs(ctx, env)
		})
	})
	f.lock(dev, staging)
	head := f.head(staging)
	_, err := f.p.Promote(ctx, promotion.Request{Upper: staging})
	if !errors.Is(err, lock.ErrNotHeld) {
		t.Fatalf("Promote on an expired lease: %v, want lock.ErrNotHeld", err)
	}
	if f.head(staging) != head {
		t.Error("an expired lease committed")
	}
	if pr, _ := f.p.Progress(ctx, staging); pr.Status != promotion.StatusError || !strings.Contains(pr.Message, "not held") {
		t.Errorf("progress = %+v, want ERROR saying the lease is not held", pr)
	}
}

type esvsFunc func(ctx context.Context, env string) (map[string]integrity.ESV, error)

func (f esvsFunc) ESVs(ctx context.Context, env string) (map[string]integrity.ESV, error) {
	return f(ctx, env)
}

func TestRule_TwoPromotersRaceOnOneGroup(t *testing.T) {
	for range 20 {
		f := seeded(t)
		other := f.fresh()
		head := f.head(staging)
		type result struct {
			lockErr, promoteErr error
		}
		results := make(chan result, 2)
		for _, p := range []*promotion.Promoter{f.p, other} {
			go func() {
				_, lerr := p.Lock(ctx, staging, prod, "racer")
				if lerr != nil {
					_, lerr = p.Lock(ctx, dev, staging, "racer")
				}
				var perr error
				if lerr == nil {
					_, perr = p.Promote(ctx, promotion.Request{Lower: dev, Upper: staging})
					if errors.Is(perr, environment.ErrInvalidPair) || errors.Is(perr, promotion.ErrNotLocked) {
						_, perr = p.Promote(ctx, promotion.Request{Lower: staging, Upper: prod})
					}
				}
				results <- result{lerr, perr}
			}()
		}
		var won, conflicts int
		for range 2 {
			r := <-results
			switch {
			case r.lockErr == nil && r.promoteErr == nil:
				won++
			case errors.Is(r.lockErr, lock.ErrLocked):
				conflicts++
			default:
				t.Fatalf("unexpected outcome %+v", r)
			}
		}
		if won != 1 || conflicts != 1 {
			t.Fatalf("%d promoted and %d got a lock conflict; want exactly one of each", won, conflicts)
		}
		promoted := 0
		if f.head(staging) != head {
			promoted++
		}
		if h, err := f.repo.Head(ctx, prod); err == nil && h.Metadata["type"] == "promotion" {
			promoted++
		}
		if promoted != 1 {
			t.Fatalf("%d environments promoted, want 1", promoted)
		}
	}
}

func TestRule_OneOperationAtATimePerEnvironment(t *testing.T) {
	block := make(chan struct{})
	entered := make(chan struct{}, 1)
	f := seeded(t, func(c *promotion.Config) {
		inner := c.ESVs
		c.ESVs = esvsFunc(func(ctx context.Context, env string) (map[string]integrity.ESV, error) {
			entered <- struct{}{}
			<-block
			return inner.ESVs(ctx, env)
		})
	})
	f.lock(dev, staging)
	done := make(chan error)
	go func() {
		_, err := f.p.Promote(ctx, promotion.Request{Upper: staging})
		done <- err
	}()
	<-entered
	if pr, _ := f.p.Progress(ctx, staging); pr.Status != promotion.StatusRunning {
		t.Errorf("progress during the promotion = %+v, want RUNNING", pr)
	}
	if _, err := f.p.Rollback(ctx, promotion.Request{Upper: staging}); !errors.Is(err, promotion.ErrInProgress) {
		t.Errorf("rollback during a promotion: %v, want ErrInProgress", err)
	}
	close(block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRule_ProvisionalReportMatchesPromotion(t *testing.T) {
	f := seeded(t)
	prov, err := f.p.ProvisionalReport(ctx, dev, staging)
	if err != nil {
		t.Fatal(err)
	}
	f.lock(dev, staging)
	rep, err := f.p.Promote(ctx, promotion.Request{Upper: staging})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(prov.Changes, rep.Changes); diff != "" || prov.Changes.Len() == 0 {
		t.Errorf("provisional report differs from the promotion's:\n%s", diff)
	}
	if _, err := f.p.ProvisionalReport(ctx, dev, prod); !errors.Is(err, environment.ErrInvalidPair) {
		t.Errorf("provisional dev→prod: %v", err)
	}
}

func TestRule_RevertDevelopment(t *testing.T) {
	f := newFixture(t)
	f.put(dev, map[string]string{"realms/alpha/journeys/A/A.json": `{"v":1}`, "identities/alpha/users/u1.json": `{"v":1}`})
	backup := f.clock.Now()
	f.put(dev, map[string]string{"realms/alpha/journeys/A/A.json": `{"v":2}`, "realms/alpha/journeys/B/B.json": `{"v":2}`})
	f.put(dev, map[string]string{"identities/alpha/users/u2.json": `{"v":2}`})
	_, dynamicNow := split(t, f.snap(dev))

	c, err := f.p.RevertDevelopment(ctx, dev, backup)
	if err != nil {
		t.Fatal(err)
	}
	static, dynamic := split(t, f.snap(dev))
	if want := map[string]string{"realms/alpha/journeys/A/A.json": `{"v":1}`}; !cmp.Equal(static, want) {
		t.Errorf("static after revert = %v, want %v", static, want)
	}
	if !cmp.Equal(dynamic, dynamicNow) {
		t.Errorf("revert changed dynamic config: %s", cmp.Diff(dynamicNow, dynamic))
	}
	if c.Metadata["type"] != "revert" {
		t.Errorf("revert commit metadata = %v", c.Metadata)
	}
	if _, err := f.p.RevertDevelopment(ctx, staging, backup); !errors.Is(err, promotion.ErrNotDevelopment) {
		t.Errorf("revert of staging: %v, want ErrNotDevelopment", err)
	}
	if _, err := f.p.RevertDevelopment(ctx, dev, backup.Add(-time.Hour)); !errors.Is(err, promotion.ErrNoHistory) {
		t.Errorf("revert before any commit: %v, want ErrNoHistory", err)
	}
}

func TestRule_ReportIsDerivedFromTheCommit(t *testing.T) {
	f := seeded(t)
	f.lock(dev, staging)
	rep, err := f.p.Promote(ctx, promotion.Request{Upper: staging, Promoter: "alice", Description: "Login journey\nsecond line", TicketReference: "T-1"})
	if err != nil {
		t.Fatal(err)
	}
	// A new Promoter over the same repository derives the same report.
	fresh := f.fresh()
	got, err := fresh.Report(ctx, rep.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, got); diff != "" {
		t.Errorf("derived report differs (-returned +derived):\n%s", diff)
	}
	if got.Promoter != "alice" || got.Description != "Login journey\nsecond line" || got.TicketReference != "T-1" {
		t.Errorf("header lost: %+v", got)
	}
	list, err := fresh.Reports(ctx, staging)
	if err != nil || len(list) != 1 || list[0] != rep.Meta() {
		t.Errorf("Reports = %v, %v", list, err)
	}
	if _, err := fresh.Report(ctx, "no-such-report"); !errors.Is(err, promotion.ErrReportNotFound) {
		t.Errorf("Report(unknown) = %v", err)
	}
	if _, err := fresh.Report(ctx, "../x"); !errors.Is(err, promotion.ErrReportNotFound) {
		t.Errorf("Report(../x) = %v", err)
	}
}

func TestRule_ReportGroupsChangesByItem(t *testing.T) {
	f := seeded(t)
	f.lock(dev, staging)
	rep, err := f.p.Promote(ctx, promotion.Request{Upper: staging})
	if err != nil {
		t.Fatal(err)
	}
	want := promotion.Changes{
		AMConfig: []promotion.ItemChanges{
			{ConfigItem: "Authentication > Journeys", ConfigChange: promotion.ConfigChange{
				Deleted:  []promotion.Entry{{Name: "Old", Realm: "/alpha", UID: "Old"}},
				Modified: []promotion.Entry{{Name: "Login", Realm: "/alpha"}}, // only a node changed
			}},
			{ConfigItem: "Scripts", ConfigChange: promotion.ConfigChange{
				Added: []promotion.Entry{{Name: "decide", Realm: "/alpha", UID: "s-1"}},
			}},
		},
		IDMConfig: []promotion.ItemChanges{
			{ConfigItem: "Email > Templates", ConfigChange: promotion.ConfigChange{
				Added: []promotion.Entry{{Name: "welcome", UID: "emailTemplate/welcome"}},
			}},
			{ConfigItem: "Managed Objects", ConfigChange: promotion.ConfigChange{
				Added: []promotion.Entry{{Name: "alpha_user"}},
			}},
		},
	}
	if diff := cmp.Diff(want, rep.Changes); diff != "" {
		t.Errorf("report changes (-want +got):\n%s", diff)
	}
}

func TestRule_EditAndRevertKeepTheirTypes(t *testing.T) {
	f := newFixture(t)
	c := f.put(dev, map[string]string{"ui/ui.json": `{}`})
	if c.Metadata["type"] != "edit" || c.Author != "test" {
		t.Errorf("edit commit = %+v", c)
	}
	same, err := f.p.Edit(ctx, dev, func(b *store.Builder) error { return b.Put("ui/ui.json", []byte(`{}`)) }, store.CommitInfo{})
	if err != nil || same.Revision != c.Revision {
		t.Errorf("an edit changing nothing committed: %v %v", same, err)
	}
	if _, err := f.p.Edit(ctx, "d0000000-0000-4000-8000-00000000000f", func(*store.Builder) error { return nil }, store.CommitInfo{}); !errors.Is(err, environment.ErrNotFound) {
		t.Errorf("edit of a non-member: %v", err)
	}
}

func TestProgress_FollowsTheLockWithoutARecord(t *testing.T) {
	f := seeded(t)
	pr, err := f.p.Progress(ctx, staging)
	if err != nil || pr.Status != promotion.StatusReady || pr.GlobalLock != "UNLOCKED" {
		t.Errorf("progress unlocked = %+v, %v", pr, err)
	}
	l := f.lock(dev, staging)
	// Another Promoter (another process) has no record: it reads the lock.
	other := f.fresh()
	pr, err = other.Progress(ctx, staging)
	if err != nil || pr.Status != promotion.StatusReady || pr.GlobalLock != "LOCKED" || pr.PromotionID != l.ID {
		t.Errorf("progress locked = %+v, %v", pr, err)
	}
	if _, err := f.p.Progress(ctx, dev); !errors.Is(err, environment.ErrInvalidPair) {
		t.Errorf("progress of dev: %v", err)
	}
}

func TestLockState(t *testing.T) {
	f := seeded(t)
	st, err := f.p.LockState(ctx, dev, staging)
	if err != nil || st.Result != lock.StateUnlocked {
		t.Fatalf("%+v %v", st, err)
	}
	l := f.lock("", staging)
	st, _ = f.p.LockState(ctx, dev, staging)
	if st.Result != lock.StateLocked || st.PromotionID != l.ID || st.Lease.ID != l.ID || st.Lower.State != lock.StateLocked || st.Upper.PromotionID != l.ID {
		t.Errorf("locked state = %+v", st)
	}
	// staging→prod shares staging with the held pair: locked by that
	// promotion (a normal state, not an error), but not this pair's lease.
	st, _ = f.p.LockState(ctx, staging, prod)
	if st.Result != lock.StateLocked || st.PromotionID != l.ID || st.Lease.ID != "" {
		t.Errorf("overlapping pair state = %+v", st)
	}
	if err := f.p.Unlock(ctx, dev, staging, "wrong-id"); !errors.Is(err, promotion.ErrNotLocked) {
		t.Errorf("Unlock with a wrong id: %v", err)
	}
	if err := f.p.Unlock(ctx, dev, staging, l.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.p.Unlock(ctx, dev, staging, l.ID); !errors.Is(err, promotion.ErrNotLocked) {
		t.Errorf("double Unlock: %v", err)
	}
}

func TestNew_RejectsBadConfig(t *testing.T) {
	good := newFixture(t).cfg
	for name, tweak := range map[string]func(*promotion.Config){
		"no group": func(c *promotion.Config) { c.Group = environment.Group{} },
		"bad branch id": func(c *promotion.Config) {
			c.Group.Members = slices.Clone(c.Group.Members)
			c.Group.Members[0].ID = "a b"
		},
		"no repo":      func(c *promotion.Config) { c.Repo = nil },
		"no locker":    func(c *promotion.Config) { c.Locker = nil },
		"no esvs":      func(c *promotion.Config) { c.ESVs = nil },
		"negative ttl": func(c *promotion.Config) { c.LockTTL = -time.Second },
		"nil check":    func(c *promotion.Config) { c.Checks = []integrity.Check{nil} },
	} {
		cfg := good
		tweak(&cfg)
		if _, err := promotion.New(cfg); !errors.Is(err, promotion.ErrInvalidConfig) {
			t.Errorf("%s: New = %v, want ErrInvalidConfig", name, err)
		}
	}
}

func TestRule_TargetOverGeneratedTenants(t *testing.T) {
	// Two unrelated tenants differ in every area, with different realms.
	lower := tenantgen.Generate(tenantgen.Options{Seed: 11, Files: 1200, Realms: 2})
	upper := tenantgen.Generate(tenantgen.Options{Seed: 12, Files: 900, Realms: 3})
	f := newFixture(t, func(c *promotion.Config) { c.Checks = []integrity.Check{} })
	load := func(env string, ten *tenantgen.Tenant) {
		m := map[string]string{}
		for p, d := range ten.Files {
			m[p] = string(d)
		}
		f.put(env, m)
	}
	load(dev, lower)
	load(staging, upper)
	lowerStatic, _ := split(t, f.snap(dev))
	_, upperDynamic := split(t, f.snap(staging))
	f.lock(dev, staging)
	rep, err := f.p.Promote(ctx, promotion.Request{Upper: staging})
	if err != nil {
		t.Fatal(err)
	}
	static, dynamic := split(t, f.snap(staging))
	if !cmp.Equal(static, lowerStatic) || !cmp.Equal(dynamic, upperDynamic) {
		t.Errorf("target is not static(lower) ∪ dynamic(upper): static diff %d chars, dynamic diff %d chars", len(cmp.Diff(lowerStatic, static)), len(cmp.Diff(upperDynamic, dynamic)))
	}
	if rep.Changes.Len() == 0 {
		t.Error("empty report")
	}
}

// TestRule_ReportOfAScannedPromotionIsDerivedFromTheCommit: a promotion's
// report, described as the integrity scan reads the files (and, for a warm
// Runner, partly afterwards), is the report derived from its commit.
func TestRule_ReportOfAScannedPromotionIsDerivedFromTheCommit(t *testing.T) {
	lower := tenantgen.Generate(tenantgen.Options{Seed: 21, Files: 1500, Realms: 2})
	upper := tenantgen.Generate(tenantgen.Options{Seed: 22, Files: 1200, Realms: 3})
	meta := esvMeta(lower)
	for n, e := range esvMeta(upper) {
		meta[n] = e
	}
	f := newFixture(t, func(c *promotion.Config) {
		c.ESVs = esvsFunc(func(context.Context, string) (map[string]integrity.ESV, error) { return meta, nil })
	})
	load := func(env string, ten *tenantgen.Tenant) {
		m := map[string]string{}
		for p, d := range ten.Files {
			m[p] = string(d)
		}
		f.put(env, m)
	}
	load(dev, lower)
	load(staging, upper)
	edited, _ := lower.Edit(2, 5)
	for round, next := range []*tenantgen.Tenant{nil, edited} {
		if next != nil {
			load(dev, next) // the warm Runner reads only the edited files
		}
		f.lock(dev, staging)
		rep, err := f.p.Promote(ctx, promotion.Request{Upper: staging, IgnoreEncryptedSecrets: true, UnlockAfter: true})
		if err != nil {
			t.Fatal(err)
		}
		fresh := f.fresh()
		got, err := fresh.Report(ctx, rep.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rep, got); diff != "" || rep.Changes.Len() == 0 {
			t.Errorf("round %d: derived report differs (-returned +derived):\n%s", round, diff)
		}
	}
}

// TestRule_CommitParentIsTheHeadTheChecksSaw moves the upper's branch while
// the checks run (another process writing to the shared Repo). The
// promotion must not commit on top of a head its checks never saw: it fails
// with store.ErrConflict and leaves the other writer's commit as the head.
func TestRule_CommitParentIsTheHeadTheChecksSaw(t *testing.T) {
	for _, op := range []promotion.Type{promotion.TypePromotion, promotion.TypeRollback} {
		t.Run(string(op), func(t *testing.T) {
			var f *fixture
			var moved store.Commit
			armed := false
			f = seeded(t, func(c *promotion.Config) {
				inner := c.ESVs
				c.ESVs = esvsFunc(func(ctx context.Context, env string) (map[string]integrity.ESV, error) {
					if armed {
						armed = false
						h, err := f.repo.Head(ctx, env)
						if err != nil {
							return nil, err
						}
						snap, err := f.repo.Snapshot(ctx, h.Revision)
						if err != nil {
							return nil, err
						}
						next, err := snap.With("identities/alpha/users/late-user.json", []byte(`{"_id":"late-user"}`))
						if err != nil {
							return nil, err
						}
						if moved, err = f.repo.Commit(ctx, env, h.Revision, next, store.CommitInfo{Message: "meanwhile"}); err != nil {
							return nil, err
						}
					}
					return inner.ESVs(ctx, env)
				})
			})
			f.lock(dev, staging)
			run := f.p.Promote
			if op == promotion.TypeRollback {
				if _, err := f.p.Promote(ctx, promotion.Request{Upper: staging}); err != nil {
					t.Fatal(err)
				}
				run = f.p.Rollback
			}
			armed = true
			if _, err := run(ctx, promotion.Request{Upper: staging}); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("%s while the upper's head moved: %v, want store.ErrConflict", op, err)
			}
			if moved.Revision == "" {
				t.Fatal("the head was not moved: the test exercises nothing")
			}
			if h := f.head(staging); h != moved.Revision {
				t.Errorf("head = %s, want the concurrent commit %s untouched", h, moved.Revision)
			}
		})
	}
}

// Reports are cached; a caller changing the one it got must not change what
// the next caller reads.
func TestReportsHandedOutAreCopies(t *testing.T) {
	f := seeded(t)
	f.lock(dev, staging)
	rep, err := f.p.Promote(ctx, promotion.Request{Upper: staging, Promoter: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.p.Report(ctx, rep.ReportID)
	if err != nil || want.Changes.Len() == 0 {
		t.Fatalf("Report = %v, %v; want one with changes", want, err)
	}
	for _, r := range []*promotion.Report{rep, want} {
		r.Promoter = "mallory"
		r.Changes.AMConfig[0].ConfigChange = promotion.ConfigChange{}
	}
	got, err := f.p.Report(ctx, rep.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Promoter != "alice" || got.Changes.Len() == 0 || len(got.Changes.AMConfig[0].ConfigChange.Added)+len(got.Changes.AMConfig[0].ConfigChange.Modified)+len(got.Changes.AMConfig[0].ConfigChange.Deleted) == 0 {
		t.Errorf("changing a returned report changed the cached one: %+v", got)
	}
}

// The promoter is free text from the request; no spelling of it may fail the
// commit, and the report keeps it as given.
func TestRule_AnyPromoterNameCommits(t *testing.T) {
	for _, who := range []string{"Ada <>", "a<b>c", " spaced ", "two\nlines", "Ada <ada@example.com>"} {
		f := seeded(t)
		f.lock(dev, staging)
		rep, err := f.p.Promote(ctx, promotion.Request{Upper: staging, Promoter: who})
		if err != nil {
			t.Fatalf("Promote by %q: %v", who, err)
		}
		got, err := f.p.Report(ctx, rep.ReportID)
		if err != nil || got.Promoter != who {
			t.Errorf("report promoter = %q, %v; want %q", got.Promoter, err, who)
		}
	}
}
