package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// importJSON is what the scenarios read of an import.
type importJSON struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	JobID         *int64     `json:"job_id"`
	FinishedAt    *time.Time `json:"finished_at"`
	FileExpiresAt *time.Time `json:"file_expires_at"`
	FileDeletedAt *time.Time `json:"file_deleted_at"`
	Report        struct {
		Rows     int `json:"rows"`
		Accepted int `json:"accepted"`
		Rejected int `json:"rejected"`
		Skipped  int `json:"skipped"`
		Errors   []struct {
			Line   int    `json:"line"`
			Column string `json:"column"`
			Reason string `json:"reason"`
		} `json:"errors"`
	} `json:"report"`
}

// expectFileExpiry checks an import that ended at ended: its file is due
// IMPORT_FILE_RETENTION's default (30 days) later and not deleted yet, and
// the expiry job of that time (kind) is in the importing organisation's
// jobs API of service, scheduled.
func expectFileExpiry(t *testing.T, s *Stack, token, service, kind, importID string, ended, expires, deleted *time.Time) {
	t.Helper()
	if ended == nil || expires == nil || deleted != nil || expires.Sub(*ended) != 720*time.Hour {
		t.Fatalf("import ended %v, file expires %v, deleted %v: want it due 720h after the end", ended, expires, deleted)
	}
	r := do(t, http.MethodGet, s.API()+"/jobs/"+service+"?kind="+kind+"&state=scheduled", token, nil)
	expectStatus(t, r, http.StatusOK, "list expiry jobs")
	var jobs struct {
		Items []struct {
			ScheduledAt time.Time `json:"scheduled_at"`
			Args        struct {
				ImportID string `json:"import_id"`
			} `json:"args"`
		} `json:"items"`
	}
	r.json(t, &jobs)
	for _, j := range jobs.Items {
		if j.Args.ImportID == importID && j.ScheduledAt.Equal(*expires) {
			return
		}
	}
	t.Fatalf("no scheduled %s job of import %s at %s: %s", kind, importID, expires, r.Body)
}

