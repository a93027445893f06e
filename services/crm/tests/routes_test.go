package tests

import (
	"net/http"
	"strconv"
	"testing"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/testkit"
	"reos.dev/services/crm/internal/server"
	transport "reos.dev/services/crm/internal/transport/http"
)

// routeWorld is an organisation with a row of every kind crm's route table
// names, its admin and a viewer, an admin of another organisation, and the
// generated route tests' fixture over them.
type routeWorld struct {
	world
	owner, viewer, intruder user
	fixture                 testkit.RouteFixture
}

func newRouteWorld(e *env) routeWorld {
	e.t.Helper()
	org := newOrg()
	w := routeWorld{owner: e.user(org, permsAdmin), viewer: e.user(org, permsViewer), intruder: e.user(newOrg(), permsAdmin)}
	w.world = seedWorld(e, w.owner)
	// An activity enqueues the lead's rescoring: the job the jobs API's
	// rows name (the queue does not run here, so it stays available).
	expect(e.t, e.call(http.MethodPost, "/api/v1/leads/"+w.lead.ID+"/activities", w.owner, map[string]any{"type": "meeting"}),
		http.StatusCreated, "activity")
	r := e.call(http.MethodGet, jobs.APIPath(server.ServiceName), w.owner, nil)
	expect(e.t, r, http.StatusOK, "list jobs")
	job := decode[listJSON[jobs.Job]](e.t, r).Items
	if len(job) != 1 {
		e.t.Fatalf("the owner's org has %d jobs, want its lead's rescoring", len(job))
	}
	jobPath := jobs.APIPath(server.ServiceName) + "/{job_id}"
	w.fixture = testkit.RouteFixture{
		Router: e.srv.Router, Client: e.client, Routes: e.srv.Routes,
		OwnerToken: w.owner.Token, IntruderToken: w.intruder.Token,
		ViewerToken: w.viewer.Token, ViewerPerms: permsViewer,
		IDs: map[string]string{
			transport.KindLead: w.lead.ID, transport.KindContact: w.lead.Contact.ID, transport.KindDeal: w.deal.ID,
			transport.KindRule: w.rule.ID, transport.KindLeadImport: w.leadImport, "job": strconv.FormatInt(job[0].ID, 10),
		},
		// Uploads, deletes and the jobs API send no body: a deal is looked
		// up before its document's multipart body is read.
		Bodies: map[string]any{
			"PUT /api/v1/leads/{id}":               map[string]any{"status": "contacted"},
			"DELETE /api/v1/leads/{id}":            nil,
			"POST /api/v1/leads/{id}/score":        nil,
			"POST /api/v1/leads/{id}/assign":       map[string]any{"user_id": w.viewer.ID},
			"POST /api/v1/leads/{id}/activities":   map[string]any{"type": "call", "direction": "out"},
			"POST /api/v1/leads/{id}/notes":        map[string]any{"body": "hello"},
			"PUT /api/v1/contacts/{id}":            map[string]any{"first_name": "Renamed"},
			"PUT /api/v1/deals/{id}":               map[string]any{"title": "Renamed"},
			"PATCH /api/v1/deals/{id}/stage":       map[string]any{"stage": "qualified"},
			"POST /api/v1/deals/{id}/documents":    nil,
			"PUT /api/v1/assignment-rules/{id}":    map[string]any{"name": "Renamed"},
			"DELETE /api/v1/assignment-rules/{id}": nil,
			"POST " + jobPath + "/cancel":          nil,
			"POST " + jobPath + "/retry":           nil,
			"POST " + jobPath + "/replay":          nil,
		},
		OwnerWritesSucceed: true,
		OwnerWritesSkip: []string{
			// A document needs its file
			// (TestDealDocumentUploadListAndSignedDownload uploads one).
			"POST /api/v1/deals/{id}/documents",
			// Cancelled, then retried, the job is available again, and only
			// a finished job replays (TestActivityRescoresInTheBackground
			// replays one).
			"POST " + jobPath + "/replay",
		},
	}
	return w
}

// TestRoutes runs the generated route tests (testkit.RouteTests) over the
// whole route table and the real wiring: every non-public route is 401
// without a token, every write 403 for a viewer whatever id it names, and
// every route naming a lead, contact, deal, assignment rule, lead import or
// job is 404 for another organisation's admin and for an id that names
// nothing; each write's fixture body then succeeds for the owner.
func TestRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	testkit.RouteTests(t, newRouteWorld(e).fixture)
}
