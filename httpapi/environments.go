package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/envpromote/envpromote/environment"
)

// Paging of GET /v1/environments.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// environmentRoutes mounts PingOne's /v1/environments.
func (s *Server) environmentRoutes() {
	p1 := func(method, path string, h p1Handler) {
		s.mux.Handle(method+" "+"/v1/environments"+path, s.p1(h))
	}
	p1("GET", "", s.listEnvironments)
	p1("POST", "", s.createEnvironment)
	p1("GET", "/{id}", s.getEnvironment)
	p1("PUT", "/{id}", s.updateEnvironment)
	p1("DELETE", "/{id}", s.deleteEnvironment)
	p1("PUT", "/{id}/status", s.updateEnvironmentStatus)
	p1("PUT", "/{id}/type", s.updateEnvironmentType)
	p1("GET", "/{id}/billOfMaterials", s.getBillOfMaterials)
	p1("PUT", "/{id}/billOfMaterials", s.updateBillOfMaterials)
}

type p1Handler func(w http.ResponseWriter, r *http.Request, p environment.Principal) error

// p1 wraps a /v1/environments handler: it authenticates the caller, whose
// roles the Registry checks, and renders errors as P1Error bodies.
func (s *Server) p1(h p1Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err == nil {
			err = h(w, r, p.Principal)
		}
		if err != nil {
			s.fail(w, r, p1Dialect, err)
		}
	})
}

type (
	link struct {
		Href string `json:"href"`
	}
	links map[string]link
)

// environmentBody is an environment as the API shows it, with its links,
// and its hard-delete time under both names: the spec's
// hardDeletedAllowedAt, which clients generated from it read, and the
// docs' hardDeleteAllowedAt.
type environmentBody struct {
	Links links `json:"_links"`
	environment.Environment
	HardDeletedAllowedAt time.Time `json:"hardDeletedAllowedAt,omitzero"`
}

// environmentRequest is the body of POST and PUT: an environment, whose
// read-only fields are ignored, so that a body read with GET can be sent
// back changed.
type environmentRequest struct {
	environment.Environment
	Links json.RawMessage `json:"_links,omitempty"`
	// The PingOne spec's spelling of hardDeleteAllowedAt.
	HardDeletedAllowedAt json.RawMessage `json:"hardDeletedAllowedAt,omitempty"`
}

type statusRequest struct {
	Status  *environment.Status `json:"status"`
	License *environment.Ref    `json:"license"`
}

type typeRequest struct {
	Type *environment.Type `json:"type"`
}

type bomBody struct {
	Links links `json:"_links,omitempty"`
	environment.BillOfMaterials
}

// entityArray is PingOne's list body.
type entityArray struct {
	Links    links `json:"_links"`
	Embedded struct {
		Environments []environmentBody `json:"environments"`
	} `json:"_embedded"`
	Count int `json:"count"`
	Size  int `json:"size"`
}

// baseURL is the absolute URL of /v1/environments as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/v1/environments"
}

func (s *Server) environmentBody(r *http.Request, e environment.Environment) environmentBody {
	self := baseURL(r) + "/" + url.PathEscape(e.ID)
	return environmentBody{Links: links{"self": {self}, "billOfMaterials": {self + "/billOfMaterials"}}, Environment: e, HardDeletedAllowedAt: e.HardDeleteAllowedAt}
}

// listEnvironments answers GET /v1/environments?filter=…&limit=…&cursor=…;
// the cursor is the opaque offset of the next page.
func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request, p environment.Principal) error {
	q := r.URL.Query()
	limit, offset := defaultLimit, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return &apiError{status: http.StatusBadRequest, code: "INVALID_DATA", detailCode: "INVALID_VALUE", target: "limit", message: "limit must be an integer from 1 to " + strconv.Itoa(maxLimit)}
		}
		limit = n
	}
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return &apiError{status: http.StatusBadRequest, code: "INVALID_DATA", detailCode: "INVALID_VALUE", target: "cursor", message: "cursor is not one this server returned in _links.next"}
		}
		offset = n
	}
	envs, err := s.registry.List(r.Context(), p, q.Get("filter"))
	if err != nil {
		return err
	}
	start := min(offset, len(envs))
	end := min(start+limit, len(envs))
	body := entityArray{Links: links{"self": {baseURL(r) + "?" + r.URL.RawQuery}}, Count: len(envs), Size: end - start}
	body.Embedded.Environments = make([]environmentBody, 0, end-start)
	for _, e := range envs[start:end] {
		body.Embedded.Environments = append(body.Embedded.Environments, s.environmentBody(r, e))
	}
	if end < len(envs) {
		next := url.Values{"limit": {strconv.Itoa(limit)}, "cursor": {base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))}}
		if f := q.Get("filter"); f != "" {
			next.Set("filter", f)
		}
		body.Links["next"] = link{baseURL(r) + "?" + next.Encode()}
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// authorized looks environment id up and requires a role of p allowing
// op on it, as the authorization table says; the Registry then checks
// its own rules, which agree, again.
func (s *Server) authorized(r *http.Request, p environment.Principal, op operation) (environment.Environment, error) {
	e, err := s.registry.Lookup(r.Context(), r.PathValue("id"))
	if err != nil {
		return e, err
	}
	return e, authorize(p, op, target{org: e.Organization.ID, id: e.ID})
}

