// Package routes is a service's route table: routes are data. A service
// declares its routes once, as a []Route; the router (Mount), the
// permission check and the generated isolation and permission tests
// (testkit.RouteTests) all come from that table, so a route cannot exist
// without its checks and its tests.
package routes

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"reos.dev/pkg/auth"
)

// Route is one row of a service's route table.
//
// The order of checks is the same in every service: authentication, then
// the route's permission, then the lookup of the row. A caller without the
// permission gets 403 whatever id it names — the answer is the same for a
// row of its own org, another org's row and no row at all, so it tells
// nothing about existence — and a caller with it gets 404 for another
// org's row (RLS hides it) exactly as for an id that names nothing.
// Checking the permission first costs no database round trip, and keeps
// the table the one place that says who may call what; the app checks
// again (defence in depth).
type Route struct {
	// Method and Path (the full public path, gorilla/mux variables allowed,
	// e.g. /api/v1/leads/{id}).
	Method, Path string
	// Perm is the permission the route requires, checked before the
	// handler. Empty only for Public and SelfService routes.
	Perm string
	// Public routes take no token (signed links, unsubscribe, login).
	Public bool
	// SelfService, when set, says why an authenticated route needs no
	// permission of its own (its handler decides: your own profile, your
	// own password). It is the documented exception, never a default.
	SelfService string
	// ReadOnly marks a route that changes nothing although its method is
	// not GET: a search that takes its query as a POST body. It is not a
	// write, so the generated viewer test leaves it to its read
	// permission.
	ReadOnly bool
	// Owned maps the path variables that hold ids of org-owned rows to the
	// kind of row each names ("id" → "lead"). The generated tests send
	// another org's row and an unknown id in each of them and expect 404.
	Owned map[string]string
	// Handler serves the route (authentication and permission are added
	// by Mount).
	Handler http.Handler
}

// Write reports whether the route changes state: any method but GET, HEAD
// and OPTIONS, unless the row says it is ReadOnly.
func (rt Route) Write() bool {
	if rt.ReadOnly {
		return false
	}
	switch rt.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// Key is "METHOD path", as tests and the OpenAPI check name a route.
func (rt Route) Key() string { return rt.Method + " " + rt.Path }

var pathVar = regexp.MustCompile(`\{([^{}:]+)(?::[^{}]*)?\}`)

// Vars returns the names of the path's variables, in order.
func (rt Route) Vars() []string {
	var out []string
	for _, m := range pathVar.FindAllStringSubmatch(rt.Path, -1) {
		out = append(out, m[1])
	}
	return out
}

// validate reports what is wrong with a row: a missing method, path or
// handler, a route with no permission that says neither Public nor
// SelfService, an owned variable the path does not have.
func (rt Route) validate() error {
	var errs []error
	if rt.Method == "" || rt.Path == "" || !strings.HasPrefix(rt.Path, "/") {
		errs = append(errs, errors.New("method and an absolute path are required"))
	}
	if rt.Handler == nil {
		errs = append(errs, errors.New("nil handler"))
	}
	switch {
	case rt.Public && (rt.Perm != "" || rt.SelfService != ""):
		errs = append(errs, errors.New("a public route takes no permission"))
	case rt.Perm != "" && rt.SelfService != "":
		errs = append(errs, errors.New("a route with a permission is not self-service"))
	case !rt.Public && rt.Perm == "" && rt.SelfService == "":
		errs = append(errs, errors.New("no permission: set Perm, or Public, or SelfService with the reason"))
	}
	vars := rt.Vars()
	for v, kind := range rt.Owned {
		if !slices.Contains(vars, v) {
			errs = append(errs, fmt.Errorf("owned variable %q is not in the path", v))
		}
		if kind == "" {
			errs = append(errs, fmt.Errorf("owned variable %q names no kind of row", v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("route %s: %w", rt.Key(), err)
	}
	return nil
}

// Mount puts every row of routes on r, each behind authn (unless
// public) and auth.Require of its permission, in the table's order (so a
// literal path listed before a variable one, /leads/imports before
// /leads/{id}, wins). Every route sits on the root router with its full
// path: gorilla/mux subrouters turn a wrong method into a 404 instead of a
// 405. It returns an error naming every bad row, and a duplicate.
func Mount(r *mux.Router, authn func(http.Handler) http.Handler, routes []Route) error {
	if r == nil || authn == nil {
		return errors.New("routes: Mount needs a router and an authentication middleware")
	}
	var errs []error
	seen := map[string]bool{}
	for _, rt := range routes {
		if err := rt.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[rt.Key()] {
			errs = append(errs, fmt.Errorf("route %s: listed twice", rt.Key()))
			continue
		}
		seen[rt.Key()] = true
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, rt := range routes {
		h := rt.Handler
		if rt.Perm != "" {
			h = auth.Require(rt.Perm)(h)
		}
		if !rt.Public {
			h = authn(h)
		}
		r.Handle(rt.Path, h).Methods(rt.Method)
	}
	return nil
}

// OperationalPaths are the paths every service serves beside its table
// (service.MountOperational): health, readiness, metrics and its OpenAPI
// document. Route and OpenAPI conformance checks leave them out.
func OperationalPaths() []string { return []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} }
