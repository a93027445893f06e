package tests

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"reos.dev/pkg/jobs"

	"reos.dev/pkg/routes"
	"reos.dev/pkg/testkit"
	"reos.dev/services/outreach/internal/server"
	transport "reos.dev/services/outreach/internal/transport/http"
)

// TestRoutes runs the generated route tests over the whole route table and
// the real wiring: every non-public route is 401 without a token, every
// write 403 for a viewer, every route naming a campaign or template 404 for
// another organisation's admin and for an unknown id; then the owner's
// writes with the fixture's bodies succeed.
func TestRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	owner, viewer, intruder := e.user(org, permsAdmin), e.user(org, permsViewer), e.user(newOrg(), permsAdmin)
	email, sms := e.emailTemplate(owner, "Route email"), e.smsTemplate(owner, "Route sms")
	// The campaigns' steps use a template of their own: the fixture's is deleted.
	steps := []map[string]any{{"channel": "sms", "template_id": e.smsTemplate(owner, "Route step").ID, "delay_seconds": 0}}
	r := e.call(http.MethodPost, "/api/v1/campaigns", owner, map[string]any{"name": "Route campaign", "steps": steps})
	expect(t, r, http.StatusCreated, "campaign")
	campaign := decode[idJSON](t, r)
	// Another campaign launched: its first step is the job the jobs API's
	// rows name (the queue does not run here, so it stays available).
	launched := e.campaign(owner, "route", steps...)
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+launched.ID+"/launch", owner, nil), http.StatusOK, "launch")
	r = e.call(http.MethodGet, jobs.APIPath(server.ServiceName), owner, nil)
	expect(t, r, http.StatusOK, "list jobs")
	job := decode[listJSON[jobs.Job]](t, r).Items
	if len(job) == 0 || job[0].Kind != "outreach.campaign_step" {
		t.Fatalf("the owner's org has jobs %+v, want the launched campaign's steps", job)
	}
	jobPath := jobs.APIPath(server.ServiceName) + "/{job_id}"
	// A single send: the attempt the attempt routes name.
	lead := recipient{lead: uuid.NewString(), contact: uuid.NewString(), phone: phoneNo(1), consent: "granted"}
	e.seedAudience(org, []recipient{lead}, "single")
	r = e.call(http.MethodPost, "/api/v1/outreach/sms", owner, map[string]any{"lead_id": lead.lead, "template_id": sms.ID})
	expect(t, r, http.StatusOK, "single send")
	attempt := decode[idJSON](t, r)
	testkit.RouteTests(t, testkit.RouteFixture{
		Router: e.srv.Router, Client: e.client, Routes: e.srv.Routes,
		OwnerToken: owner.Token, IntruderToken: intruder.Token, ViewerToken: viewer.Token, ViewerPerms: permsViewer,
		IDs: map[string]string{transport.KindCampaign: campaign.ID, transport.KindEmailTemplate: email.ID, transport.KindSMSTemplate: sms.ID,
			"job": strconv.FormatInt(job[0].ID, 10), transport.KindAttempt: attempt.ID},
		// In table order the campaign is renamed, given targets, launched,
		// paused and resumed, and cancelled last (the deletes go last).
		Bodies: map[string]any{
			"PUT /api/v1/campaigns/{id}":          map[string]any{"name": "Renamed", "steps": steps},
			"POST /api/v1/campaigns/{id}/launch":  nil,
			"POST /api/v1/campaigns/{id}/pause":   nil,
			"POST /api/v1/campaigns/{id}/resume":  nil,
			"POST " + jobPath + "/cancel":         nil,
			"POST " + jobPath + "/retry":          nil,
			"POST " + jobPath + "/replay":         nil,
			"DELETE /api/v1/campaigns/{id}":       nil,
			"POST /api/v1/campaigns/{id}/targets": map[string]any{"filter": map[string]any{"stages": []string{"new"}}},
			"PUT /api/v1/templates/email/{id}":    map[string]any{"name": "Renamed", "subject": "Hi", "html": "<p>{{ .unsubscribe_url }} {{ .org.postal_address }}</p>"},
			"DELETE /api/v1/templates/email/{id}": nil,
			"PUT /api/v1/templates/sms/{id}":      map[string]any{"name": "Renamed", "body": "Hi"},
			"DELETE /api/v1/templates/sms/{id}":   nil,
		},
		OwnerWritesSucceed: true,
		// Cancelled, then retried, the job is available again, and only a
		// finished job replays.
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
	expect(t, e.call(http.MethodPatch, "/api/v1/campaigns", user{}, nil), http.StatusMethodNotAllowed, "wrong method")
}
