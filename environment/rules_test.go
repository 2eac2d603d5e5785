package environment_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
	"github.com/envpromote/envpromote/environment/memenv"
)

// Rule 1: only organization-level principals create.
func TestRule_CreateNeedsOrganizationLevelRole(t *testing.T) {
	h := newHarness(t)
	existing := h.prod("existing")
	for _, tc := range []struct {
		name string
		p    environment.Principal
		want error
	}{
		{"organization admin", orgAdmin, nil},
		{"organization-scoped environment admin", orgEnvAdmin, nil},
		{"environment-scoped environment admin", envAdmin(existing.ID), environment.ErrForbidden},
		{"admin of another organization", otherAdmin, environment.ErrForbidden},
		{"organization admin with an environment scope", principal("x", role(environment.OrganizationAdmin, environment.ScopeEnvironment, existing.ID)), environment.ErrForbidden},
		{"environment admin scoped to the organization id as an environment", principal("x", role(environment.EnvironmentAdmin, environment.ScopeEnvironment, org)), environment.ErrForbidden},
		{"no roles", principal("nobody"), environment.ErrForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.Create(t.Context(), tc.p, environment.Environment{Name: "new " + tc.name, Organization: environment.Ref{ID: org}, Type: environment.Sandbox, Region: environment.RegionNA})
			check(t, err, tc.want)
		})
	}
}

// Rule 1: reads and writes are limited to what the roles cover.
func TestRule_RolesLimitReadsAndWrites(t *testing.T) {
	h := newHarness(t)
	mine, theirs := h.sandbox("mine"), h.sandbox("theirs")
	p := envAdmin(mine.ID)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		p    environment.Principal
		op   func(p environment.Principal) error
		want error
	}{
		{"get own", p, func(p environment.Principal) error { _, err := h.Get(ctx, p, mine.ID); return err }, nil},
		{"get other", p, func(p environment.Principal) error { _, err := h.Get(ctx, p, theirs.ID); return err }, environment.ErrForbidden},
		{"update own", p, func(p environment.Principal) error {
			_, err := h.Update(ctx, p, environment.Environment{ID: mine.ID, Name: "mine", Description: "changed"})
			return err
		}, nil},
		{"update other", p, func(p environment.Principal) error {
			_, err := h.Update(ctx, p, environment.Environment{ID: theirs.ID, Name: "theirs"})
			return err
		}, environment.ErrForbidden},
		{"change type of other", p, func(p environment.Principal) error {
			_, err := h.ChangeType(ctx, p, theirs.ID, environment.Production)
			return err
		}, environment.ErrForbidden},
		{"delete other", p, func(p environment.Principal) error { return h.Delete(ctx, p, theirs.ID) }, environment.ErrForbidden},
		{"other organization's admin gets", otherAdmin, func(p environment.Principal) error { _, err := h.Get(ctx, p, mine.ID); return err }, environment.ErrForbidden},
		{"organization-scoped admin gets any", orgEnvAdmin, func(p environment.Principal) error { _, err := h.Get(ctx, p, theirs.ID); return err }, nil},
		{"delete own sandbox", p, func(p environment.Principal) error { return h.Delete(ctx, p, mine.ID) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.op(tc.p), tc.want) })
	}

	for _, tc := range []struct {
		name string
		p    environment.Principal
		want []string
	}{
		{"environment admin lists its own", envAdmin(theirs.ID), []string{"theirs"}},
		{"organization admin lists all", orgAdmin, []string{"theirs"}}, // mine was deleted above
		{"other organization lists none", otherAdmin, nil},
	} {
		t.Run("list/"+tc.name, func(t *testing.T) {
			envs, err := h.List(ctx, tc.p, "")
			check(t, err, nil)
			if got := names(envs); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("List = %q, want %q", got, tc.want)
			}
		})
	}
}

func names(envs []environment.Environment) []string {
	var out []string
	for _, e := range envs {
		out = append(out, e.Name)
	}
	return out
}

func TestRule_NameUniqueInOrganizationCaseInsensitive(t *testing.T) {
	h := newHarness(t)
	prod, other := h.prod("Prod"), h.prod("Other")
	h.pending("Gone")
	for _, tc := range []struct {
		name    string
		p       environment.Principal
		newName string
		want    error
	}{
		{"same name", orgAdmin, "Prod", environment.ErrNameTaken},
		{"other case", orgAdmin, "pROD", environment.ErrNameTaken},
		{"name of a DELETE_PENDING environment", orgAdmin, "gone", environment.ErrNameTaken},
		{"different name", orgAdmin, "Prod 2", nil},
		{"same name in another organization", otherAdmin, "prod", nil},
	} {
		t.Run("create/"+tc.name, func(t *testing.T) {
			_, err := h.Create(t.Context(), tc.p, environment.Environment{Name: tc.newName, Type: environment.Sandbox, Region: environment.RegionEU})
			check(t, err, tc.want)
		})
	}
	for _, tc := range []struct {
		name    string
		id      string
		newName string
		want    error
	}{
		{"onto a taken name", other.ID, "PROD", environment.ErrNameTaken},
		{"to its own name in another case", prod.ID, "PROD", nil},
	} {
		t.Run("rename/"+tc.name, func(t *testing.T) {
			_, err := h.Update(t.Context(), orgAdmin, environment.Environment{ID: tc.id, Name: tc.newName})
			check(t, err, tc.want)
		})
	}
}

func TestRule_NameRequiredAndLengthLimited(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name string
		want error
	}{
		{"", environment.ErrInvalid},
		{"   ", environment.ErrInvalid},
		{" padded", environment.ErrInvalid},
		{"tab\there", environment.ErrInvalid},
		{"bad \xff utf-8", environment.ErrInvalid},
		{strings.Repeat("é", environment.MaxNameLen+1), environment.ErrInvalid},
		{strings.Repeat("é", environment.MaxNameLen), nil},
		{"Ünïcode name", nil},
	} {
		t.Run(fmt.Sprintf("%.20q", tc.name), func(t *testing.T) {
			_, err := h.Create(t.Context(), orgAdmin, environment.Environment{Name: tc.name, Type: environment.Sandbox, Region: environment.RegionEU})
			check(t, err, tc.want)
		})
	}
}

