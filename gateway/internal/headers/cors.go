package headers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CORS settings that are not configurable: what a browser client of this
// API needs to send and to read.
const (
	corsAllowMethods  = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, Idempotency-Key, X-Request-ID, Last-Event-ID, Accept, Accept-Language"
	corsExposeHeaders = "RateLimit, RateLimit-Policy, Retry-After, Idempotent-Replayed, X-Request-ID, Location, ETag"
	corsMaxAge        = "600"
)

const (
	hACAO = "Access-Control-Allow-Origin"
	hACAM = "Access-Control-Allow-Methods"
	hACAH = "Access-Control-Allow-Headers"
	hACEH = "Access-Control-Expose-Headers"
	hACMA = "Access-Control-Max-Age"
	hACAC = "Access-Control-Allow-Credentials"
	hVary = "Vary"
)

var corsHeaderNames = [...]string{hACAO, hACAM, hACAH, hACEH, hACMA, hACAC}

// CORS answers preflights and marks responses readable by allowed origins.
//
// Origins are compared exactly (scheme, host and port) against
// CORS_ALLOWED_ORIGINS; there is no wildcard. Credentials (cookies) are not
// allowed: the API authenticates with the Authorization header, which a
// cross-origin script must set explicitly. A disallowed origin gets no CORS
// header at all, so the browser refuses the response.
type CORS struct {
	origins    map[string]bool
	varyOrigin []string
}

// NewCORS validates the allowed origins ("https://app.example.com").
func NewCORS(origins []string) (*CORS, error) {
	c := &CORS{origins: map[string]bool{}, varyOrigin: []string{"Origin"}}
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("headers: CORS origin %q must be scheme://host[:port]", o)
		}
		c.origins[u.Scheme+"://"+strings.ToLower(u.Host)] = true
	}
	return c, nil
}

// Allowed reports whether origin may read responses.
func (c *CORS) Allowed(origin string) bool { return origin != "" && c.origins[origin] }

// Middleware answers preflight requests (OPTIONS with an Origin and
// Access-Control-Request-Method) with 204 and never passes them on; other
// requests get Access-Control-Allow-Origin when their origin is allowed.
// Vary: Origin is always set because the response depends on it.
func (c *CORS) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if v, ok := h[hVary]; ok {
			h[hVary] = append(v, "Origin")
		} else {
			h[hVary] = c.varyOrigin[:1:1] // shared, read-only: any Add copies it
		}
		origin := r.Header.Get("Origin")
		allowed := c.Allowed(origin)
		if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			if allowed {
				h.Set(hACAO, origin)
				h.Set(hACAM, corsAllowMethods)
				h.Set(hACAH, corsAllowHeaders)
				h.Set(hACMA, corsMaxAge)
			}
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			h.Set(hACAO, origin)
			h.Set(hACEH, corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}
