package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type variableJSON struct {
	ID             string  `json:"_id"`
	Description    string  `json:"description"`
	ExpressionType string  `json:"expressionType"`
	ValueBase64    *string `json:"valueBase64"`
	LastChangedBy  string  `json:"lastChangedBy"`
	Loaded         bool    `json:"loaded"`
}

type pageJSON[T any] struct {
	Result                []T     `json:"result"`
	ResultCount           int     `json:"resultCount"`
	PagedResultsCookie    *string `json:"pagedResultsCookie"`
	TotalPagedResults     int     `json:"totalPagedResults"`
	RemainingPagedResults int     `json:"remainingPagedResults"`
}

type secretJSON struct {
	ID                string `json:"_id"`
	Encoding          string `json:"encoding"`
	ActiveVersion     string `json:"activeVersion"`
	LoadedVersion     string `json:"loadedVersion"`
	Loaded            bool   `json:"loaded"`
	UseInPlaceholders bool   `json:"useInPlaceholders"`
}

type versionJSON struct {
	Version string `json:"version"`
	Status  string `json:"status"`
	Loaded  bool   `json:"loaded"`
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const v2 = "Accept-API-Version: resource=2.0"

func TestESV_VariablesCRUDAndPaging(t *testing.T) {
	f := newFixture(t, fixtureOptions{environments: []string{"dev"}})
	const base = "/dev/environment/variables/"
	for i := range 7 {
		name := fmt.Sprintf("esv-port-%d", i)
		v := decode[variableJSON](f.req("PUT", base+name, adminToken, map[string]string{
			"valueBase64": b64(fmt.Sprint(8000 + i)), "expressionType": "int", "description": "port",
		}).want(http.StatusOK))
		if v.ID != name || v.ExpressionType != "int" || v.LastChangedBy != "ada" || v.Loaded {
			t.Fatalf("created %+v", v)
		}
	}
	got := decode[variableJSON](f.req("GET", base+"esv-port-3", esvReadToken, nil).want(http.StatusOK))
	if got.ValueBase64 == nil || *got.ValueBase64 != b64("8003") {
		t.Errorf("value = %v", got.ValueBase64)
	}
	// The type is fixed at creation and the value must fit it.
	f.req("PUT", base+"esv-port-3", adminToken, map[string]string{"valueBase64": b64("eighty")}).want(http.StatusBadRequest)
	f.req("PUT", base+"esv-port-3", adminToken, map[string]string{"valueBase64": b64("1"), "expressionType": "bool"}).want(http.StatusBadRequest)

	// Paging by cookie walks every variable once, in order.
	var seen []string
	query := "?_pageSize=3"
	for range 5 {
		p := decode[pageJSON[variableJSON]](f.req("GET", "/dev/environment/variables"+query, esvReadToken, nil, v2).want(http.StatusOK))
		if p.TotalPagedResults != 7 || p.ResultCount != len(p.Result) {
			t.Fatalf("page %+v", p)
		}
		for _, v := range p.Result {
			seen = append(seen, v.ID)
		}
		if p.PagedResultsCookie == nil {
			if p.RemainingPagedResults != 0 {
				t.Errorf("last page remaining = %d", p.RemainingPagedResults)
			}
			break
		}
		query = "?_pageSize=3&_pagedResultsCookie=" + url.QueryEscape(*p.PagedResultsCookie)
	}
	if strings.Join(seen, ",") != "esv-port-0,esv-port-1,esv-port-2,esv-port-3,esv-port-4,esv-port-5,esv-port-6" {
		t.Errorf("paged through %v", seen)
	}
	if p := decode[pageJSON[variableJSON]](f.req("GET", "/dev/environment/variables?_pageSize=2&_pagedResultsOffset=5", esvReadToken, nil, v2).want(http.StatusOK)); len(p.Result) != 2 || p.Result[0].ID != "esv-port-5" || p.RemainingPagedResults != 0 {
		t.Errorf("offset page = %+v", p)
	}

	// setDescription, count, delete.
	f.req("POST", base+"esv-port-0?_action=setDescription", adminToken, map[string]string{"description": "admin port"}).want(http.StatusOK)
	if v := decode[variableJSON](f.req("GET", base+"esv-port-0", adminToken, nil).want(http.StatusOK)); v.Description != "admin port" {
		t.Errorf("description = %q", v.Description)
	}
	if c := decode[map[string]int](f.req("GET", "/dev/environment/count", esvReadToken, nil).want(http.StatusOK)); c["variables"] != 7 || c["secrets"] != 0 {
		t.Errorf("count = %v", c)
	}
	if d := decode[variableJSON](f.req("DELETE", base+"esv-port-6", adminToken, nil).want(http.StatusOK)); d.ID != "esv-port-6" {
		t.Errorf("deleted %+v", d)
	}
	f.req("GET", base+"esv-port-6", adminToken, nil).want(http.StatusNotFound)
	f.req("DELETE", base+"esv-port-6", adminToken, nil).want(http.StatusNotFound)
}

// TestESV_VariablesListVersions: resource 1.0 lists values, 2.0 does not
// (the spec's esvVariableListV1 and V2).
func TestESV_VariablesListVersions(t *testing.T) {
	f := newFixture(t, fixtureOptions{environments: []string{"dev"}})
	f.req("PUT", "/dev/environment/variables/esv-a", adminToken, map[string]string{"valueBase64": b64("x")}).want(http.StatusOK)
	for _, tc := range []struct {
		header    string
		withValue bool
		content   string
	}{
		{"Accept-API-Version: resource=1.0", true, "resource=1.0"},
		{v2, false, "resource=2.0"},
		{"Accept-API-Version: protocol=2.1,resource=2", false, "resource=2.0"},
	} {
		r := f.req("GET", "/dev/environment/variables", adminToken, nil, tc.header).want(http.StatusOK)
		p := decode[pageJSON[variableJSON]](r)
		if len(p.Result) != 1 || (p.Result[0].ValueBase64 != nil) != tc.withValue {
			t.Errorf("%s: %s", tc.header, r.body)
		}
		if got := r.header.Get("Content-API-Version"); got != tc.content {
			t.Errorf("%s: Content-API-Version %q, want %q", tc.header, got, tc.content)
		}
	}
	f.req("GET", "/dev/environment/variables", adminToken, nil, "Accept-API-Version: resource=3.0").want(http.StatusBadRequest)
}

// TestRule_SecretsAreNeverEchoed: no response carries a secret's value,
// plain or base64, including errors about it.
func TestRule_SecretsAreNeverEchoed(t *testing.T) {
	f := newFixture(t, fixtureOptions{environments: []string{"dev"}})
	const plain, plain2 = "hunter2-very-secret", "correct horse battery staple"
	var bodies [][]byte
	record := func(r *result) *result { bodies = append(bodies, r.body); return r }
	const base = "/dev/environment/secrets/esv-smtp-password"

	s := decode[secretJSON](record(f.req("PUT", base, adminToken, map[string]any{
		"encoding": "generic", "useInPlaceholders": true, "valueBase64": b64(plain), "description": "SMTP",
	}).want(http.StatusOK)))
	if s.ID != "esv-smtp-password" || s.ActiveVersion != "1" || s.Loaded {
		t.Errorf("created %+v", s)
	}
	record(f.req("PUT", base, adminToken, map[string]any{"encoding": "generic", "useInPlaceholders": true, "valueBase64": b64(plain)}).want(http.StatusConflict))
	record(f.req("PUT", "/dev/environment/secrets/esv-key", adminToken, map[string]any{"encoding": "base64aes", "useInPlaceholders": false, "valueBase64": b64(plain)}).want(http.StatusBadRequest))
	record(f.req("PUT", "/dev/environment/secrets/esv-other", adminToken, `{"encoding":"generic","useInPlaceholders":true,"valueBase64":"`+plain+`"}`).want(http.StatusBadRequest))
	record(f.req("PUT", "/dev/environment/secrets/esv-other", adminToken, `{"encoding":"generic","useInPlaceholders":true,"valueBase64":"`+b64(plain)+`","x":1}`).want(http.StatusBadRequest))
	record(f.req("PUT", "/dev/environment/secrets/esv-other", adminToken, `{"encoding":"generic","useInPlaceholders":true,"valueBase64":"`+b64(plain)+`\q"}`).want(http.StatusBadRequest))
	record(f.req("PUT", "/dev/environment/secrets/esv-other", adminToken, `{"encoding":"generic","valueBase64":"`+b64(plain)+`"}`).want(http.StatusBadRequest))

	v := decode[versionJSON](record(f.req("POST", base+"/versions?_action=create", adminToken, map[string]string{"valueBase64": b64(plain2)}).want(http.StatusOK)))
	if v.Version != "2" || v.Status != "ENABLED" {
		t.Errorf("version %+v", v)
	}
	vs := decode[[]versionJSON](record(f.req("GET", base+"/versions", esvReadToken, nil).want(http.StatusOK)))
	if len(vs) != 2 {
		t.Fatalf("versions %+v", vs)
	}
	record(f.req("POST", base+"/versions/latest?_action=changestatus", adminToken, map[string]string{"status": "DISABLED"}).want(http.StatusBadRequest))
	if v := decode[versionJSON](record(f.req("POST", base+"/versions/1?_action=changestatus", adminToken, map[string]string{"status": "DISABLED"}).want(http.StatusOK))); v.Status != "DISABLED" {
		t.Errorf("disabled %+v", v)
	}
	record(f.req("GET", base+"/versions/1", esvReadToken, nil).want(http.StatusOK))
	record(f.req("GET", base+"/versions/0", esvReadToken, nil).want(http.StatusBadRequest))
	record(f.req("GET", base+"/versions/9", esvReadToken, nil).want(http.StatusNotFound))
	record(f.req("GET", "/dev/environment/secrets", esvReadToken, nil).want(http.StatusOK))
	record(f.req("POST", base+"?_action=setDescription", adminToken, map[string]string{"description": "mail"}).want(http.StatusOK))
	record(f.req("DELETE", base+"/versions/1", adminToken, nil).want(http.StatusOK))
	record(f.req("DELETE", base+"/versions/latest", adminToken, nil).want(http.StatusBadRequest))
	record(f.req("GET", base, esvReadToken, nil).want(http.StatusOK))
	record(f.req("DELETE", base, adminToken, nil).want(http.StatusOK))
	record(f.req("GET", base, esvReadToken, nil).want(http.StatusNotFound))

	for _, secret := range []string{plain, plain2, b64(plain), b64(plain2), "hunter2", "q"} {
		for _, b := range bodies {
			if secret == "q" {
				// The bad escape \q must not be quoted back either.
				if bytes.Contains(b, []byte(`'q'`)) {
					t.Errorf("a response quotes a byte of the body: %s", b)
				}
				continue
			}
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("response echoes a secret: %s", b)
			}
		}
	}
}