func (s *Server) createEnvironment(w http.ResponseWriter, r *http.Request, p environment.Principal) error {
	if err := authorizeCreate(p, ""); err != nil {
		return err
	}
	var req environmentRequest
	if err := decodeBody(r, s.maxBody, &req); err != nil {
		return err
	}
	if err := authorizeCreate(p, req.Organization.ID); err != nil {
		return err
	}
	e, err := s.registry.Create(r.Context(), p, req.Environment)
	if err != nil {
		return err
	}
	w.Header().Set("Location", baseURL(r)+"/"+url.PathEscape(e.ID))
	writeJSON(w, http.StatusCreated, s.environmentBody(r, e))
	return nil
}

func (s *Server) getEnvironment(w http.ResponseWriter, r *http.Request, p environment.Principal) error {
	if _, err := s.authorized(r, p, opEnvRead); err != nil {
		return err
	}
	e, err := s.registry.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.environmentBody(r, e))
	return nil
}

func (s *Server) updateEnvironment(w http.ResponseWriter, r *http.Request, p environment.Principal) error {
	if _, err := s.authorized(r, p, opEnvUpdate); err != nil {
		return err
	}
	var req environmentRequest
	if err := decodeBody(r, s.maxBody, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if req.ID != "" && req.ID != id {
		return &apiError{status: http.StatusBadRequest, code: "INVALID_DATA", detailCode: "INVALID_VALUE", target: "id", message: "the body's id differs from the id in the path"}
	}
	req.ID = id
	e, err := s.registry.Update(r.Context(), p, req.Environment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.environmentBody(r, e))
	return nil
}

func (s *Server) deleteEnvironment(w http.ResponseWriter, r *http.Request, p environment.Principal) error {
	e, err := s.authorized(r, p, opEnvRead)
	if err != nil {
		return err
	}
	op := opEnvHardDelete
	if e.Type == environment.Sandbox {
		op = opEnvDeleteSandbox
	}
	if err := authorize(p, op, target{org: e.Organization.ID, id: e.ID}); err != nil {
		return err
	}
	if err := s.registry.Delete(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// updateEnvironmentStatus soft-deletes (DELETE_PENDING) or restores
// (ACTIVE, with license.id) an environment.
func (s *Server) updateEnvironmentStatus(w http.ResponseWriter, r *http.Request, p environment.Principal) error {
	e, err := s.authorized(r, p, opEnvRead)
	if err != nil {
		return err
	}
	var req statusRequest
	if err := decodeBody(r, s.maxBody, &req); err != nil {
		return err
	}
	if req.Status == nil {
		return missingField("status")
	}
	op := opEnvSoftDelete
	if *req.Status == environment.Active {
		op = opEnvRestore
	}
	if err := authorize(p, op, target{org: e.Organization.ID, id: e.ID}); err != nil {
		return err
	}
	license := ""
	if req.License != nil {
		license = req.License.ID
	}
	e, err = s.registry.UpdateStatus(r.Context(), p, r.PathValue("id"), *req.Status, license)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.environmentBody(r, e))
	return nil
}

func (s *Server) updateEnvironmentType(w http.ResponseWriter, r *http.Request, p environment.Principal) error {
	e, err := s.authorized(r, p, opEnvRead)
	if err != nil {
		return err
	}
	var req typeRequest
	if err := decodeBody(r, s.maxBody, &req); err != nil {
		return err
	}
	if req.Type == nil {
		return missingField("type")
	}
	op := opEnvToProduction
	if *req.Type == environment.Sandbox && e.Type == environment.Production {
		op = opEnvToSandbox
	}
	if err := authorize(p, op, target{org: e.Organization.ID, id: e.ID}); err != nil {
		return err
	}
	e, err = s.registry.ChangeType(r.Context(), p, r.PathValue("id"), *req.Type)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.environmentBody(r, e))
	return nil
}

func (s *Server) bomBody(r *http.Request, e environment.Environment) bomBody {
	return bomBody{Links: links{"self": {baseURL(r) + "/" + url.PathEscape(e.ID) + "/billOfMaterials"}}, BillOfMaterials: e.BillOfMaterials}
}

func (s *Server) getBillOfMaterials(w http.ResponseWriter, r *http.Request, p environment.Principal) error {
	if _, err := s.authorized(r, p, opEnvRead); err != nil {
		return err
	}
	e, err := s.registry.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.bomBody(r, e))
	return nil
}

// updateBillOfMaterials replaces the products of an environment, keeping
// every other field as it is, in one atomic change.
func (s *Server) updateBillOfMaterials(w http.ResponseWriter, r *http.Request, p environment.Principal) error {
	if _, err := s.authorized(r, p, opEnvUpdate); err != nil {
		return err
	}
	var req bomBody
	if err := decodeBody(r, s.maxBody, &req); err != nil {
		return err
	}
	if len(req.Products) == 0 {
		return &apiError{status: http.StatusBadRequest, code: "INVALID_DATA", detailCode: "REQUIRED_VALUE", target: "products", message: "products is required: at least one product"}
	}
	e, err := s.registry.SetBillOfMaterials(r.Context(), p, r.PathValue("id"), req.BillOfMaterials)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.bomBody(r, e))
	return nil
}
