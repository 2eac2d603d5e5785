package httpapi

import (
	"net"
	"net/http"
	"strings"
)

// HostResolver maps a request's host name (lower-case, without its port)
// to the path segment of Config.Environments served at the root of that
// host; ok is false for a host that serves no environment there.
// Implementations must be safe for concurrent use.
type HostResolver func(host string) (segment string, ok bool)

// SubdomainHosts serves each environment at "<segment>.<domain>":
// SubdomainHosts("localhost") serves staging at staging.localhost, and
// SubdomainHosts("tenant.example.com") at staging.tenant.example.com.
func SubdomainHosts(domain string) HostResolver {
	suffix := "." + strings.ToLower(strings.Trim(domain, "."))
	return func(host string) (string, bool) {
		seg, ok := strings.CutSuffix(host, suffix)
		return seg, ok && seg != "" && !strings.Contains(seg, ".")
	}
}

// environmentSegment returns the path segment naming the environment r
// is for: its {env} path value, or else what Config.Hosts makes of its
// host.
func (s *Server) environmentSegment(r *http.Request) string {
	if seg := r.PathValue("env"); seg != "" || s.hosts == nil {
		return seg
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	seg, _ := s.hosts(strings.ToLower(host))
	return seg
}

// handleAIC mounts h at path (which starts with "/environment") under
// every environment's path prefix and, with Config.Hosts, at the root of
// every host.
func (s *Server) handleAIC(method, path string, h http.Handler) {
	s.mux.Handle(method+" /{env}"+path, h)
	if s.hosts != nil {
		s.mux.Handle(method+" "+path, h)
	}
}
