package httpapi

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"github.com/envpromote/envpromote/esv"
)

// esvRoutes mounts the ESV endpoints of the AIC spec.
func (s *Server) esvRoutes() {
	aic := func(method, path, scope string, op operation, h aicHandler) {
		s.handleAIC(method, "/environment"+path, s.aic(esvAPI, scope, op, false, h))
	}
	read := func(path string, h aicHandler) { aic("GET", path, ScopeESVRead, opESVRead, h) }
	update := func(method, path string, h aicHandler) { aic(method, path, ScopeESVUpdate, opESVUpdate, h) }
	read("/count", s.esvCount)
	read("/variables", s.listVariables)
	read("/variables/{name}", s.getVariable)
	update("PUT", "/variables/{name}", s.putVariable)
	update("POST", "/variables/{name}", s.describeVariable)
	update("DELETE", "/variables/{name}", s.deleteVariable)
	read("/secrets", s.listSecrets)
	read("/secrets/{name}", s.getSecret)
	update("PUT", "/secrets/{name}", s.createSecret)
	update("POST", "/secrets/{name}", s.describeSecret)
	update("DELETE", "/secrets/{name}", s.deleteSecret)
	read("/secrets/{name}/versions", s.listSecretVersions)
	update("POST", "/secrets/{name}/versions", s.createSecretVersion)
	read("/secrets/{name}/versions/{version}", s.getSecretVersion)
	update("POST", "/secrets/{name}/versions/{version}", s.changeSecretVersion)
	update("DELETE", "/secrets/{name}/versions/{version}", s.deleteSecretVersion)
	read("/startup", s.restartStatus)
	aic("POST", "/startup", ScopeESVRestart, opESVRestart, s.restart)
}

// reply answers 200 with v, or with the HTTP form of the esv error err.
func reply(w http.ResponseWriter, v any, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// Request bodies. Pointer fields tell a missing field from a zero one.
type (
	variableRequest struct {
		Description    *string             `json:"description"`
		ExpressionType *esv.ExpressionType `json:"expressionType"`
		ValueBase64    *base64Value        `json:"valueBase64"`
	}
	descriptionRequest struct {
		Description *string `json:"description"`
	}
	secretRequest struct {
		Description       *string       `json:"description"`
		Encoding          *esv.Encoding `json:"encoding"`
		UseInPlaceholders *bool         `json:"useInPlaceholders"`
		ValueBase64       *base64Value  `json:"valueBase64"`
	}
	secretVersionRequest struct {
		ValueBase64 *base64Value `json:"valueBase64"`
	}
	versionStatusRequest struct {
		Status *esv.VersionStatus `json:"status"`
	}
)

// page is the paged list body of the ESV list endpoints.
type page[T any] struct {
	Result                  []T     `json:"result"`
	ResultCount             int     `json:"resultCount"`
	PagedResultsCookie      *string `json:"pagedResultsCookie"`
	TotalPagedResultsPolicy string  `json:"totalPagedResultsPolicy"`
	TotalPagedResults       int     `json:"totalPagedResults"`
	RemainingPagedResults   int     `json:"remainingPagedResults"`
}

// paging reads _pageSize, _pagedResultsOffset and _pagedResultsCookie.
type paging struct {
	size, offset int    // size 0: every item
	after        string // the last name of the previous page, from the cookie
}

// parsePaging reads the paging parameters of a list call. The spec pages
// resource 2.0 only: a resource 1.0 list has every item, whatever the
// query says, so clients that never page lose nothing.
func parsePaging(r *http.Request, version string) (paging, error) {
	if version != "2.0" {
		return paging{}, nil
	}
	q := r.URL.Query()
	p := paging{size: 25}
	if v := q.Get("_pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return p, badRequest("query parameter _pageSize must be an integer from 1 to 100")
		}
		p.size = n
	}
	if v := q.Get("_pagedResultsOffset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, badRequest("query parameter _pagedResultsOffset must be an integer of at least 0")
		}
		p.offset = n
	}
	if v := q.Get("_pagedResultsCookie"); v != "" {
		if p.offset != 0 {
			return p, badRequest("use _pagedResultsCookie or _pagedResultsOffset, not both")
		}
		after, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || esv.ValidateName(string(after)) != nil {
			return p, badRequest("query parameter _pagedResultsCookie is not a cookie this server returned")
		}
		p.after = string(after)
	}
	return p, nil
}

