package httpapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/environment"
)

// call is what an AIC endpoint handler needs to know about its request.
type call struct {
	env       string
	principal Principal
	version   string // the resource version being served, e.g. "1.0"
}

type aicHandler func(w http.ResponseWriter, r *http.Request, c call) error

// family is a group of AIC endpoints sharing a versioning rule.
type family struct {
	versions []string // accepted resource versions; the first is the default
	required bool     // whether Accept-API-Version must be sent
}

var (
	// The promotion endpoints require "Accept-API-Version: protocol=1.0,resource=1.0".
	promotionAPI = family{versions: []string{"1.0"}, required: true}
	// The ESV endpoints serve resource 1.0 by default and 2.0 on request.
	esvAPI = family{versions: []string{"1.0", "2.0"}}
)

// version returns the resource version an Accept-API-Version header asks
// for, e.g. "protocol=1.0,resource=2.0".
func (f family) version(header string) (string, error) {
	if header == "" {
		if f.required {
			return "", badRequest("the Accept-API-Version header is required: send %q", "protocol=1.0,resource="+f.versions[0])
		}
		return f.versions[0], nil
	}
	resource := ""
	for part := range strings.SplitSeq(header, ",") {
		key, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch key {
		case "protocol":
			if !slices.Contains([]string{"1.0", "2.0", "2.1"}, normalizeVersion(val)) {
				return "", badRequest("Accept-API-Version: unsupported protocol version (supported: 1.0, 2.0, 2.1)")
			}
		case "resource":
			resource = normalizeVersion(val)
		default:
			return "", badRequest("Accept-API-Version: unknown key %q (allowed: protocol, resource)", key)
		}
	}
	if !slices.Contains(f.versions, resource) {
		return "", badRequest("Accept-API-Version: resource version must be one of %s", strings.Join(f.versions, ", "))
	}
	return resource, nil
}

// normalizeVersion writes "1" as "1.0", as CREST treats them alike.
func normalizeVersion(v string) string {
	if v != "" && !strings.Contains(v, ".") {
		return v + ".0"
	}
	return v
}

// aic wraps an AIC endpoint handler: it authenticates the caller (401),
// requires scope (403), finds the environment (404), requires a role that
// allows op on every environment the call touches (403; with lower, the
// pair's lower environment too), checks the API version, and renders
// errors as AIC does.
func (s *Server) aic(fam family, scope string, op operation, lower bool, h aicHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-API-Version", "resource="+fam.versions[0])
		err := func() error {
			p, err := s.authenticate(r)
			if err != nil {
				return err
			}
			if !p.HasScope(scope) {
				return insufficientScope(scope)
			}
			seg := s.environmentSegment(r)
			env, ok := s.routing(r.Context()).envs[seg]
			switch {
			case !ok && r.PathValue("env") == "":
				return notFound("host %s serves no environment at its root", r.Host)
			case !ok:
				return notFound("no environment is served at /%s", seg)
			}
			targets := []string{env}
			if l, ok := s.routing(r.Context()).lowers[env]; ok && lower {
				targets = append(targets, l)
			}
			for _, t := range targets {
				org, err := s.organization(r.Context(), t)
				if err != nil {
					return err
				}
				if err := authorize(p.Principal, op, target{org: org, id: t}); err != nil {
					return err
				}
			}
			version, err := fam.version(r.Header.Get("Accept-API-Version"))
			if err != nil {
				return err
			}
			w.Header().Set("Content-API-Version", "resource="+version)
			return h(w, r.WithContext(actor.With(r.Context(), p.ID)), call{env: env, principal: p, version: version})
		}()
		if err != nil {
			s.fail(w, r, aicDialect, err)
		}
	})
}

// organization returns the organization of environment env: its
// promotion group's, or else the Registry's record of it. Without either
// it is unknown (""), and only ENVIRONMENT-scoped roles cover env.
func (s *Server) organization(ctx context.Context, env string) (string, error) {
	if org, ok := s.routing(ctx).orgs[env]; ok || s.registry == nil {
		return org, nil
	}
	e, err := s.registry.Lookup(ctx, env)
	switch {
	case errors.Is(err, environment.ErrNotFound), errors.Is(err, environment.ErrInvalid):
		return "", nil
	case err != nil:
		return "", err
	}
	return e.Organization.ID, nil
}

// queryBool reads an optional boolean query parameter; present without a
// value it is true, as the spec's allowEmptyValue flags are.
func queryBool(r *http.Request, name string) (bool, error) {
	q := r.URL.Query()
	if !q.Has(name) {
		return false, nil
	}
	switch q.Get(name) {
	case "", "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badRequest("query parameter %s must be true or false", name)
}

// requireAction checks the _action query parameter of a POST.
func requireAction(r *http.Request, want string) error {
	if got := r.URL.Query().Get("_action"); got != want {
		return badRequest("query parameter _action must be %q, not %q", want, got)
	}
	return nil
}
