package promotion_test

import (
	"path"
	"testing"

	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
	"github.com/google/go-cmp/cmp"
)

// TestRule_DefaultLayoutFollowsTheTenantExportLayout checks every row of
// ARCHITECTURE.md's "Tenant export layout" table.
func TestRule_DefaultLayoutFollowsTheTenantExportLayout(t *testing.T) {
	am, idm := promotion.AM, promotion.IDM
	for _, tc := range []struct {
		path    string
		data    string
		dynamic bool
		want    promotion.Item
	}{
		{"realms/alpha/journeys/Login/Login.json", `{"_id":"Login"}`, false, promotion.Item{Product: am, ConfigItem: "Authentication > Journeys", Realm: "/alpha", Name: "Login", UID: "Login"}},
		{"realms/alpha/journeys/Login/nodes/Page Node - n1.json", `{"_id":"n1"}`, false, promotion.Item{Product: am, ConfigItem: "Authentication > Journeys", Realm: "/alpha", Name: "Login", Part: true}},
		{"realms/alpha/journeys/Login/nodes/Page Node - n1/Inner - n2.json", `{"_id":"n2"}`, false, promotion.Item{Product: am, ConfigItem: "Authentication > Journeys", Realm: "/alpha", Name: "Login", Part: true}},
		{"realms/bravo/scripts/scripts-config/0a1b.json", `{"_id":"0a1b","name":"decide"}`, false, promotion.Item{Product: am, ConfigItem: "Scripts", Realm: "/bravo", Name: "decide", UID: "0a1b"}},
		{"realms/bravo/scripts/scripts-content/DECISION/decide.js", `x`, false, promotion.Item{Product: am, ConfigItem: "Scripts", Realm: "/bravo", Name: "decide", Part: true}},
		{"realms/alpha/services/CorsService.json", `{"_id":"","_type":{"_id":"CorsService"}}`, false, promotion.Item{Product: am, ConfigItem: "Services", Realm: "/alpha", Name: "CorsService"}},
		{"realms/alpha/password-policy/alpha_user-password-policy.json", `{}`, false, promotion.Item{Product: am, ConfigItem: "Password Policy", Realm: "/alpha", Name: "alpha_user-password-policy"}},
		{"realms/alpha/themes/Corporate/Corporate.json", `{"_id":"t1","name":"Corporate"}`, false, promotion.Item{Product: am, ConfigItem: "Themes", Realm: "/alpha", Name: "Corporate", UID: "t1"}},
		{"realms/alpha/themes/Corporate/accountFooter.html", `<p/>`, false, promotion.Item{Product: am, ConfigItem: "Themes", Realm: "/alpha", Name: "Corporate", Part: true}},
		{"realms/alpha/secret-mappings/am.services.saml2.json", `{"_id":"am.services.saml2"}`, false, promotion.Item{Product: am, ConfigItem: "Secret Mappings", Realm: "/alpha", Name: "am.services.saml2", UID: "am.services.saml2"}},
		{"realms/alpha/realm-config/authentication.json", `{"_id":""}`, false, promotion.Item{Product: am, ConfigItem: "Realm Settings", Realm: "/alpha", Name: "authentication"}},
		{"realms/alpha/realm-config/agents/OAuth2Client/app.json", `{"_id":"app"}`, true, promotion.Item{Product: am, ConfigItem: "Applications", Realm: "/alpha", Name: "app", UID: "app"}},
		{"realms/alpha/realm-config/agents/IdentityGatewayAgent/ig.json", `{"_id":"ig"}`, true, promotion.Item{Product: am, ConfigItem: "Applications", Realm: "/alpha", Name: "ig", UID: "ig"}},
		{"realms/alpha/authorization/policy-sets/ps/ps.json", `{"name":"ps"}`, true, promotion.Item{Product: am, ConfigItem: "Access Policies", Realm: "/alpha", Name: "ps"}},
		{"realms/alpha/authorization/resource-types/rt.json", `{"uuid":"1"}`, true, promotion.Item{Product: am, ConfigItem: "Access Policies", Realm: "/alpha", Name: "rt"}},
		{"realms/alpha/saml/entity.json", `{"_id":"e"}`, false, promotion.Item{Product: am, ConfigItem: "saml", Realm: "/alpha", Name: "entity", UID: "e"}},
		{"managed-objects/alpha_user/alpha_user.json", `{"name":"alpha_user"}`, false, promotion.Item{Product: idm, ConfigItem: "Managed Objects", Name: "alpha_user"}},
		{"managed-objects/alpha_user/alpha_user.onCreate.js", `x`, false, promotion.Item{Product: idm, ConfigItem: "Managed Objects", Name: "alpha_user", Part: true}},
		{"sync/connectors/ldap.json", `{"_id":"provisioner.openicf/ldap"}`, false, promotion.Item{Product: idm, ConfigItem: "Connectors", Name: "ldap", UID: "provisioner.openicf/ldap"}},
		{"sync/rcs/rcs.json", `{}`, false, promotion.Item{Product: idm, ConfigItem: "Connectors", Name: "rcs"}},
		{"sync/mappings/m1/m1.json", `{"_id":"sync/m1","name":"m1"}`, false, promotion.Item{Product: idm, ConfigItem: "Mappings", Name: "m1", UID: "sync/m1"}},
		{"email-templates/welcome/welcome.json", `{"_id":"emailTemplate/welcome"}`, false, promotion.Item{Product: idm, ConfigItem: "Email > Templates", Name: "welcome", UID: "emailTemplate/welcome"}},
		{"email-templates/welcome/welcome.en.html", `<p/>`, false, promotion.Item{Product: idm, ConfigItem: "Email > Templates", Name: "welcome", Part: true}},
		{"email-provider/external.email.json", `{"_id":"external.email"}`, false, promotion.Item{Product: idm, ConfigItem: "Email > Provider", Name: "external.email", UID: "external.email"}},
		{"endpoints/hello/hello.json", `{"_id":"endpoint/hello"}`, false, promotion.Item{Product: idm, ConfigItem: "Custom Endpoints", Name: "hello", UID: "endpoint/hello"}},
		{"endpoints/hello/hello.js", `x`, false, promotion.Item{Product: idm, ConfigItem: "Custom Endpoints", Name: "hello", Part: true}},
		{"schedules/nightly/nightly.json", `{"_id":"schedule/nightly"}`, false, promotion.Item{Product: idm, ConfigItem: "Schedules", Name: "nightly", UID: "schedule/nightly"}},
		{"access-config/access.json", `{"_id":"access"}`, false, promotion.Item{Product: idm, ConfigItem: "Access Configuration", Name: "access", UID: "access"}},
		{"cors/cors-config.json", `{}`, false, promotion.Item{Product: idm, ConfigItem: "CORS", Name: "cors-config"}},
		{"kba/selfservice.kba.json", `{}`, false, promotion.Item{Product: idm, ConfigItem: "KBA", Name: "selfservice.kba"}},
		{"terms-conditions/terms-conditions.json", `{}`, false, promotion.Item{Product: idm, ConfigItem: "Terms & Conditions", Name: "terms-conditions"}},
		{"ui/ui-configuration.json", `{"_id":"ui/configuration"}`, false, promotion.Item{Product: idm, ConfigItem: "UI", Name: "ui-configuration", UID: "ui/configuration"}},
		{"locales/fr.json", `{}`, false, promotion.Item{Product: idm, ConfigItem: "Locales", Name: "fr"}},
		{"audit/audit.json", `{}`, false, promotion.Item{Product: idm, ConfigItem: "Audit", Name: "audit"}},
		{"org-privileges/privilegeAssignments.json", `{}`, false, promotion.Item{Product: idm, ConfigItem: "Organization Privileges", Name: "privilegeAssignments"}},
		{"service-objects/alpha_user/u1.json", `{"_id":"u1","userName":"bjensen"}`, true, promotion.Item{Product: idm, ConfigItem: "Managed Object Data", Name: "u1", UID: "u1"}},
		{"identities/alpha/users/u1.json", `{"_id":"u1"}`, true, promotion.Item{Product: am, ConfigItem: "Identities", Realm: "/alpha", Name: "u1", UID: "u1"}},
		{"identities/alpha/assignments/a.json", `{"_id":"a"}`, true, promotion.Item{Product: am, ConfigItem: "Identities", Realm: "/alpha", Name: "a", UID: "a"}},
		{"internal-roles/admin.json", `{"_id":"r1","name":"admin"}`, true, promotion.Item{Product: idm, ConfigItem: "Internal Roles", Name: "admin", UID: "r1"}},
		{"esvs/variables/esv-smtp-port.json", `{"_id":"esv-smtp-port"}`, true, promotion.Item{Product: idm, ConfigItem: "ESVs", Name: "esv-smtp-port", UID: "esv-smtp-port"}},
		{"esvs/secrets/esv-key.json", `{"_id":"esv-key"}`, true, promotion.Item{Product: idm, ConfigItem: "ESVs", Name: "esv-key", UID: "esv-key"}},
		{"README.md", `# tenant`, false, promotion.Item{Product: idm, ConfigItem: "README.md", Name: "README"}},
		{"custom/thing.json", `not json`, false, promotion.Item{Product: idm, ConfigItem: "custom", Name: "thing"}},
	} {
		l := promotion.DefaultLayout{}
		if got := l.Dynamic(tc.path); got != tc.dynamic {
			t.Errorf("Dynamic(%q) = %v, want %v", tc.path, got, tc.dynamic)
		}
		if diff := cmp.Diff(tc.want, l.Describe(tc.path, []byte(tc.data))); diff != "" {
			t.Errorf("Describe(%q) (-want +got):\n%s", tc.path, diff)
		}
	}
	// Dynamic directories, as StaticView drops them whole.
	for dir, want := range map[string]bool{
		"identities": true, "service-objects": true, "internal-roles": true, "esvs": true,
		"realms/alpha/authorization": true, "realms/alpha/realm-config/agents": true,
		"realms": false, "realms/alpha": false, "realms/alpha/realm-config": false, "managed-objects": false,
	} {
		if got := (promotion.DefaultLayout{}).Dynamic(dir); got != want {
			t.Errorf("Dynamic(%q) = %v, want %v", dir, got, want)
		}
	}
}