func TestRule_RegionRequiredAndImmutable(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		region environment.Region
		want   error
	}{
		{"", environment.ErrInvalid},
		{"US", environment.ErrInvalid},
		{"eu", environment.ErrInvalid},
		{environment.RegionNA, nil}, {environment.RegionCA, nil}, {environment.RegionEU, nil},
		{environment.RegionAU, nil}, {environment.RegionSG, nil}, {environment.RegionAP, nil},
	} {
		t.Run("create/"+string(tc.region), func(t *testing.T) {
			e, err := h.Create(t.Context(), orgAdmin, environment.Environment{Name: "env " + string(tc.region), Type: environment.Sandbox, Region: tc.region})
			check(t, err, tc.want)
			if err == nil && e.Region != tc.region {
				t.Fatalf("region = %s, want %s", e.Region, tc.region)
			}
		})
	}
	e := h.sandbox("fixed")
	for _, tc := range []struct {
		region environment.Region
		want   error
	}{
		{environment.RegionNA, environment.ErrInvalid},
		{environment.RegionEU, nil},
		{"", nil}, // unchanged
	} {
		t.Run("update/"+string(tc.region), func(t *testing.T) {
			_, err := h.Update(t.Context(), orgAdmin, environment.Environment{ID: e.ID, Name: "fixed", Region: tc.region})
			check(t, err, tc.want)
			if got := h.get(e.ID).Region; got != environment.RegionEU {
				t.Fatalf("region = %s after update, want EU", got)
			}
		})
	}
}

// bare drops what the Registry sets in a bill of materials: product ids
// and timestamps.
func bare(b environment.BillOfMaterials) environment.BillOfMaterials {
	b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	b.Products = slices.Clone(b.Products)
	for i := range b.Products {
		b.Products[i].ID = ""
	}
	return b
}

func TestRule_DefaultBillOfMaterials(t *testing.T) {
	h := newHarness(t)
	custom := environment.BillOfMaterials{Products: []environment.Product{
		{Type: environment.PingFederate, Console: environment.Console{Href: "https://pf.example.com"}},
		{Type: environment.PingOneDaVinci, Deployment: environment.Ref{ID: "dep-1"}},
	}}
	for _, tc := range []struct {
		name  string
		given environment.BillOfMaterials
		want  environment.BillOfMaterials
	}{
		{"none given", environment.BillOfMaterials{}, environment.DefaultBillOfMaterials()},
		{"empty products", environment.BillOfMaterials{Products: []environment.Product{}}, environment.DefaultBillOfMaterials()},
		{"given", custom, custom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := h.create(orgAdmin, environment.Environment{Name: tc.name, Type: environment.Sandbox, Region: environment.RegionAU, BillOfMaterials: tc.given})
			if fmt.Sprint(bare(h.get(e.ID).BillOfMaterials)) != fmt.Sprint(tc.want) {
				t.Fatalf("bill of materials = %+v, want %+v", e.BillOfMaterials, tc.want)
			}
		})
	}
}

// Unknown product types, regions, types and statuses are rejected, and the
// error names the bad value and the allowed ones.
func TestRule_UnknownValuesRejectedByName(t *testing.T) {
	h := newHarness(t)
	e := h.prod("prod")
	ctx := t.Context()
	valid := environment.Environment{Name: "new", Type: environment.Sandbox, Region: environment.RegionEU}
	with := func(f func(*environment.Environment)) environment.Environment { v := valid; f(&v); return v }
	for _, tc := range []struct {
		name, bad, allowed string
		op                 func() error
	}{
		{"type", "DEVELOPMENT", "SANDBOX", func() error {
			_, err := h.Create(ctx, orgAdmin, with(func(e *environment.Environment) { e.Type = "DEVELOPMENT" }))
			return err
		}},
		{"region", "US", "NA", func() error {
			_, err := h.Create(ctx, orgAdmin, with(func(e *environment.Environment) { e.Region = "US" }))
			return err
		}},
		{"product type", "PING_ONE_TELEPATHY", "PING_ONE_BASE", func() error {
			_, err := h.Create(ctx, orgAdmin, with(func(e *environment.Environment) {
				e.BillOfMaterials.Products = []environment.Product{{Type: "PING_ONE_TELEPATHY"}}
			}))
			return err
		}},
		{"status on create", "ARCHIVED", "ACTIVE", func() error {
			_, err := h.Create(ctx, orgAdmin, with(func(e *environment.Environment) { e.Status = "ARCHIVED" }))
			return err
		}},
		{"type change", "STAGING", "PRODUCTION", func() error { _, err := h.ChangeType(ctx, orgAdmin, e.ID, "STAGING"); return err }},
		{"status change", "DELETED", "DELETE_PENDING", func() error { _, err := h.UpdateStatus(ctx, orgAdmin, e.ID, "DELETED", ""); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.op()
			check(t, err, environment.ErrInvalid)
			if !strings.Contains(err.Error(), tc.bad) || !strings.Contains(err.Error(), tc.allowed) {
				t.Fatalf("error %q does not name %s and the allowed %s", err, tc.bad, tc.allowed)
			}
		})
	}
	t.Run("status DELETE_PENDING on create", func(t *testing.T) {
		_, err := h.Create(ctx, orgAdmin, with(func(e *environment.Environment) { e.Status = environment.DeletePending }))
		check(t, err, environment.ErrInvalid)
	})
	t.Run("product type listed twice", func(t *testing.T) {
		_, err := h.Create(ctx, orgAdmin, with(func(e *environment.Environment) {
			e.BillOfMaterials.Products = []environment.Product{{Type: environment.PingID}, {Type: environment.PingID}}
		}))
		check(t, err, environment.ErrInvalid)
	})
}

