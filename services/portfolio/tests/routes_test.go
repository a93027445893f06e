package tests

import (
	"net/http"
	"strconv"
	"testing"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/routes"
	"reos.dev/pkg/testkit"
	"reos.dev/services/portfolio/internal/server"
	transport "reos.dev/services/portfolio/internal/transport/http"
)

// TestRoutes runs the generated route tests over the whole route table and
// the real wiring: every route is 401 without a token, every write 403 for
// a viewer, every route naming a portfolio or reconciliation 404 for
// another organisation's admin and for an unknown id; then the owner's
// writes with the fixture's bodies succeed.
func TestRoutes(t *testing.T) {
	t.Parallel()
	// A portfolio of more than one holding is reconciled by a job, so the
	// jobs API's rows have a job to name (the queue does not run here).
	e := newEnv(t, func(o *server.Options) { o.App.InlineReconcileHoldings = 1 })
	org := newOrg()
	owner, viewer, intruder := e.user(org, permsAdmin), e.user(org, permsViewer), e.user(newOrg(), permsAdmin)
	p := e.portfolio(owner, "Route portfolio")
	e.holding(owner, p.ID, e.knownProperty(org), "2023-05-01", 10_000_00)
	e.holding(owner, p.ID, e.knownProperty(org), "2023-06-01", 20_000_00)
	r := e.call(http.MethodPost, "/api/v1/portfolio/"+p.ID+"/reconcile", owner, nil)
	expect(t, r, http.StatusAccepted, "reconcile as a job")
	recon := decode[struct {
		ID    string `json:"id"`
		JobID int64  `json:"job_id"`
	}](t, r)
	jobPath := jobs.APIPath(server.ServiceName) + "/{job_id}"
	testkit.RouteTests(t, testkit.RouteFixture{
		Router: e.srv.Router, Client: e.client, Routes: e.srv.Routes,
		OwnerToken: owner.Token, IntruderToken: intruder.Token, ViewerToken: viewer.Token, ViewerPerms: permsViewer,
		IDs: map[string]string{transport.KindPortfolio: p.ID, transport.KindReconciliation: recon.ID,
			"job": strconv.FormatInt(recon.JobID, 10)},
		Bodies: map[string]any{
			"PUT /api/v1/portfolio/{id}": map[string]any{"name": "Renamed", "currency": "USD"},
			"POST /api/v1/portfolio/{id}/holdings": map[string]any{"property_id": e.knownProperty(org), "acquired_on": "2024-01-02",
				"cost_basis_cents": 100_000_00, "currency": "USD"},
			"POST /api/v1/portfolio/{id}/transactions": map[string]any{"kind": "expense", "category": "tax", "amount_cents": 1234,
				"currency": "USD", "occurred_on": "2024-02-01"},
			"POST /api/v1/portfolio/{id}/reconcile": nil,
			"POST " + jobPath + "/cancel":           nil,
			"POST " + jobPath + "/retry":            nil,
			"POST " + jobPath + "/replay":           nil,
		},
		OwnerWritesSucceed: true,
		// Cancelled, then retried, the job is available again, and only a
		// finished job replays (TestReconciliationJob runs one to the end).
		OwnerWritesSkip: []string{"POST " + jobPath + "/replay"},
	})
}

// TestOpenAPIMatchesRoutes: every routed operation is documented, every
// documented one routed, and the gateway's loader accepts the document.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.call(http.MethodGet, "/openapi.json", user{}, nil)
	expect(t, r, http.StatusOK, "openapi.json")
	testkit.CheckOpenAPI(t, r.Body, e.srv.Router, routes.OperationalPaths()...)
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		expect(t, e.call(http.MethodGet, path, user{}, nil), http.StatusOK, path)
	}
	expect(t, e.call(http.MethodPatch, "/api/v1/portfolio", user{}, nil), http.StatusMethodNotAllowed, "wrong method")
}
