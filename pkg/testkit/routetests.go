package testkit

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/routes"
)

// RouteFixture is what the generated route tests need of a service: its
// route table, a client over its real wiring, callers of two orgs, a row
// of every kind the table names, and a body for every write on such a row.
type RouteFixture struct {
	// Router is the service's router (to check nothing is mounted outside
	// the table); Client serves it.
	Router http.Handler
	Client *Client
	Routes []routes.Route
	// OwnerToken is a full admin of the org that owns the rows of IDs;
	// IntruderToken a full admin of another org.
	OwnerToken, IntruderToken string
	// ViewerToken is a caller of the owner's org holding ViewerPerms, the
	// service's read-only role: every write must be refused to it.
	ViewerToken string
	ViewerPerms []string
	// IDs holds, for every kind of row the table's Owned names, the id of
	// such a row of the owner's org.
	IDs map[string]string
	// Bodies holds, by route key ("PUT /api/v1/leads/{id}"), a body that
	// would succeed for the owner, for every write route with an owned id
	// (a nil value sends none: a multipart route that looks its row up
	// before reading the body). Without one the route's test fails: the
	// 404 must not be a 422 in disguise.
	Bodies map[string]any
	// OwnerWritesSucceed adds a last check that gives the 404s their
	// meaning: every write on an owned row, sent by the owner with its
	// body, succeeds (2xx) — the other writes in table order, then the
	// deletes in reverse (a member before its team, a team before its
	// user). Bodies that are nil (multipart routes) are sent without one
	// and listed in OwnerWritesSkip when they cannot succeed so.
	OwnerWritesSucceed bool
	OwnerWritesSkip    []string
	// Unmounted lists the router's paths that are deliberately not in the
	// table beyond the operational ones (none, normally).
	Unmounted []string
}

// RouteTests runs, for every row of the route table, the tests no route
// may go without:
//
//   - unauthenticated: a route that is not public answers 401 without a
//     token;
//   - viewer: every write is 403 for the read-only caller (permission is
//     checked before the row is looked up: routes.Route), and its
//     permission is not one the viewer holds;
//   - cross-org: a full admin of another org naming the owner's rows in
//     the owned path variables gets 404 on every method;
//   - unknown id: the owner naming no row (a fresh UUID) in any one owned
//     variable gets 404.
//
// It also checks that the router serves exactly the table (plus the
// operational endpoints), so a route mounted by hand cannot escape these
// tests. Every answer checked must be problem+json.
func RouteTests(t *testing.T, f RouteFixture) {
	t.Helper()
	checkTableIsTheRouter(t, f)
	for _, rt := range f.Routes {
		t.Run(rt.Key(), func(t *testing.T) {
			for _, problem := range checkRoute(f, rt) {
				t.Error(problem)
			}
		})
	}
	if f.OwnerWritesSucceed {
		t.Run("the owner's writes succeed", func(t *testing.T) {
			for _, problem := range checkOwnerWrites(f) {
				t.Error(problem)
			}
		})
	}
}

// checkOwnerWrites sends every write on an owned row as the owner with its
// fixture body (deletes last, in reverse) and returns those that failed.
func checkOwnerWrites(f RouteFixture) []string {
	var writes, deletes []routes.Route
	for _, rt := range f.Routes {
		switch {
		case len(rt.Owned) == 0 || !rt.Write() || slices.Contains(f.OwnerWritesSkip, rt.Key()):
		case rt.Method == http.MethodDelete:
			deletes = append([]routes.Route{rt}, deletes...)
		default:
			writes = append(writes, rt)
		}
	}
	var failures []string
	for _, rt := range append(writes, deletes...) {
		if r := f.Client.Do(rt.Method, fill(rt, f.IDs, ""), f.OwnerToken, f.Bodies[rt.Key()]); r.Status < 200 || r.Status > 299 {
			failures = append(failures, fmt.Sprintf("%s as the owner: %s; the fixture's body must succeed, or the 404s prove nothing", rt.Key(), r))
		}
	}
	return failures
}