// Every value of the PingOne API's EnumProductType is accepted, including
// those newer than the original 14.
func TestRule_EveryProductTypeOfTheAPIAccepted(t *testing.T) {
	h := newHarness(t)
	spec := []string{ // components.schemas.EnumProductType of the PingOne environments API
		"PING_ONE_MFA", "PING_ONE_DAVINCI", "PING_ONE_ORCHESTRATE", "PING_ONE_RISK", "PING_ONE_FRAUD",
		"PING_ONE_PROVISIONING", "PING_DATA_SYNC", "PING_DATA_GOVERNANCE", "PING_ONE_FOR_ENTERPRISE",
		"PING_ID_SDK", "PING_ONE_FOR_SAAS", "PING_ONE_VERIFY", "PING_ONE_CREDENTIALS", "PING_ONE_AUTHORIZE",
		"PING_ONE_BASE", "PING_FEDERATE", "PING_ACCESS", "PING_DIRECTORY", "PING_AUTHORIZE", "PING_ID",
		"PING_ONE_ID", "PING_INTELLIGENCE", "PING_CENTRAL",
	}
	var all []environment.Product
	for _, s := range spec {
		all = append(all, environment.Product{Type: environment.ProductType(s)})
	}
	e := h.create(orgAdmin, environment.Environment{Name: "everything", Type: environment.Sandbox, Region: environment.RegionEU, BillOfMaterials: environment.BillOfMaterials{Products: all}})
	if got := len(h.get(e.ID).BillOfMaterials.Products); got != len(spec) {
		t.Fatalf("%d products stored, want %d", got, len(spec))
	}
	if got := len(environment.ProductTypes()); got != len(spec) {
		t.Fatalf("ProductTypes() has %d types, the API %d", got, len(spec))
	}
}

func TestRule_LicenseRequiredWhenSeveralAreActive(t *testing.T) {
	trial := environment.License{ID: "lic-trial", Organization: org, Trial: true}
	foreign := environment.License{ID: "lic-foreign", Organization: otherOrg}
	for _, tc := range []struct {
		name     string
		licenses []environment.License
		id       string
		want     error
		wantText string // the license the environment gets, or a phrase of the error
	}{
		{"no license in the organization", []environment.License{foreign}, "", environment.ErrLicense, "no active license"},
		{"one license, none given", []environment.License{fullLicense, foreign}, "", nil, fullLicense.ID},
		{"one license, given", []environment.License{fullLicense}, fullLicense.ID, nil, fullLicense.ID},
		{"two licenses, none given", []environment.License{fullLicense, trial}, "", environment.ErrLicense, "license.id is required"},
		{"two licenses, one given", []environment.License{fullLicense, trial}, trial.ID, nil, trial.ID},
		{"unknown license", []environment.License{fullLicense}, "lic-nope", environment.ErrLicense, "not an active license"},
		{"another organization's license", []environment.License{fullLicense, foreign}, foreign.ID, environment.ErrLicense, "not an active license"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.licenses...)
			e, err := h.Create(t.Context(), orgAdmin, environment.Environment{Name: "sb", Type: environment.Sandbox, Region: environment.RegionEU, License: environment.Ref{ID: tc.id}})
			check(t, err, tc.want)
			if err != nil {
				if !strings.Contains(err.Error(), tc.wantText) {
					t.Fatalf("error %q does not say %q", err, tc.wantText)
				}
				return
			}
			if e.License.ID != tc.wantText {
				t.Fatalf("license = %q, want %q", e.License.ID, tc.wantText)
			}
		})
	}
}

func TestRule_ProductionNeedsNonTrialLicense(t *testing.T) {
	trial := environment.License{ID: "lic-trial", Organization: org, Trial: true}
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		op   func(h *harness) error
		want error
	}{
		{"create PRODUCTION on trial", func(h *harness) error {
			_, err := h.Create(ctx, orgAdmin, environment.Environment{Name: "p", Type: environment.Production, Region: environment.RegionEU, License: environment.Ref{ID: trial.ID}})
			return err
		}, environment.ErrLicense},
		{"create PRODUCTION on full", func(h *harness) error {
			_, err := h.Create(ctx, orgAdmin, environment.Environment{Name: "p", Type: environment.Production, Region: environment.RegionEU, License: environment.Ref{ID: fullLicense.ID}})
			return err
		}, nil},
		{"create SANDBOX on trial", func(h *harness) error {
			_, err := h.Create(ctx, orgAdmin, environment.Environment{Name: "s", Type: environment.Sandbox, Region: environment.RegionEU, License: environment.Ref{ID: trial.ID}})
			return err
		}, nil},
		{"SANDBOX on trial to PRODUCTION", func(h *harness) error {
			e := h.create(orgAdmin, environment.Environment{Name: "s", Type: environment.Sandbox, Region: environment.RegionEU, License: environment.Ref{ID: trial.ID}})
			_, err := h.ChangeType(ctx, orgAdmin, e.ID, environment.Production)
			return err
		}, environment.ErrLicense},
		{"SANDBOX on full to PRODUCTION", func(h *harness) error {
			e := h.create(orgAdmin, environment.Environment{Name: "s", Type: environment.Sandbox, Region: environment.RegionEU, License: environment.Ref{ID: fullLicense.ID}})
			_, err := h.ChangeType(ctx, orgAdmin, e.ID, environment.Production)
			return err
		}, nil},
		{"PRODUCTION moved to trial license", func(h *harness) error {
			e := h.create(orgAdmin, environment.Environment{Name: "p", Type: environment.Production, Region: environment.RegionEU, License: environment.Ref{ID: fullLicense.ID}})
			_, err := h.Update(ctx, orgAdmin, environment.Environment{ID: e.ID, Name: "p", License: environment.Ref{ID: trial.ID}})
			return err
		}, environment.ErrInvalid}, // license.id is immutable (TestRule_LicenseIsImmutable)
		{"PRODUCTION restored on trial license", func(h *harness) error {
			e := h.create(orgAdmin, environment.Environment{Name: "p", Type: environment.Production, Region: environment.RegionEU, License: environment.Ref{ID: fullLicense.ID}})
			if _, err := h.UpdateStatus(ctx, orgAdmin, e.ID, environment.DeletePending, ""); err != nil {
				return err
			}
			_, err := h.UpdateStatus(ctx, orgAdmin, e.ID, environment.Active, trial.ID)
			return err
		}, environment.ErrLicense},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.op(newHarness(t, fullLicense, trial)), tc.want)
		})
	}
}