// importScenarios import CSV files through nginx and the gateway: a small
// file within the request, a larger one as a job run by the service's
// queue. They register their own organisations, so they run alone too
// (-run 'TestStack/property_import').
func importScenarios(t *testing.T, s *Stack) {
	api := s.API()
	const pw = "import scenario password 1"
	register := func(prefix string) string {
		email := strings.ToLower(testkit.UniqueName(t, prefix)) + "@example.test"
		r := do(t, http.MethodPost, api+"/auth/register", "", map[string]string{
			"email": email, "password": pw, "full_name": "Import " + prefix, "organization_name": prefix + " Realty",
		})
		expectStatus(t, r, http.StatusCreated, "register "+prefix)
		return login(t, s, email, pw)
	}
	admin, outsider := register("importer"), register("outsider")
	imports := api + "/properties/bulk-import"
	csv := []byte("MLS Number,Price,property_type,unparsed_address,city,postal_code\n" +
		"E2E-1,350000,Residential,5 Quarry Lane,Marblehead,01945\n" +
		"E2E-2,not a price,Residential,6 Quarry Lane,Marblehead,01945\n" +
		"E2E-3,275000.50,Houseboat,7 Quarry Lane,Marblehead,01945\n" +
		"E2E-4,410000,Residential,8 Quarry Lane,Marblehead,01945\n")
	mapping := `{"MLS Number": "listing_key", "Price": "list_price"}`

	var first importJSON
	t.Run("a small file is imported within the request, each bad row reported", func(t *testing.T) {
		r := postFile(t, imports, admin, "quarry.csv", "text/csv", csv, "mapping", mapping)
		expectStatus(t, r, http.StatusCreated, "import")
		r.json(t, &first)
		rep := first.Report
		if first.Status != "completed" || rep.Rows != 4 || rep.Accepted != 2 || rep.Rejected != 2 || len(rep.Errors) != 2 ||
			rep.Errors[0].Line != 3 || rep.Errors[0].Column != "Price" || rep.Errors[1].Line != 4 || rep.Errors[1].Column != "property_type" ||
			!strings.Contains(rep.Errors[1].Reason, "RESO PropertyType") {
			t.Fatalf("import = %s", r.Body)
		}
	})

	t.Run("the file's deletion is scheduled for the end of its retention", func(t *testing.T) {
		expectFileExpiry(t, s, admin, "property", "property.import_file_expire", first.ID, first.FinishedAt, first.FileExpiresAt, first.FileDeletedAt)
	})

	t.Run("the imported rows are searchable", func(t *testing.T) {
		r := do(t, http.MethodGet, api+"/properties/search?q=quarry+marblehead", admin, nil)
		expectStatus(t, r, http.StatusOK, "search")
		var hits struct {
			Items []struct {
				ListingKey     string `json:"listing_key"`
				ListPriceCents int64  `json:"list_price_cents"`
			} `json:"items"`
		}
		r.json(t, &hits)
		got := map[string]int64{}
		for _, h := range hits.Items {
			got[h.ListingKey] = h.ListPriceCents
		}
		if len(got) != 2 || got["E2E-1"] != 35000000 || got["E2E-4"] != 41000000 {
			t.Fatalf("search found %v", got)
		}
	})

	t.Run("importing the same file again adds nothing", func(t *testing.T) {
		r := postFile(t, imports, admin, "quarry.csv", "text/csv", csv, "mapping", mapping)
		expectStatus(t, r, http.StatusCreated, "import again")
		var again importJSON
		r.json(t, &again)
		if again.Report.Accepted != 0 || again.Report.Skipped != 2 || again.Report.Rejected != 2 {
			t.Fatalf("second import = %s", r.Body)
		}
		r = do(t, http.MethodGet, api+"/properties?limit=200", admin, nil)
		var list struct{ Items []any }
		r.json(t, &list)
		if len(list.Items) != 2 {
			t.Fatalf("%d properties after importing twice, want 2", len(list.Items))
		}
	})

	t.Run("a larger file runs as a job with progress", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("listing_key,list_price_cents,property_type,unparsed_address,city\n")
		const rows = 300
		for i := 1; i <= rows; i++ {
			fmt.Fprintf(&b, "JOB-%03d,%d,Residential,%d Ledge Road,Rockport\n", i, 20000000+i, i)
		}
		r := postFile(t, imports, admin, "ledge.csv", "text/csv", []byte(b.String()))
		expectStatus(t, r, http.StatusAccepted, "queued import")
		var queued importJSON
		r.json(t, &queued)
		if queued.Status != "queued" || queued.JobID == nil || r.Header.Get("Location") != "/api/v1/properties/bulk-import/"+queued.ID {
			t.Fatalf("queued import = %s (Location %q)", r.Body, r.Header.Get("Location"))
		}
		var done importJSON
		testkit.Eventually(t, eventTimeout, func() bool {
			r = do(t, http.MethodGet, imports+"/"+queued.ID, admin, nil)
			expectStatus(t, r, http.StatusOK, "get import")
			r.json(t, &done)
			return done.Status == "completed" || done.Status == "failed"
		}, func() string { return fmt.Sprintf("import still %q", done.Status) })
		if done.Status != "completed" {
			t.Fatalf("import %s: %s", done.Status, r.Body)
		}
		if done.Report.Accepted != rows || done.Report.Rows != rows {
			t.Fatalf("job import = %+v", done.Report)
		}
		// The job that finished it (its last step, should it have taken more
		// than one) shows the whole import's progress.
		r = do(t, http.MethodGet, api+"/jobs/property/"+strconv.FormatInt(*done.JobID, 10), admin, nil)
		expectStatus(t, r, http.StatusOK, "the import's job")
		var job struct {
			State    string `json:"state"`
			Progress struct {
				Rows     int `json:"rows"`
				Accepted int `json:"accepted"`
			} `json:"progress"`
		}
		r.json(t, &job)
		if job.State != "completed" || job.Progress.Rows != rows || job.Progress.Accepted != rows {
			t.Fatalf("job = %s", r.Body)
		}
	})

	t.Run("another organisation cannot see the imports", func(t *testing.T) {
		expectStatus(t, do(t, http.MethodGet, imports+"/"+first.ID, outsider, nil), http.StatusNotFound, "outsider reads an import")
		r := do(t, http.MethodGet, imports, outsider, nil)
		expectStatus(t, r, http.StatusOK, "outsider lists imports")
		var list struct{ Items []any }
		r.json(t, &list)
		if len(list.Items) != 0 {
			t.Fatalf("outsider lists %s", r.Body)
		}
	})
}
