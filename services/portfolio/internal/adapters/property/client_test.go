package property

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/svcclient"
)

func newClient(t *testing.T, h http.HandlerFunc) Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := svcclient.New(svcclient.Config{Target: "property", BaseURL: srv.URL, Logger: logging.Discard(),
		Credentials: func(context.Context) (string, bool) { return "token", true }})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// TestLatestValuationPicksTheNewestCompleted: property lists valuations
// newest requested first, failed and queued ones among them; the mark is
// the newest completed one by as_of, then completion, as the read model's.
func TestLatestValuationPicksTheNewestCompleted(t *testing.T) {
	t.Parallel()
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/properties/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/valuations" || r.Header.Get("Authorization") != "Bearer token" {
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[
 {"id":"0190a1b2-c3d4-7e5f-8a9b-000000000004","status":"queued","as_of":"2024-06-01","completed_at":null,"result":null},
 {"id":"0190a1b2-c3d4-7e5f-8a9b-000000000003","status":"failed","as_of":"2024-05-01","completed_at":"2024-05-01T10:00:00Z","result":null},
 {"id":"0190a1b2-c3d4-7e5f-8a9b-000000000002","status":"completed","as_of":"2024-03-01","completed_at":"2024-03-02T10:00:00Z","result":{"method":"comparables","estimate_cents":200,"low_cents":1,"high_cents":3,"confidence":50}},
 {"id":"0190a1b2-c3d4-7e5f-8a9b-000000000001","status":"completed","as_of":"2024-04-01","completed_at":"2024-04-01T10:00:00Z","result":{"method":"comparables","estimate_cents":300,"low_cents":1,"high_cents":3,"confidence":50}}
],"next_cursor":null}`))
	})
	m, err := c.LatestValuation(context.Background(), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	if err != nil {
		t.Fatal(err)
	}
	if m == nil || m.ValuationID != "0190a1b2-c3d4-7e5f-8a9b-000000000001" || m.EstimateCents != 300 || m.Source != "property_api" {
		t.Fatalf("mark %+v", m)
	}
}

func TestPropertyAnswers(t *testing.T) {
	t.Parallel()
	status := http.StatusNotFound
	c := newClient(t, func(w http.ResponseWriter, _ *http.Request) {
		if status == http.StatusOK {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"x","archived_at":"2024-01-01T00:00:00Z"}`))
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"type":"https://reos.dev/problems/x","title":"x","status":` + http.StatusText(status)[:0] + `0}`))
	})
	if found, _, err := c.Property(context.Background(), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"); err != nil || found {
		t.Fatalf("404: found %v, %v", found, err)
	}
	status = http.StatusOK
	if found, archived, err := c.Property(context.Background(), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"); err != nil || !found || !archived {
		t.Fatalf("200: %v %v %v", found, archived, err)
	}
	status = http.StatusBadGateway
	if _, _, err := c.Property(context.Background(), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"); !errors.Is(err, apperr.ErrUnavailable) {
		t.Fatalf("502: %v, want unavailable", err)
	}
}