func TestESV_Restart(t *testing.T) {
	f := newFixture(t, fixtureOptions{environments: []string{"dev"}})
	f.req("PUT", "/dev/environment/variables/esv-a", adminToken, map[string]string{"valueBase64": b64("x")}).want(http.StatusOK)
	if p := decode[pageJSON[variableJSON]](f.req("GET", "/dev/environment/variables?_onlyPending=true", adminToken, nil).want(http.StatusOK)); len(p.Result) != 1 {
		t.Errorf("pending before restart: %+v", p)
	}
	if st := decode[map[string]string](f.req("GET", "/dev/environment/startup", esvReadToken, nil).want(http.StatusOK)); st["restartStatus"] != "ready" {
		t.Errorf("status %v", st)
	}
	f.req("POST", "/dev/environment/startup", adminToken, nil).want(http.StatusBadRequest) // _action missing
	f.req("POST", "/dev/environment/startup?_action=restart", esvReadToken, nil).want(http.StatusForbidden)
	f.req("POST", "/dev/environment/startup?_action=restart", adminToken, nil).want(http.StatusOK)
	if st := decode[map[string]string](f.req("GET", "/dev/environment/startup", esvReadToken, nil).want(http.StatusOK)); st["restartStatus"] != "ready" {
		t.Errorf("status after restart %v", st)
	}
	if v := decode[variableJSON](f.req("GET", "/dev/environment/variables/esv-a", adminToken, nil).want(http.StatusOK)); !v.Loaded {
		t.Errorf("variable not loaded after restart: %+v", v)
	}
	if p := decode[pageJSON[variableJSON]](f.req("GET", "/dev/environment/variables?_onlyPending", adminToken, nil).want(http.StatusOK)); len(p.Result) != 0 {
		t.Errorf("pending after restart: %+v", p)
	}
}