// orgLevelCases are the principals for an operation on environment e that
// only organization-level principals may perform.
var orgLevelCases = []struct {
	name string
	p    func(e environment.Environment) environment.Principal
	want error
}{
	{"organization admin", func(environment.Environment) environment.Principal { return orgAdmin }, nil},
	{"organization-scoped environment admin", func(environment.Environment) environment.Principal { return orgEnvAdmin }, nil},
	{"its environment-scoped environment admin", func(e environment.Environment) environment.Principal { return envAdmin(e.ID) }, environment.ErrForbidden},
}

// PRODUCTION→SANDBOX is allowed, to organization-level principals (a
// SANDBOX can be deleted at once, so this is as strong as a delete).
func TestRule_ProductionToSandboxAllowed(t *testing.T) {
	for _, tc := range orgLevelCases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			e := h.prod("p")
			_, err := h.ChangeType(t.Context(), tc.p(e), e.ID, environment.Sandbox)
			check(t, err, tc.want)
			want := environment.Sandbox
			if tc.want != nil {
				want = environment.Production
			}
			if got := h.get(e.ID).Type; got != want {
				t.Fatalf("type = %s, want %s", got, want)
			}
		})
	}
}

func TestRule_DeleteSandboxIsImmediate(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    func(e environment.Environment) environment.Principal
	}{
		{"organization admin", func(environment.Environment) environment.Principal { return orgAdmin }},
		{"its environment admin", func(e environment.Environment) environment.Principal { return envAdmin(e.ID) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			e := h.sandbox("sb")
			check(t, h.Delete(t.Context(), tc.p(e), e.ID), nil)
			_, err := h.Get(t.Context(), orgAdmin, e.ID)
			check(t, err, environment.ErrNotFound)
			check(t, h.Delete(t.Context(), orgAdmin, e.ID), environment.ErrNotFound)
		})
	}
}

func TestRule_SoftDeleteProduction(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name    string
		env     func() environment.Environment
		license string
		want    error
	}{
		{"ACTIVE PRODUCTION", func() environment.Environment { return h.prod("p1") }, "", nil},
		{"SANDBOX", func() environment.Environment { return h.sandbox("s1") }, "", environment.ErrInvalidState},
		{"already DELETE_PENDING", func() environment.Environment { return h.pending("p2") }, "", environment.ErrInvalidState},
		{"with a license id", func() environment.Environment { return h.prod("p3") }, fullLicense.ID, environment.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.env()
			h.clock.Advance(time.Hour)
			got, err := h.UpdateStatus(ctx, orgAdmin, e.ID, environment.DeletePending, tc.license)
			check(t, err, tc.want)
			if err != nil {
				if after := h.get(e.ID); after.Status != e.Status || !after.SoftDeletedAt.Equal(e.SoftDeletedAt) {
					t.Fatalf("failed soft delete changed the environment: %+v", after)
				}
				return
			}
			now := h.clock.Now()
			if got.Status != environment.DeletePending || !got.SoftDeletedAt.Equal(now) || !got.HardDeleteAllowedAt.Equal(now.Add(30*24*time.Hour)) {
				t.Fatalf("soft-deleted = status %s softDeletedAt %v hardDeleteAllowedAt %v; want DELETE_PENDING, %v, %v",
					got.Status, got.SoftDeletedAt, got.HardDeleteAllowedAt, now, now.Add(30*24*time.Hour))
			}
			if stored := h.get(e.ID); stored.Status != environment.DeletePending {
				t.Fatalf("stored status = %s", stored.Status)
			}
		})
	}
}

func TestRule_HardDeleteWaitsThirtyDays(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want error
	}{
		{0, environment.ErrInvalidState},
		{29 * 24 * time.Hour, environment.ErrInvalidState},
		{30*24*time.Hour - time.Millisecond, environment.ErrInvalidState},
		{30 * 24 * time.Hour, nil},
		{90 * 24 * time.Hour, nil},
	} {
		t.Run(tc.wait.String(), func(t *testing.T) {
			h := newHarness(t)
			e := h.pending("p")
			h.clock.Advance(tc.wait)
			err := h.Delete(t.Context(), orgAdmin, e.ID)
			check(t, err, tc.want)
			if err != nil {
				if allowed := e.HardDeleteAllowedAt.Format(time.RFC3339); !strings.Contains(err.Error(), allowed) {
					t.Fatalf("error %q does not state the allowed time %s", err, allowed)
				}
				h.get(e.ID)
				return
			}
			_, err = h.Get(t.Context(), orgAdmin, e.ID)
			check(t, err, environment.ErrNotFound)
		})
	}
}

func TestRule_ActiveProductionIsSoftDeletedFirst(t *testing.T) {
	h := newHarness(t)
	e := h.prod("p")
	err := h.Delete(t.Context(), orgAdmin, e.ID)
	check(t, err, environment.ErrInvalidState)
	if !strings.Contains(err.Error(), "soft-delete it first") {
		t.Fatalf("error %q does not say to soft-delete first", err)
	}
	if got := h.get(e.ID).Status; got != environment.Active {
		t.Fatalf("status = %s", got)
	}
}

