package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// TestLeadImportRunsInSteps: crm's lead import job works in steps as
// property's does (pkg/jobs Continue). With JOBS_STEP_TIME=1ms every
// step's time is up by its first chunk, so each chunk of 20 valid rows
// (the stack's IMPORT_BATCH_ROWS) is a step: 200 new leads are ten steps
// that hand over, and an eleventh that reads the file's end and completes
// the import. The steps form one chain from the queued job to the import's
// job, each completed in one attempt, and every row is loaded once.
func TestLeadImportRunsInSteps(t *testing.T) {
	s := startStackWith(t, stackOptions{
		services:   []string{"identity", "crm"},
		serviceEnv: map[string][]string{"crm": {"JOBS_STEP_TIME=1ms"}},
	})
	api := s.API()
	const pw = "lead steps password 1"
	email := strings.ToLower(testkit.UniqueName(t, "steps")) + "@example.test"
	r := do(t, http.MethodPost, api+"/auth/register", "", map[string]string{
		"email": email, "password": pw, "full_name": "Step Importer", "organization_name": "Step Realty",
	})
	expectStatus(t, r, http.StatusCreated, "register")
	token := login(t, s, email, pw)

	const rows = 200
	var csv strings.Builder
	csv.WriteString("email,first_name,postal_code\n")
	for i := range rows {
		fmt.Fprintf(&csv, "step%03d@example.com,Step %d,94103\n", i, i)
	}
	r = postFile(t, api+"/leads/import", token, "steps.csv", "text/csv", []byte(csv.String()))
	expectStatus(t, r, http.StatusAccepted, "queued import")
	var queued crmImportJSON
	r.json(t, &queued)
	var done crmImportJSON
	testkit.Eventually(t, 60*time.Second, func() bool {
		r := do(t, http.MethodGet, api+"/leads/imports/"+queued.ID, token, nil)
		expectStatus(t, r, http.StatusOK, "get import")
		r.json(t, &done)
		if done.Status == "failed" {
			t.Fatalf("import failed: %s", r.Body)
		}
		return done.Status == "completed"
	}, "the lead import completes")
	if rep := done.Report; rep.Rows != rows || rep.Accepted != rows || rep.Merged != 0 || rep.Rejected != 0 || rep.ContactsCreated != rows {
		t.Fatalf("report %+v, want %d new leads and contacts", rep, rows)
	}

	r = do(t, http.MethodGet, api+"/jobs/crm?kind=crm.lead_import&limit=200", token, nil)
	expectStatus(t, r, http.StatusOK, "the import's jobs")
	var list struct {
		Items []struct {
			ID          int64  `json:"id"`
			State       string `json:"state"`
			Attempt     int    `json:"attempt"`
			Continues   *int64 `json:"continues"`
			ContinuedBy *int64 `json:"continued_by"`
		} `json:"items"`
	}
	r.json(t, &list)
	// Newest first: the import's job is the last step, the queued one the first.
	steps := list.Items
	if len(steps) != rows/20+1 || steps[len(steps)-1].ID != *queued.JobID || steps[0].ID != *done.JobID {
		t.Fatalf("%d steps (%s), want %d from the queued job %d to the import's job %d", len(steps), r.Body, rows/20+1, *queued.JobID, *done.JobID)
	}
	for i, st := range steps {
		newer, older := int64(0), int64(0)
		if i > 0 {
			newer = steps[i-1].ID
		}
		if i < len(steps)-1 {
			older = steps[i+1].ID
		}
		if st.State != "completed" || st.Attempt != 1 || ptrOr0(st.ContinuedBy) != newer || ptrOr0(st.Continues) != older {
			t.Fatalf("step %d: %+v; want completed in one attempt, continuing %d and continued by %d", len(steps)-i, st, older, newer)
		}
	}

	var leads, distinct int
	if err := s.DB.Pool(t, "").QueryRow(t.Context(), `SELECT count(*), count(DISTINCT c.email) FROM crm.leads l JOIN crm.contacts c ON c.id = l.contact_id
		WHERE c.email LIKE 'step%@example.com'`).Scan(&leads, &distinct); err != nil {
		t.Fatal(err)
	}
	if leads != rows || distinct != rows {
		t.Fatalf("%d leads of %d contacts, want %d of each", leads, distinct, rows)
	}
}

func ptrOr0(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