// TestRule_DefaultLayoutAgreesWithTenantgen checks every file of a generated
// fr-config-pull tenant: its static/dynamic kind (ESV definitions are
// dynamic: never promoted) is the generator's.
func TestRule_DefaultLayoutAgreesWithTenantgen(t *testing.T) {
	ten := tenantgen.Generate(tenantgen.Options{Seed: 7, Files: 2000, Realms: 3})
	for _, p := range ten.Paths() {
		want := ten.Kinds[p] != tenantgen.Static
		if got := (promotion.DefaultLayout{}).Dynamic(p); got != want {
			t.Errorf("Dynamic(%q) = %v, want %v (%s)", p, got, want, ten.Kinds[p])
		}
	}
}

func staticView(t *testing.T, layout promotion.Layout, snap *store.Snapshot) *store.Snapshot {
	t.Helper()
	view, err := promotion.StaticView(layout, snap)
	if err != nil {
		t.Fatal(err)
	}
	return view
}

func TestStaticView_DropsExactlyTheDynamicPaths(t *testing.T) {
	ten := tenantgen.Generate(tenantgen.Options{Seed: 3, Files: 1500})
	snap, err := store.New(ten.Files)
	if err != nil {
		t.Fatal(err)
	}
	view := staticView(t, promotion.DefaultLayout{}, snap)
	want := map[string]string{}
	for p, d := range ten.Files {
		if ten.Kinds[p] == tenantgen.Static {
			want[p] = string(d)
		}
	}
	got := map[string]string{}
	view.Walk(func(p string, d []byte) error { got[p] = string(d); return nil })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("static view (-want +got):\n%s", diff)
	}
	// Static subtrees are shared, not copied: their hashes are equal.
	a, _ := snap.SubSnapshot("managed-objects")
	b, _ := view.SubSnapshot("managed-objects")
	if a.Hash() != b.Hash() {
		t.Error("managed-objects changed in the static view")
	}
	if again := staticView(t, promotion.DefaultLayout{}, view); again.Hash() != view.Hash() {
		t.Error("StaticView of a static snapshot changed it")
	}
}

