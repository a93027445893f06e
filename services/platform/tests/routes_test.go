package tests

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/routes"
	"reos.dev/pkg/testkit"
	"reos.dev/services/platform/internal/server"
	transport "reos.dev/services/platform/internal/transport/http"
)

// TestRoutes runs the generated route tests over the whole route table and
// the real wiring: 401 without a token, every write 403 for a viewer, a
// task of the owner's org 404 for another org's admin (the token passed on
// to the service, which scopes the job to its org) and for an id naming
// nothing; the owner's writes then succeed.
func TestRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.user(newOrg(), permsAdmin...)
	// Scheduled for later, the job waits: the owner can cancel it.
	id := e.peers[peerCRM].insertWith(t, owner.OrgID, "later", &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	// An endpoint with a logged message (a test delivery to a receiver).
	ep := e.createEndpoint(owner, newReceiver(t).srv.URL, "*")
	r := e.call(http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/test", owner, nil)
	expect(t, r, http.StatusOK, "test delivery")
	msg := decode[logJSON](t, r).MessageID
	// Its redelivery is a job of platform's own (the queue does not run
	// here, so it stays available).
	expect(t, e.call(http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/messages/"+msg+"/redeliver", owner, nil), http.StatusAccepted, "redeliver")
	r = e.call(http.MethodGet, jobs.APIPath(server.ServiceName), owner, nil)
	expect(t, r, http.StatusOK, "platform's jobs")
	own := decode[struct{ Items []jobs.Job }](t, r).Items
	if len(own) != 1 {
		t.Fatalf("platform has %d jobs of the owner's org, want the redelivery", len(own))
	}
	jobPath := jobs.APIPath(server.ServiceName) + "/{job_id}"
	testkit.RouteTests(t, testkit.RouteFixture{
		Router: e.srv.Router, Client: e.client, Routes: e.srv.Routes,
		OwnerToken: owner.Token, IntruderToken: e.user(newOrg(), permsAdmin...).Token,
		ViewerToken: e.user(owner.OrgID, permsViewer...).Token, ViewerPerms: permsViewer,
		IDs: map[string]string{transport.KindTask: id, transport.KindEndpoint: ep.ID, transport.KindMessage: msg,
			"job": strconv.FormatInt(own[0].ID, 10)},
		Bodies: map[string]any{
			"DELETE /api/v1/tasks/{id}":                                  nil,
			"POST /api/v1/admin/dlq/{id}/replay":                         nil,
			"PUT /api/v1/webhooks/{id}":                                  map[string]any{"url": ep.URL, "event_types": []string{"lead.*"}},
			"DELETE /api/v1/webhooks/{id}":                               nil,
			"POST /api/v1/webhooks/{id}/rotate-secret":                   nil,
			"POST /api/v1/webhooks/{id}/test":                            nil,
			"POST /api/v1/webhooks/{id}/messages/{message_id}/redeliver": nil,
			"POST " + jobPath + "/cancel":                                nil,
			"POST " + jobPath + "/retry":                                 nil,
			"POST " + jobPath + "/replay":                                nil,
		},
		OwnerWritesSucceed: true,
		// Only a finished job replays (TestDeadLetterAppearsAndReplaysOnce).
		OwnerWritesSkip: []string{"POST /api/v1/admin/dlq/{id}/replay", "POST " + jobPath + "/replay"},
	})
}

// TestOpenAPIMatchesRoutes: every routed operation is documented and every
// documented one routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.call(http.MethodGet, "/openapi.json", user{}, nil)
	expect(t, r, http.StatusOK, "openapi.json")
	testkit.CheckOpenAPI(t, r.Body, e.srv.Router, routes.OperationalPaths()...)
}