// checkRoute runs the generated tests of one row and returns what failed.
func checkRoute(f RouteFixture, rt routes.Route) []string {
	var failures []string
	fail := func(format string, args ...any) { failures = append(failures, fmt.Sprintf(format, args...)) }
	expect := func(r Response, status int, what string) {
		if msg := problemMismatch(r, status); msg != "" {
			fail("%s: %s", what, msg)
		}
	}
	if !rt.Public {
		expect(f.Client.Do(rt.Method, fill(rt, nil, ""), "", bodyFor(f, rt)), http.StatusUnauthorized, "without a token")
	}
	if rt.Write() && !rt.Public && rt.SelfService == "" {
		if (auth.Principal{Perms: f.ViewerPerms}).Can(rt.Perm) {
			fail("the write is gated by %q, which the read-only caller holds", rt.Perm)
		}
		expect(f.Client.Do(rt.Method, fill(rt, nil, ""), f.ViewerToken, bodyFor(f, rt)), http.StatusForbidden, "as a viewer")
	}
	if len(rt.Owned) == 0 {
		return failures
	}
	if _, ok := f.Bodies[rt.Key()]; rt.Write() && !ok {
		fail("no body for %s in RouteFixture.Bodies: the cross-org and unknown-id tests need one that would succeed", rt.Key())
		return failures
	}
	for v, kind := range rt.Owned {
		if f.IDs[kind] == "" {
			fail("no %s in RouteFixture.IDs for variable {%s}", kind, v)
			return failures
		}
	}
	expect(f.Client.Do(rt.Method, fill(rt, f.IDs, ""), f.IntruderToken, bodyFor(f, rt)), http.StatusNotFound, "from another org")
	vars := slices.Sorted(maps.Keys(rt.Owned))
	for _, v := range vars {
		expect(f.Client.Do(rt.Method, fill(rt, f.IDs, v), f.OwnerToken, bodyFor(f, rt)), http.StatusNotFound, "with an unknown {"+v+"}")
	}
	return failures
}

// checkTableIsTheRouter fails for a route the router serves that the table
// does not list, and the other way round.
func checkTableIsTheRouter(t testing.TB, f RouteFixture) {
	t.Helper()
	table := map[string]bool{}
	for _, rt := range f.Routes {
		table[rt.Method+" "+muxPattern.ReplaceAllString(rt.Path, "{$1}")] = true
	}
	skip := append(routes.OperationalPaths(), f.Unmounted...)
	sameRoutes(t, f.Router, table, skip,
		"%s is served but not in the route table, so no generated test covers it",
		"%s is in the route table but not served")
}

var routeVar = regexp.MustCompile(`\{([^{}:]+)(?::[^{}]*)?\}`)

// fill makes a concrete path of rt: owned variables get their kind's id
// from ids (a fresh UUID when ids is nil or for the variable unknown),
// other variables a fresh UUID too.
func fill(rt routes.Route, ids map[string]string, unknown string) string {
	return routeVar.ReplaceAllStringFunc(rt.Path, func(m string) string {
		v := routeVar.FindStringSubmatch(m)[1]
		if kind, ok := rt.Owned[v]; ok && v != unknown && ids[kind] != "" {
			return ids[kind]
		}
		return uuid.NewString()
	})
}

func bodyFor(f RouteFixture, rt routes.Route) any {
	if !rt.Write() {
		return nil
	}
	if b, ok := f.Bodies[rt.Key()]; ok {
		return b
	}
	return map[string]any{}
}

// problemMismatch says how r differs from a problem+json answer with
// status ("" when it does not).
func problemMismatch(r Response, status int) string {
	if r.Status != status {
		return fmt.Sprintf("got %s, want %d", r, status)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		return fmt.Sprintf("%d with Content-Type %q, want problem+json", status, ct)
	}
	var p struct {
		Status int `json:"status"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil || p.Status != status {
		return fmt.Sprintf("problem body %s does not say status %d", r.Body, status)
	}
	return ""
}
