package tests

import (
	"net/http"
	"strings"
	"testing"
)

// closedPortURL is an upstream nothing listens on. Port 1 is privileged
// and outside the ephemeral range, so no test's server can take it (a port
// freed by closing a listener could be handed to a parallel test's
// httptest server, and the "dead" upstream would then answer 200).
func closedPortURL(t *testing.T) string {
	t.Helper()
	return "http://127.0.0.1:1"
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{
		env:            map[string]string{"RATE_LIMIT_USER": "1/60s"},
		extraUpstreams: "portfolio=" + closedPortURL(t),
	})
	// The upstream tries to weaken the policy; the gateway's values win.
	h.ups["crm"].set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src *")
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write([]byte(`{}`))
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000d1")
	other := h.token("0190a0f0-0000-7000-8000-0000000000d2")
	third := h.token("0190a0f0-0000-7000-8000-0000000000d3")

	responses := map[string]response{
		"200 proxied": h.do("GET", "/api/v1/leads", "", bearer(tok)),
		"404":         h.do("GET", "/nope", ""),
		"401":         h.do("GET", "/api/v1/leads", ""),
		"429":         h.do("GET", "/api/v1/leads", "", bearer(tok)),
		"502":         h.do("GET", "/api/v1/portfolio", "", bearer(other)),
		"503":         h.do("GET", "/api/v1/campaigns", "", bearer(third)),
		"200 healthz": h.do("GET", "/healthz", ""),
		"200 openapi": h.do("GET", "/api/v1/openapi.json", ""),
		"204 preflight": h.do("OPTIONS", "/api/v1/leads", "", header("Origin", "https://app.reos.test"),
			header("Access-Control-Request-Method", "POST")),
	}
	wantStatus := map[string]int{"200 proxied": 200, "404": 404, "401": 401, "429": 429, "502": 502, "503": 503,
		"200 healthz": 200, "200 openapi": 200, "204 preflight": 204}
	want := map[string]string{
		"Content-Security-Policy":    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
		"Strict-Transport-Security":  "max-age=63072000; includeSubDomains",
		"X-Frame-Options":            "DENY",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	for name, r := range responses {
		t.Run(name, func(t *testing.T) {
			if r.StatusCode != wantStatus[name] {
				t.Fatalf("status %d, want %d (%s)", r.StatusCode, wantStatus[name], r.body)
			}
			for k, v := range want {
				if got := r.Header.Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("%s = %q, want exactly %q", k, got, v)
				}
			}
			pp := r.Header.Get("Permissions-Policy")
			for _, f := range []string{"camera=()", "microphone=()", "geolocation=()"} {
				if !strings.Contains(pp, f) {
					t.Errorf("Permissions-Policy %q lacks %s", pp, f)
				}
			}
			if r.StatusCode >= 400 && r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("error response Cache-Control = %q, want no-store", r.Header.Get("Cache-Control"))
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got == "*" {
				t.Error("an upstream's CORS header leaked through")
			}
		})
	}

	docs := h.do("GET", "/api/v1/docs/", "")
	expectStatus(t, docs, http.StatusOK)
	csp := docs.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || docs.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("docs CSP = %q", csp)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000d4")
	const allowed = "https://app.reos.test"

	r := h.do("GET", "/api/v1/leads", "", bearer(tok), header("Origin", allowed))
	expectStatus(t, r, http.StatusOK)
	if r.Header.Get("Access-Control-Allow-Origin") != allowed {
		t.Errorf("allowed origin: ACAO = %q", r.Header.Get("Access-Control-Allow-Origin"))
	}
	expose := r.Header.Get("Access-Control-Expose-Headers")
	for _, hd := range []string{"RateLimit", "RateLimit-Policy", "Retry-After", "Idempotent-Replayed", "X-Request-ID"} {
		if !strings.Contains(expose, hd) {
			t.Errorf("Expose-Headers %q lacks %s", expose, hd)
		}
	}
	if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("Vary = %q", r.Header.Values("Vary"))
	}

	r = h.do("GET", "/api/v1/leads", "", bearer(tok), header("Origin", "https://evil.test"))
	expectStatus(t, r, http.StatusOK)
	for k := range r.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("disallowed origin got %s", k)
		}
	}

	hits := h.ups["crm"].hits.Load()
	r = h.do("OPTIONS", "/api/v1/leads", "", header("Origin", allowed),
		header("Access-Control-Request-Method", "POST"),
		header("Access-Control-Request-Headers", "authorization, idempotency-key, content-type"))
	expectStatus(t, r, http.StatusNoContent)
	if r.Header.Get("Access-Control-Allow-Origin") != allowed {
		t.Errorf("preflight ACAO = %q", r.Header.Get("Access-Control-Allow-Origin"))
	}
	methods, hdrs := r.Header.Get("Access-Control-Allow-Methods"), r.Header.Get("Access-Control-Allow-Headers")
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if !strings.Contains(methods, m) {
			t.Errorf("Allow-Methods %q lacks %s", methods, m)
		}
	}
	for _, hd := range []string{"Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID", "Last-Event-ID"} {
		if !strings.Contains(hdrs, hd) {
			t.Errorf("Allow-Headers %q lacks %s", hdrs, hd)
		}
	}

	r = h.do("OPTIONS", "/api/v1/leads", "", header("Origin", "https://evil.test"), header("Access-Control-Request-Method", "POST"))
	if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("disallowed preflight got CORS headers: %v", r.Header)
	}
	if h.ups["crm"].hits.Load() != hits {
		t.Error("a preflight reached the upstream")
	}
}
