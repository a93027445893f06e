package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"

	"reos.dev/pkg/httpx"
)

// TestMethodNotAllowedListsAllow: a known path asked with a method it does
// not serve is a 405 problem whose Allow header lists exactly the methods
// routed on that path (RFC 9110 §15.5.6), gathered across routes, path
// variables and patterns included.
func TestMethodNotAllowedListsAllow(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	r := mux.NewRouter()
	r.MethodNotAllowedHandler = httpx.MethodNotAllowedFor(r)
	r.Handle("/things", ok).Methods(http.MethodGet)
	r.Handle("/things", ok).Methods(http.MethodPost)
	r.Handle("/things/{id}", ok).Methods(http.MethodGet, http.MethodPut)
	r.Handle("/things/{id}", ok).Methods(http.MethodDelete)
	r.Handle("/files/{key:.+}", ok).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/other", ok).Methods(http.MethodPatch)

	for _, tt := range []struct{ method, path, allow string }{
		{http.MethodPatch, "/things", "GET, POST"},
		{http.MethodPost, "/things/42", "DELETE, GET, PUT"},
		{http.MethodDelete, "/files/a/b.png", "GET, HEAD"},
		{http.MethodGet, "/other", "PATCH"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("status %d, want 405", rec.Code)
			}
			if got := rec.Header().Get("Allow"); got != tt.allow {
				t.Fatalf("Allow = %q, want %q", got, tt.allow)
			}
			if p := decodeProblem(t, rec); p.Type != httpx.ProblemTypeBase+"method_not_allowed" || p.Status != http.StatusMethodNotAllowed {
				t.Fatalf("problem %+v", p)
			}
		})
	}
	// A served method is untouched.
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/things/42", nil))
	if rec.Code != http.StatusNoContent || rec.Header().Get("Allow") != "" {
		t.Fatalf("PUT /things/42 = %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}
