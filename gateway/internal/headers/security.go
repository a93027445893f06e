// Package headers sets the security and CORS headers of every gateway
// response.
package headers

import (
	"net/http"
	"strings"
)

// Content security policies. API responses are data, never documents, so
// they may load nothing and be framed by nobody. The Swagger UI page needs
// its own scripts, styles and inline SVG images (data: URIs in the CSS),
// still nothing from elsewhere; it has no inline script (see package docs).
//
// The unsubscribe link's page (outreach's GET /compliance/unsubscribe) is
// a document with one form that posts back to the same path: it may submit
// forms to this origin and nothing else.
const (
	CSPAPI  = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	CSPForm = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
	CSPDocs = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

// DocsPrefix is the path under which the relaxed policy applies.
const DocsPrefix = "/api/v1/docs"

// UnsubscribePath is the one path whose page may post its form (CSPForm).
const UnsubscribePath = "/api/v1/compliance/unsubscribe"

// Canonical header names, for map writes that skip canonicalisation.
const (
	hCSP     = "Content-Security-Policy"
	hHSTS    = "Strict-Transport-Security"
	hXFO     = "X-Frame-Options"
	hXCTO    = "X-Content-Type-Options"
	hRefPol  = "Referrer-Policy"
	hPermPol = "Permissions-Policy"
	hCOOP    = "Cross-Origin-Opener-Policy"
	hCORP    = "Cross-Origin-Resource-Policy"
)

// securityHeaderNames are the headers this package owns; upstream values
// for them are discarded (see StripUpstream).
var securityHeaderNames = [...]string{hCSP, hHSTS, hXFO, hXCTO, hRefPol, hPermPol, hCOOP, hCORP}

// Security sets the security headers. The values are built once and shared
// read-only between responses, so setting them costs no allocation.
type Security struct {
	api, docs, form map[string][]string
}

// NewSecurity builds the header sets.
func NewSecurity() *Security {
	common := map[string]string{
		hHSTS:    "max-age=63072000; includeSubDomains",
		hXFO:     "DENY",
		hXCTO:    "nosniff",
		hRefPol:  "no-referrer",
		hPermPol: "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
		hCOOP:    "same-origin",
		hCORP:    "same-origin",
	}
	build := func(csp string) map[string][]string {
		m := map[string][]string{hCSP: {csp}}
		for k, v := range common {
			m[k] = []string{v}
		}
		return m
	}
	return &Security{api: build(CSPAPI), docs: build(CSPDocs), form: build(CSPForm)}
}

// Middleware sets the headers before the handler runs, so they are on every
// response, errors included; the proxy removes upstream copies so these win.
func (s *Security) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set := s.api
		switch {
		case strings.HasPrefix(r.URL.Path, DocsPrefix):
			set = s.docs
		case r.URL.Path == UnsubscribePath:
			set = s.form
		}
		h := w.Header()
		for k, v := range set {
			// Capacity equals length, so a later Add copies rather than
			// writing into the shared slice.
			h[k] = v[:len(v):len(v)]
		}
		next.ServeHTTP(w, r)
	})
}

// StripUpstream deletes from an upstream response the headers the gateway
// owns (security and CORS), so the gateway's values are the only ones sent.
func StripUpstream(h http.Header) {
	for _, k := range securityHeaderNames {
		delete(h, k)
	}
	for _, k := range corsHeaderNames {
		delete(h, k)
	}
}
