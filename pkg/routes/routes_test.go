package routes_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/routes"
	"reos.dev/pkg/testkit"
)

var ok200 = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

func TestMountRoutesRefusesBadRows(t *testing.T) {
	t.Parallel()
	authn := func(h http.Handler) http.Handler { return h }
	tests := []struct {
		name string
		rt   routes.Route
		want string
	}{
		{"no permission and no reason", routes.Route{Method: "GET", Path: "/a", Handler: ok200}, "no permission"},
		{"public with a permission", routes.Route{Method: "GET", Path: "/a", Public: true, Perm: "a:read", Handler: ok200}, "public route takes no permission"},
		{"permission and self-service", routes.Route{Method: "GET", Path: "/a", Perm: "a:read", SelfService: "x", Handler: ok200}, "not self-service"},
		{"owned variable not in the path", routes.Route{Method: "GET", Path: "/a/{id}", Perm: "a:read", Owned: map[string]string{"key": "a"}, Handler: ok200}, `"key" is not in the path`},
		{"owned variable of no kind", routes.Route{Method: "GET", Path: "/a/{id}", Perm: "a:read", Owned: map[string]string{"id": ""}, Handler: ok200}, "names no kind"},
		{"no handler", routes.Route{Method: "GET", Path: "/a", Perm: "a:read"}, "nil handler"},
		{"relative path", routes.Route{Method: "GET", Path: "a", Perm: "a:read", Handler: ok200}, "absolute path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := routes.Mount(mux.NewRouter(), authn, []routes.Route{tc.rt})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	t.Run("a route listed twice", func(t *testing.T) {
		t.Parallel()
		rt := routes.Route{Method: "GET", Path: "/a", Perm: "a:read", Handler: ok200}
		if err := routes.Mount(mux.NewRouter(), authn, []routes.Route{rt, rt}); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestMountRoutesChecksInOrder: a public route needs nothing, any other
// route a valid token (401), then its permission (403) before its handler
// runs.
func TestMountRoutesChecksInOrder(t *testing.T) {
	t.Parallel()
	tokens := testkit.NewTokens(t)
	var reached []string
	handler := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			reached = append(reached, name)
			w.WriteHeader(http.StatusNoContent)
		})
	}
	r := mux.NewRouter()
	err := routes.Mount(r, auth.Middleware(tokens.Verifier(), logging.Discard()), []routes.Route{
		{Method: "GET", Path: "/open", Public: true, Handler: handler("open")},
		{Method: "PUT", Path: "/me", SelfService: "your own profile", Handler: handler("me")},
		{Method: "POST", Path: "/things", Perm: "things:write", Handler: handler("things")},
	})
	if err != nil {
		t.Fatal(err)
	}
	const user, org = "01900000-0000-7000-8000-0000000000c1", "01900000-0000-7000-8000-0000000000c2"
	reader := tokens.Access(t, user, org, "things:read")
	writer := tokens.Access(t, user, org, "things:write")
	tests := []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/open", "", http.StatusNoContent},
		{"PUT", "/me", "", http.StatusUnauthorized},
		{"PUT", "/me", reader, http.StatusNoContent},
		{"POST", "/things", "", http.StatusUnauthorized},
		{"POST", "/things", reader, http.StatusForbidden},
		{"POST", "/things", writer, http.StatusNoContent},
	}
	for _, tc := range tests {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s (token %v): %d, want %d", tc.method, tc.path, tc.token != "", rec.Code, tc.want)
		}
	}
	if want := []string{"open", "me", "things"}; strings.Join(reached, ",") != strings.Join(want, ",") {
		t.Fatalf("handlers reached %v, want %v (only the allowed calls)", reached, want)
	}
}

func TestRouteVarsAndWrite(t *testing.T) {
	t.Parallel()
	rt := routes.Route{Method: "DELETE", Path: "/api/v1/x/{id}/files/{key:.+}"}
	if got := strings.Join(rt.Vars(), ","); got != "id,key" {
		t.Fatalf("Vars = %s", got)
	}
	for m, write := range map[string]bool{"GET": false, "HEAD": false, "OPTIONS": false, "POST": true, "PUT": true, "PATCH": true, "DELETE": true} {
		if (routes.Route{Method: m}).Write() != write {
			t.Errorf("%s: Write() != %v", m, write)
		}
	}
	// A search that takes its query as a POST body changes nothing.
	if (routes.Route{Method: "POST", ReadOnly: true}).Write() {
		t.Error("a read-only POST is a write")
	}
}