// paginate cuts one page of items, sorted by name, whose names name gives.
func paginate[T, W any](items []T, name func(T) string, p paging, wire func(T) W) page[W] {
	start := min(p.offset, len(items))
	if p.after != "" {
		start = len(items)
		for i, it := range items {
			if name(it) > p.after {
				start = i
				break
			}
		}
	}
	end := len(items)
	if p.size > 0 {
		end = min(start+p.size, end)
	}
	out := page[W]{Result: make([]W, 0, end-start), TotalPagedResultsPolicy: "EXACT", TotalPagedResults: len(items), RemainingPagedResults: len(items) - end}
	for _, it := range items[start:end] {
		out.Result = append(out.Result, wire(it))
	}
	out.ResultCount = len(out.Result)
	if end < len(items) {
		cookie := base64.RawURLEncoding.EncodeToString([]byte(name(items[end-1])))
		out.PagedResultsCookie = &cookie
	}
	return out
}

func identity[T any](v T) T { return v }

// variableV2 is a variable as resource version 2.0 lists it: without its value.
type variableV2 struct {
	Name           string             `json:"_id"`
	Description    string             `json:"description"`
	ExpressionType esv.ExpressionType `json:"expressionType"`
	LastChangedBy  string             `json:"lastChangedBy"`
	LastChangeDate time.Time          `json:"lastChangeDate"`
	Loaded         bool               `json:"loaded"`
}

func listOptions(r *http.Request) (esv.ListOptions, error) {
	pending, err := queryBool(r, "_onlyPending")
	return esv.ListOptions{OnlyPending: pending}, err
}

func (s *Server) esvCount(w http.ResponseWriter, r *http.Request, c call) error {
	opts, err := listOptions(r)
	if err != nil {
		return err
	}
	vars, err := s.esv.Variables(r.Context(), c.env, opts)
	if err != nil {
		return err
	}
	secrets, err := s.esv.Secrets(r.Context(), c.env, opts)
	return reply(w, map[string]int{"variables": len(vars), "secrets": len(secrets)}, err)
}

func (s *Server) listVariables(w http.ResponseWriter, r *http.Request, c call) error {
	p, err := parsePaging(r, c.version)
	if err != nil {
		return err
	}
	opts, err := listOptions(r)
	if err != nil {
		return err
	}
	vars, err := s.esv.Variables(r.Context(), c.env, opts)
	if err != nil {
		return err
	}
	name := func(v esv.Variable) string { return v.Name }
	if c.version == "2.0" {
		writeJSON(w, http.StatusOK, paginate(vars, name, p, func(v esv.Variable) variableV2 {
			return variableV2{v.Name, v.Description, v.ExpressionType, v.LastChangedBy, v.LastChangeDate, v.Loaded}
		}))
		return nil
	}
	writeJSON(w, http.StatusOK, paginate(vars, name, p, identity[esv.Variable]))
	return nil
}

func (s *Server) getVariable(w http.ResponseWriter, r *http.Request, c call) error {
	v, err := s.esv.Variable(r.Context(), c.env, r.PathValue("name"))
	return reply(w, v, err)
}

func (s *Server) putVariable(w http.ResponseWriter, r *http.Request, c call) error {
	var req variableRequest
	if err := decodeBody(r, s.maxBody, &req); err != nil {
		return err
	}
	if req.ValueBase64 == nil {
		return missingField("valueBase64")
	}
	spec := esv.VariableSpec{Value: string(*req.ValueBase64)}
	if req.Description != nil {
		spec.Description = *req.Description
	}
	if req.ExpressionType != nil {
		spec.ExpressionType = *req.ExpressionType
	}
	v, err := s.esv.SetVariable(r.Context(), c.env, r.PathValue("name"), spec)
	return reply(w, v, err)
}

// describeRequest reads a setDescription action.
func (s *Server) describeRequest(r *http.Request) (string, error) {
	if err := requireAction(r, "setDescription"); err != nil {
		return "", err
	}
	var req descriptionRequest
	if err := decodeBody(r, s.maxBody, &req); err != nil {
		return "", err
	}
	if req.Description == nil {
		return "", missingField("description")
	}
	return *req.Description, nil
}

func (s *Server) describeVariable(w http.ResponseWriter, r *http.Request, c call) error {
	d, err := s.describeRequest(r)
	if err != nil {
		return err
	}
	v, err := s.esv.SetVariableDescription(r.Context(), c.env, r.PathValue("name"), d)
	return reply(w, v, err)
}

func (s *Server) deleteVariable(w http.ResponseWriter, r *http.Request, c call) error {
	name := r.PathValue("name")
	v, err := s.esv.Variable(r.Context(), c.env, name)
	if err != nil {
		return err
	}
	return reply(w, v, s.esv.DeleteVariable(r.Context(), c.env, name))
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request, c call) error {
	p, err := parsePaging(r, c.version)
	if err != nil {
		return err
	}
	opts, err := listOptions(r)
	if err != nil {
		return err
	}
	secrets, err := s.esv.Secrets(r.Context(), c.env, opts)
	return reply(w, paginate(secrets, func(s esv.Secret) string { return s.Name }, p, identity[esv.Secret]), err)
}

