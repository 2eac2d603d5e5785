package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The vendor specs (see ARCHITECTURE.md, "HTTP"), with their licenses.
const (
	aicSpec = "testdata/aic-openapi.json"
	p1Spec  = "testdata/pingone-environments-openapi.json"
)

// contract holds routers over the two vendor specs.
type contract struct {
	aic, p1 routers.Router
	aicDoc  *openapi3.T
}

var (
	contractOnce sync.Once
	contractVal  *contract
	contractErr  error
)

// loadContract loads and adapts both specs once per test binary.
func loadContract(t testing.TB) *contract {
	t.Helper()
	contractOnce.Do(func() { contractVal, contractErr = newContract() })
	if contractErr != nil {
		t.Fatalf("load contract: %v", contractErr)
	}
	return contractVal
}

func newContract() (*contract, error) {
	load := func(path string) (*openapi3.T, routers.Router, error) {
		doc, err := openapi3.NewLoader().LoadFromFile(path)
		if err != nil {
			return nil, nil, err
		}
		// The servers are the vendor's hosts; the transport strips the
		// mount prefix instead.
		doc.Servers = nil
		adaptSpec(doc)
		r, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
		return doc, r, err
	}
	aicDoc, aic, err := load(aicSpec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", aicSpec, err)
	}
	_, p1, err := load(p1Spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p1Spec, err)
	}
	return &contract{aic: aic, p1: p1, aicDoc: aicDoc}, nil
}

// adaptSpec fixes what keeps the specs from validating or from matching
// any response: AIC's info.version is empty, and two places use oneOf with
// alternatives that overlap, which no response can satisfy (a valid value
// matches both, and oneOf demands exactly one):
//   - AIC's variable list is esvVariableListV1 or …V2, and every V1 body is
//     also a V2 body. anyOf keeps the check; TestESV_VariablesListVersions
//     tells the two apart.
//   - PingOne's Environment.region is EnumRegionCode or any string; the
//     enum alone is the stricter check.
func adaptSpec(doc *openapi3.T) {
	if doc.Info.Version == "" {
		doc.Info.Version = "unversioned"
	}
	if p := doc.Paths.Value("/environment/variables"); p != nil && p.Get != nil {
		s := p.Get.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
		s.AnyOf, s.OneOf = s.OneOf, nil
	}
	if env := doc.Components.Schemas["Environment"]; env != nil {
		region := env.Value.Properties["region"]
		env.Value.Properties["region"] = region.Value.OneOf[0]
	}
}

// crossCutting are statuses any endpoint may answer that the AIC spec
// lists only for some operations: bad input (400), a missing scope (403),
// an unknown environment or item (404), a wrong method (405), an oversized
// body (413) and a server at capacity or shutting down (503). Where an
// operation lists neither the status nor a default, the body is checked
// against the spec's generic Error schema instead.
var crossCutting = map[int]bool{400: true, 403: true, 404: true, 405: true, 413: true, 415: true, 503: true}

// check validates one exchange against the spec of its endpoint family.
// The mount prefix ("/staging") is stripped before routing; paths served
// at the root of a host start with /environment/ and have none.
func (c *contract) check(req *http.Request, resp *http.Response, body []byte) error {
	router, path := c.aic, req.URL.Path
	if rest, ok := strings.CutPrefix(path, "/v1"); ok {
		router, path = c.p1, rest
	} else if i := strings.Index(path[1:], "/"); i >= 0 && !strings.HasPrefix(path, "/environment/") {
		path = path[1+i:]
	}
	routed := req.Clone(context.Background())
	routed.URL.Path, routed.URL.RawPath = path, ""
	route, params, err := router.FindRoute(routed)
	if err != nil {
		if resp.StatusCode == 404 || resp.StatusCode == 405 {
			return checkErrorBody(c.aicDoc, body, router == c.p1)
		}
		return fmt.Errorf("%s %s is not in the spec: %w", req.Method, path, err)
	}
	responses := route.Operation.Responses
	if responses.Status(resp.StatusCode) == nil && responses.Default() == nil {
		if !crossCutting[resp.StatusCode] {
			return fmt.Errorf("status %d is not in the spec of %s %s", resp.StatusCode, req.Method, route.Path)
		}
		return checkErrorBody(c.aicDoc, body, router == c.p1)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: routed, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s → %d: %w\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return nil
}

// checkErrorBody checks an error body the operation's spec does not
// describe: AIC's Error schema, or P1Error's fields for /v1.
func checkErrorBody(aic *openapi3.T, body []byte, p1 bool) error {
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body is not JSON: %w: %s", err, body)
	}
	if p1 {
		for _, f := range []string{"id", "code", "message"} {
			if _, ok := v[f].(string); !ok {
				return fmt.Errorf("P1Error field %q missing or not a string: %s", f, body)
			}
		}
		return nil
	}
	if _, ok := v["message"].(string); !ok {
		return fmt.Errorf("error body has no message: %s", body)
	}
	return aic.Components.Schemas["Error"].Value.VisitJSON(v)
}

// contractTransport validates every response it carries against the specs
// and fails the test on any mismatch. Tests reach the server only through it.
type contractTransport struct {
	t        testing.TB
	contract *contract
	base     http.RoundTripper
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := ct.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := ct.contract.check(req, resp, body); err != nil {
		ct.t.Errorf("contract: %v", err)
	}
	return resp, nil
}
