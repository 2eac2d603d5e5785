package interop

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/patrickcping/pingone-go-sdk-v2/management"
)

func pingOneClient(s *server) (*management.APIClient, context.Context) {
	cfg := management.NewConfiguration()
	cfg.Servers = management.ServerConfigurations{{URL: s.base + "/v1"}}
	return management.NewAPIClient(cfg), context.WithValue(context.Background(), management.ContextAccessToken, token)
}

// listNames pages through every environment matching filter with the
// SDK's iterator, which follows _links.next.
func listNames(t *testing.T, c *management.APIClient, ctx context.Context, filter string, limit int32) (names []string, pages int) {
	t.Helper()
	req := c.EnvironmentsApi.ReadAllEnvironments(ctx).Limit(limit)
	if filter != "" {
		req = req.Filter(filter)
	}
	for page, err := range req.Execute() {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range page.EntityArray.Embedded.Environments {
			names = append(names, e.Name)
		}
	}
	return names, pages
}

// TestPingOne_EnvironmentLifecycleAndBillOfMaterials drives
// /v1/environments with the PingOne SDK the Terraform provider uses:
// create, list, filter, page, update, type, soft delete, restore (the
// SDK's status body has no license), delete, and the bill of materials
// with every spec field.
func TestPingOne_EnvironmentLifecycleAndBillOfMaterials(t *testing.T) {
	s := startServer(t)
	c, ctx := pingOneClient(s)
	eu := management.ENUMREGIONCODE_EU
	create := func(name string, typ management.EnumEnvironmentType, bom *management.BillOfMaterials) *management.Environment {
		t.Helper()
		e := management.NewEnvironment(*management.NewEnvironmentLicense(license), name, management.EnumRegionCodeAsEnvironmentRegion(&eu), typ)
		e.BillOfMaterials = bom
		out, _, err := c.EnvironmentsApi.CreateEnvironmentActiveLicense(ctx).Environment(*e).Execute()
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return out
	}

	solution := management.ENUMSOLUTIONTYPE_CUSTOMER
	mfa := management.NewBillOfMaterialsProductsInner(management.ENUMPRODUCTTYPE_ONE_MFA)
	mfa.Bookmarks = []management.BillOfMaterialsProductsInnerBookmarksInner{*management.NewBillOfMaterialsProductsInnerBookmarksInner("Docs", "https://docs.example.com")}
	davinci := management.NewBillOfMaterialsProductsInner(management.ENUMPRODUCTTYPE_ONE_DAVINCI)
	davinci.Tags = []management.EnumBillOfMaterialsProductTags{management.ENUMBILLOFMATERIALSPRODUCTTAGS_DAVINCI_MINIMAL}
	bom := management.NewBillOfMaterials([]management.BillOfMaterialsProductsInner{*mfa, *davinci})
	bom.SolutionType = &solution
	qa := create("qa", management.ENUMENVIRONMENTTYPE_SANDBOX, bom)
	got := qa.GetBillOfMaterials()
	if got.GetSolutionType() != solution || len(got.Products) != 2 || got.Products[0].GetId() == "" ||
		got.Products[0].Bookmarks[0].GetHref() != "https://docs.example.com" || !slices.Contains(got.Products[1].Tags, management.ENUMBILLOFMATERIALSPRODUCTTAGS_DAVINCI_MINIMAL) {
		t.Fatalf("created bill of materials %+v", got)
	}
	for i := range 5 {
		create(fmt.Sprintf("sandbox-%d", i), management.ENUMENVIRONMENTTYPE_SANDBOX, nil)
	}

	all, pages := listNames(t, c, ctx, "", 3)
	if len(all) != 9 || pages != 3 {
		t.Errorf("listed %v in %d pages, want 9 in 3", all, pages)
	}
	if sandboxes, _ := listNames(t, c, ctx, `name sw "sandbox-"`, 100); len(sandboxes) != 5 {
		t.Errorf("filtered %v", sandboxes)
	}

	one, _, err := c.EnvironmentsApi.ReadOneEnvironment(ctx, qa.GetId()).Execute()
	if err != nil {
		t.Fatal(err)
	}
	one.SetDescription("quality assurance")
	upd, _, err := c.EnvironmentsApi.UpdateEnvironment(ctx, qa.GetId()).Environment(*one).Execute()
	if err != nil || upd.GetDescription() != "quality assurance" {
		t.Fatalf("update %+v, %v", upd, err)
	}
	toProd := management.NewUpdateEnvironmentTypeRequest()
	toProd.SetType(management.ENUMENVIRONMENTTYPE_PRODUCTION)
	if e, _, err := c.EnvironmentsApi.UpdateEnvironmentType(ctx, qa.GetId()).UpdateEnvironmentTypeRequest(*toProd).Execute(); err != nil || e.GetType() != management.ENUMENVIRONMENTTYPE_PRODUCTION {
		t.Fatalf("type %+v, %v", e, err)
	}

	soft, _, err := c.EnvironmentsApi.UpdateEnvironmentStatus(ctx, qa.GetId()).EnvironmentStatus(*management.NewEnvironmentStatus(management.ENUMENVIRONMENTSTATUS_DELETE_PENDING)).Execute()
	if err != nil || soft.GetStatus() != management.ENUMENVIRONMENTSTATUS_DELETE_PENDING || soft.HardDeletedAllowedAt == nil {
		t.Fatalf("soft delete %+v, %v", soft, err)
	}
	restored, _, err := c.EnvironmentsApi.UpdateEnvironmentStatus(ctx, qa.GetId()).EnvironmentStatus(*management.NewEnvironmentStatus(management.ENUMENVIRONMENTSTATUS_ACTIVE)).Execute()
	if err != nil || restored.GetStatus() != management.ENUMENVIRONMENTSTATUS_ACTIVE || restored.HardDeletedAllowedAt != nil || restored.License.GetId() != license {
		t.Fatalf("restore %+v, %v", restored, err)
	}

	risk := management.NewBillOfMaterialsProductsInner(management.ENUMPRODUCTTYPE_ONE_RISK)
	next := management.NewBillOfMaterials([]management.BillOfMaterialsProductsInner{*mfa, *risk})
	nb, _, err := c.BillOfMaterialsBOMApi.UpdateBillOfMaterials(ctx, qa.GetId()).BillOfMaterials(*next).Execute()
	if err != nil || len(nb.Products) != 2 || nb.Products[0].GetId() != got.Products[0].GetId() || nb.GetSolutionType() != solution {
		t.Fatalf("BOM update %+v, %v (MFA id before: %s)", nb, err, got.Products[0].GetId())
	}
	rb, _, err := c.BillOfMaterialsBOMApi.ReadOneBillOfMaterials(ctx, qa.GetId()).Execute()
	if err != nil || rb.Products[1].GetType() != management.ENUMPRODUCTTYPE_ONE_RISK {
		t.Fatalf("BOM read %+v, %v", rb, err)
	}

	sandbox := create("scratch", management.ENUMENVIRONMENTTYPE_SANDBOX, nil)
	if resp, err := c.EnvironmentsApi.DeleteEnvironment(ctx, sandbox.GetId()).Execute(); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v", err)
	}
	if _, resp, err := c.EnvironmentsApi.ReadOneEnvironment(ctx, sandbox.GetId()).Execute(); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted environment still read: %v", err)
	}
}