func TestRule_AtMost100DeletePendingPerOrganization(t *testing.T) {
	h := newHarness(t)
	for i := range environment.MaxDeletePending - 1 {
		h.pending(fmt.Sprint("pending ", i))
	}
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		p    environment.Principal
		env  environment.Environment
		want error
	}{
		{"100th", orgAdmin, h.prod("p100"), nil},
		{"101st", orgAdmin, h.prod("p101"), environment.ErrLimitExceeded},
		{"another organization", otherAdmin, h.create(otherAdmin, environment.Environment{Name: "p", Type: environment.Production, Region: environment.RegionEU}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.UpdateStatus(ctx, tc.p, tc.env.ID, environment.DeletePending, "")
			check(t, err, tc.want)
			if err != nil && !strings.Contains(err.Error(), "100") {
				t.Fatalf("error %q does not state the limit", err)
			}
		})
	}
}

func TestRule_DeletionAndRestoreNeedOrganizationLevelRole(t *testing.T) {
	ctx := t.Context()
	ops := []struct {
		name string
		env  func(h *harness) environment.Environment
		op   func(h *harness, p environment.Principal, e environment.Environment) error
	}{
		{"soft delete", (*harness).prodP, func(h *harness, p environment.Principal, e environment.Environment) error {
			_, err := h.UpdateStatus(ctx, p, e.ID, environment.DeletePending, "")
			return err
		}},
		{"restore", (*harness).pendingP, func(h *harness, p environment.Principal, e environment.Environment) error {
			_, err := h.UpdateStatus(ctx, p, e.ID, environment.Active, fullLicense.ID)
			return err
		}},
		{"hard delete", (*harness).expiredP, func(h *harness, p environment.Principal, e environment.Environment) error {
			return h.Delete(ctx, p, e.ID)
		}},
		{"purge", (*harness).expiredP, func(h *harness, p environment.Principal, e environment.Environment) error {
			purged, err := h.Purge(ctx, p)
			if err == nil && len(purged) == 0 {
				err = environment.ErrForbidden // purged nothing it may not
			}
			return err
		}},
	}
	for _, op := range ops {
		for _, tc := range orgLevelCases {
			t.Run(op.name+"/"+tc.name, func(t *testing.T) {
				h := newHarness(t)
				e := op.env(h)
				check(t, op.op(h, tc.p(e), e), tc.want)
				after, err := h.Get(ctx, orgAdmin, e.ID)
				if tc.want != nil && (err != nil || after.Status != e.Status) {
					t.Fatalf("forbidden %s changed the environment: %+v, %v", op.name, after, err)
				}
			})
		}
	}
}

func (h *harness) prodP() environment.Environment    { return h.prod("p") }
func (h *harness) pendingP() environment.Environment { return h.pending("p") }
func (h *harness) expiredP() environment.Environment {
	e := h.pending("p")
	h.clock.Advance(environment.HardDeleteDelay)
	return e
}

func TestRule_PurgeRemovesExpiredDeletePending(t *testing.T) {
	h := newHarness(t)
	h.pending("early")
	h.clock.Advance(10 * 24 * time.Hour)
	h.pending("late")
	h.prod("active")
	h.sandbox("sandbox")
	foreign := h.create(otherAdmin, environment.Environment{Name: "foreign", Type: environment.Production, Region: environment.RegionEU})
	if _, err := h.UpdateStatus(t.Context(), otherAdmin, foreign.ID, environment.DeletePending, ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		advance    time.Duration
		wantPurged []string
		wantLeft   []string
	}{
		{0, nil, []string{"active", "early", "late", "sandbox"}},
		{20 * 24 * time.Hour, []string{"early"}, []string{"active", "late", "sandbox"}},
		{10 * 24 * time.Hour, []string{"late"}, []string{"active", "sandbox"}},
		{365 * 24 * time.Hour, nil, []string{"active", "sandbox"}},
	} {
		t.Run(tc.advance.String(), func(t *testing.T) {
			h.clock.Advance(tc.advance)
			purged, err := h.Purge(t.Context(), orgAdmin)
			check(t, err, nil)
			if fmt.Sprint(names(purged)) != fmt.Sprint(tc.wantPurged) {
				t.Fatalf("purged %q, want %q", names(purged), tc.wantPurged)
			}
			left, err := h.List(t.Context(), orgAdmin, "")
			check(t, err, nil)
			if fmt.Sprint(names(left)) != fmt.Sprint(tc.wantLeft) {
				t.Fatalf("left %q, want %q", names(left), tc.wantLeft)
			}
		})
	}
	if _, err := h.Get(t.Context(), otherAdmin, foreign.ID); err != nil {
		t.Fatalf("purge by org-1 admin touched org-2: %v", err)
	}
}

func TestRule_RestoreNeedsLicenseAndClearsTimestamps(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name    string
		env     func(h *harness) string
		license string
		want    error
	}{
		{"with license", func(h *harness) string { return h.pending("p").ID }, fullLicense.ID, nil},
		{"after the waiting period, before purge", func(h *harness) string { return h.expiredP().ID }, fullLicense.ID, nil},
		{"without license: the current one", func(h *harness) string { return h.pending("p").ID }, "", nil},
		{"with unknown license", func(h *harness) string { return h.pending("p").ID }, "lic-nope", environment.ErrLicense},
		{"ACTIVE environment", func(h *harness) string { return h.prod("p").ID }, fullLicense.ID, environment.ErrInvalidState},
		{"unknown environment", func(h *harness) string { return "0b5a3d58-1c4e-4a8e-9b7e-000000000000" }, fullLicense.ID, environment.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			id := tc.env(h)
			got, err := h.UpdateStatus(ctx, orgAdmin, id, environment.Active, tc.license)
			check(t, err, tc.want)
			if err != nil {
				return
			}
			stored := h.get(id)
			for _, e := range []environment.Environment{got, stored} {
				if e.Status != environment.Active || !e.SoftDeletedAt.IsZero() || !e.HardDeleteAllowedAt.IsZero() || e.License.ID != fullLicense.ID {
					t.Fatalf("restored = %+v, want ACTIVE, no deletion times, license %s", e, fullLicense.ID)
				}
			}
		})
	}
}