// TestRule_DefaultLayoutStaticDirsHoldNoDynamicPath: a directory Static
// calls static holds no dynamic path (true must be exact), and the
// directories that hold only static config are found as such.
func TestRule_DefaultLayoutStaticDirsHoldNoDynamicPath(t *testing.T) {
	l := promotion.DefaultLayout{}
	ten := tenantgen.Generate(tenantgen.Options{Seed: 7, Files: 2000, Realms: 3})
	for _, p := range ten.Paths() {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if l.Static(d) && l.Dynamic(p) {
				t.Errorf("Static(%q) but Dynamic(%q)", d, p)
			}
		}
	}
	for dir, want := range map[string]bool{
		"realms": false, "realms/alpha": false, "realms/alpha/realm-config": false,
		"realms/alpha/realm-config/agents": false, "realms/alpha/authorization": false,
		"identities": false, "esvs": false, "internal-roles": false, "service-objects": false,
		"realms/alpha/journeys": true, "realms/alpha/realm-config/saml": true,
		"managed-objects": true, "sync/mappings": true, "email-templates": true,
	} {
		if got := l.Static(dir); got != want {
			t.Errorf("Static(%q) = %v, want %v", dir, got, want)
		}
	}
}

// plainLayout hides DefaultLayout's Static: promotion must then visit every
// path, and give the same result.
type plainLayout struct{ promotion.Layout }

func TestStaticView_SameWithAndWithoutStaticLayout(t *testing.T) {
	ten := tenantgen.Generate(tenantgen.Options{Seed: 5, Files: 1500, Realms: 3})
	snap, err := store.New(ten.Files)
	if err != nil {
		t.Fatal(err)
	}
	fast := staticView(t, promotion.DefaultLayout{}, snap)
	slow := staticView(t, plainLayout{promotion.DefaultLayout{}}, snap)
	if !fast.Equal(slow) || fast.Len() == 0 {
		t.Errorf("static views differ: %s with Static, %s without", fast, slow)
	}
}
