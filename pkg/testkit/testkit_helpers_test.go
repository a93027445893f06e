package testkit_test

import (
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
)

func TestClientTokensAndClock(t *testing.T) {
	t.Parallel()
	tokens := testkit.NewTokens(t)
	verifier := tokens.Verifier()
	r := mux.NewRouter()
	r.Handle("/me", auth.Middleware(verifier, logging.Discard())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.PrincipalFrom(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"user":"` + p.UserID + `","org":"` + p.OrgID + `"}`))
	}))).Methods(http.MethodGet)
	c := testkit.NewClient(t, r)

	testkit.Expect(t, c.Do(http.MethodGet, "/me", "", nil), http.StatusUnauthorized, "no token")
	res := c.Do(http.MethodGet, "/me", tokens.Access(t, "u1", "00000000-0000-7000-8000-000000000001", "leads:read"), nil)
	testkit.Expect(t, res, http.StatusOK, "minted token")
	got := testkit.Decode[struct{ User, Org string }](t, res)
	if got.User != "u1" || got.Org != "00000000-0000-7000-8000-000000000001" {
		t.Fatalf("principal = %+v", got)
	}

	clock := testkit.NewClock()
	start := clock.Now()
	clock.Advance(90 * time.Second)
	if clock.Now().Sub(start) != 90*time.Second {
		t.Fatal("clock did not advance")
	}
}

func TestCheckOpenAPIMatchesDocumentAndRoutes(t *testing.T) {
	t.Parallel()
	r := mux.NewRouter()
	r.Handle("/api/v1/things", http.NotFoundHandler()).Methods(http.MethodGet)
	r.Handle("/healthz", http.NotFoundHandler()).Methods(http.MethodGet)
	doc := []byte(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/api/v1/things":{"get":{
		"operationId":"listThings","tags":["things"],"description":"Lists things.","responses":{"200":{"description":"ok"}}}}}}`)
	if n := testkit.CheckOpenAPI(t, doc, r, "/healthz"); n != 1 { // the document's one operation, GET /api/v1/things
		t.Fatalf("documented = %d", n)
	}
	want := []testkit.Route{{Method: http.MethodGet, Path: "/api/v1/things"}, {Method: http.MethodGet, Path: "/healthz"}}
	if routes := testkit.Routes(t, r); !sameRouteSet(routes, want) {
		t.Fatalf("routes = %+v, want the router's %+v", routes, want)
	}

	// A variable with a pattern is listed (and checked) as OpenAPI writes it.
	r.Handle("/api/v1/files/{key:.+}", http.NotFoundHandler()).Methods(http.MethodGet)
	if routes := testkit.Routes(t, r); !slices.Contains(routes, testkit.Route{Method: http.MethodGet, Path: "/api/v1/files/{key}"}) {
		t.Fatalf("routes = %+v", routes)
	}
}

// sameRouteSet reports whether got and want hold the same routes, in any order.
func sameRouteSet(got, want []testkit.Route) bool {
	key := func(r testkit.Route) string { return r.Method + " " + r.Path }
	g, w := map[string]int{}, map[string]int{}
	for _, r := range got {
		g[key(r)]++
	}
	for _, r := range want {
		w[key(r)]++
	}
	return maps.Equal(g, w)
}
