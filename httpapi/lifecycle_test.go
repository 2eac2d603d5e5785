package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/envpromote/envpromote/internal/tenantgen"
)

// TestShutdown_FinishesOrCleanlyFailsRunningWork: a promotion cut short
// by Shutdown leaves staging at its old head or at exactly one promotion
// commit on it, never between, and nothing keeps running afterwards.
func TestShutdown_FinishesOrCleanlyFailsRunningWork(t *testing.T) {
	for _, tc := range []struct {
		name     string
		deadline func() (context.Context, context.CancelFunc)
	}{
		{"wait", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tenant := tenantgen.Generate(tenantgen.Options{Seed: 5, Files: 1000})
			f := newFixture(t, fixtureOptions{group: true, tenant: tenant})
			const api = "/staging/environment/promotion"
			f.req("POST", api+"/lock", promoterToken, nil).want(http.StatusAccepted)
			head := f.head("staging")
			f.req("POST", api+"/promote", promoterToken, map[string]bool{"dryRun": false}).want(http.StatusAccepted)

			ctx, cancel := tc.deadline()
			defer cancel()
			err := f.api.Shutdown(ctx)
			if tc.name == "wait" && err != nil {
				t.Fatalf("Shutdown: %v", err)
			}

			p := decode[progressJSON](f.req("GET", api+"/promote", promoterToken, nil).want(http.StatusOK))
			c := f.commits("staging")
			switch {
			case c[0].Revision == head:
				if p.Status != "ERROR" {
					t.Errorf("staging unchanged but progress %+v", p)
				}
			case c[0].Parent == head && c[0].Metadata["type"] == "promotion":
				if p.Status != "COMPLETE" {
					t.Errorf("promotion committed but progress %+v", p)
				}
			default:
				t.Fatalf("staging head %+v is neither the old head nor one promotion on it", c[0])
			}
			if tc.name == "wait" && p.Status != "COMPLETE" {
				t.Errorf("Shutdown without deadline did not let the promotion finish: %+v", p)
			}
			f.req("POST", api+"/rollback", promoterToken, map[string]any{}).want(http.StatusServiceUnavailable)
		})
	}
}