// A DELETE_PENDING environment is not operational: it changes only by
// restore or hard delete.
func TestRule_DeletePendingIsNotOperational(t *testing.T) {
	h := newHarness(t)
	e := h.pending("p")
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		op   func() error
	}{
		{"update", func() error {
			_, err := h.Update(ctx, orgAdmin, environment.Environment{ID: e.ID, Name: "renamed"})
			return err
		}},
		{"change type", func() error { _, err := h.ChangeType(ctx, orgAdmin, e.ID, environment.Sandbox); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.op(), environment.ErrInvalidState)
			if got := h.get(e.ID); got.Name != "p" || got.Type != environment.Production {
				t.Fatalf("pending environment changed: %+v", got)
			}
		})
	}
}

func TestRule_UpdateLeavesTypeStatusAndOrganizationToTheirOperations(t *testing.T) {
	h := newHarness(t)
	e := h.prod("p")
	for _, tc := range []struct {
		name string
		in   environment.Environment
		want error
	}{
		{"type", environment.Environment{Type: environment.Sandbox}, environment.ErrInvalid},
		{"status", environment.Environment{Status: environment.DeletePending}, environment.ErrInvalid},
		{"organization", environment.Environment{Organization: environment.Ref{ID: otherOrg}}, environment.ErrInvalid},
		{"same values", environment.Environment{Type: environment.Production, Status: environment.Active, Organization: environment.Ref{ID: org}, Region: environment.RegionEU}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.ID, in.Name, in.Description = e.ID, "p", "set by "+tc.name
			_, err := h.Update(t.Context(), orgAdmin, in)
			check(t, err, tc.want)
			got := h.get(e.ID)
			if got.Type != environment.Production || got.Status != environment.Active || got.Organization.ID != org {
				t.Fatalf("update changed a protected field: %+v", got)
			}
			if (got.Description == in.Description) != (tc.want == nil) {
				t.Fatalf("description = %q after update with error %v", got.Description, tc.want)
			}
		})
	}
}

func TestRule_ClockIsInjectable(t *testing.T) {
	h := newHarness(t)
	e := h.prod("p")
	if !e.CreatedAt.Equal(start) || !e.UpdatedAt.Equal(start) {
		t.Fatalf("createdAt %v updatedAt %v, want the clock's %v", e.CreatedAt, e.UpdatedAt, start)
	}
	for _, d := range []time.Duration{time.Minute, 30 * 24 * time.Hour} {
		h.clock.Advance(d)
		u, err := h.Update(t.Context(), orgAdmin, environment.Environment{ID: e.ID, Name: "p", Description: d.String()})
		check(t, err, nil)
		if !u.UpdatedAt.Equal(h.clock.Now()) || !u.CreatedAt.Equal(start) {
			t.Fatalf("after %v: createdAt %v updatedAt %v, want %v and %v", d, u.CreatedAt, u.UpdatedAt, start, h.clock.Now())
		}
	}
}

func TestRule_EveryChangeIsAudited(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	p := h.prod("p")
	s := h.sandbox("s")
	steps := []struct {
		name          string
		op            func() error
		action        environment.Action
		id            string
		before, after environment.Status // "" = nil
	}{
		{"update", func() error {
			_, err := h.Update(ctx, orgAdmin, environment.Environment{ID: p.ID, Name: "p2"})
			return err
		}, environment.ActionUpdated, p.ID, environment.Active, environment.Active},
		{"change type", func() error { _, err := h.ChangeType(ctx, orgAdmin, s.ID, environment.Production); return err }, environment.ActionTypeChanged, s.ID, environment.Active, environment.Active},
		{"soft delete", func() error { _, err := h.UpdateStatus(ctx, orgAdmin, p.ID, environment.DeletePending, ""); return err }, environment.ActionSoftDeleted, p.ID, environment.Active, environment.DeletePending},
		{"restore", func() error {
			_, err := h.UpdateStatus(ctx, orgAdmin, p.ID, environment.Active, fullLicense.ID)
			return err
		}, environment.ActionRestored, p.ID, environment.DeletePending, environment.Active},
		{"change type back", func() error { _, err := h.ChangeType(ctx, orgAdmin, s.ID, environment.Sandbox); return err }, environment.ActionTypeChanged, s.ID, environment.Active, environment.Active},
		{"delete", func() error { return h.Delete(ctx, orgAdmin, s.ID) }, environment.ActionDeleted, s.ID, environment.Active, ""},
	}
	events := h.audit.Events("")
	if len(events) != 2 || events[0].Action != environment.ActionCreated || events[0].Before != nil || events[0].After.ID != p.ID {
		t.Fatalf("create events = %+v", events)
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			h.clock.Advance(time.Minute)
			n := len(h.audit.Events(""))
			check(t, st.op(), nil)
			// A failing change emits nothing.
			if err := h.Delete(ctx, orgAdmin, "no-such-environment"); err == nil {
				t.Fatal("deleted an unknown environment")
			}
			events := h.audit.Events("")
			if len(events) != n+1 {
				t.Fatalf("%d new events, want 1", len(events)-n)
			}
			e := events[n]
			if e.Action != st.action || e.Actor != orgAdmin.ID || e.EnvironmentID != st.id || e.Organization != org || !e.Time.Equal(h.clock.Now()) {
				t.Fatalf("event = %+v, want %s by %s on %s at %v", e, st.action, orgAdmin.ID, st.id, h.clock.Now())
			}
			if status(e.Before) != st.before || status(e.After) != st.after {
				t.Fatalf("before/after status = %q/%q, want %q/%q", status(e.Before), status(e.After), st.before, st.after)
			}
		})
	}
	if got := len(h.audit.Events(s.ID)); got != 4 {
		t.Errorf("%d events for the sandbox, want 4 (create, two type changes, delete)", got)
	}
}

func status(e *environment.Environment) environment.Status {
	if e == nil {
		return ""
	}
	return e.Status
}