func (s *Server) getSecret(w http.ResponseWriter, r *http.Request, c call) error {
	sec, err := s.esv.Secret(r.Context(), c.env, r.PathValue("name"))
	return reply(w, sec, err)
}

func (s *Server) createSecret(w http.ResponseWriter, r *http.Request, c call) error {
	var req secretRequest
	if err := decodeBody(r, s.maxBody, &req); err != nil {
		return err
	}
	switch {
	case req.Encoding == nil:
		return missingField("encoding")
	case req.UseInPlaceholders == nil:
		return missingField("useInPlaceholders")
	case req.ValueBase64 == nil:
		return missingField("valueBase64")
	}
	spec := esv.SecretSpec{Encoding: *req.Encoding, UseInPlaceholders: *req.UseInPlaceholders, Value: esv.NewSecretValue(*req.ValueBase64)}
	if req.Description != nil {
		spec.Description = *req.Description
	}
	clear(*req.ValueBase64)
	sec, err := s.esv.CreateSecret(r.Context(), c.env, r.PathValue("name"), spec)
	return reply(w, sec, err)
}

func (s *Server) describeSecret(w http.ResponseWriter, r *http.Request, c call) error {
	d, err := s.describeRequest(r)
	if err != nil {
		return err
	}
	sec, err := s.esv.SetSecretDescription(r.Context(), c.env, r.PathValue("name"), d)
	return reply(w, sec, err)
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request, c call) error {
	name := r.PathValue("name")
	sec, err := s.esv.Secret(r.Context(), c.env, name)
	if err != nil {
		return err
	}
	return reply(w, sec, s.esv.DeleteSecret(r.Context(), c.env, name))
}

func (s *Server) listSecretVersions(w http.ResponseWriter, r *http.Request, c call) error {
	vs, err := s.esv.SecretVersions(r.Context(), c.env, r.PathValue("name"))
	return reply(w, append(make([]esv.SecretVersion, 0, len(vs)), vs...), err)
}

func (s *Server) createSecretVersion(w http.ResponseWriter, r *http.Request, c call) error {
	if err := requireAction(r, "create"); err != nil {
		return err
	}
	var req secretVersionRequest
	if err := decodeBody(r, s.maxBody, &req); err != nil {
		return err
	}
	if req.ValueBase64 == nil {
		return missingField("valueBase64")
	}
	value := esv.NewSecretValue(*req.ValueBase64)
	clear(*req.ValueBase64)
	v, err := s.esv.CreateSecretVersion(r.Context(), c.env, r.PathValue("name"), value)
	return reply(w, v, err)
}

// versionParam reads the {version} path parameter: "latest" or a version
// number.
func versionParam(r *http.Request) (int, error) {
	v := r.PathValue("version")
	if v == "latest" {
		return esv.Latest, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || strconv.Itoa(n) != v {
		return 0, badRequest("versionId must be \"latest\" or a version number from 1")
	}
	return n, nil
}

func (s *Server) getSecretVersion(w http.ResponseWriter, r *http.Request, c call) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	v, err := s.esv.SecretVersion(r.Context(), c.env, r.PathValue("name"), n)
	return reply(w, v, err)
}

func (s *Server) changeSecretVersion(w http.ResponseWriter, r *http.Request, c call) error {
	if err := requireAction(r, "changestatus"); err != nil {
		return err
	}
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	var req versionStatusRequest
	if err := decodeBody(r, s.maxBody, &req); err != nil {
		return err
	}
	if req.Status == nil {
		return missingField("status")
	}
	v, err := s.esv.SetSecretVersionStatus(r.Context(), c.env, r.PathValue("name"), n, *req.Status)
	return reply(w, v, err)
}

func (s *Server) deleteSecretVersion(w http.ResponseWriter, r *http.Request, c call) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	v, err := s.esv.SecretVersion(r.Context(), c.env, name, n)
	if err != nil {
		return err
	}
	return reply(w, v, s.esv.DeleteSecretVersion(r.Context(), c.env, name, v.Version))
}

type restartBody struct {
	RestartStatus esv.RestartStatus `json:"restartStatus"`
}

func (s *Server) restartStatus(w http.ResponseWriter, r *http.Request, c call) error {
	st, err := s.esv.RestartStatus(r.Context(), c.env)
	return reply(w, restartBody{st}, err)
}

// restart starts a restart. The spec answers it with 200 and the restart
// status; the restart itself runs on after the answer (esv.Options.RestartDelay)
// and GET /startup reports when it is ready.
func (s *Server) restart(w http.ResponseWriter, r *http.Request, c call) error {
	if err := requireAction(r, "restart"); err != nil {
		return err
	}
	st, err := s.esv.Restart(r.Context(), c.env)
	return reply(w, restartBody{st}, err)
}
