package httpx

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"
)

// MethodNotAllowedFor is router's MethodNotAllowedHandler: the 405 problem
// of MethodNotAllowedHandler with an Allow header listing the methods router
// serves on the request's path (RFC 9110 requires it on a 405).
func MethodNotAllowedFor(router *mux.Router) http.Handler {
	problem := MethodNotAllowedHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := AllowedMethods(router, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
		}
		problem.ServeHTTP(w, r)
	})
}

// AllowedMethods lists, sorted, the methods of router's routes that match
// r's path (and any other matcher of theirs) when asked with that method.
// It walks every route, so it is for the rare 405, not the hot path.
func AllowedMethods(router *mux.Router, r *http.Request) []string {
	var allow []string
	_ = router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		methods, err := route.GetMethods()
		if err != nil {
			return nil // no method matcher: a prefix or subrouter, not an endpoint
		}
		for _, m := range methods {
			if slices.Contains(allow, m) {
				continue
			}
			probe := r.Clone(r.Context())
			probe.Method = m
			var match mux.RouteMatch
			if route.Match(probe, &match) {
				allow = append(allow, m)
			}
		}
		return nil
	})
	slices.Sort(allow)
	return allow
}
