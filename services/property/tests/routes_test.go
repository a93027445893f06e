package tests

import (
	"net/http"
	"strconv"
	"testing"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/testkit"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/server"
)

// viewerPerms are what property sees of identity's viewer role: it reads
// properties and jobs.
var viewerPerms = []string{"properties:read", jobs.PermRead}

// TestRoutes runs the generated route tests over property's route table
// with the real wiring: every route is 401 without a token, every write
// 403 for a viewer whatever the id, and every owned id another org's 404
// and an unknown id's 404; then the owner's own writes succeed with the
// same bodies, so those 404s are not refusals of the body
// (testkit.RouteTests). The rows show each of the owner's writes applied
// once and none of the refused ones.
func TestRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.token(newOrg(), "*")
	viewer := e.token(owner.OrgID, viewerPerms...)
	p := e.create(owner, house("77 Cedar Lane", "Denver", 1, map[string]any{"living_area": 1200}))
	r := e.call(http.MethodPost, "/api/v1/listings", owner.Token, map[string]any{"property_id": p.ID, "list_price_cents": 5})
	expect(t, r, http.StatusCreated, "create listing")
	l := decode[listingJSON](t, r)
	v := e.requestValuation(owner, p.ID, nil)
	img, doc := e.mediaOf(owner, p.ID)
	r = e.importCSV(owner, []byte("listing_key,list_price_cents,property_type,unparsed_address,city\nK-1,1,Land,1 A St,X\n"), "")
	expect(t, r, http.StatusCreated, "import")
	imp := decode[importJSON](t, r)

	jobPath := jobs.APIPath(server.ServiceName) + "/{job_id}"
	testkit.RouteTests(t, testkit.RouteFixture{
		Router: e.srv.Router, Client: e.client, Routes: e.srv.Routes,
		OwnerToken: owner.Token, IntruderToken: e.token(newOrg(), "*").Token,
		OwnerWritesSucceed: true,
		// Uploads need a multipart body (media_test.go sends them). The
		// jobs API's cancel, retry and replay cannot all succeed on one
		// job in that order (a replay waits for the retried job to
		// finish); pkg/jobs' tests succeed with each.
		OwnerWritesSkip: []string{
			"POST /api/v1/properties/{id}/images", "POST /api/v1/properties/{id}/documents",
			"POST " + jobPath + "/cancel", "POST " + jobPath + "/retry", "POST " + jobPath + "/replay",
		},
		ViewerToken: viewer.Token, ViewerPerms: viewerPerms,
		IDs: map[string]string{
			"property": p.ID, "listing": l.ID, "valuation": v.ID, "image": img, "document": doc,
			"import": imp.ID, "job": strconv.FormatInt(v.JobID, 10),
		},
		// Uploads and deletes send no body: the row is looked up before a
		// multipart body is read, and a DELETE has none.
		Bodies: map[string]any{
			"PUT /api/v1/properties/{id}":                            map[string]any{"city": "Hacked"},
			"DELETE /api/v1/properties/{id}":                         nil,
			"PUT /api/v1/listings/{id}":                              map[string]any{"list_price_cents": 6},
			"POST /api/v1/properties/{id}/valuations":                map[string]any{},
			"POST /api/v1/properties/{id}/images":                    nil,
			"DELETE /api/v1/properties/{id}/images/{image_id}":       nil,
			"POST /api/v1/properties/{id}/documents":                 nil,
			"DELETE /api/v1/properties/{id}/documents/{document_id}": nil,
			"POST " + jobPath + "/cancel":                            nil,
			"POST " + jobPath + "/retry":                             nil,
			"POST " + jobPath + "/replay":                            nil,
		},
	})

	// Each of the owner's writes applied once; the refused ones not at all.
	if got := decode[propertyJSON](t, e.call(http.MethodGet, "/api/v1/properties/"+p.ID, owner.Token, nil)); got.City != "Hacked" || got.ArchivedAt == nil {
		t.Errorf("the property after the owner's PUT and DELETE: %+v", got)
	}
	if got := decode[listingJSON](t, e.call(http.MethodGet, "/api/v1/listings/"+l.ID, owner.Token, nil)); got.ListPriceCents != 6 || got.Version != 2 {
		t.Errorf("the listing after the owner's PUT: %+v", got)
	}
	for table, want := range map[string]int{"property_valuations": 2, "property_images": 0, "property_documents": 0} {
		if n := scalar[int](e, `SELECT count(*) FROM property.`+table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.river_job WHERE kind = $1`, app.ValuationJobKind); n != 2 {
		t.Errorf("%d valuation jobs, want the owner's 2", n)
	}
	// Reads need their permission too.
	expect(t, e.call(http.MethodGet, "/api/v1/properties/"+p.ID, viewer.Token, nil), http.StatusOK, "viewer reads")
	expect(t, e.call(http.MethodGet, "/api/v1/properties", e.token(owner.OrgID).Token, nil), http.StatusForbidden, "no permissions")
}
