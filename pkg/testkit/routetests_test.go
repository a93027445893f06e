package testkit

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/routes"
)

// notes is a tiny service for the generated tests: notes belong to an org,
// another org's note is not found. leak and viewerWrites break it on
// purpose.
type notes struct {
	mu   sync.Mutex
	rows map[string]string // note id → org id
	// leak serves another org's note; loose gates the write with a read
	// permission.
	leak, loose bool
}

func (n *notes) get(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	n.mu.Lock()
	org, ok := n.rows[mux.Vars(r)["id"]]
	n.mu.Unlock()
	if !ok || (org != p.OrgID && !n.leak) {
		httpx.WriteError(w, r, nil, apperr.NotFound("note_not_found", "no such note"))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"org": org})
}

func (n *notes) routes() []routes.Route {
	writePerm := "notes:write"
	if n.loose {
		writePerm = "notes:read"
	}
	id := map[string]string{"id": "note"}
	return []routes.Route{
		{Method: "GET", Path: "/api/v1/notes/{id}", Perm: "notes:read", Owned: id, Handler: http.HandlerFunc(n.get)},
		{Method: "PUT", Path: "/api/v1/notes/{id}", Perm: writePerm, Owned: id, Handler: http.HandlerFunc(n.get)},
		{Method: "GET", Path: "/api/v1/ping", Public: true, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})},
	}
}

func notesFixture(t *testing.T, n *notes, extra func(*mux.Router)) RouteFixture {
	tokens := NewTokens(t)
	owner, intruder := uuid.NewString(), uuid.NewString()
	noteID := uuid.NewString()
	n.rows = map[string]string{noteID: owner}
	r := mux.NewRouter()
	if err := routes.Mount(r, auth.Middleware(tokens.Verifier(), logging.Discard()), n.routes()); err != nil {
		t.Fatal(err)
	}
	if extra != nil {
		extra(r)
	}
	viewer := []string{"notes:read"}
	return RouteFixture{
		Router: r, Client: NewClient(t, r), Routes: n.routes(),
		OwnerToken:    tokens.Access(t, uuid.NewString(), owner, "*"),
		IntruderToken: tokens.Access(t, uuid.NewString(), intruder, "*"),
		ViewerToken:   tokens.Access(t, uuid.NewString(), owner, viewer...), ViewerPerms: viewer,
		IDs:    map[string]string{"note": noteID},
		Bodies: map[string]any{"PUT /api/v1/notes/{id}": map[string]any{"text": "x"}},
	}
}

func TestRouteTestsPassASoundService(t *testing.T) {
	f := notesFixture(t, &notes{}, nil)
	f.OwnerWritesSucceed = true
	RouteTests(t, f)
}

func TestRouteTestsCatch(t *testing.T) {
	failures := func(f RouteFixture) string {
		var all []string
		for _, rt := range f.Routes {
			all = append(all, checkRoute(f, rt)...)
		}
		return strings.Join(all, "\n")
	}
	t.Run("another org's row served", func(t *testing.T) {
		got := failures(notesFixture(t, &notes{leak: true}, nil))
		if !strings.Contains(got, "from another org: got 200") {
			t.Fatalf("failures:\n%s", got)
		}
	})
	t.Run("a write the viewer may make", func(t *testing.T) {
		got := failures(notesFixture(t, &notes{loose: true}, nil))
		if !strings.Contains(got, `gated by "notes:read"`) || !strings.Contains(got, "as a viewer: got 404") {
			t.Fatalf("failures:\n%s", got)
		}
	})
	t.Run("a write with no body in the fixture", func(t *testing.T) {
		f := notesFixture(t, &notes{}, nil)
		f.Bodies = nil
		if got := failures(f); !strings.Contains(got, "no body for PUT /api/v1/notes/{id}") {
			t.Fatalf("failures:\n%s", got)
		}
	})
	t.Run("a fixture body the owner cannot use", func(t *testing.T) {
		f := notesFixture(t, &notes{}, nil)
		f.IDs = map[string]string{"note": uuid.NewString()} // not the owner's row: the PUT is a 404
		if got := strings.Join(checkOwnerWrites(f), "\n"); !strings.Contains(got, "PUT /api/v1/notes/{id} as the owner: 404") {
			t.Fatalf("failures:\n%s", got)
		}
	})
	t.Run("a kind of row the fixture lacks", func(t *testing.T) {
		f := notesFixture(t, &notes{}, nil)
		f.IDs = nil
		if got := failures(f); !strings.Contains(got, "no note in RouteFixture.IDs") {
			t.Fatalf("failures:\n%s", got)
		}
	})
}

// TestTableMustBeTheRouter: a route mounted beside the table is found.
func TestTableMustBeTheRouter(t *testing.T) {
	f := notesFixture(t, &notes{}, func(r *mux.Router) {
		r.Handle("/api/v1/secret", http.NotFoundHandler()).Methods("GET")
	})
	rec := &fatalRecorder{TB: t}
	inner := &errorRecorder{fatalRecorder: rec}
	checkTableIsTheRouter(inner, f)
	if !strings.Contains(inner.errs, "GET /api/v1/secret is served but not in the route table") {
		t.Fatalf("errors: %q", inner.errs)
	}
}

type errorRecorder struct {
	*fatalRecorder
	errs string
}

func (e *errorRecorder) Errorf(format string, args ...any) {
	e.errs += "\n" + fmt.Sprintf(format, args...)
}
