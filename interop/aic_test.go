package interop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pingidentity/identitycloud-go-client/identitycloud"
)

const promotionVersion = "protocol=1.0,resource=1.0"

// aicClient is the vendor's client for one environment, with the base URL
// a tenant has: the root of its own host name.
func aicClient(s *server, env string) (*identitycloud.APIClient, context.Context) {
	cfg := identitycloud.NewConfiguration()
	cfg.Servers = identitycloud.ServerConfigurations{{URL: "http://" + env + ".localhost:" + s.port}}
	cfg.HTTPClient = s.client
	return identitycloud.NewAPIClient(cfg), context.WithValue(context.Background(), identitycloud.ContextAccessToken, token)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestAIC_ESVVariablesAndSecretsWithVersionsAndRestart runs the ESV API
// through the vendor's client, at the root of staging's host name.
func TestAIC_ESVVariablesAndSecretsWithVersionsAndRestart(t *testing.T) {
	s := startServer(t)
	c, ctx := aicClient(s, "staging")

	v, _, err := c.VariablesAPI.CreateVariables(ctx, "esv-api-port").Body(identitycloud.EsvVariableCreateUpdateRequest{
		ValueBase64: b64("8443"), ExpressionType: identitycloud.PtrString("int"), Description: identitycloud.PtrString("API port"),
	}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if v.GetId() != "esv-api-port" || v.GetExpressionType() != "int" || v.GetLoaded() {
		t.Errorf("created %+v", v)
	}
	if _, err := c.VariablesAPI.ActionVariable(ctx, "esv-api-port").Action("setDescription").Body(identitycloud.EsvSetDescriptionRequest{Description: "HTTPS port"}).Execute(); err != nil {
		t.Fatal(err)
	}
	got, _, err := c.VariablesAPI.GetVariable(ctx, "esv-api-port").Execute()
	if err != nil || got.GetDescription() != "HTTPS port" || got.GetValueBase64() != b64("8443") {
		t.Fatalf("read back %+v, %v", got, err)
	}

	// The list answer matches both schemas of the spec's oneOf, so the
	// generated decoder refuses it (see the package doc); read it with
	// the client's own V1 model.
	_, _, err = c.VariablesAPI.GetAllVariables(ctx).Execute()
	var apiErr *identitycloud.GenericOpenAPIError
	if !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "more than one schema") {
		t.Fatalf("GetAllVariables error %v, want the client's oneOf ambiguity", err)
	}
	var list identitycloud.EsvVariableListV1
	if err := json.Unmarshal(apiErr.Body(), &list); err != nil || len(list.Result) != 1 || list.Result[0].GetId() != "esv-api-port" {
		t.Fatalf("variable list %+v, %v", list, err)
	}

	sec, _, err := c.SecretsAPI.CreateSecret(ctx, "esv-signing-key").Body(identitycloud.EsvSecretCreateRequest{
		Encoding: "generic", UseInPlaceholders: true, ValueBase64: b64("first"),
	}).Execute()
	if err != nil || sec.GetActiveVersion() != "1" {
		t.Fatalf("created secret %+v, %v", sec, err)
	}
	if _, _, err := c.SecretsAPI.CreateSecretVersion(ctx, "esv-signing-key").Action("create").Body(identitycloud.EsvSecretVersionCreateRequest{ValueBase64: b64("second")}).Execute(); err != nil {
		t.Fatal(err)
	}
	versions, _, err := c.SecretsAPI.GetSecretVersions(ctx, "esv-signing-key").Execute()
	if err != nil || len(versions) != 2 {
		t.Fatalf("versions %+v, %v", versions, err)
	}
	if _, _, err := c.SecretsAPI.ChangeSecretVersion(ctx, "esv-signing-key", "1").Action("changestatus").Body(identitycloud.EsvSecretVersionStatusRequest{Status: "DISABLED"}).Execute(); err != nil {
		t.Fatal(err)
	}
	secrets, _, err := c.SecretsAPI.GetAllSecrets(ctx).Execute()
	if err != nil || len(secrets.Result) != 1 || secrets.Result[0].GetActiveVersion() != "2" {
		t.Fatalf("secrets %+v, %v", secrets, err)
	}
	count, _, err := c.CountAPI.GetCount(ctx).Execute()
	if err != nil || count.GetVariables() != 1 || count.GetSecrets() != 1 {
		t.Fatalf("count %+v, %v", count, err)
	}

	if _, _, err := c.RestartAPI.Restart(ctx).Action("restart").Execute(); err != nil {
		t.Fatal(err)
	}
	await(t, "restart", func() bool {
		st, _, err := c.RestartAPI.GetRestartStatus(ctx).Execute()
		return err == nil && st.RestartStatus == "ready"
	})
	if got, _, err := c.VariablesAPI.GetVariable(ctx, "esv-api-port").Execute(); err != nil || !got.GetLoaded() {
		t.Errorf("after restart %+v, %v", got, err)
	}
	if _, _, err := c.VariablesAPI.DeleteVariable(ctx, "esv-api-port").Execute(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.SecretsAPI.DeleteSecret(ctx, "esv-signing-key").Execute(); err != nil {
		t.Fatal(err)
	}
}

// TestAIC_PromotionLockPromoteReportRollbackUnlock runs a whole promotion
// of dev into staging through the vendor's client: lock, poll, a
// provisional report, a promotion blocked by a missing ESV, the ESV
// defined, a promotion that passes, reports, a provisional rollback, the
// rollback and the unlock.
func TestAIC_PromotionLockPromoteReportRollbackUnlock(t *testing.T) {
	s := startServer(t)
	c, ctx := aicClient(s, "staging")
	p := c.PromotionAPI
	lockState := func() string {
		st, _, err := p.CheckLock(ctx).AcceptAPIVersion(promotionVersion).Execute()
		if err != nil {
			t.Fatal(err)
		}
		return st.GetResult()
	}
	progress := func() *identitycloud.PromotionProgress {
		var pr *identitycloud.PromotionProgress
		await(t, "promotion", func() bool {
			var err error
			if pr, _, err = p.Progress(ctx).AcceptAPIVersion(promotionVersion).Execute(); err != nil {
				t.Fatal(err)
			}
			return pr.GetStatus() != "RUNNING"
		})
		return pr
	}
	lock := func() string {
		l, _, err := p.Lock(ctx).AcceptAPIVersion(promotionVersion).Execute()
		if err != nil {
			t.Fatal(err)
		}
		await(t, "lock", func() bool { return lockState() == "locked" })
		return l.GetPromotionId()
	}
	unlock := func(id string) {
		if _, _, err := p.Unlock(ctx, id).AcceptAPIVersion(promotionVersion).Execute(); err != nil {
			t.Fatal(err)
		}
		await(t, "unlock", func() bool { return lockState() == "unlocked" })
	}
	promote := func() {
		if _, _, err := p.Start(ctx).AcceptAPIVersion(promotionVersion).Body(identitycloud.PromotionRequest{
			DryRun: false, Promoter: identitycloud.PtrString("Barb Jensen"), PromotionDescription: identitycloud.PtrString("welcome email"),
		}).Execute(); err != nil {
			t.Fatal(err)
		}
	}

	prov, _, err := p.GetProvisionalReport(ctx).AcceptAPIVersion(promotionVersion).Execute()
	if err != nil || prov.GetReportId() == "" || len(prov.Report.AMConfig)+len(prov.Report.IDMConfig) == 0 {
		t.Fatalf("provisional report %+v, %v", prov, err)
	}

	id := lock()
	promote()
	if pr := progress(); pr.GetStatus() != "ERROR" || !slices.Contains(pr.MissingESVs, missingESV) {
		t.Fatalf("blocked promotion: %+v", pr)
	}
	// ESVs cannot change while the pair is locked: unlock, define, restart.
	unlock(id)
	if _, _, err := c.VariablesAPI.CreateVariables(ctx, missingESV).Body(identitycloud.EsvVariableCreateUpdateRequest{ValueBase64: b64("support@example.com")}).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.RestartAPI.Restart(ctx).Action("restart").Execute(); err != nil {
		t.Fatal(err)
	}
	await(t, "restart", func() bool {
		st, _, err := c.RestartAPI.GetRestartStatus(ctx).Execute()
		return err == nil && st.RestartStatus == "ready"
	})

	id = lock()
	promote()
	if pr := progress(); pr.GetStatus() != "COMPLETE" {
		t.Fatalf("promotion: %+v", pr)
	}
	metas, _, err := p.GetReportList(ctx).AcceptAPIVersion(promotionVersion).Execute()
	if err != nil || len(metas) == 0 {
		t.Fatalf("reports %+v, %v", metas, err)
	}
	last, _, err := p.GetLastReport(ctx).AcceptAPIVersion(promotionVersion).Execute()
	if err != nil || last.GetReportId() != metas[0].GetReportId() || last.GetPromoter() != "Barb Jensen" || last.GetType() != "promotion" {
		t.Fatalf("last report %+v, %v", last, err)
	}
	if one, _, err := p.GetReport(ctx, last.GetReportId()).AcceptAPIVersion(promotionVersion).Execute(); err != nil || one.GetPromotionDescription() != "welcome email" {
		t.Fatalf("report %+v, %v", one, err)
	}

	back, _, err := p.GetProvisionalRollbackReport(ctx).AcceptAPIVersion(promotionVersion).Execute()
	if err != nil || back.GetReportId() == "" {
		t.Fatalf("provisional rollback %+v, %v", back, err)
	}
	if _, _, err := p.Rollback(ctx).AcceptAPIVersion(promotionVersion).Body(identitycloud.RollbackRequest{Promoter: identitycloud.PtrString("Barb Jensen")}).Execute(); err != nil {
		t.Fatal(err)
	}
	if pr := progress(); pr.GetStatus() != "COMPLETE" || pr.GetType() != "rollback" {
		t.Fatalf("rollback: %+v", pr)
	}
	unlock(id)

	// The same API under the path prefix, for clients given that base URL.
	cfg := identitycloud.NewConfiguration()
	cfg.Servers = identitycloud.ServerConfigurations{{URL: s.base + "/staging"}}
	if st, _, err := identitycloud.NewAPIClient(cfg).PromotionAPI.CheckLock(ctx).AcceptAPIVersion(promotionVersion).Execute(); err != nil || st.GetResult() != "unlocked" {
		t.Errorf("under /staging: %+v, %v", st, err)
	}
}