func TestRule_SCIMFilterOnList(t *testing.T) {
	h := newHarness(t)
	a, b := h.prod("Alpha"), h.sandbox("alpine")
	h.pending("Beta")
	ctx := t.Context()
	for _, tc := range []struct {
		filter string
		want   []string
		err    error
	}{
		{``, []string{"Alpha", "alpine", "Beta"}, nil},
		{`name sw "al"`, []string{"Alpha", "alpine"}, nil},
		{`NAME SW "ALP"`, []string{"Alpha", "alpine"}, nil},
		{`name sw "alph"`, []string{"Alpha"}, nil},
		{`id eq "` + b.ID + `"`, []string{"alpine"}, nil},
		{`organization.id eq "` + org + `"`, []string{"Alpha", "alpine", "Beta"}, nil},
		{`organization.id eq "` + otherOrg + `"`, nil, nil},
		{`license.id eq "` + fullLicense.ID + `"`, []string{"Alpha", "alpine", "Beta"}, nil},
		{`status eq "DELETE_PENDING"`, []string{"Beta"}, nil},
		{`name sw "a" and status eq "ACTIVE" and id eq "` + a.ID + `"`, []string{"Alpha"}, nil},
		{`name sw "a" or status eq "ACTIVE"`, nil, environment.ErrInvalidFilter},
		{`name eq "Alpha"`, nil, environment.ErrInvalidFilter},
		{`name co "lp"`, nil, environment.ErrInvalidFilter},
		{`type eq "SANDBOX"`, nil, environment.ErrInvalidFilter},
		{`status eq "GONE"`, nil, environment.ErrInvalidFilter},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			envs, err := h.List(ctx, orgAdmin, tc.filter)
			check(t, err, tc.err)
			if fmt.Sprint(names(envs)) != fmt.Sprint(tc.want) {
				t.Fatalf("List(%s) = %q, want %q", tc.filter, names(envs), tc.want)
			}
		})
	}
}

func TestMalformedEnvironmentID(t *testing.T) {
	h := newHarness(t)
	for _, id := range []string{"", "../organizations/org-1", "a/b", "-x"} {
		_, err := h.Get(t.Context(), orgAdmin, id)
		if !errors.Is(err, environment.ErrInvalid) {
			t.Errorf("Get(%q) error = %v, want ErrInvalid", id, err)
		}
	}
}

