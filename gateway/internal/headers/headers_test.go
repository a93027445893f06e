package headers_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"reos.dev/gateway/internal/headers"
)

func TestNewCORSValidatesOrigins(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"*", "app.reos.test", "https://app.reos.test/path", "https://u:p@app.reos.test", "ftp://x", "https://x?y=1"} {
		if _, err := headers.NewCORS([]string{bad}); err == nil {
			t.Errorf("NewCORS(%q) accepted", bad)
		}
	}
	c, err := headers.NewCORS([]string{"https://App.Reos.Test", "http://localhost:3000/"})
	if err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string]bool{
		"https://app.reos.test": true, "http://localhost:3000": true,
		"http://app.reos.test": false, "https://app.reos.test:443": false, "": false, "null": false,
	} {
		if got := c.Allowed(origin); got != want {
			t.Errorf("Allowed(%q) = %t, want %t", origin, got, want)
		}
	}
}

func TestSecurityMiddlewareSharesNoMutableState(t *testing.T) {
	t.Parallel()
	s := headers.NewSecurity()
	h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A handler appending to a security header must not change the
		// value every later response gets.
		w.Header().Add("X-Frame-Options", "SAMEORIGIN")
	}))
	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/leads", nil))
		if got := w.Header().Values("X-Frame-Options"); len(got) != 2 || got[0] != "DENY" {
			t.Fatalf("X-Frame-Options = %q", got)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/docs/", nil))
	if w.Header().Get("Content-Security-Policy") != headers.CSPDocs {
		t.Errorf("docs CSP = %q", w.Header().Get("Content-Security-Policy"))
	}
}

func TestStripUpstream(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	for _, k := range []string{"Content-Security-Policy", "X-Frame-Options", "Access-Control-Allow-Origin", "Strict-Transport-Security", "Content-Type"} {
		h.Set(k, "x")
	}
	headers.StripUpstream(h)
	if len(h) != 1 || h.Get("Content-Type") != "x" {
		t.Errorf("after StripUpstream: %v", h)
	}
}

// TestUnsubscribePageMayPostItsForm: the unsubscribe page alone may submit
// a form, and only to this origin; every other answer keeps form-action
// 'none', a path under the unsubscribe path included.
func TestUnsubscribePageMayPostItsForm(t *testing.T) {
	t.Parallel()
	h := headers.NewSecurity().Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for path, want := range map[string]string{
		"/api/v1/compliance/unsubscribe":   headers.CSPForm,
		"/api/v1/compliance/unsubscribe/x": headers.CSPAPI,
		"/api/v1/compliance/dnc-list":      headers.CSPAPI,
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if got := w.Header().Get("Content-Security-Policy"); got != want {
			t.Errorf("%s: CSP = %q, want %q", path, got, want)
		}
	}
	if !strings.Contains(headers.CSPForm, "form-action 'self'") || strings.Contains(headers.CSPAPI, "form-action 'self'") {
		t.Errorf("form-action: page %q, API %q", headers.CSPForm, headers.CSPAPI)
	}
}
