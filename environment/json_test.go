package environment_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/envpromote/envpromote/environment"
)

// The JSON encoding uses the PingOne API's field names exactly.
func TestEnvironmentJSONFieldNames(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6e6, time.UTC)
	e := environment.Environment{
		ID: "id", Name: "n", Description: "d", Type: environment.Production, Region: environment.RegionCA,
		License: environment.Ref{ID: "l"}, Organization: environment.Ref{ID: "o"}, Icon: "https://i",
		BillOfMaterials: environment.BillOfMaterials{Products: []environment.Product{{
			Type: environment.PingID, Description: "PingID", Console: environment.Console{Href: "https://c"},
			SoftwareLicense: environment.Ref{ID: "sl"}, Deployment: environment.Ref{ID: "dep"},
		}}},
		Status: environment.DeletePending, CreatedAt: at, UpdatedAt: at, SoftDeletedAt: at, HardDeleteAllowedAt: at.Add(environment.HardDeleteDelay),
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"billOfMaterials", "createdAt", "description", "hardDeleteAllowedAt", "icon", "id", "license", "name", "organization", "region", "softDeletedAt", "status", "type", "updatedAt"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Fatalf("JSON keys (-want +got):\n%s", diff)
	}
	for _, frag := range []string{
		`"license":{"id":"l"}`, `"organization":{"id":"o"}`,
		`"products":[{"type":"PING_ID","description":"PingID","console":{"href":"https://c"},"softwareLicense":{"id":"sl"},"deployment":{"id":"dep"}}]`,
		`"hardDeleteAllowedAt":"2030-02-01T03:04:05.006Z"`,
	} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("JSON %s lacks %s", b, frag)
		}
	}
	var back environment.Environment
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, back); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}

	// An ACTIVE environment carries no deletion times at all.
	e.Status, e.SoftDeletedAt, e.HardDeleteAllowedAt = environment.Active, time.Time{}, time.Time{}
	b, _ = json.Marshal(e)
	if s := string(b); strings.Contains(s, "softDeletedAt") || strings.Contains(s, "hardDeleteAllowedAt") {
		t.Fatalf("ACTIVE environment JSON has deletion times: %s", s)
	}
}