func TestRule_SetBillOfMaterialsChangesOnlyTheBillOfMaterials(t *testing.T) {
	verify := environment.BillOfMaterials{Products: []environment.Product{{Type: environment.PingOneMFA}, {Type: environment.PingOneRisk}}}
	tests := []struct {
		name string
		p    func(e environment.Environment) environment.Principal
		env  func(h *harness) environment.Environment
		bom  environment.BillOfMaterials
		want error
	}{
		{"organization admin", func(environment.Environment) environment.Principal { return orgAdmin }, func(h *harness) environment.Environment { return h.prod("p") }, verify, nil},
		{"admin of that environment", func(e environment.Environment) environment.Principal { return envAdmin(e.ID) }, func(h *harness) environment.Environment { return h.sandbox("s") }, verify, nil},
		{"admin of another environment", func(environment.Environment) environment.Principal { return envAdmin("elsewhere") }, func(h *harness) environment.Environment { return h.prod("p") }, verify, environment.ErrForbidden},
		{"empty", func(environment.Environment) environment.Principal { return orgAdmin }, func(h *harness) environment.Environment { return h.prod("p") }, environment.BillOfMaterials{}, environment.ErrInvalid},
		{"unknown product", func(environment.Environment) environment.Principal { return orgAdmin }, func(h *harness) environment.Environment { return h.prod("p") },
			environment.BillOfMaterials{Products: []environment.Product{{Type: "PING_NOTHING"}}}, environment.ErrInvalid},
		{"delete pending", func(environment.Environment) environment.Principal { return orgAdmin }, func(h *harness) environment.Environment { return h.pending("p") }, verify, environment.ErrInvalidState},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			before := tc.env(h)
			h.clock.Advance(time.Minute)
			got, err := h.SetBillOfMaterials(t.Context(), tc.p(before), before.ID, tc.bom)
			check(t, err, tc.want)
			after := h.get(before.ID)
			want := before
			if tc.want == nil {
				want.BillOfMaterials, want.UpdatedAt = tc.bom, start.Add(time.Minute)
				want.BillOfMaterials.CreatedAt, want.BillOfMaterials.UpdatedAt = before.BillOfMaterials.CreatedAt, want.UpdatedAt
				if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(environment.Product{}, "ID")); diff != "" {
					t.Errorf("returned environment (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(want, after, cmpopts.IgnoreFields(environment.Product{}, "ID")); diff != "" {
				t.Errorf("stored environment (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRule_LicenseIsImmutable: PingOne's data model marks license.id
// immutable, so Update refuses to change it even to another valid license.
func TestRule_LicenseIsImmutable(t *testing.T) {
	other := environment.License{ID: "lic-other-full", Organization: org}
	h := newHarness(t, fullLicense, other)
	e := h.create(orgAdmin, environment.Environment{Name: "p", Type: environment.Production, Region: environment.RegionEU, License: environment.Ref{ID: fullLicense.ID}})
	_, err := h.Update(t.Context(), orgAdmin, environment.Environment{ID: e.ID, Name: "renamed", License: environment.Ref{ID: other.ID}})
	check(t, err, environment.ErrInvalid)
	if got := h.get(e.ID); got.License.ID != fullLicense.ID || got.Name != "p" {
		t.Fatalf("after a refused license change: license %s, name %q; want %s, p", got.License.ID, got.Name, fullLicense.ID)
	}
	if _, err := h.Update(t.Context(), orgAdmin, environment.Environment{ID: e.ID, Name: "renamed", License: environment.Ref{ID: fullLicense.ID}}); err != nil {
		t.Fatalf("Update naming the current license: %v", err)
	}
}

func TestNewRefusesNilArguments(t *testing.T) {
	for name, call := range map[string]func() (*environment.Registry, error){
		"nil store": func() (*environment.Registry, error) {
			return environment.New(nil, memenv.NewLicenses(), environment.Options{})
		},
		"nil licenses": func() (*environment.Registry, error) {
			return environment.New(memenv.New(), nil, environment.Options{})
		},
	} {
		if r, err := call(); r != nil || !errors.Is(err, environment.ErrInvalid) {
			t.Errorf("%s: New = %v, %v; want an error wrapping ErrInvalid", name, r, err)
		}
	}
}

// TestRule_BillOfMaterialsKeepsEverySpecField: solutionType (fixed at
// creation), product ids (kept while the type stays), tags, bookmarks and
// timestamps are stored and returned; bad values are refused by name.
func TestRule_BillOfMaterialsKeepsEverySpecField(t *testing.T) {
	h := newHarness(t)
	bom := environment.BillOfMaterials{SolutionType: environment.SolutionWorkforce, Products: []environment.Product{
		{Type: environment.PingOneDaVinci, Tags: []environment.ProductTag{environment.TagDaVinciMinimal}},
		{Type: environment.PingOneMFA, Bookmarks: []environment.Bookmark{{Name: "Docs", Href: "https://docs.example.com"}}},
	}}
	e := h.create(orgAdmin, environment.Environment{Name: "bom", Type: environment.Sandbox, Region: environment.RegionEU, BillOfMaterials: bom})
	got := h.get(e.ID).BillOfMaterials
	if fmt.Sprint(bare(got)) != fmt.Sprint(bom) || got.CreatedAt != start || got.Products[0].ID == "" || got.Products[1].ID == got.Products[0].ID {
		t.Fatalf("stored %+v", got)
	}
	h.clock.Advance(time.Minute)
	next := environment.BillOfMaterials{SolutionType: environment.SolutionCustomer, Products: []environment.Product{{Type: environment.PingOneMFA, ID: "client-chosen"}, {Type: environment.PingOneRisk}}}
	upd, err := h.SetBillOfMaterials(t.Context(), orgAdmin, e.ID, next)
	if err != nil {
		t.Fatal(err)
	}
	b := upd.BillOfMaterials
	if b.SolutionType != environment.SolutionWorkforce || b.Products[0].ID != got.Products[1].ID || b.Products[1].ID == "" ||
		b.CreatedAt != start || b.UpdatedAt != start.Add(time.Minute) {
		t.Errorf("after update %+v (ids before: %s, %s)", b, got.Products[0].ID, got.Products[1].ID)
	}
	for _, tc := range []struct {
		name    string
		bom     environment.BillOfMaterials
		mention string
	}{
		{"solution type", environment.BillOfMaterials{SolutionType: "ENTERPRISE", Products: bom.Products}, "WORKFORCE, CUSTOMER, CIAM_TRIAL, WF_TRIAL"},
		{"tag", environment.BillOfMaterials{Products: []environment.Product{{Type: environment.PingOneMFA, Tags: []environment.ProductTag{"FAST"}}}}, "DAVINCI_MINIMAL"},
		{"bookmark href", environment.BillOfMaterials{Products: []environment.Product{{Type: environment.PingOneMFA, Bookmarks: []environment.Bookmark{{Name: "x", Href: "docs"}}}}}, "bookmarks[0].href"},
		{"bookmark name twice", environment.BillOfMaterials{Products: []environment.Product{{Type: environment.PingOneMFA, Bookmarks: []environment.Bookmark{{Name: "x", Href: "https://a"}, {Name: "x", Href: "https://b"}}}}}, "used twice"},
		{"six bookmarks", environment.BillOfMaterials{Products: []environment.Product{{Type: environment.PingOneMFA, Bookmarks: slices.Repeat([]environment.Bookmark{{Name: "x", Href: "https://a"}}, 6)}}}, "at most 5"},
	} {
		if _, err := h.SetBillOfMaterials(t.Context(), orgAdmin, e.ID, tc.bom); !errors.Is(err, environment.ErrInvalid) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: error %v, want ErrInvalid mentioning %q", tc.name, err, tc.mention)
		}
	}
}

// TestRule_ChangesNeedAnActor: every change names who makes it, so a
// principal without an ID changes nothing.
func TestRule_ChangesNeedAnActor(t *testing.T) {
	h := newHarness(t)
	e := h.sandbox("s")
	nobody := orgAdmin
	nobody.ID = ""
	_, err := h.Create(t.Context(), nobody, environment.Environment{Name: "n", Type: environment.Sandbox, Region: environment.RegionEU})
	check(t, err, actor.ErrMissing)
	_, err = h.Update(t.Context(), nobody, environment.Environment{ID: e.ID, Name: "renamed"})
	check(t, err, actor.ErrMissing)
	if got := h.get(e.ID); got.Name != "s" {
		t.Fatalf("a change with no actor renamed the environment to %q", got.Name)
	}
}

// TestRule_RestoreWithoutLicenseNeedsTheCurrentOneStillValid: a restore
// that names no license uses the environment's own, and fails clearly
// when that license is gone or is a trial.
func TestRule_RestoreWithoutLicenseNeedsTheCurrentOneStillValid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(l *memenv.Licenses)
		mention string
	}{
		{"license no longer active", func(l *memenv.Licenses) { l.Remove(fullLicense.ID) }, "no longer an active license"},
		{"license now a trial", func(l *memenv.Licenses) {
			l.Remove(fullLicense.ID)
			l.Add(environment.License{ID: fullLicense.ID, Organization: fullLicense.Organization, Trial: true})
		}, "is a trial license"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			id := h.pending("p").ID
			tc.change(h.lic)
			_, err := h.UpdateStatus(t.Context(), orgAdmin, id, environment.Active, "")
			if !errors.Is(err, environment.ErrLicense) || !strings.Contains(err.Error(), tc.mention) || !strings.Contains(err.Error(), "license.id") {
				t.Errorf("error %v, want ErrLicense saying %q and how to fix it", err, tc.mention)
			}
		})
	}
}
